"""Twilio facts every module of the channel reads: no imports, so no circle."""

# Keywords Twilio and carriers treat as opt-out / opt-in, plus the French ARRET.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"}
START_WORDS = {"START", "YES", "UNSTOP"}

# Twilio error codes that will not succeed on a retry.
PERMANENT_CODES = {
    "21211": "The number is not a valid phone number.",
    "21408": "Sending to this region is not enabled.",
    "21610": "The customer has opted out (STOP) of messages from this number.",
    "21614": "The number cannot receive SMS.",
    "63016": (
        "WhatsApp does not allow a free-form message more than 24 hours after the customer's "
        "last message: send an approved template instead."
    ),
    "30003": "The handset is unreachable.",
    "30005": "Unknown destination handset.",
    "30006": "The number is a landline or unreachable carrier.",
    "30007": "The carrier filtered the message.",
}

MAX_MEDIA = 10
MEDIA_SALT = "channels_in.twilio.media"
# Twilio fetches media as it sends, and retries for a few hours at most.
MEDIA_URL_MAX_AGE = 2 * 24 * 3600

# WhatsApp's customer-service window: free-form replies up to 24 hours after the customer's
# last message; approved templates only after that.
WHATSAPP_WINDOW_HOURS = 24

"""What the bot's codes mean, in words (translated where they are shown)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

INTENT_LABELS = {
    "order_status": _("Where is my order?"),
    "delivery_time": _("When will it arrive?"),
    "delivery_options": _("Delivery options"),
    "cancel_order": _("Cancelling an order"),
    "change_order": _("Changing an order"),
    "return_refund": _("Returns and refunds"),
    "refund_status": _("Where is my refund?"),
    "payment": _("Payment"),
    "invoice": _("Invoices"),
    "account": _("Customer account"),
    "contact_human": _("Asking for a person"),
    "complaint": _("Complaint"),
    "greeting": _("Greeting"),
    "thanks_goodbye": _("Thanks or goodbye"),
    "out_of_scope": _("None of the bot's questions"),
}
LANGUAGE_LABELS = {"fr": _("French"), "en": _("English")}

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentityKind(models.TextChoices):
    """How a person can be reached. SMS and WhatsApp are separate: opt-outs differ."""

    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone (SMS)")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    WEBCHAT = "webchat", _("Site chat visitor")


class Contact(models.Model):
    """A person writing to the shop, whatever the channel."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # When two records turn out to be one person, the absorbed one points at the survivor.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name or _("Contact #%(id)s") % {"id": self.pk}


class ContactIdentity(models.Model):
    """One address at which a contact is known: unique per kind across the helpdesk.

    Besides it, the address may have one *claimed* identity: the unproven sender of mail that
    failed its domain's checks, with a contact of its own. Lookups of the address's owner
    read ``claimed=False`` only."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    address = models.CharField(_("address"), max_length=320)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    verified = models.BooleanField(
        _("verified"),
        default=False,
        help_text=_("The owner proved control of this address (login, signed token, code)."),
    )
    opted_out_at = models.DateTimeField(
        _("opted out"),
        null=True,
        blank=True,
        help_text=_("Set when the person asked not to be messaged here (STOP)."),
    )
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    claimed = models.BooleanField(
        _("claimed, unproven"),
        default=False,
        help_text=_(
            "Mail used this address but its domain did not vouch for it (SPF and DMARC "
            "failed): whoever wrote only claims to be its owner. Kept apart from the "
            "address's own identity, never verified."
        ),
    )
    last_seen_at = models.DateTimeField(_("last message"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact identity")
        verbose_name_plural = _("contact identities")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "address"],
                condition=models.Q(claimed=False),
                name="identity_unique_kind_address",
            ),
            models.UniqueConstraint(
                fields=["kind", "address"],
                condition=models.Q(claimed=True),
                name="identity_unique_claimed_address",
            ),
        ]
        indexes = [models.Index(fields=["contact", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.address}"

    @property
    def reachable(self) -> bool:
        return self.opted_out_at is None and self.bounced_at is None


def normalize_address(kind: str, address: str) -> str:
    """The canonical spelling of an address, so one person never gets two identities."""
    address = address.strip()
    if kind == IdentityKind.EMAIL:
        return address.lower()
    if kind in {IdentityKind.PHONE, IdentityKind.WHATSAPP}:
        digits = "".join(ch for ch in address if ch.isdigit())
        return f"+{digits}" if digits else address
    return address


class IdentityClaim(models.Model):
    """A visitor (a chat identity) says an address already known to us is theirs.

    Until they prove it (a one-time code sent to that address) or an agent confirms it, the
    visitor stays a separate, unverified contact: nothing of the address's owner is shown to
    them. On proof, the visitor's contact is merged into the owner's."""

    visitor = models.ForeignKey(
        ContactIdentity, on_delete=models.CASCADE, related_name="claims_made"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    address = models.CharField(_("claimed address"), max_length=320)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    proven_at = models.DateTimeField(_("proven"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("confirmed by"),
    )

    class Meta:
        verbose_name = _("identity claim")
        verbose_name_plural = _("identity claims")
        indexes = [models.Index(fields=["visitor", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.visitor} → {self.address}"

"""A visitor who says they are a known customer: a one-time code to the address they name,
and, on proof (or an agent's confirmation), their conversation joins that customer.

Until then the visitor stays a separate contact, shown to agents as "claims to be X,
unverified", and sees nothing of that customer's tickets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from helpdesk.contacts.models import ContactIdentity, IdentityClaim, normalize_address
from helpdesk.contracts import DomainError
from helpdesk.security.ratelimit import rate_hit
from helpdesk.tickets.models import Direction, Ticket
from helpdesk.tickets.services.common import ticket_event_record
from helpdesk.tickets.services.contacts import contact_merge

CODE_DIGITS = 6
CODE_MINUTES = 30
CODE_ATTEMPTS = 5
# Codes mailed to one address per hour, whoever asks: the address's owner is not flooded.
CODES_PER_ADDRESS_HOUR = 3


def _code_hash(claim_visitor_id: int, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"claim:{claim_visitor_id}:{code}".encode(), hashlib.sha256).hexdigest()


def claim_owner(*, kind: str, address: str) -> ContactIdentity | None:
    return (
        ContactIdentity.objects.select_related("contact")
        .filter(kind=kind, address=normalize_address(kind, address), claimed=False)
        .first()
    )


def _visitor_tickets(visitor: ContactIdentity) -> list[Ticket]:
    return list(
        Ticket.objects.filter(
            messages__identity=visitor, messages__direction=Direction.INBOUND
        ).distinct()
    )


def identity_claim_start(
    *, visitor: ContactIdentity, kind: str, address: str, language: str = ""
) -> IdentityClaim:
    """Record the claim and send a one-time code to the claimed address (it replaces any
    earlier pending code of this visitor). At most three codes an hour go to one address:
    past that, DomainError."""
    address = normalize_address(kind, address)
    if not rate_hit(
        bucket="claim-code", key=f"{kind}:{address}", limit=CODES_PER_ADDRESS_HOUR, seconds=3600
    ):
        raise DomainError(_("Too many codes were sent to this address. Try again later."))
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with transaction.atomic():
        IdentityClaim.objects.filter(
            visitor=visitor, proven_at__isnull=True, confirmed_by__isnull=True
        ).update(expires_at=timezone.now())
        claim = IdentityClaim.objects.create(
            visitor=visitor,
            kind=kind,
            address=address,
            code_hash=_code_hash(visitor.pk, code),
            expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES),
        )
        for ticket in _visitor_tickets(visitor):
            ticket_event_record(ticket, actor=None, event="identity_claimed", address=address)
    with override(language or settings.LANGUAGE_CODE):
        subject = _("Your code to continue the conversation: %(code)s") % {"code": code}
        body = _(
            "Someone chatting on our website said this address is theirs. If it was you, "
            "enter this code in the chat: %(code)s\n\nThe code expires in %(minutes)d "
            "minutes. If it was not you, ignore this message: nothing of yours was shown."
        ) % {"code": code, "minutes": CODE_MINUTES}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    return claim


def identity_claim_pending(*, visitor: ContactIdentity) -> IdentityClaim | None:
    return (
        IdentityClaim.objects.filter(
            visitor=visitor,
            proven_at__isnull=True,
            confirmed_by__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def identity_claim_verify(*, visitor: ContactIdentity, code: str) -> IdentityClaim:
    """The visitor typed the code: on a match, their contact joins the address's owner.
    A wrong, expired or exhausted code raises DomainError and changes nothing else."""
    claim = identity_claim_pending(visitor=visitor)
    if claim is None or claim.attempts >= CODE_ATTEMPTS:
        raise DomainError(_("This code has expired. Ask for a new one."))
    code = "".join(ch for ch in str(code) if ch.isdigit())[:CODE_DIGITS]
    if not hmac.compare_digest(claim.code_hash, _code_hash(visitor.pk, code)):
        IdentityClaim.objects.filter(pk=claim.pk).update(attempts=claim.attempts + 1)
        raise DomainError(_("This code is not right."))
    return _claim_grant(claim, actor=None)


def identity_claim_confirm(*, claim: IdentityClaim, actor: User) -> IdentityClaim:
    """An agent who checked by other means confirms the claim: the same merge as a proof."""
    if claim.proven_at or claim.confirmed_by_id:
        raise DomainError(_("This claim was already settled."))
    return _claim_grant(claim, actor=actor)


def _claim_grant(claim: IdentityClaim, *, actor: User | None) -> IdentityClaim:
    with transaction.atomic():
        claim = IdentityClaim.objects.select_for_update().get(pk=claim.pk)
        owner = claim_owner(kind=claim.kind, address=claim.address)
        if owner is None:
            raise DomainError(_("The claimed address is no longer known."))
        visitor = ContactIdentity.objects.select_related("contact").get(pk=claim.visitor_id)
        target = owner.contact
        while target.merged_into_id is not None:
            target = target.merged_into  # type: ignore[assignment]
        if visitor.contact_id != target.pk:
            contact_merge(source=visitor.contact, target=target, actor=actor)
        if actor is None and not owner.verified:
            # The code reached the address and came back: its owner controls it.
            ContactIdentity.objects.filter(pk=owner.pk).update(verified=True)
        if actor is None:
            claim.proven_at = timezone.now()
        claim.confirmed_by = actor
        claim.save(update_fields=["proven_at", "confirmed_by"])
        for ticket in _visitor_tickets(visitor):
            ticket_event_record(
                ticket,
                actor=actor,
                event="identity_claim_proven" if actor is None else "identity_claim_confirmed",
                address=claim.address,
            )
    return claim


def identity_claims_pending_for(*, contact_id: int) -> list[IdentityClaim]:
    """The unsettled claims made by the identities of one contact, for the agents' view."""
    return list(
        IdentityClaim.objects.filter(
            visitor__contact_id=contact_id, proven_at__isnull=True, confirmed_by__isnull=True
        )
        .select_related("visitor")
        .order_by("-created_at")
    )

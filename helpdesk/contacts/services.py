from __future__ import annotations

from datetime import datetime

from django.db import transaction

from helpdesk.contacts.models import Contact, ContactIdentity, normalize_address


def identity_resolve(
    *,
    kind: str,
    address: str,
    name: str = "",
    verified: bool = False,
    seen_at: datetime | None = None,
    contact: Contact | None = None,
) -> ContactIdentity:
    """The identity for (kind, address), created with a new contact the first time.

    A verified sighting upgrades an unverified identity; nothing ever downgrades one.
    Races on a new address end in the unique constraint; callers retry in a new transaction.
    """
    address = normalize_address(kind, address)
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(kind=kind, address=address, claimed=False)
        .first()
    )
    if identity is None:
        with transaction.atomic():
            contact = contact or Contact.objects.create(name=name[:200])
            identity = ContactIdentity.objects.create(
                contact=contact,
                kind=kind,
                address=address,
                display_name=name[:200],
                verified=verified,
                last_seen_at=seen_at,
            )
        return identity
    identity_fields, contact_fields = identity_sighting_note(
        identity, name=name, verified=verified, seen_at=seen_at
    )
    if identity_fields:
        identity.save(update_fields=identity_fields)
    if contact_fields:
        identity.contact.save(update_fields=[*contact_fields, "updated_at"])
    return identity


def identity_sighting_note(
    identity: ContactIdentity,
    *,
    name: str = "",
    verified: bool = False,
    seen_at: datetime | None = None,
) -> tuple[list[str], list[str]]:
    """Apply one more sighting of a known identity to it and its contact, in memory.

    Returns the identity's and the contact's changed fields, for the caller to save now or
    with a batch. A verified sighting upgrades; nothing ever downgrades.
    """
    changed = []
    if verified and not identity.verified and not identity.claimed:
        identity.verified = True
        changed.append("verified")
    if name and not identity.display_name:
        identity.display_name = name[:200]
        changed.append("display_name")
    if seen_at:
        identity.last_seen_at = seen_at
        changed.append("last_seen_at")
    contact_changed = []
    if name and not identity.contact.name:
        identity.contact.name = name[:200]
        contact_changed.append("name")
    return changed, contact_changed

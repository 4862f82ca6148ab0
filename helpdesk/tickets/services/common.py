"""What the receive, outbound and agent-action services share: the timeline entries, stored
attachments, the automation step, and saving many rows at once."""

from __future__ import annotations

import contextvars
import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections, models, router

from helpdesk.security.files import strip_bidi_controls
from helpdesk.tickets.models import (
    Attachment,
    AuthorType,
    DeliveryState,
    Direction,
    Message,
    MessageKind,
    Ticket,
)
from helpdesk.tickets.rules import rules_run

logger = logging.getLogger(__name__)


def _update_many(model: type[models.Model], changes: list[tuple[Any, set[str]]]) -> None:
    """Save each object's changed fields: one ``executemany`` per set of fields.

    Django's ``bulk_update`` would do it in one statement, but its CASE expressions take
    longer to build than the statement takes to run; one ``save()`` each, longer still.
    """
    by_fields: dict[tuple[str, ...], list] = {}
    for obj, fields in changes:
        if fields:
            by_fields.setdefault(tuple(sorted(fields)), []).append(obj)
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    concrete = {field.name: field for field in meta.concrete_fields}
    for names, objs in by_fields.items():
        columns = [concrete[name] for name in names]
        # Only the model's own table and column names are spliced in; values are parameters.
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
            quote(meta.db_table),
            ", ".join(f"{quote(column.column)} = %s" for column in columns),
            quote(meta.pk.column),
        )
        rows = [
            [
                column.get_db_prep_save(getattr(obj, column.attname), connection)
                for column in columns
            ]
            + [obj.pk]
            for obj in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _automations_run(ticket: Ticket, *, trigger: str, rules: list | None = None) -> None:
    """The registered rules engine (helpdesk.tickets.rules), inside this transaction."""
    rules_run(ticket, trigger=trigger, rules=rules)


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")
_STORAGE_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
STORAGE_NAME_BYTES = 60  # within FileField's 100 characters with the upload_to folders


def _storage_name(filename: str) -> str:
    """A name any file system and the file field accept: no path or reserved characters, at
    most STORAGE_NAME_BYTES of UTF-8, shortened in its stem so that the extension stays."""
    name = _STORAGE_UNSAFE.sub("_", filename).strip(" ._") or "attachment"
    if len(name.encode("utf-8")) <= STORAGE_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension.encode("utf-8")) > 16:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    room = STORAGE_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" ._") or "attachment"
    return stem + suffix


def attachment_store(
    *,
    message: Message,
    filename: str,
    content_type: str,
    content: bytes,
    content_id: str = "",
    inline: bool = False,
) -> Attachment:
    """Store a file; ``filename`` is kept whole (up to 255 characters) for display, and the
    file on disk gets a short, safe name with the same extension."""
    display = _UNSAFE_NAME.sub("_", strip_bidi_controls(filename or "")).strip() or "attachment"
    safe_name = _storage_name(display)
    attachment = Attachment(
        message=message,
        filename=display[:255],
        content_type=(content_type or "application/octet-stream")[:255],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_id=content_id[:255],
        inline=inline,
    )
    attachment.file.save(safe_name, ContentFile(content), save=False)
    written = _written_files.get()
    if written is not None:
        written.append(attachment.file.name)
    attachment.save()
    return attachment


_written_files: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "written_files", default=None
)


@contextmanager
def stored_files_cleanup() -> Iterator[None]:
    """Put around a transaction that stores attachments: if it raises (and so rolls back),
    the files it wrote are deleted, leaving no file without its row."""
    if _written_files.get() is not None:  # an outer block cleans up
        yield
        return
    written: list[str] = []
    token = _written_files.set(written)
    try:
        yield
    except BaseException:
        for name in written:
            try:
                default_storage.delete(name)
            except OSError:
                logger.exception("Could not delete %s after a rollback", name)
        raise
    finally:
        _written_files.reset(token)


def ticket_status_event(ticket: Ticket, *, old: str, new: str, actor: User | None) -> Message:
    """Record a status change in the ticket's timeline."""
    return Message.objects.create(
        ticket=ticket,
        direction=Direction.OUTBOUND,
        kind=MessageKind.EVENT,
        author_type=AuthorType.AGENT if actor else AuthorType.SYSTEM,
        author=actor,
        delivery_state=DeliveryState.RECEIVED,
        metadata={"event": "status", "from": old, "to": new},
    )


def ticket_event_record(
    on: Ticket, *, actor: User | None, event: str, **details: object
) -> Message:
    """Record something that happened to the ticket ``on`` in its timeline."""
    return Message.objects.create(
        ticket=on,
        direction=Direction.OUTBOUND,
        kind=MessageKind.EVENT,
        author_type=AuthorType.AGENT if actor else AuthorType.SYSTEM,
        author=actor,
        delivery_state=DeliveryState.RECEIVED,
        metadata={"event": event, **details},
    )


def _user_label(user: User | None) -> str:
    if user is None:
        return ""
    profile = getattr(user, "agent_profile", None)
    return profile.name if profile else user.get_username()

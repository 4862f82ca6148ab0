"""Fetch new mail from an inbox's IMAP mailbox.

Message-IDs are checked before whole messages are downloaded; a message is marked seen (or
moved) only after it is stored; a dropped connection is reopened and the poll goes on; one
oversized or unreadable message never stalls the others.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any

from django.conf import settings
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from channels_in.email.parsing import message_ids
from channels_in.email.services import email_ingest, email_known_ids, email_reject_record
from helpdesk.tickets.models import Inbox

logger = logging.getLogger(__name__)

BATCH = 50
MAX_RECONNECTS = 3
_DROPPED = (IMAPClientAbortError, OSError, socket.timeout, ssl.SSLError)


@dataclass
class PollResult:
    seen: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    too_large: int = 0
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def imap_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("imap_host") and config.get("imap_user"))


def _connect(config: Mapping[str, Any]) -> IMAPClient:
    port = int(config.get("imap_port", 993))
    use_ssl = bool(config.get("imap_ssl", port == 993))
    client = IMAPClient(
        config["imap_host"], port=port, ssl=use_ssl, timeout=settings.HELPDESK_IMAP_TIMEOUT
    )
    try:
        if not use_ssl and config.get("imap_starttls"):
            client.starttls()
        password = os.environ.get(config.get("imap_password_env", ""), "")
        client.login(config["imap_user"], password)
        client.select_folder(config.get("imap_folder", "INBOX"))
    except BaseException:
        client.shutdown()
        raise
    return client


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Session:
    """One poll's connection, reopened when the server drops it."""

    def __init__(self, config: Mapping[str, Any], result: PollResult) -> None:
        self.config = config
        self.result = result
        self.client = _connect(config)

    def call(self, name: str, *args):
        for attempt in range(MAX_RECONNECTS + 1):
            try:
                return getattr(self.client, name)(*args)
            except _DROPPED as exc:
                if attempt == MAX_RECONNECTS:
                    raise
                logger.warning("IMAP connection dropped (%s); reconnecting", exc)
                self.result.reconnects += 1
                try:
                    self.client.shutdown()
                except Exception:  # the socket is already gone
                    logger.debug("IMAP shutdown after a drop failed", exc_info=True)
                self.client = _connect(self.config)
        raise AssertionError("unreachable")  # pragma: no cover

    def done(self, uid: int) -> None:
        archive = self.config.get("imap_archive_folder")
        if archive:
            self.call("move", [uid], archive)
        else:
            self.call("add_flags", [uid], [b"\\Seen"])

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:
            logger.debug("IMAP logout failed", exc_info=True)


def imap_poll(*, inbox: Inbox) -> PollResult:
    result = PollResult()
    session = _Session(inbox.config, result)
    try:
        uids = sorted(session.call("search", ["UNSEEN"]))
        for batch in _chunks(uids, BATCH):
            heads = session.call(
                "fetch", batch, ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]
            )
            ids: dict[int, str] = {}
            for uid, data in heads.items():
                header_bytes = data.get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]") or b""
                found = message_ids(str(BytesHeaderParser().parsebytes(header_bytes)["Message-ID"]))
                if found:
                    ids[uid] = found[0]
            known = email_known_ids(inbox=inbox, external_ids=list(ids.values()))
            for uid in batch:
                if uid not in heads:
                    continue  # expunged meanwhile
                result.seen += 1
                try:
                    _poll_one(session, inbox, uid, heads[uid], ids.get(uid), known, result)
                except _DROPPED:
                    raise
                except Exception as exc:  # one bad message must not stall the rest
                    logger.exception("IMAP message %s of inbox %s failed", uid, inbox.pk)
                    result.errors.append(f"{uid}: {exc}")
    finally:
        session.close()
    return result


def _poll_one(
    session: _Session,
    inbox: Inbox,
    uid: int,
    head: dict,
    message_id: str | None,
    known: set[str],
    result: PollResult,
) -> None:
    source = f"imap:{inbox.config.get('imap_user')}@{inbox.config.get('imap_host')}/{uid}"
    if message_id and message_id in known:
        session.done(uid)
        result.count("duplicate")
        return
    size = int(head.get(b"RFC822.SIZE") or 0)
    if size > settings.HELPDESK_EMAIL_MAX_MESSAGE_BYTES:
        headers = session.call("fetch", [uid], ["BODY.PEEK[HEADER]"])
        email_reject_record(
            inbox=inbox,
            raw=headers.get(uid, {}).get(b"BODY[HEADER]", b""),
            source=source,
            reason=f"Message of {size} bytes is over the limit; only its headers were kept.",
        )
        session.done(uid)
        result.too_large += 1
        result.count("rejected")
        return
    fetched = session.call("fetch", [uid], ["BODY.PEEK[]"])
    raw = fetched.get(uid, {}).get(b"BODY[]")
    if raw is None:
        return
    outcome = email_ingest(raw=raw, inbox=inbox, source=source)
    session.done(uid)
    result.count(outcome.outcome)


__all__ = ["IMAPClientError", "PollResult", "imap_configured", "imap_poll"]

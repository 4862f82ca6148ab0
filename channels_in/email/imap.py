"""Fetch new mail from an inbox's IMAP mailbox.

New mail is found by UID, not by the \\Seen flag: the folder's UIDVALIDITY and the last UID
read are kept (ImapCursor), so mail that someone already read in another client is still
fetched. The first poll of a folder takes its unseen mail; a changed UIDVALIDITY (a rebuilt
folder) takes all of it again, and Message-IDs, checked before whole messages are downloaded,
keep anything from being stored twice. Messages are downloaded and stored in batches through
the batch receive path; a message is marked seen (or moved) only after it is stored; a dropped
connection is reopened and the poll goes on; one oversized or unreadable message never stalls
the others, and the cursor never passes a message that failed.
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

from channels_in.email.models import ImapCursor
from channels_in.email.parsing import message_ids
from channels_in.email.services import (
    ParsedMail,
    email_known_ids,
    email_parse,
    email_reject_record,
    email_store,
)
from helpdesk.tickets.models import Inbox

logger = logging.getLogger(__name__)

BATCH = 50
BATCH_BYTES = 20 * 1024 * 1024  # at most this much mail downloaded and held at once
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


def _connect(config: Mapping[str, Any]) -> tuple[IMAPClient, dict]:
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
        selected = client.select_folder(config.get("imap_folder", "INBOX"))
    except BaseException:
        client.shutdown()
        raise
    return client, selected


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Session:
    """One poll's connection, reopened when the server drops it."""

    def __init__(self, config: Mapping[str, Any], result: PollResult) -> None:
        self.config = config
        self.result = result
        self.client, self.selected = _connect(config)

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
                self.client, selected = _connect(self.config)
                if selected.get(b"UIDVALIDITY") != self.selected.get(b"UIDVALIDITY"):
                    raise IMAPClientError("UIDVALIDITY changed during the poll") from None
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


def _batches(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= BATCH or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def imap_poll(*, inbox: Inbox) -> PollResult:
    result = PollResult()
    session = _Session(inbox.config, result)
    folder = inbox.config.get("imap_folder", "INBOX")
    try:
        uidvalidity = int(session.selected.get(b"UIDVALIDITY") or 0)
        cursor = ImapCursor.objects.filter(inbox=inbox, folder=folder).first()
        floor = 0
        if cursor is None:
            # First poll of this folder: its unread mail, not years of read history.
            uids = sorted(session.call("search", ["UNSEEN"]))
            cursor = ImapCursor(inbox=inbox, folder=folder, uidvalidity=uidvalidity)
            cursor.last_uid = min(uids) - 1 if uids else 0
            floor = int(session.selected.get(b"UIDNEXT") or 1) - 1
        elif cursor.uidvalidity != uidvalidity:
            # The folder was rebuilt and its UIDs renumbered: read it all again (Message-IDs
            # keep what is already stored from being stored twice).
            logger.warning("IMAP folder %s of inbox %s has a new UIDVALIDITY", folder, inbox.pk)
            uids = sorted(session.call("search", ["ALL"]))
            cursor.uidvalidity, cursor.last_uid = uidvalidity, 0
        else:
            # "n:*" also answers the last message when nothing is newer: keep only newer UIDs.
            found = session.call("search", ["UID", f"{cursor.last_uid + 1}:*"])
            uids = sorted(uid for uid in found if uid > cursor.last_uid)
        cursor.save()
        done_up_to = cursor.last_uid
        failed = False
        for chunk in _chunks(uids, BATCH):
            heads = session.call(
                "fetch", chunk, ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]
            )
            sizes = {uid: int(heads[uid].get(b"RFC822.SIZE") or 0) for uid in heads}
            for batch in _batches([uid for uid in chunk if uid in heads], sizes):
                handled = _poll_batch(session, inbox, batch, heads, result)
                for uid in batch:
                    if uid in handled and not failed:
                        done_up_to = max(done_up_to, uid)
                    elif uid not in handled:
                        failed = True
            if not failed and chunk:
                done_up_to = max(done_up_to, chunk[-1])  # expunged meanwhile counts as read
            if done_up_to > cursor.last_uid:
                cursor.last_uid = done_up_to
                cursor.save(update_fields=["last_uid", "updated_at"])
        if not failed and floor > cursor.last_uid:
            cursor.last_uid = floor  # what was already read before the first poll stays behind
            cursor.save(update_fields=["last_uid", "updated_at"])
    finally:
        session.close()
    return result


def _source(inbox: Inbox, uid: int) -> str:
    return f"imap:{inbox.config.get('imap_user')}@{inbox.config.get('imap_host')}/{uid}"


def _poll_batch(
    session: _Session, inbox: Inbox, batch: list[int], heads: dict, result: PollResult
) -> set[int]:
    """Store one batch of messages; returns the UIDs handled (stored, known or refused)."""
    ids: dict[int, str] = {}
    for uid in batch:
        header_bytes = heads[uid].get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]") or b""
        found = message_ids(str(BytesHeaderParser().parsebytes(header_bytes)["Message-ID"]))
        if found:
            ids[uid] = found[0]
    known = email_known_ids(inbox=inbox, external_ids=list(ids.values()))
    handled: set[int] = set()
    wanted: list[int] = []
    for uid in batch:
        result.seen += 1
        if uid in ids and ids[uid] in known:
            session.done(uid)
            result.count("duplicate")
            handled.add(uid)
            continue
        size = int(heads[uid].get(b"RFC822.SIZE") or 0)
        if size > settings.HELPDESK_EMAIL_MAX_MESSAGE_BYTES:
            try:
                _too_large(session, inbox, uid, size, result)
                handled.add(uid)
            except _DROPPED:
                raise
            except Exception as exc:
                logger.exception("IMAP message %s of inbox %s failed", uid, inbox.pk)
                result.errors.append(f"{uid}: {exc}")
            continue
        wanted.append(uid)
    if not wanted:
        return handled
    fetched = session.call("fetch", wanted, ["BODY.PEEK[]"])
    mails: list[tuple[int, ParsedMail]] = []
    for uid in wanted:
        raw = fetched.get(uid, {}).get(b"BODY[]")
        if raw is None:  # expunged meanwhile
            handled.add(uid)
            continue
        mails.append((uid, email_parse(raw=raw, inbox_id=inbox.pk, source=_source(inbox, uid))))
    outcomes = email_store(inbox=inbox, mails=[mail for _uid, mail in mails])
    for (uid, _mail), outcome in zip(mails, outcomes, strict=True):
        session.done(uid)
        result.count(outcome.outcome)
        handled.add(uid)
    return handled


def _too_large(session: _Session, inbox: Inbox, uid: int, size: int, result: PollResult) -> None:
    headers = session.call("fetch", [uid], ["BODY.PEEK[HEADER]"])
    email_reject_record(
        inbox=inbox,
        raw=headers.get(uid, {}).get(b"BODY[HEADER]", b""),
        source=_source(inbox, uid),
        reason=f"Message of {size} bytes is over the limit; only its headers were kept.",
    )
    session.done(uid)
    result.too_large += 1
    result.count("rejected")


__all__ = ["IMAPClientError", "PollResult", "imap_configured", "imap_poll"]

"""Telegram through python-telegram-bot: webhook updates in, the library's Bot out.

Inbox configuration (``Inbox.config``): ``bot_username`` (for t.me deep links), optional.
Secrets from the environment: TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET (the
X-Telegram-Bot-Api-Secret-Token Telegram sends, set by ``manage.py telegram_set_webhook``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import mimetypes
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram import Message as TelegramMessage
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from channels_in.base import (
    DeliveryError,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    RejectedInput,
    Sender,
    SendResult,
)
from helpdesk.security.payloads import MalformedPayload, json_loads

START = "/start"
logger = logging.getLogger(__name__)


def telegram_bot() -> Bot:
    base = settings.TELEGRAM_API_BASE_URL
    return Bot(
        settings.TELEGRAM_BOT_TOKEN,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
    )


def _buttons(metadata: Mapping[str, Any]) -> InlineKeyboardMarkup | None:
    """``metadata["telegram_buttons"]``: rows of {"text", "callback_data"} under the text."""
    rows = metadata.get("telegram_buttons")
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in rows
        ]
    )


class TelegramAdapter:
    kind = "telegram"

    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = dict(config)
        cleaned["bot_username"] = str(cleaned.get("bot_username", "")).lstrip("@")
        return cleaned

    def is_configured(self, config: Mapping[str, Any]) -> bool:
        return bool(settings.TELEGRAM_BOT_TOKEN)

    def verify(self, request: HttpRequest, *, config: Mapping[str, Any]) -> None:
        expected = settings.TELEGRAM_WEBHOOK_SECRET
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not expected:
            raise RejectedInput("Telegram is not configured here.", status=403)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise RejectedInput("Invalid X-Telegram-Bot-Api-Secret-Token.", status=403)

    def parse(
        self, payload: bytes, *, inbox_id: int, config: Mapping[str, Any]
    ) -> list[InboundMessage]:
        try:
            # NUL characters cannot be stored: text keeps everything else.
            data = json_loads(payload, strip_nul=True)
        except MalformedPayload as exc:
            raise RejectedInput(f"The body is not acceptable JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise RejectedInput("A Telegram update needs an integer update_id.")
        try:
            update = Update.de_json(data, None)
        except (KeyError, TypeError, ValueError) as exc:
            raise RejectedInput(f"Malformed Telegram update: {exc}") from None
        if update.callback_query is not None:
            return self._callback(update, payload, inbox_id)
        message = update.message or update.edited_message
        if message is None or message.chat.type != "private":
            return []
        return [asyncio.run(self._inbound(update, message, payload, inbox_id))]

    def _callback(self, update: Update, payload: bytes, inbox_id: int) -> list[InboundMessage]:
        """A button of one of our messages was pressed: its data, as a message from the chat
        (an interceptor such as the satisfaction survey's reads ``callback_data``)."""
        query = update.callback_query
        if query is None or not query.data or query.message is None:
            return []
        chat = query.message.chat
        if chat.type != "private":
            return []
        user = query.from_user
        return [
            InboundMessage(
                inbox_id=inbox_id,
                sender=Sender(kind="telegram", address=str(chat.id), name=user.full_name),
                text=query.data,
                external_id=f"update:{update.update_id}",
                raw=payload,
                raw_content_type="application/json",
                source="telegram",
                metadata={"callback_data": query.data, "callback_query_id": query.id},
            )
        ]

    async def _inbound(
        self, update: Update, message: TelegramMessage, payload: bytes, inbox_id: int
    ) -> InboundMessage:
        user = message.from_user
        text = message.text or message.caption or ""
        metadata: dict[str, Any] = {
            "telegram_message_id": message.message_id,
            "telegram_chat_id": message.chat.id,
        }
        if update.edited_message is not None:
            metadata["edited"] = True
        if text.startswith(START):
            token = text[len(START) :].strip()
            if token:
                metadata["link_token"] = token
        attachments, skipped = await self._attachments(message)
        if skipped:
            metadata["skipped_attachments"] = skipped
        language = (user.language_code or "")[:2] if user else ""
        return InboundMessage(
            inbox_id=inbox_id,
            sender=Sender(
                kind="telegram",
                address=str(message.chat.id),
                name=user.full_name if user else "",
            ),
            text=text,
            external_id=f"update:{update.update_id}",
            attachments=attachments,
            language=language if language in {"en", "fr"} else "",
            raw=payload,
            raw_content_type="application/json",
            source="telegram",
            metadata=metadata,
        )

    async def _attachments(
        self, message: TelegramMessage
    ) -> tuple[tuple[InboundAttachment, ...], list[str]]:
        wanted: list[tuple[str, str, str, int | None]] = []
        if message.photo:
            photo = message.photo[-1]  # the largest size
            wanted.append(
                (photo.file_id, f"photo-{photo.file_unique_id}.jpg", "image/jpeg", photo.file_size)
            )
        if message.document:
            doc = message.document
            wanted.append(
                (
                    doc.file_id,
                    doc.file_name or f"document-{doc.file_unique_id}",
                    doc.mime_type or "",
                    doc.file_size,
                )
            )
        if not wanted:
            return (), []
        attachments: list[InboundAttachment] = []
        skipped: list[str] = []
        limit = settings.TELEGRAM_FILE_MAX_BYTES
        async with telegram_bot() as bot:
            for file_id, name, content_type, size in wanted:
                if size and size > limit:
                    skipped.append(name)
                    continue
                try:
                    remote = await bot.get_file(file_id)
                    content = bytes(await remote.download_as_bytearray())
                except TelegramError as exc:
                    raise RejectedInput(
                        f"The file could not be fetched: {exc}", status=502
                    ) from exc
                if len(content) > limit:
                    skipped.append(name)
                    continue
                content_type = content_type or mimetypes.guess_type(name)[0] or ""
                attachments.append(InboundAttachment(name, content_type, content))
        return tuple(attachments), skipped

    def callback_answer(self, callback_query_id: str) -> bool:
        """Tell Telegram a button press was received (its client stops showing a spinner).
        Best effort: a press answered late or twice is refused by Telegram, and only logged."""
        try:
            return bool(asyncio.run(self._callback_answer(callback_query_id)))
        except TelegramError as exc:
            logger.info("Telegram callback query %s not answered: %s", callback_query_id, exc)
            return False

    async def _callback_answer(self, callback_query_id: str) -> bool:
        async with telegram_bot() as bot:
            return await bot.answer_callback_query(callback_query_id=callback_query_id)

    def send(self, message: OutboundMessage) -> SendResult:
        try:
            return asyncio.run(self._send(message))
        except RetryAfter as exc:
            raise DeliveryError(f"Telegram asks to retry later: {exc.message}") from exc
        except (Forbidden, InvalidToken) as exc:
            raise DeliveryError(f"Telegram refused: {exc.message}", permanent=True) from exc
        except BadRequest as exc:
            raise DeliveryError(f"Telegram refused: {exc.message}", permanent=True) from exc
        except TelegramError as exc:
            raise DeliveryError(f"Telegram could not be reached: {exc.message}") from exc

    async def _send(self, message: OutboundMessage) -> SendResult:
        chat_id = int(message.to.address)
        async with telegram_bot() as bot:
            sent = None
            if message.text:
                sent = await bot.send_message(
                    chat_id=chat_id, text=message.text, reply_markup=_buttons(message.metadata)
                )
            for attachment in message.attachments:
                with open(attachment.path, "rb") as handle:
                    if attachment.content_type.startswith("image/"):
                        sent = await bot.send_photo(chat_id=chat_id, photo=handle)
                    else:
                        sent = await bot.send_document(
                            chat_id=chat_id, document=handle, filename=attachment.filename
                        )
        return SendResult(external_id=f"message:{chat_id}:{sent.message_id}" if sent else None)

"""A stand-in for api.telegram.org: the Bot API methods the helpdesk uses, and file downloads.

python-telegram-bot posts form-encoded or multipart parameters; answers follow the Bot API's
``{"ok": true, "result": ...}`` / ``{"ok": false, "error_code", "description"}`` envelope.
"""

from __future__ import annotations

import json
import time
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs, unquote

from tests.fakes.http import FakeServer, JSONHandler

BOT_ID = 7000000001


class TelegramHandler(JSONHandler):
    def _params(self) -> tuple[dict, dict]:
        body = self.body()
        content_type = self.headers.get("Content-Type", "")
        params: dict = {}
        files: dict = {}
        if content_type.startswith("application/json"):
            params = json.loads(body or b"{}")
        elif content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if part.get_filename():
                    files[name] = (
                        part.get_filename(),
                        part.get_content_type(),
                        part.get_payload(decode=True),
                    )
                else:
                    params[name] = part.get_payload(decode=True).decode()
        else:
            params = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        return params, files

    def _ok(self, result) -> None:
        self.reply(200, {"ok": True, "result": result})

    def do_POST(self) -> None:
        prefix = f"/bot{self.fake.token}/"
        if not self.path.startswith(prefix):
            self.reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = self.path[len(prefix) :]
        params, files = self._params()
        self.fake.record({"method": method, "params": params, "files": files})
        with self.fake.lock:
            failure = (
                self.fake.fail_next.pop(0)
                if method.startswith("send") and self.fake.fail_next
                else None
            )
        if failure is not None:
            code, description = failure
            self.reply(code, {"ok": False, "error_code": code, "description": description})
            return
        if method == "getMe":
            self._ok(
                {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "Shop",
                    "username": "shop_help_bot",
                    "can_join_groups": False,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            )
        elif method == "setWebhook":
            self.fake.webhook = params
            self._ok(True)
        elif method == "getFile":
            file_id = params.get("file_id")
            if file_id not in self.fake.files:
                self.reply(
                    400,
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                )
                return
            content = self.fake.files[file_id]
            self._ok(
                {
                    "file_id": file_id,
                    "file_unique_id": "u" + file_id[:8],
                    "file_size": len(content),
                    "file_path": f"documents/{file_id}.bin",
                }
            )
        elif method == "answerCallbackQuery":
            if self.fake.refuse_callbacks or not params.get("callback_query_id"):
                self.reply(
                    400,
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: query is too old or query ID is invalid",
                    },
                )
                return
            self.fake.callback_answers.append(params)
            self._ok(True)
        elif method in {"sendMessage", "sendPhoto", "sendDocument"}:
            self.fake.message_id += 1
            chat_id = int(params["chat_id"])
            result = {
                "message_id": self.fake.message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Shop"},
            }
            if method == "sendMessage":
                result["text"] = params["text"]
            self.fake.sent.append({**params, "method": method, "chat_id": chat_id, "files": files})
            self._ok(result)
        else:
            self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def do_GET(self) -> None:
        prefix = f"/file/bot{self.fake.token}/documents/"
        path = unquote(self.path)
        file_id = path[len(prefix) :].removesuffix(".bin")
        if not path.startswith(prefix) or file_id not in self.fake.files:
            self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.reply(200, raw=self.fake.files[file_id], content_type="application/octet-stream")


class FakeTelegram(FakeServer):
    handler_class = TelegramHandler

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.sent: list[dict] = []
        self.callback_answers: list[dict] = []
        self.refuse_callbacks = False
        self.files: dict[str, bytes] = {}
        self.fail_next: list[tuple[int, str]] = []
        self.webhook: dict | None = None
        self.message_id = 500

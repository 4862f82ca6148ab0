"""A stand-in for api.twilio.com: the Messages resource and message media, over HTTP.

Responses follow Twilio's documented JSON (message resource, error body). The helpdesk talks
to it through the official SDK; tests read ``sent`` and queue failures in ``fail_next``.
"""

from __future__ import annotations

import base64
import re
import uuid
from email.utils import formatdate
from urllib.parse import parse_qs

from tests.fakes.http import FakeServer, JSONHandler

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Messages\.json$")
MEDIA = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Messages/\w+/Media/(?P<media>\w+)$")


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


class TwilioHandler(JSONHandler):
    def _authorized(self, account: str) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == account == self.fake.account_sid and password == self.fake.auth_token

    def _unauthorized(self) -> None:
        self.reply(
            401,
            {
                "code": 20003,
                "message": "Authenticate",
                "status": 401,
                "more_info": "https://www.twilio.com/docs/errors/20003",
            },
        )

    def do_POST(self) -> None:
        match = MESSAGES.match(self.path)
        body = self.body()
        if not match:
            self.reply(404, {"code": 20404, "message": "Not found", "status": 404})
            return
        if not self._authorized(match["account"]):
            self._unauthorized()
            return
        form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        with self.fake.lock:
            failure = self.fake.fail_next.pop(0) if self.fake.fail_next else None
        self.fake.record({"path": self.path, "form": form, "failed": failure is not None})
        if failure is not None:
            status, code, message = failure
            self.reply(
                status,
                {
                    "code": code,
                    "message": message,
                    "status": status,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                },
            )
            return
        sid = new_sid("SM")
        now = formatdate(usegmt=True)
        account = match["account"]
        media = parse_qs(body.decode()).get("MediaUrl", [])
        self.fake.sent.append({**form, "sid": sid, "media": media})
        self.reply(
            201,
            {
                "account_sid": account,
                "api_version": "2010-04-01",
                "body": form.get("Body", ""),
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"
                },
                "to": form.get("To"),
                "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
            },
        )

    def do_GET(self) -> None:
        match = MEDIA.match(self.path)
        if not match or match["media"] not in self.fake.media:
            self.reply(404, {"code": 20404, "message": "Not found", "status": 404})
            return
        if not self._authorized(match["account"]):
            self._unauthorized()
            return
        content_type, content = self.fake.media[match["media"]]
        self.fake.record({"path": self.path, "media": match["media"]})
        self.reply(200, raw=content, content_type=content_type)


class FakeTwilio(FakeServer):
    handler_class = TwilioHandler

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sent: list[dict[str, str]] = []
        self.fail_next: list[tuple[int, int, str]] = []
        self.media: dict[str, tuple[str, bytes]] = {}

    def add_media(self, content_type: str, content: bytes, message_sid: str) -> str:
        """Register a media file; returns its URL as Twilio puts it in MediaUrlN."""
        media_sid = new_sid("ME")
        self.media[media_sid] = (content_type, content)
        account = self.account_sid
        return f"{self.url}/2010-04-01/Accounts/{account}/Messages/{message_sid}/Media/{media_sid}"

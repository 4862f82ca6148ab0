"""A local HTTP stand-in for Elasticsearch: records what the official client sends and answers
like a server would, so the backend's templates, mappings, bulk bodies, alias swaps and query
bodies are checked as the client really serialises them."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.http import FakeServer, JSONHandler


class ElasticsearchHandler(JSONHandler):
    def _answer(self, method: str) -> None:
        fake: FakeElasticsearch = self.fake
        raw = self.body()
        path = self.path.split("?", 1)[0]
        if path.endswith("/_bulk"):
            body: Any = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        else:
            body = json.loads(raw) if raw else None
        fake.record(
            {"method": method, "path": path, "query": self.path.partition("?")[2], "body": body}
        )
        status, payload = fake.respond(method, path, body)
        data = b"" if method == "HEAD" else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=9")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._answer("GET")

    def do_POST(self):
        self._answer("POST")

    def do_PUT(self):
        self._answer("PUT")

    def do_HEAD(self):
        self._answer("HEAD")

    def do_DELETE(self):
        self._answer("DELETE")


class FakeElasticsearch(FakeServer):
    handler_class = ElasticsearchHandler

    def __init__(self) -> None:
        super().__init__()
        self.aliases: dict[str, str] = {}  # alias -> index
        self.hits: dict[str, list[dict]] = {}  # alias -> hits to answer searches with

    def respond(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if not parts:
            return 200, {"version": {"number": "9.0.0"}, "tagline": "You Know, for Search"}
        if parts[0] == "_alias":
            index = self.aliases.get(parts[1])
            if index is None:
                return 404, {"error": "alias missing", "status": 404}
            return 200, {index: {"aliases": {parts[1]: {}}}}
        if parts[0] == "_aliases":
            for action in body["actions"]:
                ((kind, spec),) = action.items()
                if kind == "add":
                    self.aliases[spec["alias"]] = spec["index"]
            return 200, {"acknowledged": True}
        if parts[0] == "_bulk":
            items = []
            for line in body:
                if "index" in line or "delete" in line:
                    op = "index" if "index" in line else "delete"
                    items.append({op: {"_id": line[op]["_id"], "status": 200}})
            return 200, {"took": 1, "errors": False, "items": items}
        if parts[-1] == "_search":
            hits = self.hits.get(parts[0], [])
            return 200, {"timed_out": False, "hits": {"hits": hits}}
        return 200, {"acknowledged": True, "index": parts[0]}

    def calls(self, method: str | None = None, contains: str = "") -> list[dict]:
        return [
            r
            for r in self.requests
            if (method is None or r["method"] == method) and contains in r["path"]
        ]

"""The few pieces of HTTP plumbing the sandbox needs: requests, responses and a router."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


class HttpError(Exception):
    """Raised by a handler to answer with an error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Request:
    method: str
    path: str  # decoded, without the query string
    query: dict[str, str]
    headers: Message
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # filled by the router
    request_id: str = ""  # Graph's request-id of this request
    # Mailboxes this request took over the concurrency limit, with how many of its (batched)
    # requests are over: answered 429.
    over_limit: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_target(cls, method: str, target: str, headers: Message, body: bytes) -> Request:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        return cls(method.upper(), unquote(parts.path), query, headers, body)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default) or default

    def json(self, errors: Callable[[str], Response]) -> Any:
        """The JSON body; a malformed one answers with errors(message)."""
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(errors(f"The request body is not valid JSON: {exc}")) from None

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(data, default=str).encode()
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain") -> Response:
        return cls(status, text.encode(), {"Content-Type": f"{content_type}; charset=utf-8"})

    def data(self) -> Any:
        return json.loads(self.body) if self.body else None


# A handler gets the sandbox application and the request.
Handler = Callable[[Any, Request], Response]


class Router:
    """Routes "/v1.0/users/{user}/events/{event}"-style patterns; literal parts match in any
    case, as Graph's do."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile(
            "^"
            + re.sub(
                r"\\{(\w+)\\}",
                lambda m: f"(?P<{m.group(1)}>[^/]+)",
                re.escape(pattern),
            )
            + "/?$",
            re.IGNORECASE,
        )

        def register(handler: Handler) -> Handler:
            self._routes.append((method.upper(), regex, handler))
            return handler

        return register

    def include(self, other: Router) -> None:
        self._routes.extend(other._routes)

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found and route_method == method:
                return handler, found.groupdict()
        return None

    def allows_path(self, path: str) -> bool:
        return any(regex.match(path) for _, regex, _ in self._routes)

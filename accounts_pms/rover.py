"""StayNTouch Connect (Rover PMS) client: the only module that builds Rover URLs and headers.

Every call carries `Authorization: Bearer …`, `API-Version` and `hotel_id`. The OAuth token
is cached per client until shortly before it expires, and fetched again once on a 401.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings

from accounts_pms.models import StayNTouchSettings
from common.http_client import HttpClient, TransportError, json_or_none

# The charges call is not in the public documentation: its path, relative to the API base
# URL, can be replaced with the ROVER_CHARGES_PATH setting.
DEFAULT_CHARGES_PATH = "posting_accounts/{posting_account_id}/charges"
TOKEN_REFRESH_MARGIN = 60  # seconds before expiry a cached token is replaced
MAX_PER_PAGE = 50


class RoverError(TransportError):
    """A failed Rover call; 422 validation errors are permanent."""


@dataclass(frozen=True)
class RoverConfig:
    api_base_url: str
    auth_url: str
    client_id: str
    client_secret: str = field(repr=False)
    hotel_id: int
    api_version: str

    @classmethod
    def of(cls, stayntouch: StayNTouchSettings) -> RoverConfig:
        return cls(
            stayntouch.api_base_url,
            stayntouch.auth_url,
            stayntouch.client_id,
            stayntouch.client_secret,
            stayntouch.hotel_id,
            stayntouch.api_version,
        )

    @property
    def cache_key(self) -> tuple[str, str, str]:
        digest = hashlib.sha256(self.client_secret.encode()).hexdigest()
        return (self.auth_url, self.client_id, digest)


class _TokenCache:
    _tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
    _lock = threading.Lock()

    @classmethod
    def get(cls, key: tuple[str, str, str]) -> str | None:
        with cls._lock:
            token, expires = cls._tokens.get(key, ("", 0.0))
        return token if token and time.monotonic() < expires - TOKEN_REFRESH_MARGIN else None

    @classmethod
    def put(cls, key: tuple[str, str, str], token: str, lifetime: float) -> None:
        with cls._lock:
            cls._tokens[key] = (token, time.monotonic() + lifetime)

    @classmethod
    def forget(cls, key: tuple[str, str, str] | None = None) -> None:
        with cls._lock:
            if key is None:
                cls._tokens.clear()
            else:
                cls._tokens.pop(key, None)


def forget_tokens() -> None:
    """Drop every cached Rover token (credentials changed, or a test starts afresh)."""
    _TokenCache.forget()


class RoverClient(HttpClient):
    service = "StayNTouch Rover"
    ca_setting = "ROVER_CA_BUNDLE"
    error_class = RoverError
    # One callout, retries included, stays well inside the five-minute claims that keep two
    # jobs from calling for the same thing: 3 × (5 + 30) s plus 2 waits of at most 30 s.
    max_retries = 2
    max_inline_wait = 30.0
    max_backoff = 30.0

    def __init__(self, config: RoverConfig, **kwargs: Any) -> None:
        super().__init__(verify=settings.ROVER_CA_BUNDLE or True, **kwargs)
        self.config = config
        self.last_status: int | None = None

    @classmethod
    def from_settings(cls, stayntouch: StayNTouchSettings, **kwargs: Any) -> RoverClient:
        return cls(RoverConfig.of(stayntouch), **kwargs)

    # --- the token -------------------------------------------------------------------------

    def token(self) -> str:
        cached = _TokenCache.get(self.config.cache_key)
        if cached:
            return cached
        try:
            response = self.session().post(
                self.config.auth_url,
                json={
                    "grant_type": "client_credentials",
                    "client_id": self.config.client_id,
                    "client_secret": self.config.client_secret,
                },
                timeout=(self.connect_timeout, self.read_timeout),
                verify=self.verify,
            )
        except requests.RequestException as exc:
            raise self.unreachable(exc) from exc
        body = json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            detail = (
                body.get("error_description") or body.get("error")
                if isinstance(body, dict)
                else response.text[:200]
            )
            raise RoverError(
                f"Rover refused the client credentials: {detail}",
                status=response.status_code,
                code=body.get("error", "") if isinstance(body, dict) else "",
                permanent=response.status_code in (400, 401, 403),
            )
        _TokenCache.put(
            self.config.cache_key, body["access_token"], float(body.get("expires_in") or 3600)
        )
        return body["access_token"]

    # --- HttpClient hooks ------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token()}",
            "API-Version": self.config.api_version,
            "Accept": "application/json",
        }

    def refresh_auth(self) -> bool:
        _TokenCache.forget(self.config.cache_key)
        return True

    def error_from(self, response: requests.Response) -> RoverError:
        return error_from_body(response.status_code, json_or_none(response))

    # --- calls -----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.config.api_base_url.rstrip('/')}/{path.lstrip('/')}"

    def call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> Any:
        query = {"hotel_id": self.config.hotel_id, **(params or {})}
        response = self.send(method, self.url(path), params=query, json=json)
        self.last_status = response.status_code  # for the request log
        return json_or_none(response)

    def search_companies(
        self, keyword: str, *, page: int = 1, per_page: int = MAX_PER_PAGE
    ) -> dict[str, Any]:
        """Companies whose name or account number contains keyword (at least 3 characters)."""
        if len(keyword) < 3:
            raise RoverError(
                "Rover searches need at least 3 characters.", status=422, permanent=True
            )
        return self.call(
            "GET",
            "accounts",
            params={
                "type": "COMPANY",
                "search_keyword": keyword,
                "page": page,
                "per_page": min(per_page, MAX_PER_PAGE),
            },
        )

    def create_account(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "accounts", json=payload)

    def create_posting_account(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "posting_accounts", json=payload)

    def charges_path(self, posting_account_id: int | str) -> str:
        path = settings.ROVER_CHARGES_PATH or DEFAULT_CHARGES_PATH
        return path.format(posting_account_id=posting_account_id)

    def list_charges(self, posting_account_id: int | str) -> list[dict[str, Any]]:
        answer = self.call("GET", self.charges_path(posting_account_id))
        # The charges call is undocumented: take a bare list as well as {"results": [...]}.
        charges = answer if isinstance(answer, list) else (answer or {}).get("results")
        if not isinstance(charges, list):
            raise RoverError(
                f"Rover's list of charges could not be read: {str(answer)[:200]}",
                permanent=False,
            )
        return charges

    def post_charges(
        self, posting_account_id: int | str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return self.call("POST", self.charges_path(posting_account_id), json=payload)


def error_from_body(status: int, body: Any) -> RoverError:
    """A RoverError from Rover's [{"code", "message"}] error list (or whatever came)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        messages = "; ".join(str(e.get("message", "")) for e in body if isinstance(e, dict))
        return RoverError(
            messages or f"HTTP {status}", status=status, code=str(body[0].get("code", ""))
        )
    if isinstance(body, dict) and ("error" in body or "message" in body):
        return RoverError(
            str(body.get("error_description") or body.get("message") or body.get("error")),
            status=status,
            code=str(body.get("error") or body.get("code") or ""),
        )
    text = body if isinstance(body, str) else ""
    return RoverError(text[:300] or f"HTTP {status}", status=status)

"""StayNTouch Rover (Connect API) stand-in: OAuth token, company accounts, posting accounts
and their charges."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.state import RoverState, now
from sandbox.web import HttpError, Request, Response, Router

router = Router()
TOKEN_LIFETIME = dt.timedelta(hours=2)
MAX_PER_PAGE = 50
ACCOUNT_TYPES = {"COMPANY", "TRAVEL_AGENT"}


def errors(status: int, code: str, message: str) -> Response:
    """Rover's error body: a list of {code, message}."""
    return Response.json(status, [{"code": code, "message": message}])


def fail(status: int, code: str, message: str) -> HttpError:
    return HttpError(errors(status, code, message))


@router.route("POST", "/oauth/token")
def token(app: Any, request: Request) -> Response:
    content_type = request.header("Content-Type")
    data = (
        request.form()
        if "form" in content_type
        else request.json(lambda m: errors(400, "BAD_REQUEST", m))
    )
    if data.get("grant_type") != "client_credentials":
        return Response.json(
            400,
            {
                "error": "unsupported_grant_type",
                "error_description": "The authorization grant type is not "
                "supported by the authorization server.",
            },
        )
    with app.state.lock:
        rover: RoverState = app.state.rover
        if rover.clients.get(data.get("client_id", "")) != data.get("client_secret"):
            return Response.json(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed due "
                    "to unknown client, no client authentication included, "
                    "or unsupported authentication method.",
                },
            )
        access_token = secrets.token_urlsafe(32)
        rover.tokens[access_token] = now() + TOKEN_LIFETIME
    return Response.json(
        200,
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(TOKEN_LIFETIME.total_seconds()),
            "created_at": int(now().timestamp()),
        },
    )


def authorize(app: Any, request: Request) -> int:
    """Check the token, API-Version and hotel_id; the hotel id."""
    rover: RoverState = app.state.rover
    header = request.header("Authorization")
    expires = rover.tokens.get(header.removeprefix("Bearer ").strip()) if header else None
    if not header.startswith("Bearer ") or expires is None or expires <= now():
        raise fail(401, "UNAUTHORIZED", "Invalid or expired access token")
    if not request.header("API-Version"):
        raise fail(401, "UNAUTHORIZED", "Missing API Version")
    hotel = request.query.get("hotel_id", "")
    if not hotel.isdigit():
        raise fail(422, "INVALID_PARAMETER", "hotel_id is required")
    if int(hotel) not in rover.hotels:
        raise fail(403, "FORBIDDEN", f"No access to hotel {hotel}")
    return int(hotel)


def body_of(request: Request) -> dict[str, Any]:
    data = request.json(lambda m: errors(400, "BAD_REQUEST", m))
    if not isinstance(data, dict):
        raise fail(400, "BAD_REQUEST", "The request body must be a JSON object")
    return data


@router.route("GET", "/connect/accounts")
def list_accounts(app: Any, request: Request) -> Response:
    with app.state.lock:
        authorize(app, request)
        query = request.query
        keyword = query.get("search_keyword", "")
        if keyword and len(keyword) < 3:
            raise fail(
                422, "INVALID_PARAMETER", "search_keyword must be at least 3 characters long"
            )
        try:
            page, per_page = int(query.get("page", 1)), int(query.get("per_page", MAX_PER_PAGE))
        except ValueError:
            raise fail(422, "INVALID_PARAMETER", "page and per_page must be numbers") from None
        if not 1 <= per_page <= MAX_PER_PAGE or page < 1:
            raise fail(
                422,
                "INVALID_PARAMETER",
                f"per_page must be between 1 and {MAX_PER_PAGE}; page at least 1",
            )
        found = [
            a
            for a in app.state.rover.accounts.values()
            if (not query.get("type") or a["type"] == query["type"])
            and (
                not keyword
                or keyword.lower() in a["name"].lower()
                or keyword.lower() in (a.get("account_number") or "").lower()
            )
        ]
        start = (page - 1) * per_page
        return Response.json(
            200, {"results": found[start : start + per_page], "total_count": len(found)}
        )


@router.route("POST", "/connect/accounts")
def create_account(app: Any, request: Request) -> Response:
    body = body_of(request)
    with app.state.lock:
        authorize(app, request)
        if body.get("type") not in ACCOUNT_TYPES:
            raise fail(422, "VALIDATION_ERROR", "type must be COMPANY or TRAVEL_AGENT")
        if not (body.get("name") or "").strip():
            raise fail(422, "VALIDATION_ERROR", "Name can't be blank")
        number = body.get("account_number")
        rover = app.state.rover
        if number and any(a.get("account_number") == number for a in rover.accounts.values()):
            raise fail(422, "VALIDATION_ERROR", "Account number has already been taken")
        account = {**body, "id": rover.allocate_id()}
        rover.accounts[account["id"]] = account
    return Response.json(201, account)


@router.route("POST", "/connect/posting_accounts")
def create_posting_account(app: Any, request: Request) -> Response:
    body = body_of(request)
    with app.state.lock:
        hotel = authorize(app, request)
        rover = app.state.rover
        if body.get("type") != "HOUSE":
            raise fail(422, "VALIDATION_ERROR", "type must be HOUSE")
        if not (body.get("name") or "").strip():
            raise fail(422, "VALIDATION_ERROR", "Name can't be blank")
        if body.get("account_id") not in rover.accounts:
            raise fail(422, "VALIDATION_ERROR", f"Account {body.get('account_id')} not found")
        posting = {**body, "id": rover.allocate_id(), "hotel_id": hotel}
        rover.posting_accounts[posting["id"]] = posting
        rover.charges[posting["id"]] = []
    return Response.json(201, posting)


def posting_account_of(app: Any, request: Request) -> int:
    try:
        posting_id = int(request.params["posting_account"])
    except ValueError:
        posting_id = -1
    if posting_id not in app.state.rover.posting_accounts:
        raise fail(
            404, "NOT_FOUND", f"Posting account {request.params['posting_account']} not found"
        )
    return posting_id


@router.route("GET", "/connect/posting_accounts/{posting_account}/charges")
def list_charges(app: Any, request: Request) -> Response:
    with app.state.lock:
        authorize(app, request)
        posting_id = posting_account_of(app, request)
        return Response.json(200, {"results": app.state.rover.charges[posting_id]})


@router.route("POST", "/connect/posting_accounts/{posting_account}/charges")
def post_charges(app: Any, request: Request) -> Response:
    body = body_of(request)
    with app.state.lock:
        authorize(app, request)
        posting_id = posting_account_of(app, request)
        charges = body.get("charges")
        if not isinstance(charges, list) or not charges:
            raise fail(422, "VALIDATION_ERROR", "charges must be a non-empty list")
        posted = []
        for charge in charges:
            if not charge.get("charge_code"):
                raise fail(422, "VALIDATION_ERROR", "charge_code can't be blank")
            try:
                Decimal(str(charge.get("amount")))
            except InvalidOperation:
                raise fail(422, "VALIDATION_ERROR", "amount must be a number") from None
            posted.append(
                {**charge, "id": app.state.rover.allocate_id(), "datetime": body.get("datetime")}
            )
        app.state.rover.charges[posting_id].extend(posted)
    return Response.json(201, {"charges": posted})

"""What keeps the reader safe: the Content-Security-Policy, refusing cross-site form posts, and
API tokens (stored as SHA-256 hashes; shown once by ``newsloom tokens create``)."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, Response

from newsloom.store.base import Store

# No script at all (the pages need none), styles and images only from here or https images.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
ADMIN_COOKIE = "nl_admin"
_WRITE = {"POST", "PUT", "PATCH", "DELETE"}


def new_token() -> str:
    return "nl_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: Store, name: str) -> str:
    """A new API token named ``name``; only its hash is stored, so this is the one time it is
    seen."""
    token = new_token()
    store.add_api_token(name, token_hash(token))  # type: ignore[attr-defined]
    return token


def token_ok(store: Store, token: str | None) -> bool:
    if not token or len(token) > 200:
        return False
    return store.find_api_token(token_hash(token)) is not None  # type: ignore[attr-defined]


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


def require_writer(request: Request) -> None:
    """A write needs a token: ``Authorization: Bearer`` (API) or the admin cookie (forms)."""
    store = request.app.state.store
    if token_ok(store, bearer(request)) or token_ok(store, request.cookies.get(ADMIN_COOKIE)):
        return
    raise HTTPException(status_code=401, detail="a valid API token is needed (newsloom tokens create)",
                        headers={"WWW-Authenticate": "Bearer"})


def is_admin(request: Request) -> bool:
    return token_ok(request.app.state.store, request.cookies.get(ADMIN_COOKIE))


def cross_site_refusal(request: Request) -> Response | None:
    """403 for a write coming from another site's page (a forged form post). A request with a
    bearer token carries no ambient credential and is let through; a browser form post must come
    from a page of this site (Origin, else Referer, else Sec-Fetch-Site)."""
    if request.method not in _WRITE or bearer(request):
        return None
    site = request.headers.get("sec-fetch-site")
    if site and site not in ("same-origin", "none"):
        return JSONResponse({"detail": "cross-site request refused"}, status_code=403)
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin:
        host = request.headers.get("host", "")
        try:
            ok = urlsplit(origin).netloc == host
        except ValueError:
            ok = False
        if not ok:
            return JSONResponse({"detail": "cross-site request refused"}, status_code=403)
    return None

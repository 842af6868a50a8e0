"""The dashboard page at the emulator's root URL: static files shipped in the package.

The page (``static/dashboard.html``, ``.js``, ``.css``) has no build step and asks no other host
for anything (its Content-Security-Policy forbids it); it polls the ``/_emulator/*`` JSON routes
(``account``, ``spend``, ``requests``) and drives the same routes' controls. Nothing is computed
here: every number it shows comes from :class:`~.state.EmulatorState`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

PATH = "/"
"""Where the dashboard is served (the emulator's root URL)."""
ASSETS = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=8)
def asset(name: str) -> bytes:
    """The bytes of a file in the package's ``static`` folder."""
    return resources.files(__package__).joinpath("static", name).read_bytes()


def url(base_url: str) -> str:
    """The dashboard's URL on an emulator served at ``base_url``."""
    return base_url.rstrip("/") + PATH


async def page(_: Request) -> Response:
    """``GET /``: the dashboard."""
    return Response(asset("dashboard.html"), media_type="text/html", headers=SECURITY_HEADERS)


async def static(request: Request) -> Response:
    """``GET /_emulator/dashboard/{name}``: the page's script and style sheet."""
    name = str(request.path_params["name"])
    if name not in ASSETS:
        return Response(b'{"detail":"Not Found"}', 404, media_type="application/json")
    return Response(asset(name), media_type=ASSETS[name], headers=SECURITY_HEADERS)


def routes() -> list[BaseRoute]:
    """The dashboard's routes (no authentication, like the rest of ``/_emulator``)."""
    return [
        Route(PATH, page, methods=["GET"]),
        Route("/_emulator/dashboard/{name}", static, methods=["GET"]),
    ]

"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from the package's own files: no CDN.

Both pages load only vendored files (``static/vendor/``, ``static/vendor/README.md``) and a
start-up script of ours (``static/js/swagger-init.js``, ``static/js/redoc-init.js``): the
Content-Security-Policy forbids inline scripts. Swagger UI works under the console's CSP as
it is. ReDoc writes its styles into ``<style>`` elements, so ``/redoc`` answers with its own
policy: the console's, plus a fresh nonce that ReDoc puts on those elements, the hashes of
the two style elements its bundle writes before it knows the nonce (one of them empty), and
workers from ``blob:`` URLs for its search index (which only a script of the page can make).
"""

from __future__ import annotations

import base64
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console.web import CSP, render

router = APIRouter(include_in_schema=False)

REDOC_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # an empty <style>
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # redoc 2.5.4's loader style
)


def redoc_csp(nonce: str) -> str:
    """The console's policy with ReDoc's styles and search worker allowed (see above)."""
    styles = " ".join(("'self'", f"'nonce-{nonce}'", *REDOC_STYLE_HASHES))
    directives = [
        f"style-src {styles}" if d.startswith("style-src ") else d for d in CSP.split("; ")
    ]
    return "; ".join([*directives, "worker-src 'self' blob:"])


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over this API's OpenAPI document."""
    return render(request, "public/docs.html", {"openapi_url": request.app.openapi_url})


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over this API's OpenAPI document."""
    nonce = base64.b64encode(secrets.token_bytes(18)).decode("ascii")
    return render(
        request,
        "public/redoc.html",
        {"openapi_url": request.app.openapi_url, "style_nonce": nonce},
        headers={"Content-Security-Policy": redoc_csp(nonce)},
    )

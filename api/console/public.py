"""The public pages (no sign-in): for now only ``/``, the complaint page.

Owned by the public-pages work (issue 12, item 8), which fills the page in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console import public_docs
from api.console.web import render

router = APIRouter(include_in_schema=False)
router.include_router(public_docs.router)


@router.get("/", response_class=HTMLResponse)
def complaint_page(request: Request) -> HTMLResponse:
    """The complaint form."""
    return render(request, "public/complaint.html")

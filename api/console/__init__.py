"""The web console: server-rendered Chinese pages in the same FastAPI application.

``mount_console(app)`` adds the static files (``/static``), the public pages (``/``), the
staff console (``/console``), the security headers of every HTML response and the Chinese
error page of every console request. Layout: ``web`` (templates, labels, times, CSP, error
page), ``staff*`` (sign-in, sessions, the staff pages), ``public*`` (the public pages),
``templates/`` and ``static/`` (every asset served from the package: no external URL).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.console import (  # noqa: F401 - each staff module adds its pages
    public,
    staff,
    staff_complaints,
    staff_dossier,
    staff_fields,
    staff_hire,
    staff_intake,
    staff_integrity,
    staff_reports,
    staff_search,
)
from api.console.staff_access import AccessIndex
from api.console.staff_session import SESSIONS_ENV, SessionStore
from api.console.web import STATIC, SecurityHeadersMiddleware, html_problem
from api.problems import include_routers
from api.settings import ApiSettings

ROUTERS = (public.router, staff.router)


def mount_console(app: FastAPI, settings: ApiSettings) -> None:
    """Serve the console from ``app``."""
    # serve --workers N shares one sessions file among its workers (SESSIONS_ENV).
    app.state.console_sessions = SessionStore(
        settings.console_idle_seconds, os.environ.get(SESSIONS_ENV) or None
    )
    app.state.console_access_index = AccessIndex()
    app.state.html_problem = html_problem
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    include_routers(app, ROUTERS)
    app.add_middleware(SecurityHeadersMiddleware)

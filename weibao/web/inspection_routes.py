"""Mounts preventive maintenance: the inspections and early-warning APIs and pages."""

from __future__ import annotations

from fastapi import FastAPI

from weibao.web import inspection_pages
from weibao.web.api import inspections as inspections_api
from weibao.web.api import warnings as warnings_api
from weibao.web.security.errors import PROBLEM_RESPONSES


def install(app: FastAPI) -> None:
    for api in (inspections_api, warnings_api):
        app.include_router(api.router, responses=PROBLEM_RESPONSES)
    app.include_router(inspection_pages.router)

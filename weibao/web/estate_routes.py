"""Mounts the estate's API routers and pages (installations, releases, changes, remote access)."""

from __future__ import annotations

from fastapi import FastAPI

from weibao.web import estate_pages
from weibao.web.api import changes as changes_api
from weibao.web.api import installations as installations_api
from weibao.web.api import releases as releases_api
from weibao.web.api import remote_access as remote_access_api
from weibao.web.security.errors import PROBLEM_RESPONSES


def install(app: FastAPI) -> None:
    for api in (remote_access_api, installations_api, releases_api, changes_api):
        app.include_router(api.router, responses=PROBLEM_RESPONSES)
    app.include_router(estate_pages.router)

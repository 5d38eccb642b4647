"""Mounts training: its API and its page."""

from __future__ import annotations

from fastapi import FastAPI

from weibao.web import training_pages
from weibao.web.api import trainings as trainings_api
from weibao.web.security.errors import PROBLEM_RESPONSES


def install(app: FastAPI) -> None:
    app.include_router(trainings_api.router, responses=PROBLEM_RESPONSES)
    app.include_router(training_pages.router)

"""Errors in FastAPI's own 422 shape, so clients and the OpenAPI schema agree."""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError

from weibao.kb.validation import InvalidParameter


def invalid(location: str, exc: InvalidParameter) -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "loc": [location, exc.param],
                "msg": f"{exc.param}: {exc.message}",
                "type": "value_error",
                "input": None,
            }
        ]
    )

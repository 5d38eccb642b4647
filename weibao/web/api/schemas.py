"""Schema pieces that several API modules share."""

from __future__ import annotations

from pydantic import BaseModel


class Tagged(BaseModel):
    """What a text is about: taxonomy ids (weibao.graph.taxonomy) of systems and symptoms."""

    systems: list[str]
    symptoms: list[str]

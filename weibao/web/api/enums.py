"""Taxonomy ids as enums, so OpenAPI lists them and a bad id names the valid ones."""

from __future__ import annotations

from enum import Enum

from weibao.graph.taxonomy import AUDIENCES, LANGUAGES, SYMPTOMS, SYSTEMS
from weibao.kb.validation import DOCUMENT_KINDS

# Built from the taxonomy at run time, which mypy cannot follow (misc) on each line below.
SystemId = Enum("SystemId", {k: k for k in SYSTEMS}, type=str)  # type: ignore[misc]
SymptomId = Enum("SymptomId", {k: k for k in SYMPTOMS}, type=str)  # type: ignore[misc]
Audience = Enum("Audience", {k: k for k in AUDIENCES}, type=str)  # type: ignore[misc]
Language = Enum("Language", {k: k for k in LANGUAGES}, type=str)  # type: ignore[misc]
DocumentKind = Enum("DocumentKind", {k: k for k in DOCUMENT_KINDS}, type=str)  # type: ignore[misc]

"""Example requests for the training routes, read by tests/web/security/test_route_matrix.py.

Each entry: (method, path) -> (request builder, status when the policy lets the caller in).
Trainings belong to hospital A; hospital B's IT gets 404 giving feedback on one.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from tests.web.security.conftest import HOSPITAL_A, PEOPLE, Env
from weibao.core.db import session_scope
from weibao.kb.images import add_image
from weibao.kb.models import Article
from weibao.training import service as training

Builder = Callable[[Env, str], tuple[str, dict[str, Any]]]
AT = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)
def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def _article(env: Env) -> str:
    """A published shared clinician article (readable by everyone, as is its image)."""
    article_id = env.unique("img")
    with session_scope(env.database.sessions) as session:
        session.add(Article(id=article_id, title="打印机设置", systems=["terminal"], symptoms=[], departments=[],
                            fixes=[], audience="clinician", language="zh", updated=dt.date(2026, 1, 1),
                            body="见图", status="published", content_hash="x", version=1, published_version=1))
    return article_id


def _image(env: Env) -> int:
    article_id = _article(env)
    with session_scope(env.database.sessions) as session:
        return add_image(session, article_id, "a.png", PNG, "t").id


def _training(env: Env, held: bool = False) -> int:
    with session_scope(env.database.sessions) as session:
        row = training.plan(session, training.TrainingPlan(HOSPITAL_A, "clinician", "HIS 操作培训", AT), actor="t")
        if held:
            training.record_held(session, row.id, held_at=AT, attendee_count=12)
        return row.id


def _vendor(who: str) -> bool:
    return who == "anonymous" or PEOPLE[who][1] is None


def _feedback_ok(who: str) -> int:
    return 404 if PEOPLE[who][1] not in (None, HOSPITAL_A) else 201


TRAINING_EXAMPLES: dict[tuple[str, str], tuple[Builder, Callable[[str], int] | int]] = {
    ("GET", "/api/trainings"): (lambda e, w: ("/api/trainings", {}), 200),
    ("GET", "/api/trainings/summary"): (
        lambda e, w: ("/api/trainings/summary",
                      {"params": {"year": 2026, **({"hospital_id": HOSPITAL_A} if _vendor(w) else {})}}), 200
    ),
    ("GET", "/api/trainings/handbook"): (
        lambda e, w: ("/api/trainings/handbook", {"params": {"audience": "clinician"}}), 200
    ),
    ("POST", "/api/trainings"): (
        lambda e, w: ("/api/trainings", {"json": {
            "hospital_id": HOSPITAL_A, "audience": "it_staff", "topic": "服务器巡检培训",
            "planned_at": "2026-12-10T14:00:00+08:00"}}), 201
    ),
    ("POST", "/api/trainings/{training_id}/held"): (
        lambda e, w: (f"/api/trainings/{_training(e)}/held",
                      {"json": {"held_at": "2026-11-10T14:00:00+08:00", "attendee_count": 9}}), 200
    ),
    ("POST", "/api/trainings/{training_id}/feedback"): (
        lambda e, w: (f"/api/trainings/{_training(e, held=True)}/feedback", {"json": {"score": 4}}), _feedback_ok
    ),
    ("GET", "/trainings"): (lambda e, w: ("/trainings", {}), 200),
    # Images in articles (issue 18's editor attachments).
    ("POST", "/api/articles/{article_id}/images"): (
        lambda e, w: (f"/api/articles/{_article(e)}/images", {"files": {"file": ("a.png", PNG, "image/png")}}), 201
    ),
    ("GET", "/api/article-images/{image_id}"): (lambda e, w: (f"/api/article-images/{_image(e)}", {}), 200),
}

"""Images in articles: accepted only when the bytes are an allowed image, readable only by
whoever may read the article."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.web.security.conftest import HOSPITAL_B, Env, build_env
from weibao.core.db import session_scope
from weibao.kb.images import MAX_IMAGE_BYTES, ArticleImage
from weibao.kb.models import Article


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[Env]:
    built = build_env(tmp_path, database_url)
    yield built
    built.database.engine.dispose()


def _png(size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _article(env: Env, article_id: str, audience: str = "clinician", status: str = "published",
             hospital_id: str | None = None) -> str:
    with session_scope(env.database.sessions) as session:
        session.add(Article(id=article_id, title="截图说明", systems=["his"], symptoms=[], departments=[], fixes=[],
                            audience=audience, language="zh", updated=date(2026, 1, 1), body="见图",
                            status=status, content_hash="x", version=1, hospital_id=hospital_id,
                            published_version=1 if status == "published" else None))
    return article_id


def _upload(env: Env, article_id: str, data: bytes, name: str = "a.png", kind: str = "image/png") -> tuple[int, dict]:
    response = env.client("engineer").post(f"/api/articles/{article_id}/images",
                                           files={"file": (name, data, kind)})
    return response.status_code, response.json()


def _stored(env: Env) -> int:
    with session_scope(env.database.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(ArticleImage)) or 0)


def test_upload_and_read_back(env: Env) -> None:
    _article(env, "pub")
    png = _png()
    status, body = _upload(env, "pub", png, name="../../etc/截图.png")
    assert status == 201, body
    assert body["content_type"] == "image/png" and body["markdown"] == f"![截图.png]({body['url']})"
    got = env.client().get(body["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/png" and got.content == png


def test_wrong_type_or_size_is_refused_naming_the_file(env: Env) -> None:
    _article(env, "pub")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, name, kind in [
        (svg, "x.svg", "image/svg+xml"),
        (b"GIF89a but not really an image", "x.gif", "image/gif"),  # the claim does not count
        (_png()[:40], "cut.png", "image/png"),  # truncated
        (b"", "empty.png", "image/png"),
    ]:
        status, body = _upload(env, "pub", data, name, kind)
        assert status == 422, (name, body)
        assert "file" in str(body["detail"]), (name, body)
    big = _png((1200, 1200)) + b"\0" * MAX_IMAGE_BYTES
    status, _ = _upload(env, "pub", big)
    assert status in (413, 422)
    assert _upload(env, "no-such", _png())[0] == 404
    assert _stored(env) == 0
    assert env.client("hospital_it").post("/api/articles/pub/images",
                                          files={"file": ("a.png", _png(), "image/png")}).status_code == 403


def test_images_follow_who_may_read_the_article(env: Env) -> None:
    _article(env, "internal", audience="engineer")
    _article(env, "draft", status="draft")
    _article(env, "mine-b", hospital_id=HOSPITAL_B)
    urls = {a: _upload(env, a, _png())[1]["url"] for a in ("internal", "draft", "mine-b")}
    assert env.client("engineer").get(urls["internal"]).status_code == 200
    assert env.client("clinician").get(urls["internal"]).status_code == 404
    assert env.client().get(urls["internal"]).status_code == 404
    assert env.client("engineer").get(urls["draft"]).status_code == 200
    assert env.client("hospital_it").get(urls["draft"]).status_code == 404
    assert env.client("clinician_b").get(urls["mine-b"]).status_code == 200
    assert env.client("clinician").get(urls["mine-b"]).status_code == 404
    assert env.client().get("/api/article-images/999999").status_code == 404

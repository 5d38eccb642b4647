"""Short videos in articles: accepted only when the bytes are MP4 (H.264/AAC) or WebM and
within WEIBAO_ARTICLE_VIDEO_MAX_MB (the upload route's body limit follows the setting);
served inline with their type and nosniff, in byte ranges, only to readers of the
article; embedded as <video controls> in the rendered article."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.kb.media_samples import box, mp4, webm
from tests.web.security.conftest import HOSPITAL_B, Env, build_env
from weibao.core import migrate
from weibao.core.db import Database, session_scope
from weibao.kb.models import Article
from weibao.kb.videos import ArticleVideo
from weibao.web.markdown import render_markdown


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[Env]:
    built = build_env(tmp_path, database_url)
    yield built
    built.database.engine.dispose()


def _article(env: Env, article_id: str, audience: str = "clinician", status: str = "published",
             hospital_id: str | None = None) -> str:
    with session_scope(env.database.sessions) as session:
        session.add(Article(id=article_id, title="操作录屏", systems=["his"], symptoms=[], departments=[], fixes=[],
                            audience=audience, language="zh", updated=date(2026, 1, 1), body="见视频",
                            status=status, content_hash="x", version=1, hospital_id=hospital_id,
                            published_version=1 if status == "published" else None))
    return article_id


def _upload(env: Env, article_id: str, data: bytes, name: str = "clip.mp4",
            kind: str = "video/mp4") -> tuple[int, dict]:
    response = env.client("engineer").post(f"/api/articles/{article_id}/videos", files={"file": (name, data, kind)})
    return response.status_code, response.json()


def _stored(env: Env) -> int:
    with session_scope(env.database.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(ArticleVideo)) or 0)


def test_mp4_and_webm_upload_embed_and_read_back(env: Env) -> None:
    _article(env, "pub")
    clip = mp4()
    status, body = _upload(env, "pub", clip, name="../录屏.mp4")
    assert status == 201, body
    assert body["content_type"] == "video/mp4" and body["size"] == len(clip)
    assert body["markdown"] == f'<video controls preload="metadata" src="{body["url"]}"></video>'
    got = env.client().get(body["url"])
    assert got.status_code == 200 and got.content == clip
    assert got.headers["content-type"] == "video/mp4" and got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == "inline; filename*=UTF-8''%E5%BD%95%E5%B1%8F.mp4"
    # The player asks for ranges.
    part = env.client().get(body["url"], headers={"Range": "bytes=4-11"})
    assert part.status_code == 206 and part.content == clip[4:12]
    assert part.headers["content-range"] == f"bytes 4-11/{len(clip)}"
    tail = env.client().get(body["url"], headers={"Range": "bytes=-8"})
    assert tail.status_code == 206 and tail.content == clip[-8:]
    assert env.client().get(body["url"], headers={"Range": f"bytes={len(clip)}-"}).status_code == 416
    status, body = _upload(env, "pub", webm(), "clip.webm", "video/webm")
    assert status == 201 and body["content_type"] == "video/webm"
    # Rendered in the article as a player with controls, nothing else.
    html = render_markdown(f"## 录屏\n\n{body['markdown']}\n\n看完再操作。")
    assert f'<video controls="controls" preload="metadata" src="{body["url"]}"></video>' in html


def test_anything_else_is_refused_naming_the_file(env: Env) -> None:
    _article(env, "pub")
    for data, name, kind in [
        (b"<html><script>alert(1)</script></html>" + bytes(64), "x.mp4", "video/mp4"),  # the claim does not count
        (mp4(brand=b"qt  ", compatible=(b"qt  ",)), "x.mov", "video/mp4"),             # QuickTime
        (mp4(codecs=(b"hvc1", b"mp4a")), "hevc.mp4", "video/mp4"),                      # HEVC, not H.264
        (mp4(codecs=(b"mp4a",)), "audio.mp4", "video/mp4"),                             # no video track
        (mp4()[:60], "cut.mp4", "video/mp4"),                                           # truncated
        (webm(b"matroska"), "x.webm", "video/webm"),                                    # Matroska, not WebM
        (b"", "empty.mp4", "video/mp4"),
    ]:
        status, body = _upload(env, "pub", data, name, kind)
        assert status == 422, (name, body)
        assert body["detail"][0]["loc"] == ["body", "file"], (name, body)
    assert _upload(env, "no-such", mp4())[0] == 404
    assert _stored(env) == 0
    assert env.client("hospital_it").post("/api/articles/pub/videos",
                                          files={"file": ("a.mp4", mp4(), "video/mp4")}).status_code == 403


def test_the_size_limit_is_the_setting_and_the_body_limit_follows_it(env: Env, tmp_path: Path) -> None:
    _article(env, "pub")
    # The default (8 MB) is above the app's 1 MB body limit: a 1.5 MB file reaches the check.
    status, body = _upload(env, "pub", mp4() + box(b"free", bytes(1_500_000)))
    assert status == 201, body
    # Beyond the setting plus the multipart envelope the body limit answers first.
    assert _upload(env, "pub", bytes(8_200_000))[0] == 413
    url = f"sqlite:///{tmp_path / 'small.db'}"
    migrate.upgrade(Database(url).engine)
    small = build_env(tmp_path, url, article_video_max_mb=0.001)
    try:
        with session_scope(small.database.sessions) as session:
            session.add(Article(id="pub2", title="录屏", systems=["his"], symptoms=[], departments=[], fixes=[],
                                audience="clinician", language="zh", updated=date(2026, 1, 1), body="x",
                                status="published", content_hash="x", version=1, published_version=1))
        status, body = _upload(small, "pub2", mp4() + box(b"free", bytes(2000)))
        assert status == 422 and "larger than 1000 bytes" in body["detail"][0]["msg"]
        assert _upload(small, "pub2", webm(), "a.webm")[0] == 201
    finally:
        small.database.engine.dispose()


def test_videos_follow_who_may_read_the_article(env: Env) -> None:
    _article(env, "internal", audience="engineer")
    _article(env, "draft", status="draft")
    _article(env, "mine-b", hospital_id=HOSPITAL_B)
    urls = {a: _upload(env, a, mp4())[1]["url"] for a in ("internal", "draft", "mine-b")}
    assert env.client("engineer").get(urls["internal"]).status_code == 200
    assert env.client("clinician").get(urls["internal"]).status_code == 404
    assert env.client().get(urls["internal"]).status_code == 404
    assert env.client("engineer").get(urls["draft"]).status_code == 200
    assert env.client("hospital_it").get(urls["draft"]).status_code == 404
    assert env.client("clinician_b").get(urls["mine-b"]).status_code == 200
    assert env.client("clinician").get(urls["mine-b"]).status_code == 404
    assert env.client().get("/api/article-videos/999999").status_code == 404

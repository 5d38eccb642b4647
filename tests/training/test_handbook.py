"""The handbook PDF per audience: Chinese titles come back out of the PDF, and an internal
(engineer) article never enters a hospital's handbook."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from tests.web.security.conftest import HOSPITAL_B, Env
from weibao.core.db import session_scope
from weibao.kb.models import Article


def _article(env: Env, article_id: str, title: str, audience: str, status: str = "published",
             hospital_id: str | None = None) -> None:
    with session_scope(env.database.sessions) as session:
        session.add(Article(
            id=article_id, title=title, systems=["his"], symptoms=[], departments=[], fixes=[],
            audience=audience, language="zh", updated=date(2026, 11, 1), status=status,
            body="## 处理步骤\n1. 打开 **门诊医生站**\n- 检查打印机连接\n", content_hash="x", version=1,
            published_version=1 if status == "published" else None, hospital_id=hospital_id,
        ))


def _text(pdf: bytes) -> str:
    # pypdf reads fpdf2's ToUnicode map with a NUL before each character (as the service
    # report's test notes too); the characters themselves are the embedded Chinese text.
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).replace("\x00", "")


def test_handbook_has_the_audiences_published_articles_in_chinese(env: Env) -> None:
    _article(env, "c-1", "门诊医生站无法打印处方", "clinician")
    _article(env, "c-2", "草稿：护士站登录缓慢", "clinician", status="draft")
    _article(env, "e-1", "数据库主从切换内部步骤", "engineer")
    _article(env, "i-1", "接口服务器重启方法", "it_staff")
    _article(env, "c-b", "乙医院专用排班说明", "clinician", hospital_id=HOSPITAL_B)
    response = env.client("hospital_it").get("/api/trainings/handbook", params={"audience": "clinician"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = _text(response.content)
    assert "临床操作手册" in text
    assert "门诊医生站无法打印处方" in text and "处理步骤" in text
    for absent in ("草稿：护士站登录缓慢", "数据库主从切换内部步骤", "接口服务器重启方法", "乙医院专用排班说明"):
        assert absent not in text, absent
    it_text = _text(env.client("engineer").get("/api/trainings/handbook", params={"audience": "it_staff"}).content)
    assert "接口服务器重启方法" in it_text and "数据库主从切换内部步骤" not in it_text


def test_handbook_refusals(env: Env) -> None:
    unknown = env.client("hospital_it").get("/api/trainings/handbook", params={"audience": "engineer"})
    assert unknown.status_code == 422 and "audience" in unknown.text
    assert env.client("clinician").get("/api/trainings/handbook", params={"audience": "clinician"}).status_code == 403
    assert env.client().get("/api/trainings/handbook", params={"audience": "clinician"}).status_code == 401


def test_plain_lines_drop_markup_and_images() -> None:
    from weibao.training.handbook import plain_lines

    lines = plain_lines("## 步骤\n- 点击 **保存**，见 [说明](/articles/x)\n![截图](/api/article-images/1)\n```\nsystemctl restart his\n```")
    assert lines == [("heading", "步骤"), ("text", "• 点击 保存，见 说明"), ("text", ""),
                     ("code", "systemctl restart his")]

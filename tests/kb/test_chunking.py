from __future__ import annotations

from weibao.kb.chunking import chunk_markdown


def test_sections_become_passages_with_their_heading() -> None:
    body = "开头一句。\n\n## 现象\n片子打不开。\n\n## 处理步骤\n1. 重启\n2. 清缓存\n"
    passages = chunk_markdown(body, max_chars=600)
    assert [p.heading for p in passages] == ["", "现象", "处理步骤"]
    assert "1. 重启\n2. 清缓存" in passages[2].text


def test_long_section_is_split_between_blocks_never_inside_one() -> None:
    steps = "\n".join(f"{i}. " + "步骤说明" * 20 for i in range(1, 11))
    passages = chunk_markdown(f"## 处理步骤\n{steps}", max_chars=300)
    assert len(passages) > 3
    for passage in passages:
        for line in passage.text.splitlines():
            assert line.split(". ", 1)[1] == "步骤说明" * 20
    assert [p.ordinal for p in passages] == list(range(len(passages)))


def test_code_block_stays_whole() -> None:
    body = "## 排查\n```sql\nselect 1\n\nfrom dual;\n```\n"
    passages = chunk_markdown(body, max_chars=10)
    assert any("select 1\n\nfrom dual;" in p.text for p in passages)


def test_empty_body_gives_no_passage() -> None:
    assert chunk_markdown("   \n") == []

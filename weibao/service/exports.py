"""The service report as XLSX (openpyxl) and PDF (fpdf2 with an embedded CJK font).

The PDF embeds a subset of the CJK font given by `Settings.report_font` (Debian's
fonts-noto-cjk by default, installed by `make install` hints and `.ci/run`), so Chinese
renders on a machine without that font; a missing font is an error, never a PDF whose
text falls back to a font it does not carry.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.routing.models import PRIORITIES

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"

LABELS: dict[str, tuple[str, str]] = {
    "title": ("月度服务报告", "Monthly service report"),
    "title_quarter": ("季度服务回顾", "Quarterly service review"),
    "hospital": ("医院", "Hospital"),
    "period": ("期间", "Period"),
    "as_of": ("统计时间", "As of"),
    "totals": ("总览", "Totals"),
    "tickets": ("工单数", "Tickets"),
    "resolved": ("已解决", "Resolved"),
    "open": ("未关闭", "Open"),
    "breaches": ("违约次数", "Breaches"),
    "response": ("响应", "Response"),
    "resolution": ("解决", "Resolution"),
    "compliance": ("SLA 达成率", "SLA compliance"),
    "priority": ("优先级", "Priority"),
    "met": ("达标", "Met"),
    "breached": ("超时", "Breached"),
    "pending": ("进行中", "Pending"),
    "percent": ("达成率", "Percent"),
    "credit_owed": ("应付服务抵扣", "Service credit owed"),
    "credit": ("抵扣", "Credit"),
    "ticket": ("工单", "Ticket"),
    "target": ("目标", "Target"),
    "over": ("超出（分钟）", "Over (min)"),
    "cause": ("原因", "Cause"),
    "volume": ("工单分布", "Volume"),
    "system": ("系统", "System"),
    "symptom": ("现象", "Symptom"),
    "channel": ("渠道", "Channel"),
    "times": ("处理时长（工作分钟）", "Times (business minutes)"),
    "median": ("中位数", "Median"),
    "p90": ("90 分位", "p90"),
    "recurring": ("重复问题", "Recurring problems"),
    "count": ("次数", "Count"),
    "has_article": ("已有文章", "Article exists"),
    "deflection": ("自助解决", "Self-service"),
    "satisfaction": ("满意度", "Satisfaction"),
    "inspections": ("巡检", "Inspections"),
    "trainings": ("培训", "Trainings"),
    "done": ("已完成", "Done"),
    "contracted": ("合同约定", "Contracted"),
    "top_engineers": ("工程师排行", "Top engineers"),
    "previous": ("上期", "Previous period"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "action_items": ("行动项", "Action items"),
    "owner": ("负责人", "Owner"),
    "due": ("截止日期", "Due"),
    "status": ("状态", "Status"),
}
CAUSES: dict[str, tuple[str, str]] = {
    "no_engineer_available": ("无可用工程师，排队等待", "no engineer available, queued"),
    "handed_over": ("转派/升级后延误", "delayed by a hand-over or escalation"),
    "onsite_visit": ("需上门处理", "needed an onsite visit"),
    "late_response": ("首次响应延迟", "first response late"),
    "long_resolution": ("处理时间超出目标", "resolution took longer than the target"),
}
CHANNELS: dict[str, tuple[str, str]] = {
    "web": ("门户报修", "portal"),
    "api": ("接口", "API"),
    "phone": ("电话", "phone"),
    "chat": ("智能助手转工单", "chat hand-over"),
    "monitoring": ("监控告警", "monitoring alert"),
    "inspection": ("巡检", "inspection"),
}


def label(key: str, lang: str) -> str:
    zh, en = LABELS[key]
    return en if lang == "en" else zh


def _pick(pair: tuple[str, str] | None, fallback: str, lang: str) -> str:
    if pair is None:
        return fallback
    return pair[1] if lang == "en" else pair[0]


def name_of(kind: str, value: str | None, lang: str) -> str:
    """The readable name of a system, symptom, channel or cause id."""
    if value is None:
        return "—"
    if value == "unknown":  # what the report counts when triage named nothing
        return "未识别" if lang == "zh" else "not identified"
    if kind == "system":
        term = SYSTEMS.get(value)
        return term.name(lang) if term else value
    if kind == "symptom":
        term = SYMPTOMS.get(value)
        return term.name(lang) if term else value
    if kind == "channel":
        return _pick(CHANNELS.get(value), value, lang)
    if kind == "cause":
        return _pick(CAUSES.get(value), value, lang)
    return value


def _pct(value: object) -> str:
    return "—" if value is None else f"{value}%"


def _yuan(cents: int) -> str:
    return f"¥{cents / 100:,.2f}"


def title_of(report: dict[str, Any], lang: str) -> str:
    key = "title_quarter" if "-Q" in str(report["period"]) else "title"
    return f"{report['hospital']['name']} {label(key, lang)} {report['period']}"


def _sections(report: dict[str, Any], lang: str) -> list[tuple[str, list[str], list[list[object]]]]:
    """The report as titled tables, shared by both exports."""
    t = report["totals"]
    sections: list[tuple[str, list[str], list[list[object]]]] = []
    sections.append((label("totals", lang), ["", ""], [
        [label("tickets", lang), t["tickets"]],
        [label("resolved", lang), t["resolved"]],
        [label("open", lang), t["open"]],
        [label("breaches", lang), t["breaches"]],
        [f"{label('response', lang)} {label('compliance', lang)}", _pct(t["response_compliance"])],
        [f"{label('resolution', lang)} {label('compliance', lang)}", _pct(t["resolution_compliance"])],
        [label("credit_owed", lang), _yuan(t["credit_owed_cents"])],
    ]))
    rows: list[list[object]] = []
    for kind in ("response", "resolution"):
        for p in PRIORITIES:
            c = report["compliance"][kind][p]
            rows.append([label(kind, lang), p, "/".join(str(m) for m in c["targets_minutes"]) or "—",
                         c["met"], c["breached"], c["pending"], _pct(c["percent"])])
    sections.append((label("compliance", lang), [
        "", label("priority", lang), label("target", lang), label("met", lang), label("breached", lang),
        label("pending", lang), label("percent", lang)], rows))
    sections.append((label("breaches", lang), [
        label("ticket", lang), label("priority", lang), label("target", lang), label("over", lang),
        label("cause", lang), label("credit", lang)], [
        [b["ticket"], b["priority"], label(b["target"], lang), b["over_minutes"],
         name_of("cause", b["cause"], lang), _yuan(b["credit_cents"])] for b in report["breaches"]
    ]))
    volume = report["volume"]
    sections.append((f"{label('volume', lang)} · {label('system', lang)}", ["", label("count", lang)],
                     [[name_of("system", k, lang), v] for k, v in volume["system"].items()]))
    sections.append((f"{label('volume', lang)} · {label('symptom', lang)}", ["", label("count", lang)],
                     [[name_of("symptom", k, lang), v] for k, v in volume["symptom"].items()]))
    sections.append((f"{label('volume', lang)} · {label('channel', lang)}", ["", label("count", lang)],
                     [[name_of("channel", k, lang), v] for k, v in volume["channel"].items()]))
    times = report["times"]
    sections.append((label("times", lang), [
        label("priority", lang), f"{label('response', lang)} {label('median', lang)}",
        f"{label('response', lang)} {label('p90', lang)}", f"{label('resolution', lang)} {label('median', lang)}",
        f"{label('resolution', lang)} {label('p90', lang)}"], [
        [p, times["response_minutes"][p]["median"], times["response_minutes"][p]["p90"],
         times["resolution_minutes"][p]["median"], times["resolution_minutes"][p]["p90"]]
        for p in (*PRIORITIES, "all")
    ]))
    sections.append((label("recurring", lang), [
        label("system", lang), label("symptom", lang), label("count", lang), label("has_article", lang)], [
        [name_of("system", r["system"], lang), name_of("symptom", r["symptom"], lang), r["count"],
         label("yes" if r["has_article"] else "no", lang)] for r in report["recurring"]
    ]))
    d, s = report["deflection"], report["satisfaction"]
    sections.append((f"{label('deflection', lang)} / {label('satisfaction', lang)}", ["", ""], [
        ["searches", d["searches"]], ["chats", d["chats"]], ["without ticket", d["without_ticket"]],
        [label("satisfaction", lang), s.get("average") if s.get("average") is not None else "—"],
        ["ratings", s.get("ratings", 0)],
    ]))
    sections.append((f"{label('inspections', lang)} / {label('trainings', lang)}", [
        "", label("done", lang), label("contracted", lang)], [
        [label("inspections", lang), report["inspections"]["done"], report["inspections"]["contracted"]],
        [label("trainings", lang), report["trainings"]["done"],
         sum(report["trainings"]["contracted"].values())],
    ]))
    sections.append((label("top_engineers", lang), ["", label("resolved", lang)],
                     [[e["name"], e["resolved"]] for e in report["top_engineers"]]))
    if "previous" in report:
        prev = report["previous"]
        sections.append((f"{label('previous', lang)} ({prev['period']})", ["", ""], [
            [label("tickets", lang), prev["tickets"]], [label("resolved", lang), prev["resolved"]],
            [f"{label('response', lang)} {label('compliance', lang)}", _pct(prev["response_percent"])],
            [f"{label('resolution', lang)} {label('compliance', lang)}", _pct(prev["resolution_percent"])],
        ]))
    if report.get("action_items") is not None:
        sections.append((label("action_items", lang), [
            "#", label("action_items", lang), label("owner", lang), label("due", lang), label("status", lang)], [
            [a["id"], a["title"], a["owner"], a["due"] or "—", a["status"]] for a in report["action_items"]
        ]))
    return sections


def to_xlsx(report: dict[str, Any], lang: str = "zh") -> bytes:
    """One sheet per section, plus a first sheet with the title."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "report"
    sheet.append([title_of(report, lang)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([label("period", lang), f"{report['from']} – {report['to']}"])
    sheet.append([label("as_of", lang), report["as_of"]])
    for index, (title, header, rows) in enumerate(_sections(report, lang), start=1):
        ws = book.create_sheet(f"{index:02d}")
        ws.append([title])
        ws["A1"].font = Font(bold=True)
        ws.append(header)
        for row in rows:
            ws.append([_cell(v) for v in row])
        ws.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: object) -> object:
    return value if isinstance(value, int | float | str) or value is None else str(value)


class FontMissing(RuntimeError):
    """The CJK font to embed is not installed."""


def to_pdf(report: dict[str, Any], font: Path, lang: str = "zh") -> bytes:
    """A PDF with `font` embedded (subset); Chinese text stays extractable."""
    from fpdf import FPDF

    if not font.is_file():
        raise FontMissing(
            f"CJK font {font} not found: install Debian's fonts-noto-cjk (see README) "
            "or set WEIBAO_REPORT_FONT"
        )
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    kwargs: dict[str, Any] = {}
    if font.suffix.lower() == ".ttc":
        kwargs["collection_font_number"] = _sc_index(font)
    pdf.add_font("cjk", "", str(font), **kwargs)
    pdf.add_page()
    pdf.set_title(title_of(report, lang))
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 9, title_of(report, lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, f"{label('period', lang)}: {report['from']} – {report['to']}   "
                   f"{label('as_of', lang)}: {report['as_of']}", new_x="LMARGIN", new_y="NEXT")
    for title, header, rows in _sections(report, lang):
        pdf.ln(3)
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=8)
        if not rows:
            pdf.cell(0, 5, "—", new_x="LMARGIN", new_y="NEXT")
            continue
        _table(pdf, header, rows[:200])
    return bytes(pdf.output())


def _table(pdf: Any, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    width = pdf.epw
    columns = len(header)
    first = width * (0.4 if columns <= 3 else 0.25)
    rest = (width - first) / max(1, columns - 1)
    widths = [first] + [rest] * (columns - 1)
    from fpdf.fonts import FontFace

    # One embedded face (regular): headings are shaded rather than bold.
    headings = FontFace(emphasis="", fill_color=(235, 235, 235))
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.6,
                   headings_style=headings) as table:
        head = table.row()
        for title in header:
            head.cell(str(title))
        for row in rows:
            line = table.row()
            for value in row:
                line.cell("—" if value is None else str(value))


def _sc_index(font: Path) -> int:
    """The Simplified Chinese face in a Noto CJK collection (JP, KR, SC, TC, HK order varies)."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(font), lazy=True)
    for index, face in enumerate(collection.fonts):
        names = {str(n) for n in face["name"].names if n.nameID in (1, 4)}
        if any(" SC" in n for n in names):
            return index
    return 0

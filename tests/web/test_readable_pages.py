"""Every page, rendered as every role, reads as written for people: no ISO timestamps, no
internal ids where a name exists, and no English in the Chinese UI.

Pages come from the app's own route table (every GET page, path parameters filled with
a ticket in each state, the seeded articles, engineer, system and inspection runs), so a
new page is scanned without being listed here; every page of the navigation is scanned
as each role that sees it, in both languages. The records each page lists (installations,
releases, changes, remote access, inspections, trainings, reviews, contracts, audit rows)
are seeded so that the pages render real content, not their empty states.

Text a page marks `translate="no"` (request paths, addresses, CSV column names, ids a
person types) is not read as English; it is still checked for internal ids and ISO times.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from tests.web.security.conftest import ENGINEER, HOSPITAL_A, HOSPITAL_B, PEOPLE, Env, build_env
from weibao.core import migrate
from weibao.core.db import Database
from weibao.graph.taxonomy import DEPARTMENTS, SYMPTOMS, SYSTEMS
from weibao.routing.models import STATUSES
from weibao.routing.planning import TicketDraft
from weibao.web.navigation import NAV_ITEMS, NavItem
from weibao.web.security.policy import allows, iter_api_routes

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
WORD = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9_]+")
# Words that are the same in both UIs: people's usernames, the language switch, units
# and names of standards people say as they are.
ALLOWED_WORDS = {*PEOPLE, "English", "HIS", "EMR", "LIS", "PACS", "RIS", "ICU", "HL7", "FHIR", "WebService", "IT",
                 "Enter", "PNG", "JPEG", "GIF", "WebP", "MB", "KB", "ms", "SLA", "PDF", "Excel", "VPN", "Ctrl", "Markdown",
                 "CSV", "XLSX", "MP4", "WebM", "AAC"}
# Internal ids that have a name to show instead (hospital and engineer ids, taxonomy
# ids that are not also plain words, status codes).
INTERNAL_IDS = {HOSPITAL_A, HOSPITAL_B, ENGINEER, "in_progress", "pending_customer", "print_failure",
                *(k for k in (*SYSTEMS, *SYMPTOMS, *DEPARTMENTS) if "_" in k)}


class _Visible(HTMLParser):
    """The text a person reads: element text, placeholders, titles and button labels.

    With `translatable_only`, text inside an element marked translate="no" is left out."""

    def __init__(self, translatable_only: bool = False) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._translatable_only = translatable_only
        self._untranslated: list[str] = []  # tags opened with translate="no", innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if self._translatable_only and ("translate", "no") in attrs:
            self._untranslated.append(tag)
        if self._untranslated:
            return
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if self._untranslated and self._untranslated[-1] == tag:
            self._untranslated.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._untranslated:
            self.parts.append(data)


def visible_text(html: str, translatable_only: bool = False) -> str:
    parser = _Visible(translatable_only)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def page_problems(html: str, lang: str) -> list[str]:
    """What the scan finds in a rendered page (English only in the text meant to be translated)."""
    return problems(visible_text(html), lang, context=True, words_in=visible_text(html, translatable_only=True))


def problems(text: str, lang: str, context: bool = False, words_in: str | None = None) -> list[str]:
    def where(word: str) -> str:
        at = text.find(word)
        return f" in …{text[max(0, at - 30):at + len(word) + 30]}…" if context else ""

    found = [f"ISO time {m}{where(m)}" for m in ISO_TIME.findall(text)]
    words = set(WORD.findall(text if words_in is None else words_in))
    ids = {i for i in INTERNAL_IDS if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)}
    found += [f"internal id {w}{where(w)}" for w in sorted(ids)]
    if lang == "zh":
        english = sorted(w for w in words - ALLOWED_WORDS - INTERNAL_IDS
                         if not re.fullmatch(r"T|[A-Z]\d|[A-Za-z]", w))
        found += [f"English {w!r}{where(w)}" for w in english]
    return found


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("readable")
    url = f"sqlite:///{tmp / 'pages.db'}"
    migrate.upgrade(Database(url).engine)
    built = build_env(tmp, url)
    yield built
    built.database.engine.dispose()


@pytest.fixture(scope="module")
def tickets(env: Env) -> dict[str, str]:
    """A ticket of hospital A in each state the pages show differently."""
    desk = env.desk
    made: dict[str, str] = {}
    for n, state in enumerate(("assigned", "in_progress", "pending_customer", "resolved", "commented")):
        ticket, _ = desk.create(TicketDraft(hospital_id=HOSPITAL_A, title=f"护士站打印机卡纸（第 {n} 台）",
                                            reporter_name="clinician", priority="P2", priority_reason="影响发药"),
                                "clinician")
        code = ticket.code
        if state in ("in_progress", "pending_customer"):
            desk.transition(code, "in_progress", "engineer")
        if state == "pending_customer":
            desk.transition(code, "pending_customer", "engineer", "等待医院提供日志")
        if state == "commented":
            desk.comment(code, "engineer", "请重启打印服务", counts_as_response=True)
            desk.comment(code, "engineer", "怀疑驱动问题", internal=True)
            desk.reassign(code, ENGINEER, "engineer", "本人跟进")
            desk.escalate(code, "manager", "院长关注")
        if state == "resolved":
            desk.resolve(code, "engineer", "碳带用完", ["更换碳带", "打印测试页"])
        made[state] = code
    desk.sla_check()
    # Ticket actions through the web, so that the audit log holds them.
    engineer = env.client("engineer")
    assert engineer.post(f"/api/tickets/{made['assigned']}/comments",
                         json={"body": "已远程查看", "internal": True}).status_code in (200, 201)
    return made


@pytest.fixture(scope="module")
def records(env: Env, tickets: dict[str, str]) -> dict[str, list[str]]:
    """What the other pages list, seeded as their own tests seed it; the path parameters they fill."""
    from tests.estate.route_examples import _access, _change
    from tests.inspections.route_examples import _run, _service
    from tests.service.route_examples import _review
    from tests.training.route_examples import _training
    from tests.web.authoring_route_examples import _article, _published_a1
    from weibao.inspections.service import ResultEntry

    admin = env.client("admin")
    assert admin.put("/api/installations", json={"hospital_id": HOSPITAL_A, "system": "his", "version": "5.3.1",
                                                 "environment": "production"}).status_code == 200
    assert admin.put("/api/installations", json={"hospital_id": HOSPITAL_A, "system": "lis",
                                                 "version": "3.2"}).status_code == 200
    assert admin.post("/api/releases", json={"system": "his", "version": "5.4.0",
                                             "released_on": "2026-11-01"}).status_code == 201
    _change(env)
    _access(env)
    _access(env, approved=True)
    _review(env)
    _training(env)
    _training(env, held=True)
    run = _run(env)
    performed = _service(env).create_run(HOSPITAL_A, "his-routine", date(2026, 12, 20), "engineer").run.id
    _service(env).submit(performed, [ResultEntry("his-app-services", "pass", True, "")], "engineer")
    runs = [str(run), str(performed)]
    articles = [_published_a1(env), _article(env, "engineer", submitted=True)]
    return {"{run_id}": runs, "{article_id}": articles}


def page_urls(env: Env, tickets: dict[str, str], records: dict[str, list[str]]) -> list[str]:
    fill = {"{engineer_id}": [ENGINEER], "{system_id}": ["pacs"], "{code}": list(tickets.values()), **records}
    urls: list[str] = []
    for route in iter_api_routes(env.app.routes):
        if "GET" not in route.methods or route.path.startswith(("/api", "/docs", "/redoc", "/openapi")) \
                or route.path in ("/healthz", "/metrics"):
            continue
        params = re.findall(r"\{[^}]+\}", route.path)
        if not params:
            urls.append(route.path)
        elif len(params) == 1 and params[0] in fill:
            urls += [route.path.replace(params[0], value) for value in fill[params[0]]]
    month = datetime.now(UTC).strftime("%Y-%m")
    return [*urls, "/?q=打印机", "/tickets?status=all", f"/reports?hospital_id={HOSPITAL_A}&period={month}",
            "/audit?action=auth.denied", f"/trainings?hospital_id={HOSPITAL_A}&year=2026"]


@pytest.mark.parametrize("who", ["anonymous", "clinician", "hospital_it", "engineer", "manager", "admin"])
def test_every_page_reads_for_people(env: Env, tickets: dict[str, str], records: dict[str, list[str]],
                                     who: str) -> None:
    client = env.client(None if who == "anonymous" else who)
    role = PEOPLE[who][0] if who in PEOPLE else who
    failures: list[str] = []
    checked = 0
    for url in page_urls(env, tickets, records):
        for lang in ("zh", "en"):
            response = client.get(url, params={"lang": lang})
            if response.status_code in (403, 404) or "text/html" not in response.headers.get("content-type", ""):
                continue
            checked += 1
            for problem in page_problems(response.text, lang):
                failures.append(f"{lang} {url}: {problem}")
    assert checked >= (3 if who == "anonymous" else 10)
    assert not failures, f"as {role}:\n" + "\n".join(failures)


def test_the_scanned_pages_show_the_seeded_records(env: Env, records: dict[str, list[str]]) -> None:
    """The scan reads real content, not empty states."""
    admin = env.client("admin")
    month = datetime.now(UTC).strftime("%Y-%m")
    expected = {"/installations": ["5.3.1", "甲医院"], "/releases": ["5.4.0"], "/changes": ["升级"],
                "/remote-access": ["排查"], f"/trainings?hospital_id={HOSPITAL_A}&year=2026": ["HIS 操作培训"], "/reviews": ["升级打印驱动"],
                "/contracts": ["甲医院"], f"/inspections/{records['{run_id}'][1]}": ["engineer"],
                f"/reports?hospital_id={HOSPITAL_A}&period={month}": ["门户报修"],
                "/audit": ["工单留言", "访问被拒绝", "内部备注"], "/dashboard": ["甲医院"]}
    for url, words in expected.items():
        text = visible_text(admin.get(url).text)
        assert all(w in text for w in words), (url, [w for w in words if w not in text])


@pytest.mark.parametrize("item", NAV_ITEMS, ids=lambda item: f"{item.href}-{item.label}")
def test_every_page_of_the_navigation_is_scanned_in_both_languages(
        env: Env, tickets: dict[str, str], records: dict[str, list[str]], item: NavItem) -> None:
    href = item.href
    assert href in page_urls(env, tickets, records)
    for role in item.roles:
        who = next((name for name, (r, _) in PEOPLE.items() if r == role), None) if role != "anonymous" else None
        client = env.client(who)
        for lang in ("zh", "en"):
            response = client.get(href, params={"lang": lang})
            assert response.status_code == 200 and "text/html" in response.headers["content-type"], (role, href)
            assert not page_problems(response.text, lang), (role, lang, href)


def test_the_scan_catches_what_it_looks_for() -> None:
    assert problems(visible_text("<p>截止 2026-12-01T10:00:00+08:00</p>"), "zh") == ["ISO time 2026-12-01T10:00"]
    assert problems(visible_text(f"<p>{HOSPITAL_A} · 处理中</p>"), "zh") == [f"internal id {HOSPITAL_A}"]
    assert problems(visible_text("<p>已达成 met</p>"), "zh") == ["English 'met'"]
    assert problems(visible_text("<p>met</p>"), "en") == []
    assert problems(visible_text('<p data-due="2026-12-01T10:00">3 小时后超时</p><script>var x = "abc";</script>'), "zh") == []
    assert page_problems('<p>列：<code translate="no">hospital_id,system</code></p>', "zh") == []
    assert page_problems(f'<p><code translate="no">{HOSPITAL_A}</code> list</p>', "zh") == \
        [f"internal id {HOSPITAL_A} in …{HOSPITAL_A} list…", "English 'list' in …h-a list…"]
    assert allows("tickets.read", "clinician", public_search=False)
    assert "in_progress" in STATUSES

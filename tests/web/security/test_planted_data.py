"""Planted patient data: written through every writer, found nowhere afterwards.

Every free-text field that some role can write (API, pages, webhook, chat, admin API,
CLI) gets the positive written forms of patient data (phones, ID numbers, record numbers,
names, bank cards — the rows of tests/core/test_privacy_forms.py when it is there, plus
the list below), packed into as few writes as the field's length limit allows, each
value opened by a marker ``‹code›`` naming the field. Then every role and hospital reads
everything it can, and the forms must be absent from:

- the responses to the writer and to every reader (tickets, lists, cases, search, audit,
  users, hospitals, graph, chat answers, pages); only a caller's own search query may be
  echoed back to that caller;
- search: a planted form used as the query must not find a planted case by that datum
  (no token of the datum in the case's indexed passages);
- the index files on disk (bytes: as written, NFKC, without separators, digits only);
- the server log (every logger at DEBUG), the audit rows, every row of every table
  (``tickets.description_original`` excepted; keep_original_text stays off);
- what the CLI writers print.

The knowledge base is the real one (real code, real embedding model, real index files)
over a reduced seed corpus, so that the whole run stays short; it is built for this
module and not shared. A finding is attributed to the field whose marker precedes it;
each test is one field × one place and its message names the forms, needles and where.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import logging
import re
import shutil
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from tests.conftest import REPO_DIR, make_settings
from weibao.core import accounts
from weibao.core.db import session_scope
from weibao.core.masking import is_masked, mask_text
from weibao.routing.models import Engineer

# ---- the written forms ----------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    id: str
    text: str  # the sentence as a person writes it
    secrets: tuple[str, ...]  # the parts that identify a patient


# The brief's own list (always planted): each with the secret spelled out.
BRIEF_FORMS = [
    Form("brief-mobile", "请回电13912345678", ("13912345678",)),
    Form("brief-mobile-spaces", "手机 139 1234 5678", ("139 1234 5678",)),
    Form("brief-mobile-dashes", "联系139-1234-5678", ("139-1234-5678",)),
    Form("brief-mobile-plus86", "家属 +86 139 1234 5678", ("+86 139 1234 5678",)),
    Form("brief-mobile-full-width", "回电１３９１２３４５６７８", ("１３９１２３４５６７８",)),
    Form("brief-id", "身份证号 110101199003074514", ("110101199003074514",)),
    Form("brief-id-6-8-4-lower-x", "证件 110101 19900307 451x", ("110101 19900307 451x",)),
    Form("brief-inpatient-no", "住院号 20231234", ("20231234",)),
    Form("brief-record-no", "病历号：A123456", ("A123456",)),
    Form("brief-name", "患者张三反映", ("张三",)),
    Form("brief-name-split", "患者张 三反映", ("张 三",)),
    Form("brief-bank-card", "银行卡 6222 0212 3456 7890 128", ("6222 0212 3456 7890 128",)),
    Form("brief-landline", "座机 010-8888 6666", ("010-8888 6666",)),
]


def _secrets_from_expected(text_: str, expected: object) -> tuple[str, ...]:
    """The spans of `text_` that the expected masked text replaces."""
    gone = getattr(expected, "gone", None)
    if gone is not None:
        return tuple(gone)
    assert isinstance(expected, str)
    matcher = difflib.SequenceMatcher(None, text_, expected, autojunk=False)
    spans = [text_[i1:i2] for op, i1, i2, _, _ in matcher.get_opcodes() if op in ("replace", "delete")]
    return tuple(s.strip() for s in spans if s.strip())


def _imported_forms() -> list[Form]:
    try:
        from tests.core import test_privacy_forms as table
    except Exception:  # the table is being written by someone else; the brief's list stays
        return []
    forms = []
    for param in getattr(table, "POSITIVES", []):
        text_, expected = param.values
        secrets = _secrets_from_expected(text_, expected)
        if secrets:
            forms.append(Form(f"forms:{param.id}", text_, secrets))
    return forms


FORMS = _imported_forms() + BRIEF_FORMS
FORM_BY_ID = {f.id: f for f in FORMS}

_SEPARATORS = re.compile(r"[\s\-.\u3000]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _distinctive(s: str) -> bool:
    digits = sum(ch.isdigit() for ch in s)
    letters = any(ch.isalpha() and not _HAN.match(ch) for ch in s)
    return (
        (digits >= 7 and not letters)
        or len(_HAN.findall(s)) >= 2
        or (len(s) >= 6 and digits >= 3 and letters)
    )


def needles_of(form: Form) -> dict[str, str]:
    """needle -> which spelling it is, for every secret of the form. A short secret is
    searched together with what precedes it in the sentence (its cue), so that "12345"
    does not match a timestamp."""
    out: dict[str, str] = {}
    for secret in form.secrets:
        variants = {secret: "as written", _nfkc(secret): "NFKC"}
        compact = _SEPARATORS.sub("", _nfkc(secret))
        digits = re.sub(r"\D", "", _nfkc(secret))
        if _HAN.search(compact) and len(compact) >= 2:
            variants.setdefault(compact, "without spaces")
        if len(digits) >= 7:
            variants.setdefault(digits, "digits only")
        for needle, how in variants.items():
            if not _distinctive(needle):
                at = form.text.find(secret)
                if at < 0:
                    continue
                needle = form.text[max(0, at - 12) : at + len(secret)].lstrip()
                how = f"{how}, with its cue"
                if not _distinctive(needle) and len(needle) < 6:
                    continue
            out.setdefault(needle, how)
    return out


NEEDLES: dict[str, dict[str, str]] = {f.id: needles_of(f) for f in FORMS}


def expected_clean(form: Form) -> str:
    """The sentence as it should be stored: every secret replaced."""
    clean = form.text
    for secret in sorted(form.secrets, key=len, reverse=True):
        clean = clean.replace(secret, "[脱敏]")
    return clean


# ---- the fields -------------------------------------------------------------------------

PROSE = "打印机无法打印，碳带用完后更换也不行，"


@dataclass(frozen=True)
class Field:
    code: str  # the marker: ‹code›
    name: str  # what a failure calls it
    capacity: int  # characters per written value
    prose: str = ""


FIELDS = [
    Field("tt", "ticket.title (POST /api/tickets)", 200, "打印机无法打印"),
    Field("ds", "ticket.description (POST /api/tickets)", 10_000, PROSE),
    Field("rn", "ticket.reporter_name (POST /api/tickets)", 100),
    Field("pr", "ticket.priority_reason (POST /api/tickets)", 500),
    Field("cm", "comment.body (POST /api/tickets/{code}/comments)", 10_000),
    Field("tr", "transition.reason (POST /api/tickets/{code}/transition)", 500),
    Field("ra", "reassign.reason (POST /api/tickets/{code}/reassign)", 500),
    Field("es", "escalate.reason (POST /api/tickets/{code}/escalate)", 500),
    Field("rc", "resolve.root_cause (POST /api/tickets/{code}/resolve)", 10_000, "碳带用完，"),
    Field("fs", "resolve.fix_steps", 2000, "更换碳带，"),
    Field("fi", "resolve.fix_ids", 100),
    Field("ai", "resolve.article_ids", 64),
    Field("al", "alert.labels (POST /api/alerts)", 2000),
    Field("as", "alert.annotations.summary (POST /api/alerts)", 180, "打印服务告警"),
    Field("ad", "alert.annotations.description (POST /api/alerts)", 2000, "打印服务异常，"),
    Field("ch", "chat.message (POST /api/chat, and its hand-over ticket)", 2000, PROSE),
    Field("sq", "search.query (GET /api/search, GET /?q=)", 1000, "打印机无法打印 "),
    Field("dn", "user.display_name (POST /api/users)", 200),
    Field("hn", "hospital.name (POST /api/admin/hospitals)", 200),
    Field("he", "hospital.name_en (POST /api/admin/hospitals)", 200),
    Field("tn", "token.name (POST /api/tokens)", 100),
    Field("pt", "page.title (POST /tickets/new)", 200, "打印机无法打印"),
    Field("pd", "page.description (POST /tickets/new)", 10_000, PROSE),
    Field("pp", "page.priority_reason (POST /tickets/new)", 500),
    Field("ps", "page.status_reason (POST /tickets/{code}/status)", 500),
    Field("cu", "cli.user_name (weibao user create --name)", 200),
    Field("ct", "cli.token_name (weibao token create --name)", 100),
    Field("chs", "cli.hospital_name (weibao hospital create --name)", 200),
    Field("cc", "cli.chat (weibao chat, stdin)", 2000, PROSE),
]
FIELD_BY_CODE = {f.code: f for f in FIELDS}
MARKER = re.compile(r"‹([a-z]{2,3})›")


def marker(code: str) -> str:
    return f"‹{code}›"


def chunks(f: Field) -> tuple[list[str], list[str]]:
    """The values to write for field `f` (every form once, packed to its capacity) and
    the forms that fit in no value."""
    head = marker(f.code) + f.prose
    values: list[str] = []
    skipped: list[str] = []
    current = head
    for form in FORMS:
        piece = form.text + "；"
        if len(head) + len(piece) > f.capacity:
            skipped.append(form.id)
            continue
        if len(current) + len(piece) > f.capacity:
            values.append(current)
            current = head
        current += piece
    if current != head:
        values.append(current)
    return values, skipped


CHUNKS = {f.code: chunks(f)[0] for f in FIELDS}
SKIPPED = {f.code: chunks(f)[1] for f in FIELDS}

# ---- the places ---------------------------------------------------------------------------

HOSPITAL_A = "h-hzsy"
HOSPITAL_B = "h-fsnh"
ENGINEER_PROFILE = "eng-zhouhaitao"
PEOPLE = {
    "nurse_a": ("clinician", HOSPITAL_A),
    "it_a": ("hospital_it", HOSPITAL_A),
    "nurse_b": ("clinician", HOSPITAL_B),
    "it_b": ("hospital_it", HOSPITAL_B),
    "engineer": ("engineer", None),
    "manager": ("manager", None),
    "admin": ("admin", None),
}
PLACES = [
    "writer_responses",
    *[f"reads:{name}" for name in PEOPLE],
    "cases",
    "search_results",
    "search_by_datum",
    "index_files",
    "server_log",
    "audit_rows",
    "db_rows",
    "cli_output",
]


@dataclass(frozen=True)
class Leak:
    field: str  # a field code, or "?" when no marker precedes it
    form: str
    place: str
    needle: str
    how: str
    where: str
    context: str


@dataclass
class World:
    haystacks: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    write_failures: list[str] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    db_text: str = ""
    datum_hits: list[Leak] = field(default_factory=list)
    # (query as typed by nurse_b, query as stored in service_query_log) per datum search.
    datum_log: list[tuple[str, str]] = field(default_factory=list)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{self.format(record)}\n{record.getMessage()}")
        except Exception as exc:  # a record that cannot format is itself worth seeing
            self.lines.append(f"unformattable record {record.name}: {exc!r} {record.msg!r} {record.args!r}")


@contextlib.contextmanager
def _all_loggers_at_debug() -> Iterator[_Capture]:
    handler = _Capture()
    root = logging.getLogger()
    loggers = [root, *(lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
    saved = {lg: lg.level for lg in loggers}
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    # Loggers that do not propagate get the handler themselves.
    own = [lg for lg in loggers if lg is root or not lg.propagate]
    for lg in own:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in own:
            lg.removeHandler(handler)
        for lg, level in saved.items():
            lg.setLevel(level)


def _json_decoded(value: object) -> str:
    if isinstance(value, str) and value[:1] in "[{\"":
        try:
            return json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    return str(value)


def db_rows(database) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every row of every table as text (JSON decoded, so that CJK is not \\u-escaped)."""
    rows: list[tuple[str, str]] = []
    engine = database.engine
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            result = conn.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for number, row in enumerate(result):
                cells = [
                    f"{col}={_json_decoded(value)}"
                    for col, value in zip(columns, row, strict=True)
                    if not (table == "tickets" and col == "description_original")
                ]
                rows.append((f"{table} row {number}", " | ".join(cells)))
    return rows


def index_files(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out.append((str(path.relative_to(folder)), path.read_bytes().decode("utf-8", errors="replace")))
    return out


# The searches by each planted datum (read_everything, as nurse_b) are writers too: each
# leaves its row in service_query_log, the knowledge-gaps log, whose query column masks with
# the standard masks (MaskedString). A datum typed alone, without the cue that tells it
# from an ordinary word or number (张三, 王 小明, A123456, 1101 0519 49), is what the masker
# cannot recognise (README, "What is not masked"): such a row holds the searcher's own query
# as typed. It is attributed to this writer here and checked by
# test_datum_searches_are_logged_masked (stored == the masker's output for every datum),
# instead of being reported as "field unknown"; a datum the masker does recognise alone,
# and everything else in the row, stays under the generic checks.
DATUM_SEARCHER = "nurse_b"
DATUM_QUERIES = {secret for form in FORMS for secret in form.secrets}
_QUERY_LOG_ROW = re.compile(
    r"\| user_id=(?P<user>\w+) \| source=(?P<source>\w+) \| query=(?P<query>.*) \| result_count="
)


def attribute_datum_searches(rows: list[tuple[str, str]], searcher_id: int) -> list[tuple[str, str]]:
    """db_rows with the query of each datum search that the masker cannot recognise alone
    replaced by a note naming its writer."""
    out = []
    for where, row in rows:
        found = _QUERY_LOG_ROW.search(row) if where.startswith("service_query_log ") else None
        if (
            found and found["user"] == str(searcher_id) and found["source"] == "search"
            and found["query"] in DATUM_QUERIES and mask_text(found["query"]) == found["query"]
        ):
            note = f"query=(datum search by {DATUM_SEARCHER}: as typed, unrecognisable alone)"
            row = row[: found.start("query") - len("query=")] + note + row[found.end("query"):]
        out.append((where, row))
    return out


# ---- the module's world -------------------------------------------------------------------


def _small_seed(tmp: Path) -> tuple[Path, Path]:
    """A few articles and historical tickets of the real seed data."""
    articles = tmp / "seed_articles"
    articles.mkdir()
    for path in sorted((REPO_DIR / "data" / "seed_articles").glob("*.md"))[::8]:
        shutil.copy(path, articles / path.name)
    ops = tmp / "seed_ops"
    ops.mkdir()
    source = REPO_DIR / "data" / "seed_ops"
    for name in ("hospitals.yaml", "engineers.yaml", "ticket_templates.yaml"):
        if (source / name).exists():
            shutil.copy(source / name, ops / name)
    lines = (source / "tickets.yaml").read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("- id:")]
    (ops / "tickets.yaml").write_text("\n".join(lines[: starts[40]]) + "\n", encoding="utf-8")
    return articles, ops


class Writer:
    """Calls that write planted values; every response is kept for the check."""

    def __init__(self, world: World, clients: dict[str, TestClient]) -> None:
        self.world = world
        self.clients = clients

    def call(self, who: str, code: str, method: str, url: str, ok: tuple[int, ...] = (200, 201, 303),
             echo: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        response = self.clients[who].request(method, url, **kwargs)  # type: ignore[arg-type]
        if response.status_code not in ok:
            self.world.write_failures.append(
                f"{FIELD_BY_CODE[code].name}: {method} {url} as {who} → {response.status_code} {response.text[:300]}"
            )
        body = response.text
        if echo:  # the caller's own query, echoed back to them: allowed
            body = _drop_echo(body, echo)
        self.world.haystacks["writer_responses"].append((f"{who} {method} {url.split('?')[0]}", body))
        return response


def _drop_echo(body: str, query: str) -> str:
    import html
    from urllib.parse import quote, quote_plus

    # As typed, HTML-escaped, JSON-escaped and percent-encoded (links that keep the query).
    spellings = {query, html.escape(query), html.escape(query, quote=False),
                 json.dumps(query, ensure_ascii=False)[1:-1], quote(query, safe=""), quote_plus(query)}
    for spelling in sorted(spellings, key=len, reverse=True):
        body = body.replace(spelling, "")
    return body


def _ticket_code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["id"]


def plant(world: World, clients: dict[str, TestClient], services, settings) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Writes every field's values; returns the planted ticket codes by kind."""
    w = Writer(world, clients)
    codes: dict[str, list[str]] = defaultdict(list)
    C = CHUNKS

    def pick(code: str, k: int) -> str | None:
        values = C[code]
        return values[k] if k < len(values) else None

    # Tickets carrying the short fields, one value of each per ticket; each is worked
    # through its whole life: escalate, reassign, transition (API and page), resolve, promote.
    per_ticket = ("tt", "rn", "pr", "es", "ra", "tr", "ps", "fi", "ai", "fs")
    n = max(len(C[c]) for c in per_ticket)
    for k in range(n):
        body: dict[str, object] = {
            "title": pick("tt", k) or marker("tt") + "打印机无法打印",
            "description": C["ds"][0] if k == 0 else PROSE,
            "priority": "P1",
        }
        if pick("rn", k):
            body["reporter_name"] = pick("rn", k)
        body["priority_reason"] = pick("pr", k) or marker("pr") + "影响门诊"
        created = w.call("nurse_a", "tt", "POST", "/api/tickets", json=body)
        if created.status_code != 201:
            continue
        code = _ticket_code(created)
        codes["ticket"].append(code)
        if k == 0:
            w.call("nurse_a", "cm", "POST", f"/api/tickets/{code}/comments", json={"body": C["cm"][0]})
            w.call("engineer", "cm", "POST", f"/api/tickets/{code}/comments", json={"body": C["cm"][0]})
        if pick("es", k):
            w.call("manager", "es", "POST", f"/api/tickets/{code}/escalate", json={"reason": pick("es", k)})
        w.call("manager", "ra", "POST", f"/api/tickets/{code}/reassign",
               json={"engineer_id": ENGINEER_PROFILE, "reason": pick("ra", k) or marker("ra") + "我来处理"})
        w.call("engineer", "tr", "POST", f"/api/tickets/{code}/transition",
               json={"status": "in_progress", "reason": pick("tr", k) or ""})
        w.call("engineer", "ps", "POST", f"/tickets/{code}/status",
               data={"status": "pending_customer", "reason": pick("ps", k) or ""})
        fix_ids = [v for v in C["fi"][k * 20 : k * 20 + 20]] if k * 20 < len(C["fi"]) else []
        article_ids = [v for v in C["ai"][k * 20 : k * 20 + 20]] if k * 20 < len(C["ai"]) else []
        steps = C["fs"] if k == 0 else [marker("fs") + "更换碳带"]
        w.call("engineer", "rc", "POST", f"/api/tickets/{code}/resolve", json={
            "root_cause": C["rc"][0] if k == 0 else marker("rc") + "碳带用完",
            "fix_steps": steps, "fix_ids": fix_ids, "article_ids": article_ids,
        })
        promoted = w.call("admin", "rc", "POST", f"/api/tickets/{code}/promote")
        if promoted.status_code == 201:
            codes["draft"].append(promoted.json()["id"])

    # The monitoring webhook: labels, summary and description; firing, repeat, resolved.
    for k in range(max(len(C["al"]), len(C["as"]), len(C["ad"]))):
        alert = {
            "status": "firing",
            "labels": {"alertname": "PrintSpoolerDown", "instance": pick("al", k) or "print-01"},
            "annotations": {"summary": pick("as", k) or "打印服务告警",
                            "description": pick("ad", k) or "打印服务异常"},
            "fingerprint": f"planted-{k}",
        }
        first = w.call("engineer", "al", "POST", f"/api/alerts?hospital_id={HOSPITAL_A}", json={"alerts": [alert]})
        w.call("engineer", "al", "POST", f"/api/alerts?hospital_id={HOSPITAL_A}", json={"alerts": [alert]})
        w.call("engineer", "al", "POST", f"/api/alerts?hospital_id={HOSPITAL_A}",
               json={"alerts": [{**alert, "status": "resolved"}]})
        if first.status_code == 200 and first.json()["results"][0]["ticket"]:
            codes["alert"].append(first.json()["results"][0]["ticket"])

    # The chat: the problem with every form, then "still broken" → hand-over → ticket.
    session_id = None
    for value in C["ch"]:
        turn = w.call("nurse_a", "ch", "POST", "/api/chat", json={"message": value, "session_id": session_id})
        session_id = turn.json().get("session_id") if turn.status_code == 200 else session_id
    handover = w.call("nurse_a", "ch", "POST", "/api/chat", json={"message": "还是不行", "session_id": session_id})
    prefill = None
    if handover.status_code == 200:
        actions = [a for a in handover.json()["actions"] if a["type"] == "open_ticket"]
        if actions:
            prefill = actions[0]
            w.call("nurse_a", "ch", "GET", prefill["url"])
            p = prefill["prefill"]
            made = w.call("nurse_a", "ch", "POST", "/api/tickets", json={
                "title": p["title"][:200], "description": p["description"][:10_000], "channel": "chat"})
            if made.status_code == 201:
                codes["handover"].append(_ticket_code(made))
        else:
            world.write_failures.append("chat: no open_ticket action after 还是不行")

    # The ticket form page and the search queries.
    for k in range(max(len(C["pt"]), len(C["pp"]))):
        made = w.call("nurse_a", "pt", "POST", "/tickets/new", follow_redirects=False, data={
            "title": pick("pt", k) or marker("pt") + "打印机无法打印",
            "description": C["pd"][0] if k == 0 else PROSE,
            "priority": "P1", "priority_reason": pick("pp", k) or marker("pp") + "影响门诊",
        })
        location = made.headers.get("location", "")
        if location.startswith("/tickets/T-"):
            codes["page"].append(location.rsplit("/", 1)[1])
    for value in C["sq"]:
        w.call("nurse_a", "sq", "GET", "/api/search?" + urlencode({"q": value}), echo=value)
        w.call("nurse_a", "sq", "GET", "/?" + urlencode({"q": value}), echo=value)

    # Accounts: display names, hospital names, token names.
    for k, value in enumerate(C["dn"]):
        w.call("admin", "dn", "POST", "/api/users", json={
            "username": f"planted{k}", "role": "clinician", "hospital_id": HOSPITAL_A, "display_name": value})
    for k in range(max(len(C["hn"]), len(C["he"]))):
        w.call("admin", "hn", "POST", "/api/admin/hospitals", json={
            "id": f"h-planted{k}", "name": pick("hn", k) or f"{marker('hn')}医院",
            "name_en": pick("he", k) or ""})
    for value in C["tn"]:
        w.call("nurse_a", "tn", "POST", "/api/tokens", json={"name": value, "expires_days": 1})
    return codes


def run_cli(world: World, settings, embedder, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The CLI writers, in process, against the same data folder."""
    import weibao.bootstrap
    from weibao.cli import main
    from weibao.core.settings import get_settings

    real_open = weibao.bootstrap.open_services
    monkeypatch.setenv("WEIBAO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WEIBAO_SEED_DIR", str(settings.seed_dir))
    monkeypatch.setenv("WEIBAO_SEED_OPS_DIR", str(settings.seed_ops_dir))
    monkeypatch.setenv("WEIBAO_ONTOLOGY_DIR", str(settings.ontology_dir))
    monkeypatch.setattr(weibao.bootstrap, "open_services",
                        lambda s, e=None, **kw: real_open(s, embedder, **kw))
    get_settings.cache_clear()
    runs: list[tuple[str, list[str], str]] = []
    for k, value in enumerate(CHUNKS["cu"]):
        runs.append(("cu", ["user", "create", f"cliplanted{k}", "--role", "engineer", "--name", value], ""))
    for value in CHUNKS["ct"]:
        runs.append(("ct", ["token", "create", "cliplanted0", "--name", value], ""))
    for k, value in enumerate(CHUNKS["chs"]):
        runs.append(("chs", ["hospital", "create", f"h-cliplanted{k}", "--name", value], ""))
    runs.append(("cc", ["chat", "--hospital", HOSPITAL_A], "\n".join([*CHUNKS["cc"], "还是不行"]) + "\n"))
    try:
        for code, argv, stdin in runs:
            out, err = io.StringIO(), io.StringIO()
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = main(argv)
                except SystemExit as exc:
                    status = exc.code if isinstance(exc.code, int) else 1
            if status:
                world.write_failures.append(f"{FIELD_BY_CODE[code].name}: weibao {argv[0]} exited {status}: {err.getvalue()[:300]}")
            world.haystacks["cli_output"].append((f"weibao {' '.join(argv[:2])}", out.getvalue() + err.getvalue()))
    finally:
        get_settings.cache_clear()


def read_everything(world: World, clients: dict[str, TestClient], codes: dict[str, list[str]], kb) -> None:  # type: ignore[no-untyped-def]
    tickets = [c for kind in ("ticket", "alert", "handover", "page") for c in codes[kind]]
    resolved = codes["ticket"]
    pairs = set()
    for code in resolved:
        try:
            chunk_ids = kb.index.doc_chunks.get(("ticket", code), ())
            for cid in chunk_ids:
                chunk = kb.index.chunks[cid]
                for system in chunk.systems:
                    for symptom in chunk.symptoms or [None]:
                        pairs.add((system, symptom))
        except AttributeError:
            break
    for name, client in clients.items():
        def get(url: str, place: str = f"reads:{name}", echo: str | None = None,
                name: str = name, client: TestClient = client) -> None:
            response = client.get(url)
            body = _drop_echo(response.text, echo) if echo else response.text
            world.haystacks[place].append((f"{name} GET {url[:120]}", body))

        for url in ("/api/me", "/api/tokens", "/api/tickets?limit=500", "/api/tickets?status=open",
                    "/api/hospitals", "/api/engineers", "/api/users", "/api/admin/hospitals",
                    "/api/audit?limit=1000", "/audit", "/queue", "/queue/unassigned",
                    f"/api/engineers/{ENGINEER_PROFILE}/queue", "/tickets/new"):
            get(url)
        for code in tickets:
            get(f"/api/tickets/{code}")
            get(f"/tickets/{code}")
        for code in resolved:
            get(f"/api/cases/{code}", "cases")
            get(f"/cases/{code}", "cases")
        for draft in codes["draft"]:
            get(f"/api/articles/{draft}")
            get(f"/articles/{draft}")
        for system, symptom in sorted(pairs, key=str):
            get("/api/graph/related?" + urlencode({"system": system, **({"symptom": symptom} if symptom else {})}))
            get(f"/api/graph/systems/{system}")
            get(f"/systems/{system}")
        for query in ("打印机无法打印 碳带用完", "监控告警 打印服务异常"):
            get("/api/search?" + urlencode({"q": query, "top_k": 50}), "search_results", echo=query)
            get("/?" + urlencode({"q": query}), "search_results", echo=query)
        vendor = PEOPLE[name][1] is None
        chat = client.post("/api/chat", json={
            "message": "打印机无法打印，碳带用完后更换也不行", **({"hospital_id": HOSPITAL_A} if vendor else {})})
        world.haystacks[f"reads:{name}"].append((f"{name} POST /api/chat", chat.text))
        # Searching by each planted datum: as another hospital's clinician.
        if name == "nurse_b":
            for form in FORMS:
                for secret in form.secrets:
                    get("/api/search?" + urlencode({"q": secret, "top_k": 50, "kind": "ticket"}),
                        "search_results", echo=secret)


# ---- finding the needles ------------------------------------------------------------------


def find_leaks(place: str, haystacks: list[tuple[str, str]], ambiguous: set[str]) -> list[Leak]:
    leaks = []
    for where, hay in haystacks:
        hay_n = _nfkc(hay)
        for form in FORMS:
            for needle, how in NEEDLES[form.id].items():
                for source in (hay, hay_n) if hay_n != hay else (hay,):
                    at = source.find(needle)
                    if at < 0:
                        continue
                    markers = list(MARKER.finditer(source, max(0, at - 3000), at))
                    code = markers[-1].group(1) if markers else "?"
                    if code == "?" and needle in ambiguous:
                        break
                    context = source[max(0, at - 80) : at + len(needle) + 40].replace("\n", "⏎")
                    leaks.append(Leak(code, form.id, place, needle, how, where, context))
                    break
    return leaks


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[World]:  # type: ignore[no-untyped-def]
    from weibao.bootstrap import initialise_all, open_services
    from weibao.web.app import create_app

    tmp = tmp_path_factory.mktemp("planted")
    seed_articles, seed_ops = _small_seed(tmp)
    data = tmp / "data"
    data.mkdir()
    settings = make_settings(
        data, secret_key="test-secret-key", seed_ops_dir=seed_ops,
        search_rate_per_minute=100_000, chat_rate_per_minute=100_000, keep_original_text=False,
    ).model_copy(update={"seed_dir": seed_articles})
    report = initialise_all(settings, embedder)
    assert not report.articles.errors, report.articles.errors
    services = open_services(settings, embedder)
    app = create_app(settings, kb=services.kb, database=services.database, desk=services.desk)
    clients: dict[str, TestClient] = {}
    user_ids: dict[str, int] = {}
    with session_scope(services.database.sessions) as session:
        for name, (role, hospital) in PEOPLE.items():
            user = accounts.create_user(session=session, username=name, role=role, hospital_id=hospital)
            user_ids[name] = user.id
            _, secret = accounts.create_token(session=session, user=user, name="tests", expires_in=timedelta(days=1))
            client = TestClient(app, raise_server_exceptions=False)
            client.headers["Authorization"] = f"Bearer {secret}"
            clients[name] = client
            if name == "engineer":
                session.get(Engineer, ENGINEER_PROFILE).user_id = user.id  # type: ignore[union-attr]

    # Before: what the seed data already holds (a needle found there is ambiguous).
    baseline = "\n".join(t for _, t in db_rows(services.database))
    baseline += "\n".join(t for _, t in index_files(settings.index_dir))
    baseline_n = _nfkc(baseline)
    ambiguous = {n for needles in NEEDLES.values() for n in needles if n in baseline or n in baseline_n}

    w = World()
    with _all_loggers_at_debug() as log, pytest.MonkeyPatch.context() as monkeypatch:
        codes = plant(w, clients, services, settings)
        run_cli(w, settings, embedder, monkeypatch)
        read_everything(w, clients, codes, services.kb)
    w.haystacks["server_log"] = [(f"log record {i}", line) for i, line in enumerate(log.lines)]
    rows = db_rows(services.database)
    w.haystacks["db_rows"] = attribute_datum_searches(
        [r for r in rows if not r[0].startswith("audit_events ")], user_ids[DATUM_SEARCHER])
    with services.database.engine.connect() as conn:
        stored = {q for (q,) in conn.execute(
            text("SELECT query FROM service_query_log WHERE user_id = :u AND source = 'search'"),
            {"u": user_ids[DATUM_SEARCHER]})}
    w.datum_log = [(q, mask_text(q) if mask_text(q) in stored else "(no row)") for q in sorted(DATUM_QUERIES)]
    w.haystacks["audit_rows"] = [r for r in rows if r[0].startswith("audit_events ")]
    # The index files hold what the last snapshot saved, and snapshots are written in the
    # background (every SNAPSHOT_EVERY_CHANGES changes or SNAPSHOT_EVERY_SECONDS after the
    # first unsaved one): whether one had saved the planted cases by now depended on how
    # long the run took, so on a quick run ‹tt›/‹ds›/‹rc› were on disk only after it
    # ended. Save one now, as the server does when it stops (KnowledgeBase.close), so the
    # files checked are the ones that hold every planted passage.
    services.kb.catch_up()
    services.kb.snapshot(force=True)
    w.haystacks["index_files"] = index_files(settings.index_dir)
    w.db_text = "\n".join(t for _, t in rows)
    for place in PLACES:
        w.leaks += find_leaks(place, w.haystacks.get(place, []), ambiguous)
    w.datum_hits = datum_in_cases(services.kb, codes)
    w.leaks += w.datum_hits
    yield w
    for client in clients.values():
        client.close()


def datum_in_cases(kb, codes: dict[str, list[str]]) -> list[Leak]:  # type: ignore[no-untyped-def]
    """A planted case is found by a datum when a token of the datum (one that the clean,
    masked text does not hold) is among the case's indexed tokens: BM25 ranks it then."""
    tokenizer = kb.tokenizer
    clean = " ".join(expected_clean(f) for f in FORMS) + " ".join(
        marker(f.code) + f.prose for f in FIELDS
    )
    safe = set(tokenizer.tokens(clean)) | set(tokenizer.tokens("[手机号][电话][身份证号][病历号][姓名][银行卡号]"))
    leaks = []
    index = kb.index
    for code in [*codes["ticket"]]:
        for cid in sorted(index.doc_chunks.get(("ticket", code), ())):
            chunk = index.chunks[cid]
            tokens = set(chunk.tokens) | set(tokenizer.tokens(chunk.title))
            for form in FORMS:
                for secret in form.secrets:
                    datum = set(tokenizer.tokens(secret)) - safe
                    found = sorted(datum & tokens)
                    if found:
                        at = chunk.text.find(found[0])
                        markers = list(MARKER.finditer(chunk.text, 0, at if at >= 0 else len(chunk.text)))
                        leaks.append(Leak(
                            markers[-1].group(1) if markers else "?", form.id, "search_by_datum",
                            " ".join(found), "index tokens", f"case {code} passage {cid}",
                            chunk.text[max(0, at - 60) : at + 60] if at >= 0 else chunk.title,
                        ))
    return leaks


# ---- the tests ----------------------------------------------------------------------------


def _describe(leaks: list[Leak]) -> str:
    lines = []
    for leak in leaks[:40]:
        lines.append(
            f"  form {leak.form} — {leak.needle!r} ({leak.how}) in {leak.where}: …{leak.context}…"
        )
    if len(leaks) > 40:
        lines.append(f"  … and {len(leaks) - 40} more")
    return "\n".join(lines)


def test_every_writer_accepted_the_plant(world: World) -> None:
    assert not world.write_failures, "\n".join(world.write_failures)


@pytest.mark.parametrize("code", [f.code for f in FIELDS if f.code != "sq"], ids=lambda c: FIELD_BY_CODE[c].name.split(" ")[0])
def test_the_plant_reached_storage(world: World, code: str) -> None:
    """Guards against a vacuous pass: the field's masked value is stored somewhere."""
    assert marker(code) in world.db_text, f"{FIELD_BY_CODE[code].name}: nothing stored carries {marker(code)}"


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("code", [f.code for f in FIELDS], ids=lambda c: FIELD_BY_CODE[c].name.split(" ")[0])
def test_planted_forms_are_absent(world: World, code: str, place: str) -> None:
    leaks = [leak for leak in world.leaks if leak.field == code and leak.place == place]
    assert not leaks, (
        f"field {FIELD_BY_CODE[code].name}: {len(leaks)} planted form(s) found in {place}:\n{_describe(leaks)}"
    )


@pytest.mark.parametrize("place", PLACES)
def test_no_unattributed_planted_forms(world: World, place: str) -> None:
    """Planted forms found where no field marker precedes them (a field lost its marker,
    or text was split or tokenised)."""
    leaks = [leak for leak in world.leaks if leak.field == "?" and leak.place == place]
    assert not leaks, f"{len(leaks)} planted form(s) in {place}, field unknown:\n{_describe(leaks)}"


def test_datum_searches_are_logged_masked(world: World) -> None:
    """Each search by a planted datum left its knowledge-gap row, holding the query as the
    standard masks store it; only the data the masker cannot recognise alone are there as
    typed (attributed to this writer in db_rows, see attribute_datum_searches)."""
    from weibao.service.models import QueryLog

    assert is_masked(QueryLog.__table__.c.query.type), "service_query_log.query is not a masked column"
    missing = [typed for typed, stored in world.datum_log if stored == "(no row)"]
    assert not missing, f"datum searches without their masked service_query_log row: {missing}"


def test_every_form_fits_some_field() -> None:
    """Each form is planted through most fields; those longer than a short field's limit
    are left out of that field only (listed here when a form fits in none)."""
    everywhere_skipped = [f.id for f in FORMS if all(f.id in SKIPPED[c.code] for c in FIELDS)]
    assert not everywhere_skipped
    assert len(FORMS) >= len(BRIEF_FORMS)


def test_the_detector_finds_every_form_in_unmasked_text() -> None:
    """The check itself: run over the values as written, it finds every form."""
    raw = [(f"{code} value {i}", value) for code, values in CHUNKS.items() for i, value in enumerate(values)]
    found = {leak.form for leak in find_leaks("raw", raw, set())}
    assert found == set(FORM_BY_ID), sorted(set(FORM_BY_ID) - found)


# Where the masked value must be visible (so that "absent" means masked, not missing).
VISIBLE = [
    ("reads:nurse_a", "ds"), ("reads:it_a", "cm"), ("reads:engineer", "tr"), ("reads:manager", "es"),
    ("reads:admin", "dn"), ("reads:admin", "hn"), ("reads:nurse_a", "tn"), ("reads:engineer", "ch"),
    ("reads:engineer", "pd"), ("reads:manager", "ps"), ("reads:engineer", "ad"),
    ("cases", "ds"), ("cases", "rc"), ("cases", "fs"), ("search_results", "ds"),
    ("index_files", "ds"), ("index_files", "rc"), ("index_files", "tt"),
    ("db_rows", "rn"), ("db_rows", "fi"), ("writer_responses", "tt"), ("cli_output", "cc"),
]


@pytest.mark.parametrize(("place", "code"), VISIBLE)
def test_the_masked_plant_is_visible(world: World, place: str, code: str) -> None:
    texts = [t for _, t in world.haystacks.get(place, [])]
    assert any(marker(code) in t for t in texts), f"{marker(code)} ({FIELD_BY_CODE[code].name}) never reached {place}"

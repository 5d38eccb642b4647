"""Installations: the API per hospital, upgrade history, and imports that apply all or nothing."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook

from tests.estate.conftest import EstateEnv
from tests.web.security.conftest import HOSPITAL_A, HOSPITAL_B

GOOD_CSV = (
    "hospital_id,system,version,environment,product,modules,hosts,interfaces\n"
    f"{HOSPITAL_A},his,5.3.1,production,智慧HIS,门诊;住院;收费,10.1.1.5;10.1.1.6,lis:HL7;insurance:WebService\n"
    f"{HOSPITAL_A},lis,3.2.0,production,LIS,,10.1.2.8,his:HL7\n"
    f"{HOSPITAL_B},his,5.2.0,,,,,\n"
)


def _upload(e: EstateEnv, content: bytes, name: str = "estate.csv", dry_run: bool = False) -> dict[str, object]:
    response = e.env.client("engineer").post(
        "/api/installations/import", params={"dry_run": dry_run}, files={"file": (name, content)})
    assert response.status_code in (200, 422), response.text
    return {"status": response.status_code, **response.json()}


def test_import_then_list_per_hospital_with_interfaces(estate_env: EstateEnv) -> None:
    e = estate_env
    dry = _upload(e, GOOD_CSV.encode(), dry_run=True)
    assert dry == {**dry, "status": 200, "rows": 3, "created": 3, "applied": False, "errors": []}
    assert e.env.client("manager").get("/api/installations").json() == []  # a dry run writes nothing

    done = _upload(e, GOOD_CSV.encode())
    assert done["applied"] is True and done["created"] == 3
    listed = e.env.client("manager").get("/api/installations", params={"hospital_id": HOSPITAL_A}).json()
    assert [(i["system"], i["version"]) for i in listed] == [("his", "5.3.1"), ("lis", "3.2.0")]
    his = listed[0]
    assert his["modules"] == ["门诊", "住院", "收费"] and his["hosts"] == ["10.1.1.5", "10.1.1.6"]
    assert his["interfaces"] == [{"system": "lis", "protocol": "HL7"},
                                 {"system": "insurance", "protocol": "WebService"}]
    # Hospital IT sees its own hospital only, whatever it asks for.
    own = e.env.client("hospital_it_b").get("/api/installations", params={"hospital_id": HOSPITAL_A}).json()
    assert own == []
    assert [i["hospital_id"] for i in e.env.client("hospital_it_b").get("/api/installations").json()] == [HOSPITAL_B]


def test_a_new_version_is_an_upgrade_in_the_history(estate_env: EstateEnv) -> None:
    e = estate_env
    _upload(e, GOOD_CSV.encode())
    e.clock.advance(days=3)
    again = _upload(e, GOOD_CSV.replace("5.3.1", "5.3.2").encode())
    assert again == {**again, "created": 0, "updated": 1, "unchanged": 2}
    his = e.env.client("manager").get("/api/installations", params={"hospital_id": HOSPITAL_A}).json()[0]
    assert his["version"] == "5.3.2" and his["recently_upgraded"] is True
    assert [(u["from_version"], u["to_version"]) for u in his["upgrades"]] == [("5.3.1", "5.3.2")]
    e.clock.advance(days=30)
    his = e.env.client("manager").get("/api/installations", params={"hospital_id": HOSPITAL_A}).json()[0]
    assert his["recently_upgraded"] is False


def test_bad_rows_are_all_reported_and_nothing_is_applied(estate_env: EstateEnv) -> None:
    e = estate_env
    bad = GOOD_CSV + (
        "h-nowhere,his,1.0,,,,,\n"
        f"{HOSPITAL_A},radiology,1.0,,,,,\n"
        f"{HOSPITAL_A},pacs,,staging,,,,\n"
        f"{HOSPITAL_A},emr,2.0,,,,,foo:HL7\n"
        f"{HOSPITAL_A},his,5.3.1,production,,,,\n"
    )
    report = _upload(e, bad.encode())
    assert report["status"] == 422 and report["applied"] is False
    problems = [(err["line"], err["field"]) for err in report["errors"]]  # type: ignore[union-attr]
    assert problems == [(5, "hospital_id"), (6, "system"), (7, "version"), (7, "environment"),
                        (8, "interfaces"), (9, "system")]
    assert e.env.client("manager").get("/api/installations").json() == []  # not even the good rows
    dry = _upload(e, bad.encode(), dry_run=True)
    assert dry["status"] == 200 and len(dry["errors"]) == 6  # type: ignore[arg-type]


def test_xlsx_and_unreadable_files(estate_env: EstateEnv) -> None:
    e = estate_env
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["hospital_id", "system", "version"])
    sheet.append([HOSPITAL_B, "pacs", "7.1"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert _upload(e, buffer.getvalue(), name="estate.xlsx")["created"] == 1
    for name, content in (("x.txt", b"a"), ("x.xlsx", b"not a workbook"), ("x.csv", b"system,version\n")):
        response = e.env.client("engineer").post("/api/installations/import", files={"file": (name, content)})
        assert response.status_code == 422 and "file" in response.text, name
    assert e.env.client("hospital_it").post(
        "/api/installations/import", files={"file": ("a.csv", GOOD_CSV.encode())}).status_code == 403


def test_put_one_installation(estate_env: EstateEnv) -> None:
    client = estate_env.env.client("engineer")
    body = {"hospital_id": HOSPITAL_A, "system": "insurance", "version": "2.1.0",
            "interfaces": [{"system": "his", "protocol": "WebService"}]}
    saved = client.put("/api/installations", json=body)
    assert saved.status_code == 200 and saved.json()["version"] == "2.1.0"
    bad = client.put("/api/installations", json={**body, "system": "nope"})
    assert bad.status_code == 422 and "system" in bad.text
    bad = client.put("/api/installations", json={**body, "interfaces": [{"system": "x"}]})
    assert bad.status_code == 422 and "interfaces" in bad.text


def test_cli_import_dry_run_and_bad_rows(tmp_path: Path, database_url: str) -> None:
    from weibao.core import accounts
    from weibao.core.db import Database, session_scope

    if not database_url.startswith("sqlite"):
        return  # the command is the same on both; one run is enough
    with session_scope(Database(database_url).sessions) as session:
        accounts.create_hospital(session=session, hospital_id=HOSPITAL_A, name="甲医院")
        accounts.create_hospital(session=session, hospital_id=HOSPITAL_B, name="乙医院")
    env = {"WEIBAO_DATABASE_URL": database_url, "WEIBAO_DATA_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1",
           "PATH": "/usr/bin:/bin"}
    good = tmp_path / "estate.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_CSV + "h-nowhere,his,1.0,,,,,\n", encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "weibao.cli", "installations", "import", *args],
                              capture_output=True, text=True, env=env, timeout=120)

    dry = run(str(good), "--dry-run")
    assert dry.returncode == 0 and "dry run" in dry.stdout and "3 new" in dry.stdout
    failed = run(str(bad))
    assert failed.returncode == 2
    assert f"{bad}:5: hospital_id: no hospital 'h-nowhere'" in failed.stdout
    assert failed.stderr.count("\n") == 1 and "nothing imported" in failed.stderr
    done = run(str(good))
    assert done.returncode == 0 and "imported 3 rows: 3 new" in done.stdout
    missing = run(str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "no such file" in missing.stderr

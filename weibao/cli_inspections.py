"""`weibao inspections due`: make the due inspections now and list what is due or overdue."""

from __future__ import annotations

import argparse
import json

from weibao.cli_base import CommandError, command
from weibao.core.settings import get_settings


@command("inspections")
def cmd_inspections(args: argparse.Namespace) -> int:
    from weibao.bootstrap import open_services
    from weibao.inspections.scheduler import due_now
    from weibao.inspections.service import InspectionService
    from weibao.inspections.templates import TemplateError, load_templates

    settings = get_settings()
    try:
        templates = load_templates(settings.inspections_dir)
    except TemplateError as exc:
        raise CommandError(f"WEIBAO_INSPECTIONS_DIR: {exc}") from exc
    if args.hospital is not None and not args.hospital.strip():
        raise CommandError("--hospital: give a hospital id")
    service = InspectionService(open_services(settings).desk, templates)
    made = due_now(service)
    if made is None:
        raise CommandError("the scheduler is making due inspections right now; run the command again")
    rows = []
    for status in ("overdue", "due"):
        for view in service.list_runs(hospital_id=args.hospital, status=status, limit=500):
            rows.append({"id": view.run.id, "hospital_id": view.run.hospital_id, "template_id": view.run.template_id,
                         "due_date": view.run.due_date.isoformat(), "status": view.status,
                         "assignee": view.run.assignee_id})
    if args.json:
        print(json.dumps({"created": made["created"], "newly_overdue": made["overdue"], "runs": rows},
                         ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        print(f"{row['due_date']}  {row['status']:<8} #{row['id']:<6} {row['hospital_id']:<12} "
              f"{row['template_id']:<28} {row['assignee'] or '-'}")
    print(f"{len(made['created'])} made due, {len(made['overdue'])} newly overdue; "
          f"{sum(r['status'] == 'overdue' for r in rows)} overdue, {sum(r['status'] == 'due' for r in rows)} due")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("inspections", help="preventive maintenance: inspections")
    actions = p.add_subparsers(dest="inspections_command", required=True)
    due = actions.add_parser("due", help="make due inspections now (as the scheduler does) and list due and overdue ones")
    due.add_argument("--hospital", help="only this hospital")
    due.add_argument("--json", action="store_true")

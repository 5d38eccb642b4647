"""`weibao chat`: the chat assistant in a terminal, for engineers and for testing."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from weibao.cli_base import CommandError, command
from weibao.core.settings import get_settings

if TYPE_CHECKING:
    from weibao.chat.dialogue import Reply


@command("chat")
def cmd_chat(args: argparse.Namespace) -> int:
    from weibao.bootstrap import open_services
    from weibao.chat.dialogue import TurnContext
    from weibao.chat.service import ChatService
    from weibao.core import migrate

    if args.hospital is not None and not args.hospital.strip():
        raise CommandError("--hospital: give a hospital id")
    settings = get_settings()
    services = open_services(settings)
    migrate.upgrade(services.database.engine)
    service = ChatService(
        kb=services.kb, desk=services.desk, settings=settings, sessions=services.database.sessions
    )
    ctx = (
        TurnContext(hospital_id=args.hospital, ticket_scope=args.hospital)
        if args.hospital else TurnContext(all_hospitals=True)
    )
    interactive = sys.stdin.isatty()
    if interactive:
        print("维保智能助手 — 输入问题后回车；Ctrl-D 退出。/ Type a problem, Enter; Ctrl-D quits.")
    session_id: str | None = None
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        message = line.strip()
        if not message:
            continue
        if len(message) > 2000:
            print("(message too long: 2,000 characters at most)")
            continue
        turn = service.turn(message, session_id=session_id, ctx=ctx)
        session_id = turn.session_id
        _print_reply(turn.reply)
    return 0


def _print_reply(reply: Reply) -> None:
    print(reply.text)
    for number, citation in enumerate(reply.citations, start=1):
        print(f"  [{number}] {citation['title']}  {citation['url']}")
    for action in reply.actions:
        if action["type"] == "open_ticket":
            prefill = action["prefill"]
            print(f"  → ticket: {prefill['title']} · {prefill['system'] or '-'} · "
                  f"{prefill['symptom'] or '-'}  {action['url'][:120]}…")
        elif action["type"] == "ticket_status":
            print(f"  → {action['code']}: {action['status']}  {action['url']}")
    print(f"  (confidence {reply.confidence:.2f})" if reply.answered else "", end="")
    print()


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `weibao chat` to the main parser."""
    p = sub.add_parser("chat", help="talk to the chat assistant in the terminal (stdin lines)")
    p.add_argument("--hospital", help="answer as this hospital's staff (ticket status, prefill)")

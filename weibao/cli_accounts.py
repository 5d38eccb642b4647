"""`weibao user|token|hospital ...`: account administration from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import timedelta

from sqlalchemy.orm import Session

from weibao.cli_base import CommandError, command
from weibao.core import accounts, audit, migrate
from weibao.core.accounts import AccountError
from weibao.core.db import Database, session_scope
from weibao.core.settings import get_settings
from weibao.routing import engineers
from weibao.routing.errors import DeskError


def _database() -> Database:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    migrate.upgrade(database.engine)
    return database


def _read_password(args: argparse.Namespace) -> str | None:
    """From stdin with --password-stdin, by prompt on a terminal, else None (generate one)."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("--password-stdin: no password on standard input")
        return password
    if sys.stdin.isatty():
        first = getpass.getpass("new password: ")
        if first != getpass.getpass("repeat: "):
            raise CommandError("the passwords differ")
        return first
    return None


def _cli_audit(
    session: Session, action: str, *, hospital_id: str | None = None, target: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        session, action=action, actor_name="cli", actor_role="admin", hospital_id=hospital_id,
        target=target, detail=detail,
    )


def _link(session: Session, user: accounts.User, engineer_id: str) -> None:
    """Links the account to the engineer profile, or one line saying why not."""
    try:
        engineers.link_account(session=session, engineer_id=engineer_id, user_id=user.id)
    except DeskError as exc:
        raise CommandError(f"--engineer: {exc.message}") from exc
    _cli_audit(session, "engineer.linked", target=f"engineer:{engineer_id}",
               detail={"username": user.username})
    print(f"linked user {user.username} to engineer {engineer_id}")


@command("user")
def cmd_user(args: argparse.Namespace) -> int:
    database = _database()
    user: accounts.User | None
    with session_scope(database.sessions) as session:
        if args.user_command == "create":
            password = _read_password(args)
            generated = None if password else accounts.generate_password()
            try:
                user = accounts.create_user(
                    session=session, username=args.username, role=args.role,
                    hospital_id=args.hospital, display_name=args.name or "",
                    password=password or generated, must_change_password=generated is not None,
                )
            except AccountError as exc:
                raise CommandError(str(exc)) from exc
            _cli_audit(
                session, "user.created", hospital_id=user.hospital_id,
                target=f"user:{user.username}", detail={"role": user.role},
            )
            if args.engineer:
                # In the same transaction: a refused link leaves no account behind.
                _link(session, user, args.engineer)
            print(f"created user {user.username} ({user.role})")
        elif args.user_command == "link":
            user = accounts.get_user_by_username(session=session, username=args.username)
            if user is None:
                raise CommandError(f"no user {args.username!r}")
            _link(session, user, args.engineer)
            return 0
        elif args.user_command in ("disable", "enable"):
            user = accounts.get_user_by_username(session=session, username=args.username)
            if user is None:
                raise CommandError(f"no user {args.username!r}")
            if args.user_command == "disable":
                accounts.disable_user(session=session, user=user)
            else:
                accounts.enable_user(session=session, user=user)
            _cli_audit(session, f"user.{args.user_command}d", target=f"user:{user.username}")
            print(f"{args.user_command}d user {user.username}")
            return 0
        else:
            user = accounts.get_user_by_username(session=session, username=args.username)
            if user is None:
                raise CommandError(f"no user {args.username!r}")
            typed = _read_password(args)
            password = typed or accounts.generate_password()
            generated = None if typed else password
            try:
                accounts.set_password(session=session, user=user, password=password)
            except AccountError as exc:
                raise CommandError(str(exc)) from exc
            user.must_change_password = generated is not None
            _cli_audit(session, "user.password_set", target=f"user:{user.username}")
            print(f"password set for {user.username}")
    if generated:
        print(f"one-time password (shown once; must be changed at first sign-in): {generated}")
    return 0


@command("token")
def cmd_token(args: argparse.Namespace) -> int:
    if args.expires is not None and not 1 <= args.expires <= 3650:
        raise CommandError("--expires: days must be between 1 and 3650")
    database = _database()
    with session_scope(database.sessions) as session:
        user = accounts.get_user_by_username(session=session, username=args.username)
        if user is None:
            raise CommandError(f"no user {args.username!r}")
        days = args.expires or get_settings().token_days
        try:
            token, secret = accounts.create_token(
                session=session, user=user, name=args.name or "", expires_in=timedelta(days=days)
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        _cli_audit(session, "token.created", target=f"token:{token.id}",
                   detail={"for": user.username})
        expires = token.expires_at.isoformat(timespec="minutes") if token.expires_at else "never"
    print(f"token {token.id} for {user.username}, expires {expires}. Shown once:")
    print(secret)
    return 0


@command("hospital")
def cmd_hospital(args: argparse.Namespace) -> int:
    database = _database()
    with session_scope(database.sessions) as session:
        try:
            hospital = accounts.create_hospital(
                session=session, hospital_id=args.id, name=args.name,
                name_en=args.name_en or "", region=args.region or "",
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        _cli_audit(session, "hospital.created", hospital_id=hospital.id,
                   target=f"hospital:{hospital.id}")
    print(f"created hospital {args.id}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the user, token and hospital commands to the main parser."""
    p = sub.add_parser("user", help="create users and set passwords")
    users = p.add_subparsers(dest="user_command", required=True)
    c = users.add_parser("create", help="create a user")
    c.add_argument("username")
    c.add_argument("--role", required=True, choices=accounts.ROLES)
    c.add_argument("--hospital", help="hospital id (required for clinician and hospital_it)")
    c.add_argument("--name", help="display name")
    c.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    c.add_argument("--engineer", metavar="ENGINEER_ID",
                   help="link the new account to this engineer profile (engineer or admin)")
    c = users.add_parser("link", help="link an account to an engineer profile")
    c.add_argument("username")
    c.add_argument("--engineer", required=True, metavar="ENGINEER_ID", help="engineer profile id")
    c = users.add_parser("passwd", help="set a user's password")
    c.add_argument("username")
    c.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    c = users.add_parser("disable", help="disable a user: every session and token ends now")
    c.add_argument("username")
    c = users.add_parser("enable", help="let a disabled user sign in again")
    c.add_argument("username")
    p = sub.add_parser("token", help="personal API tokens")
    tokens = p.add_subparsers(dest="token_command", required=True)
    c = tokens.add_parser("create", help="create a token and print it once")
    c.add_argument("username")
    c.add_argument("--expires", type=int, metavar="DAYS", help="lifetime in days")
    c.add_argument("--name", help="what the token is for")
    p = sub.add_parser("hospital", help="hospitals")
    hospitals = p.add_subparsers(dest="hospital_command", required=True)
    c = hospitals.add_parser("create", help="add a hospital")
    c.add_argument("id", help='stable id, e.g. "h-hzsy"')
    c.add_argument("--name", required=True)
    c.add_argument("--name-en")
    c.add_argument("--region")

"""`python -m scorecard access check|who`: check the access file, and say what one person would see."""

from __future__ import annotations

import argparse
import sys

from scorecard.access import policy as access
from scorecard.access.policy import AccessDenied, AccessError
from scorecard.store import config


def _policy(args: argparse.Namespace) -> access.AccessPolicy | None:
    path = config.access_path(getattr(args, "path", None) or args.access, args.metrics)
    try:
        return access.load_policy(path)
    except AccessError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    policy = _policy(args)
    if policy is None:
        return 1
    counts = {role: sum(rule.role == role for rule in policy.rules) for role in access.ROLES}
    summary = ", ".join(f"{n} {access.ROLE_LABELS[role].lower()}" for role, n in counts.items() if n)
    scoped = sum(bool(rule.scope) for rule in policy.rules)
    print(f"{policy.path}: OK, {len(policy.rules)} entries ({summary}; {scoped} scoped)")
    return 0


def _who(args: argparse.Namespace) -> int:
    policy = _policy(args)
    if policy is None:
        return 1
    try:
        person = access.principal_for(policy, args.email)
    except AccessDenied as exc:
        print(f"refused: {exc}")
        return 1
    allowed = [p for p in access.PERMISSIONS if access.can(person, p)]
    print(f"{person.describe()}\nmay: {', '.join(allowed)}")
    rule = policy.rule_for(person.email or "")
    if rule is not None:
        print(f"from {policy.path}:{rule.line} ({rule.pattern})")
    return 0


def register_access(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `access` command and its `check` and `who` subcommands."""
    p = sub.add_parser("access", help="check the access file (roles, scopes) or look up a person")
    inner = p.add_subparsers(dest="access_command", required=True, metavar="ACTION")
    check = inner.add_parser("check", help="report every problem of the access file with its line; exit 1 if any")
    check.add_argument("path", nargs="?", help="access file (default: --access, $SCORECARD_ACCESS or access.yaml)")
    who = inner.add_parser("who", help="the role, scope and rights an address gets")
    who.add_argument("email")
    for parser in (check, who):
        parser.add_argument(
            "--access", help=f"access file (default: ${config.ACCESS_ENV} or access.yaml next to metrics.yaml)"
        )
        parser.add_argument("--metrics", help="catalog whose folder holds access.yaml (default: metrics.yaml)")
    check.set_defaults(handler=_check)
    who.set_defaults(handler=_who)

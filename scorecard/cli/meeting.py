"""The weekly meeting: `note` (notes on a week or a metric) and `send` (the scorecard by e-mail)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from scorecard.access import policy as access
from scorecard.cli import common
from scorecard.judge import drivers, weekly
from scorecard.language import periods
from scorecard.present import mail, views
from scorecard.present.pack import WeeklyPack
from scorecard.sql.resolve import CompileError
from scorecard.store import config, notes


def _note(args: argparse.Namespace) -> int:
    db = common.existing_database(args)
    if args.action == "delete":
        if not args.args:
            raise common.CommandError("note delete ID: give the id `note list` shows")
        for note_id in args.args:
            if not notes.delete(db, note_id):
                raise common.CommandError(f"no note with id {note_id!r}")
            print(f"deleted note {note_id}")
        return 0
    catalog = common.catalog_of(args)
    if args.action == "add":
        if not args.args:
            raise common.CommandError('note add "TEXT": give the note\'s text')
        week = common.week_of(args, catalog)
        try:
            note = notes.add(db, catalog.metrics, week, " ".join(args.args), metric=args.metric, author=args.author)
        except notes.NoteError as exc:
            raise common.CommandError(str(exc)) from None
        print(f"added note {note.id} on {note.week}" + (f" ({note.metric})" if note.metric else " (whole week)"))
        return 0
    shown = notes.for_weeks(db, [common.week_of(args, catalog)], args.metric) if args.week else notes.all_notes(db)
    if args.metric and not args.week:
        shown = [n for n in shown if n.metric in (args.metric, None)]
    for note in shown:
        print(f"{note.id}  {note.week}  {note.metric or '(week)'}  {note.line()}")
    return 0


def register_note(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("note", help="add, list or delete notes on a week (a note never changes a number)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text_help in (
        ("add", "the note's text"),
        ("list", None),
        ("delete", "ids of the notes to delete (as `note list` shows them)"),
    ):
        a = actions.add_parser(action, help=f"{action} notes")
        if text_help:
            a.add_argument("args", nargs="+", help=text_help)
        else:
            a.set_defaults(args=[])
        common.add_db(a)
        common.add_metrics(a)
        if action != "delete":
            a.add_argument("--week", help="YYYY-Www or a date in the week (add: default the last complete week)")
            a.add_argument("--metric", help="the metric the note is about (default: the whole week)")
        if action == "add":
            a.add_argument("--author", help="who writes it (default: the operating-system user)")
        a.set_defaults(handler=_note)


def _send(args: argparse.Namespace) -> int:
    def step(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        to = mail.recipients(args.to or [])
        smtp_url = args.smtp or os.environ.get(mail.SMTP_ENV)
        sender = args.sender or os.environ.get(mail.FROM_ENV)
        if not args.out and not smtp_url:
            raise common.CommandError(
                f"no SMTP server: give --smtp smtp://[user:password@]host:port or ${mail.SMTP_ENV}"
            )
        if not sender:
            raise common.CommandError(f"no sender: give --from scorecard@example.com or ${mail.FROM_ENV}")
        settings = mail.parse_smtp_url(smtp_url) if smtp_url else None
    except mail.MailError as exc:
        raise common.CommandError(str(exc)) from None
    catalog = common.catalog_of(args)
    filters = common.as_person(args, common.filters_of(args, catalog))
    _check_recipients(args, to, filters)
    dimension = args.drivers_by or drivers.DEFAULT_DIMENSION
    if dimension not in catalog.dimensions:
        known = ", ".join(catalog.dimensions)
        raise common.CommandError(f"--drivers-by {dimension!r}: unknown dimension; dimensions: {known}")
    db = common.existing_database(args)
    common.check_filters(db, catalog, filters)
    week, note = common.data_week(args, catalog, db)
    if note:
        step(note)
    step(f"building the scorecard for {week.label}...")
    try:
        card = weekly.build(db, catalog, week, filters)
    except CompileError as exc:
        raise common.CommandError(str(exc)) from None
    step(f"working out what moved, by {dimension}...")
    moved = drivers.for_card(db, catalog, card, [dimension])
    movements = {metric: by_dim[dimension] for metric, by_dim in moved.items()}
    found = notes.for_weeks(db, periods.weeks_ending(catalog.calendar, week, weekly.TREND_WEEKS))
    scope = views.filters_text(filters, catalog)
    app_url = args.app_url or os.environ.get(mail.APP_URL_ENV)
    link = mail.app_link(app_url, week.label, card.filters, dimension) if app_url else None
    step("rendering the one-page PDF and PNG...")
    made = WeeklyPack(card, scope, catalog.locale, movements, found)
    attachments = made.attachments()
    try:
        message = mail.compose(
            sender=sender,
            to=to,
            subject_line=mail.subject(card, scope),
            body=mail.summary(card, scope=scope, movements=movements, notes=found, link=link, locale=catalog.locale),
            attachments=attachments,
        )
        if args.out:
            from pathlib import Path

            Path(args.out).write_bytes(bytes(message))
            print(f"wrote {args.out} ({len(to)} recipient(s), not sent)")
            return 0
        assert settings is not None
        step(f"sending through {settings.display()}...")
        mail.send(message, settings, cafile=args.smtp_ca or os.environ.get(mail.CA_ENV))
    except mail.MailError as exc:
        raise common.CommandError(str(exc)) from None
    print(f'sent "{message["Subject"]}" to {", ".join(to)} through {settings.display()}')
    return 0


def _check_recipients(args: argparse.Namespace, to: Sequence[str], filters: Mapping[str, Sequence[str]]) -> None:
    """A scorecard is e-mailed only to people the access file lets see all of it: a team lead
    scoped to EMEA gets their own view (`--as`), never the whole company's. Without an access
    file (local mode) there are no roles to keep."""

    path = config.access_path(args.access, args.metrics)
    if not path.exists():
        return
    try:
        policy = access.load_policy(path)
    except access.AccessError as exc:
        raise common.CommandError(f"not sent: the access file has problems:\n{exc}") from None
    problems = access.mail_problems(policy, to, filters)
    if problems:
        raise common.CommandError(f"not sent (access rules in {path}):\n  " + "\n  ".join(problems))


def register_send(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("send", help="e-mail the weekly scorecard (summary, PDF/PNG one-pager, CSV)")
    common.add_db(p)
    common.add_metrics(p)
    p.add_argument("--week", help="YYYY-Www or a date in the week (default: the last complete week)")
    p.add_argument("--to", action="append", metavar="ADDRESSES", help="a@x.com,b@y.com (repeatable)")
    common.add_filter(p)
    p.add_argument(
        "--smtp", help="smtp://[user:password@]host[:port] (STARTTLS) or smtps://... (default: $SCORECARD_SMTP_URL)"
    )
    p.add_argument("--from", dest="sender", help="sender address (default: $SCORECARD_MAIL_FROM)")
    p.add_argument("--app-url", help="base address of the dashboard for the link (default: $SCORECARD_APP_URL)")
    p.add_argument("--drivers-by", help="dimension the movers are broken down by (default: region)")
    p.add_argument("--smtp-ca", help="CA certificate file to trust for the SMTP server (default: $SCORECARD_SMTP_CA)")
    p.add_argument("--out", help="write the message to this .eml file instead of sending it")
    common.add_as_person(p)
    p.set_defaults(handler=_send)

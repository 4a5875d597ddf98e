"""Command line: `python -m scorecard COMMAND ...` (or `scorecard COMMAND ...`), a thin front over the core.

Every command takes the database from --db, else $SCORECARD_DB, else
data/scorecard.duckdb, and the catalog from --metrics, else $SCORECARD_METRICS,
else metrics.yaml. Errors are one plain line on stderr and exit code 1 or 2; never
a traceback. Each command group lives in its own module and registers its subcommands.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from scorecard.cli import access, data, definitions, ingest, meeting, report
from scorecard.cli.common import CommandError, Handler
from scorecard.store.db import DatabaseError, failure_reason

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRARS: tuple[Registrar, ...] = (
    data.register_demo,
    data.register_info,
    definitions.register_validate,
    report.register_report,
    report.register_ranking,
    report.register_doctor,
    definitions.register_sql,
    definitions.register_schema,
    definitions.register_history,
    definitions.register_diff,
    definitions.register_record,
    definitions.register_revert,
    definitions.register_test,
    definitions.register_targets,
    meeting.register_note,
    meeting.register_send,
    data.register_bench,
    ingest.register_import,
    ingest.register_map,
    ingest.register_export,
    access.register_access,
)
"""Every subcommand, in the order `--help` lists them."""


def build_parser(prog: str = "python -m scorecard") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


EXIT_PIPE_CLOSED = 141
"""Exit status when the reader closed the pipe: 128 + SIGPIPE, what `yes | head` leaves too."""


def main(argv: Sequence[str] | None = None, prog: str = "python -m scorecard") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        status = handler(args)
        sys.stdout.flush()  # a closed pipe shows up here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        # The reader went away (`ranking ... | head`): stop quietly, as Unix tools do, and point
        # stdout at /dev/null so Python's own flush at exit does not print a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_PIPE_CLOSED
    except (CommandError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except sa.exc.DBAPIError as exc:  # the database failed mid-command: damaged, locked, gone away
        print(f"error: the database failed: {failure_reason(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The `scorecard` console script."""
    raise SystemExit(main(prog="scorecard"))


if __name__ == "__main__":
    run()

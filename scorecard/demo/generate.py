"""Deterministic demo data that tells the stories Scorecard exists to show.

`generate(leads, seed, today)` is a pure function: the same three inputs give identical
frames, one per table of `scorecard.model.CRM_TABLES`. Every table is built from numpy
arrays in a handful of vectorised passes (no Python loop runs per lead, deal or
activity), so a million leads and five million activities take seconds, not hours.
`build` loads the frames in bulk in one transaction that replaces the whole database.
The settings live in `story`, the helpers in `arrays`, the tables are drawn by `company`,
`funnel` and `pipeline` and given ids by `tables`.

The data is shaped so that each story of the product shows up in the numbers:

1. Trade shows bring the most leads and the worst ones; referrals few but the best.
2. Sales cycles run from weeks (smb) to about a year (enterprise).
3. Account executives' skill differs: quota attainment, win rate and calls per close
   spread widely, so a forced ranking means something.
4. "Flexible terms" campaigns win small special orders whose cost of sale exceeds
   their margin.
5. Partner deals collide with direct deals on the same (mostly shared) accounts.
6. A fifth of marketing-qualified leads are never worked, and APAC (short of SDRs)
   takes days to make the first touch.
7. Fewer leads at weekends, in late December and in August; about 30% growth a year.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import sqlalchemy as sa

from scorecard.demo import company, funnel, pipeline, tables
from scorecard.demo.story import Calendar
from scorecard.store import model
from scorecard.store.db import Database, DatabaseError, bulk_insert, create_schema, drop_schema, refresh_maintained

Progress = Callable[[str, float], None]
"""A progress callback: (what is happening, fraction done in 0..1)."""

DEFAULT_LEADS: Final = 30_000
DEFAULT_SEED: Final = 7
MIN_LEADS: Final = 1_000
MAX_LEADS: Final = 10_000_000
"""About 50M activities and 10 GB of memory while generating: beyond that the build would exhaust the machine."""

_GENERATE_SHARE: Final = 0.25
"""Part of build()'s progress bar spent generating; the rest is loading and writing."""
_WRITE_SHARE: Final = 0.4
"""Part of the bar for the final write of a DuckDB file (its indexes are built then)."""
_BAR_WIDTH: Final = 30


def generate(leads: int, seed: int, today: dt.date, progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """The demo tables as frames keyed by table name, in `model.CRM_TABLES` order.

    A pure function of (leads, seed, today): history runs from a quarter start at least
    two years before `today` to the end of `today`, and no event lies after that.
    """
    if leads < MIN_LEADS:
        raise ValueError(f"the demo needs at least {MIN_LEADS:,} leads (got {leads:,})")
    if leads > MAX_LEADS:
        raise ValueError(
            f"the demo builds at most {MAX_LEADS:,} leads (got {leads:,}); the default is {DEFAULT_LEADS:,}"
        )
    if not 0 <= seed < 2**63:
        raise ValueError(f"the seed must be a whole number from 0 to 2**63 - 1 (got {seed:,})")
    report = progress or _silent
    calendar = Calendar.of(today)

    def stream(stage: int) -> np.random.Generator:
        return np.random.default_rng([seed, stage])

    report("Planning reps and accounts", 0.0)
    staff = company.staff(stream(1), leads, calendar)
    partners = company.partners(stream(2), leads)
    accounts = company.accounts(stream(3), leads)
    campaigns = funnel.campaigns(stream(4), calendar)
    report("Generating leads", 0.1)
    lead = funnel.leads(stream(5), leads, calendar, campaigns, accounts, staff)
    report("Generating opportunities", 0.35)
    opps = pipeline.opportunities(stream(6), calendar, lead, accounts, staff, partners)
    report("Generating activities", 0.5)
    acts = pipeline.activities(stream(7), calendar, lead, opps, staff)
    report("Setting quotas", 0.75)
    quotas = pipeline.quotas(calendar, opps, staff, stream(8))

    report("Assembling tables", 0.8)
    refs = tables.References.of(lead, opps, len(campaigns.name), staff, accounts, partners)
    leads_frame = tables.leads_frame(lead, opps, refs)
    report("Assembling tables", 0.85)
    opportunities_frame = tables.opportunities_frame(opps, refs, staff.ae)
    report("Assembling tables", 0.9)
    activities_frame = tables.activities_frame(acts, refs)
    frames = {
        "products": company.products_frame(),
        "reps": staff.frame,
        "accounts": accounts.frame,
        "partners": partners.frame,
        "campaigns": funnel.campaigns_frame(campaigns, refs.campaign_ids, refs.product_ids, lead.campaign, stream(9)),
        "leads": leads_frame,
        "opportunities": opportunities_frame,
        "activities": activities_frame,
        "quotas": quotas,
    }
    report("Demo data generated", 1.0)
    return {table.name: frames[table.name] for table in model.CRM_TABLES}


# --- loading -------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    """What `build` made: where, from which inputs, how many rows, how long it took."""

    database: str
    leads: int
    seed: int
    today: dt.date
    history_start: dt.date
    rows: tuple[tuple[str, int], ...]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(count for _, count in self.rows)

    def __str__(self) -> str:
        counts = ", ".join(f"{count:,} {name}" for name, count in self.rows)
        return (
            f"Built the demo database {self.database} (seed {self.seed}, history "
            f"{self.history_start.isoformat()} to {self.today.isoformat()}) in {self.seconds:.1f} s: "
            f"{counts}; {self.total_rows:,} rows in all."
        )


def build(
    db: Database,
    leads: int = DEFAULT_LEADS,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Replace the database's contents with the demo data, in one all-or-nothing write.

    Writes only where nothing is yet or where a Scorecard database is: anything else at
    the location (another program's file, a database that cannot be reached) raises
    DatabaseError before any work starts.
    """
    presence = db.status()
    if presence.kind in ("foreign", "unreachable"):
        raise DatabaseError(f"{presence.reason}; the demo writes only to a new location or a Scorecard database")
    started = time.perf_counter()
    report = progress or _silent
    today = today or dt.datetime.now(dt.UTC).date()
    frames = generate(leads, seed, today, progress=lambda step, f: report(step, f * _GENERATE_SHARE))
    total = sum(len(frame) for frame in frames.values())
    replaces_file = db.dialect == "duckdb" and db.path is not None
    load_share = 1 - _GENERATE_SHARE - (_WRITE_SHARE if replaces_file else 0.02)
    loaded = 0
    with db.writer(fresh=True) as conn:
        if not replaces_file:
            drop_schema(conn)
        create_schema(conn)
        for table in model.CRM_TABLES:
            report(f"Loading {table.name}", _GENERATE_SHARE + load_share * loaded / total)
            loaded += bulk_insert(conn, table, frames[table.name])
        report("Computing first touches", _GENERATE_SHARE + load_share)
        refresh_maintained(conn)
        rows = tuple((name, len(frame)) for name, frame in frames.items())
        detail = {"seed": seed, "leads": leads, "today": today.isoformat(), "rows": dict(rows)}
        conn.execute(
            sa.insert(model.loads).values(
                id=1,
                loaded_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                kind="demo",
                user_name="scorecard demo",
                detail=json.dumps(detail),
                accepted=total,
                quarantined=0,
            )
        )
        report("Writing the database", _GENERATE_SHARE + load_share)
    report("Demo database ready", 1.0)
    return DemoSummary(
        database=db.display(),
        leads=leads,
        seed=seed,
        today=today,
        history_start=Calendar.of(today).start,
        rows=rows,
        seconds=time.perf_counter() - started,
    )


def terminal_progress(step: str, fraction: float) -> None:
    """Draw progress on one terminal line (stderr): step, bar, percent; newline when done."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = round(fraction * _BAR_WIDTH)
    bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
    sys.stderr.write(f"\r{step[:34]:<34} [{bar}] {fraction:4.0%}" + ("\n" if fraction >= 1.0 else ""))
    sys.stderr.flush()


def _silent(step: str, fraction: float) -> None:
    """The progress callback used when nobody listens."""

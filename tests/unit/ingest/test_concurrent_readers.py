"""An import into a DuckDB file the dashboard is reading neither blocks nor corrupts it:
open readers keep a consistent view, new readers see the import once it commits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from scorecard.ingest import SourceFile, load_mapping, run_import
from scorecard.store import model
from scorecard.store.db import Database

MakeDb = Callable[[str], Database]


def _count(conn: sa.Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_open_reader_keeps_its_view_and_new_readers_see_the_import(make_db: MakeDb, exports: Path) -> None:
    db: Database = make_db("duckdb")
    mapping = load_mapping(exports / "mapping.yaml")
    run_import(db, [SourceFile.from_path(exports / "users.xlsx")], mapping)

    dashboard = sa.create_engine(db.url, connect_args={"read_only": True}, poolclass=NullPool)
    seen_during: list[tuple[int, int, int]] = []
    with dashboard.connect() as open_session:
        assert (_count(open_session, model.reps), _count(open_session, model.leads)) == (3, 0)

        def progress(what: str, done: int, total: int) -> None:
            if what.startswith("loading leads") and not seen_during:
                # Mid-write: the open session and a brand-new reader both read the old data.
                with db.engine().connect() as fresh:
                    seen_during.append(
                        (_count(open_session, model.leads), _count(fresh, model.leads), _count(fresh, model.reps))
                    )

        names = ("leads_web.csv", "deals_eu.csv", "calls.tsv")
        run_import(db, [SourceFile.from_path(exports / n) for n in names], mapping, progress=progress)

        assert seen_during == [(0, 0, 3)]
        # The session opened before the import still reads its consistent snapshot...
        assert (_count(open_session, model.reps), _count(open_session, model.leads)) == (3, 0)
    dashboard.dispose()
    # ...and a connection opened afterwards sees the new rows (4 reps with Zed Zane, 4 leads).
    with db.engine().connect() as after:
        assert (_count(after, model.reps), _count(after, model.leads), _count(after, model.activities)) == (4, 4, 3)
        assert _count(after, model.loads) == 2

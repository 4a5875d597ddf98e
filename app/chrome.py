"""What every page looks like around its numbers: header, layout rules, badge colours and notices.

The notices say what is wrong with the database, or where the data ends, and what to do;
they only draw: nothing here reads the database or the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal

import streamlit as st

from app.text import plain
from scorecard.judge.coverage import Coverage
from scorecard.store import config
from scorecard.store.db import Database

Colour = Literal["red", "orange", "green", "blue", "violet", "gray"]
"""Streamlit's named colours that the theme (.streamlit/config.toml) maps onto the chart palette."""

STATUS_BADGE: Final[Mapping[str, Colour]] = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}
"""Scorecard status -> badge colour."""

OWNER_BADGE: Final[Mapping[str, Colour]] = {"marketing": "violet", "sales": "blue", "both": "gray"}
"""Owner -> badge colour; never green, amber or red, which carry verdicts."""


def code(text: object) -> str:
    """Text as an inline code span, shown exactly as typed inside markdown (a problem's `file:line: message`).

    The fence is longer than any run of backticks in the text, so the text cannot close it.
    """
    flat = " ".join(str(text).splitlines())
    runs = [len(r) for r in re.findall(r"`+", flat)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {flat} {fence}"


PAGE_STYLE: Final = """
<style>
/* A chart wider than a phone scrolls inside its own frame; the page never scrolls sideways. */
[data-testid="stVegaLiteChart"] { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
/* Code wraps on narrow screens instead of pushing the page wider. */
[data-testid="stCode"] pre { max-width: 100%; }
</style>
"""


def page_style() -> None:
    """The few layout rules Streamlit has no option for (added once per run, draws nothing)."""
    st.html(PAGE_STYLE)


def page_header(title: str, caption: str) -> None:
    """The page title and one line on what it answers."""
    st.title(title)
    st.caption(caption)


# --- notices --------------------------------------------------------------------------------------


def database_help(db: Database) -> None:
    """How to get data into an empty or missing database."""
    where = db.display()
    st.info(f"**No Scorecard data yet** in `{where}`.", icon=":material/database:")
    st.markdown("Build the demo database (a few seconds), then reload this page:")
    st.code(f"python -m scorecard demo --db {where}", language="bash")
    st.caption(
        "Or import your CRM export on the Data page. The dashboard reads the database named by "
        f"`--db`, `${config.DB_ENV}` or `{config.DEFAULT_DB.name}` under data/."
    )


def database_problem(reason: str) -> None:
    """What is wrong with the database and how to fix it; the next run retries by itself."""
    st.error(f"**The database cannot be used.** {plain(reason)}", icon=":material/database_off:")
    st.markdown(
        "- *Locked*: another program (a DuckDB shell, a script) is writing to the file; close it.\n"
        "- *Not a database, or damaged*: point `--db` / `$SCORECARD_DB` at the right file, or rebuild it "
        "(`python -m scorecard demo --db PATH --force` for the demo, or import your exports again).\n"
        "- *Cannot connect*: start the database server, or fix the host, port, user or password in the URL.\n\n"
        "Then reload this page: the dashboard reconnects by itself, no restart needed."
    )


def data_ends_note(covered: Coverage, shown: str) -> None:
    """'Data ends 2017-12-31; showing 2017-W52' when the data stops before the last complete week."""
    if covered.ends_early:
        st.info(
            f"Data ends {covered.last_day}; showing {shown}. Pick another period above.", icon=":material/history:"
        )

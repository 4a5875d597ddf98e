"""The SQL behind a number, on every page: an expander with each statement the engine ran.

A derived metric shows its formula over its components' statements. Long lines wrap.
The statements come from the engine (`queries.sql_of`, `engine.metric_sql`); nothing here
builds SQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from app import context, queries
from scorecard.catalog.load import Catalog
from scorecard.language.definitions import DerivedMetric, RankMetric
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError


def statements(catalog: Catalog, name: str, query: Query, dialect: str) -> None:
    """One metric's statements in one dialect; a derived metric's formula first."""
    metric = catalog.metric(name)
    if isinstance(metric, DerivedMetric):
        st.markdown(
            f"`{name}` = `{metric.formula}`, computed per period from the values of "
            + ", ".join(f"`{c}`" for c in metric.components)
            + ", each from its own statement below."
        )
    if isinstance(metric, RankMetric):
        st.markdown(f"`{name}` ranks `{metric.by}` on `{metric.of}`; the statement of `{metric.of}` per `{metric.by}`:")
    try:
        parts = queries.sql_of(catalog, name, query, dialect)
    except CompileError as exc:
        st.warning(f"Not expressible in {dialect}: {exc}")
        return
    for part, sql in parts:
        if part != name or len(parts) > 1:
            label = catalog.metrics[part].label if part in catalog.metrics else part
            st.caption(f"{label} (`{part}`)")
        st.code(sql, language="sql", wrap_lines=True)


def expander(
    ctx: context.Context,
    items: Sequence[tuple[str, Query]],
    title: str = "SQL behind these numbers",
) -> None:
    """A closed expander with the statements of each (metric, query) in the database's dialect."""
    with st.expander(title, icon=":material/code:"):
        st.caption(
            f"As run on this database ({ctx.db.dialect}); parameters are bound, shown here inline. "
            "`python -m scorecard sql METRIC` prints the same."
        )
        for name, query in items:
            if len(items) > 1:
                st.markdown(f"**{ctx.catalog.metric(name).label}**")
            statements(ctx.catalog, name, query, ctx.db.dialect)

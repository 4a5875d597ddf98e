"""Metric definitions (analysts): what each number means, who owns it, its YAML and the SQL it runs.

Three tabs: Browse (read), Edit (app/editor.py: live validation, form, preview, metric
tests, save with a message) and History (every version, diff, revert). When metrics.yaml
on disk is broken, the dashboard keeps serving the last valid catalog and this page says
why; the editor opens the broken file so it can be fixed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import chrome, context, controls, editor, sql_view, tables
from scorecard.catalog.history import History
from scorecard.catalog.load import Catalog
from scorecard.language import periods as cal
from scorecard.language.definitions import CohortMetric, DerivedMetric, MetricBase, RankMetric
from scorecard.language.formatting import MISSING, format_value
from scorecard.language.settings import Locale
from scorecard.present import views
from scorecard.present.report import SECTIONS
from scorecard.sql.query import Query

DIALECTS = ("duckdb", "sqlite", "postgresql")


def render() -> None:
    """Draw the metric definitions page."""
    chrome.page_header(
        "Metric definitions",
        "Every number on the dashboard is defined once, in metrics.yaml: its meaning, owners, target and SQL.",
    )
    served = context.catalog_state()
    context.show_catalog_problems(served)
    catalog = served.catalog
    history = History(served.path)
    browse, edit, versions = st.tabs(["Browse", "Edit", "History"])
    with edit:
        editor.render_edit(catalog, history)
    with versions:
        editor.render_history(history)
    if catalog is None:
        with browse:
            st.info("No valid catalog to browse yet: fix the problems above, then reload.")
        return
    with browse:
        _browse(catalog)


def _browse(catalog: Catalog) -> None:
    names = list(catalog.metrics)
    name = controls.url_choice(
        "Metric",
        names,
        param="metric",
        default=names[0],
        key="definition_metric",
        format_func=lambda name: f"{catalog.metrics[name].label}  ({name})",
    )
    db_dialect = _database_dialect()
    week = cal.last_complete_week(catalog.calendar)
    details(catalog, name, views.scorecard_query(catalog, name, week), db_dialect)
    st.divider()
    st.markdown("**All metrics**")
    st.dataframe(
        _summary(catalog),
        hide_index=True,
        width="stretch",
        placeholder=MISSING,
        # Widths add up to less than the page's 978 px content width at 1440 px, so nothing is cut off.
        column_config={
            "Metric": st.column_config.TextColumn("Metric", width=290, help="Label, with the name in metrics.yaml"),
            "Owner": st.column_config.TextColumn("Owner", width=80, help="Who answers for the number"),
            "Contributors": st.column_config.TextColumn("Contributors", width=95, help="Who else moves it"),
            "Section": st.column_config.TextColumn("Section", width=150),
            "Type": st.column_config.TextColumn("Type", width=80),
            "Format": st.column_config.TextColumn("Format", width=80),
            "Better": st.column_config.TextColumn("Better", width=70, help="Better when higher or lower"),
            "Card": st.column_config.CheckboxColumn("Card", width=55, help="On the weekly scorecard"),
            "Line": st.column_config.NumberColumn("Line", width=55, format="%d", help="Line in metrics.yaml"),
        },
    )
    tables.frame_downloads(_summary(catalog), "metrics")


def _database_dialect() -> str:
    try:
        dialect = context.database().dialect
    except Exception:  # noqa: BLE001 - a bad --db only changes which SQL tab comes first
        return DIALECTS[0]
    return dialect if dialect in DIALECTS else DIALECTS[0]


def _summary(catalog: Catalog) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Metric": f"{m.label} ({name})",
                "Owner": views.owners_text(m.owners),
                "Contributors": ", ".join(m.contributors) or MISSING,
                "Section": SECTIONS.get(m.resolved_section, m.resolved_section),
                "Type": m.type,  # type: ignore[attr-defined]
                "Format": m.format,
                "Better": "higher" if m.direction == "higher_is_better" else "lower",
                "Card": bool(m.scorecard) and not isinstance(m, RankMetric),
                "Line": catalog.lines.get(name),
            }
            for name, m in catalog.metrics.items()
        ]
    )


def details(catalog: Catalog, name: str, query: Query, first_dialect: str = "duckdb") -> None:
    """One metric: label, owners, description, target, its YAML block and its SQL per dialect."""
    metric = catalog.metric(name)
    st.markdown(f"#### {metric.label}")
    owners = views.owners_text(metric.owners)
    with st.container(horizontal=True, gap="small"):
        st.badge(f"owner: {owners}", color=chrome.OWNER_BADGE.get(owners, "gray"), icon=":material/group:",
                 help=views.accountability_text(metric.owner, metric.contributors).capitalize())
        st.badge(SECTIONS.get(metric.resolved_section, metric.resolved_section), color="gray")
        st.badge(f"type: {metric.type}", color="gray")  # type: ignore[attr-defined]
        st.badge("higher is better" if metric.direction == "higher_is_better" else "lower is better", color="gray")
    st.markdown(metric.description)
    facts = _facts(metric, catalog.locale)
    if facts:
        st.caption(" · ".join(facts))
    line = catalog.lines.get(name)
    st.markdown(f"**In metrics.yaml** (line {line})" if line else "**In metrics.yaml**")
    st.code(views.yaml_block(catalog.text, line) if line else "", language="yaml")
    st.markdown("**SQL it runs**")
    st.caption(
        f"For the {len(query.periods)} weeks ending {query.periods[-1].label}"
        + (f", filtered to {views.filters_text(query.filter_map, catalog)}" if query.filters else "")
        + ". Each metric is one statement; a derived metric combines the values of its components' statements. "
        "The weekly scorecard reads metrics that share a table and a date in one combined scan, with the "
        "same numbers as these statements give."
    )
    ordered = [first_dialect, *[d for d in DIALECTS if d != first_dialect]]
    for tab, dialect in zip(st.tabs([_dialect_title(d) for d in ordered]), ordered, strict=True):
        with tab:
            sql_view.statements(catalog, name, query, dialect)


def _dialect_title(dialect: str) -> str:
    return {"duckdb": "DuckDB", "sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(dialect, dialect)


def _facts(metric: MetricBase, locale: Locale) -> list[str]:
    facts = []
    if metric.target is not None:
        better = "≥" if metric.direction == "higher_is_better" else "≤"
        green, amber = metric.target.green, metric.target.amber
        facts.append(
            f"green {better} {format_value(green, metric.format, locale=locale)}, "
            f"amber {better} {format_value(amber, metric.format, locale=locale)}"
        )
        if metric.target.overrides:
            facts.append(f"{len(metric.target.overrides)} target override(s)")
    if metric.min_sample:
        facts.append(f"minimum sample {metric.min_sample:,}")
    if isinstance(metric, CohortMetric):
        facts.append(f"cohorts of {metric.time}, judged after {metric.window_days} days")
    if isinstance(metric, DerivedMetric):
        facts.append(f"formula: {metric.formula}")
    if isinstance(metric, RankMetric):
        facts.append(f"ranks {metric.by} on {metric.of} within {metric.group or 'everyone'} per {metric.period}")
    return facts

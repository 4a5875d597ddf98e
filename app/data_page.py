"""Data page (analysts, admins): import CRM exports, see what would be quarantined and
why, import in one transaction, and check how fresh every table is.

A thin page over scorecard.ingest: it never builds SQL and never parses a file itself.
The preview is a dry run of the same import, kept in session state per set of files,
mapping and options, so confirming writes exactly what was previewed (re-checked
against the database inside the import's transaction).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from app import auth, chrome, context, tables
from app.text import plain
from scorecard import ingest
from scorecard.catalog.load import Catalog
from scorecard.ingest import builder
from scorecard.judge import readiness
from scorecard.judge.readiness import Readiness
from scorecard.language.formatting import MISSING
from scorecard.language.settings import Locale
from scorecard.present import frames
from scorecard.present.charts import quality
from scorecard.store import config
from scorecard.store.db import Database, DatabaseError

PREVIEW_ROWS = 200
FILE_TYPES = ["csv", "tsv", "txt", "xlsx"]


def render() -> None:
    """Draw the Data page (admins only: the navigation hides it from everyone else)."""
    auth.require("import_data")
    st.header("Data")
    st.caption("Bring your own CRM data: CSV or XLSX exports, mapped by a preset or your own mapping.")
    db = Database.open(config.database_target())
    presence = db.status()
    if presence.kind in ("foreign", "unreachable"):
        chrome.database_problem(presence.reason)
        return
    try:
        imports, supports, freshness = st.tabs(["Import", "What your data supports", "Freshness and loads"])
        with imports:
            _import_section(db)
        with supports:
            _readiness_section(db)
        with freshness:
            _status_section(db)
    finally:
        db.dispose()


# --- import -----------------------------------------------------------------------------------------


NOT_MAPPED = "(not mapped)"


def _built_mapping(files: list[ingest.SourceFile], files_key: str, timezone: str) -> tuple[ingest.Mapping | None, str]:
    """A mapping proposed from the uploaded files; every column's header can be changed."""
    if not files:
        st.info("Upload the exports above: a mapping is proposed from their headers and values.")
        return None, ""
    cached = st.session_state.get("data_proposal")
    if cached is None or cached[0] != files_key:
        try:
            with st.spinner("Reading the files..."):
                proposals, raws = builder.propose(files)
        except ingest.IngestError as exc:
            st.error("The files cannot be read:\n\n" + "\n".join(f"- {p}" for p in exc.problems))
            return None, ""
        cached = (files_key, proposals, raws)
        st.session_state["data_proposal"] = cached
    _, proposals, raws = cached
    chosen: list[builder.SourceProposal] = []
    for i, (proposal, raw) in enumerate(zip(proposals, raws, strict=True)):
        why = proposal.recognised or "read from its headers and values"
        with st.expander(f"{proposal.file} -> {proposal.table} ({why})", expanded=not proposal.recognised):
            st.dataframe(builder.samples_frame(proposal), hide_index=True)
            options = [NOT_MAPPED, *raw.headers]
            picks = st.columns(3)
            for j, column in enumerate(c for c in proposal.columns if c.header is not None):
                with picks[j % 3]:
                    header = st.selectbox(
                        column.target,
                        options,
                        index=options.index(column.header) if column.header in options else 0,
                        key=f"data_map_{i}_{column.target}",
                        help=f"Samples: {', '.join(column.samples) or 'none'}",
                    )
                if header != column.header:
                    proposal = proposal.with_header(column.target, None if header == NOT_MAPPED else header, raw)
        chosen.append(proposal)
    text = builder.mapping_yaml(chosen)
    st.download_button(
        "Save the mapping (YAML)", text, file_name="mapping.yaml", mime="application/x-yaml", key="data_map_save"
    )
    try:
        mapping = ingest.load_mapping_text(text, "proposed.yaml", timezone=timezone or None)
    except ingest.MappingError as exc:
        st.error("The mapping needs a change:\n\n" + "\n".join(f"- {issue}" for issue in exc.issues))
        return None, ""
    return mapping, "built:" + hashlib.sha256(f"{text}|{timezone}".encode()).hexdigest()


def _mapping_choice(files: list[ingest.SourceFile], files_key: str) -> tuple[ingest.Mapping | None, str]:
    """The mapping the user picked (a preset, an uploaded YAML or one built from the files) and its key."""
    how = st.radio(
        "Mapping", ["Preset", "My mapping file", "Build one from the files"], horizontal=True, key="data_mapping_kind"
    )
    timezone = st.text_input(
        "Time zone of times in the files",
        value="",
        placeholder="e.g. America/New_York (blank: the mapping's, else UTC)",
        key="data_timezone",
    ).strip()
    if how == "Build one from the files":
        return _built_mapping(files, files_key, timezone)
    try:
        if how == "Preset":
            name = st.selectbox("Preset", ingest.preset_names(), key="data_preset")
            if name is None:
                return None, ""
            return ingest.load_preset(name, timezone=timezone or None), f"preset:{name}:{timezone}"
        upload = st.file_uploader("Mapping (YAML)", type=["yaml", "yml"], key="data_mapping_file")
        if upload is None:
            st.info("Upload a mapping file; examples/mapping.example.yaml documents the language.")
            return None, ""
        try:
            text = upload.getvalue().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            st.error(f"The mapping is not UTF-8 text ({plain(exc.reason)} at byte {exc.start:,}).")
            return None, ""
        digest = hashlib.sha256(text.encode()).hexdigest()
        return ingest.load_mapping_text(text, upload.name, timezone=timezone or None), f"file:{digest}:{timezone}"
    except ingest.MappingError as exc:
        st.error("The mapping has problems:\n\n" + "\n".join(f"- {chrome.code(issue)}" for issue in exc.issues))
        return None, ""


def _source_files(uploads: Sequence[Any]) -> tuple[list[ingest.SourceFile], str]:
    files = [ingest.SourceFile.from_bytes(u.name, u.getvalue()) for u in uploads]
    key = "|".join(f"{f.name}:{hashlib.sha256(f.data or b'').hexdigest()}" for f in files)
    return files, key


def _import_section(db: Database) -> None:
    # A new uploader after each import: the imported files leave the page, so their
    # preview (now all "unchanged") does not invite a second import.
    round_ = int(st.session_state.get("data_upload_round", 0))
    uploads = st.file_uploader(
        "CRM exports (CSV, TSV or XLSX)", type=FILE_TYPES, accept_multiple_files=True, key=f"data_files_{round_}"
    )
    files, files_key = _source_files(uploads or [])
    mapping, mapping_key = _mapping_choice(files, files_key)
    if mapping is not None:
        # A date without a time of day is a calendar day in the catalog's time zone.
        served = context.catalog_state().catalog
        zone = served.calendar.timezone if served is not None else "UTC"
        mapping, mapping_key = mapping.for_calendar(zone), f"{mapping_key}|{zone}"
    strict = st.checkbox("Strict: import nothing if any row is bad", key="data_strict")
    last = st.session_state.get("data_last_import")
    if last is not None and not uploads:
        st.success(f"Imported {last.plan.accepted:,} rows (load {last.load_id}); every page now shows them.")
        _readiness_after_import(db)
        _show_result(last, heading="Last import")
    if not uploads or mapping is None:
        return
    preview_key = f"{db.display()}|{files_key}|{mapping_key}|{db.data_version() if db.exists() else 'empty'}"
    preview = st.session_state.get("data_preview")
    if preview is None or preview[0] != preview_key:
        try:
            with st.spinner("Checking the files..."):
                result = ingest.run_import(db, files, mapping, dry_run=True)
        except (ingest.IngestError, DatabaseError) as exc:
            st.error("The files cannot be imported:\n\n" + "\n".join(f"- {plain(p)}" for p in _problems(exc)))
            return
        st.session_state["data_preview"] = (preview_key, result)
    else:
        result = preview[1]
    _show_result(result, heading="Preview (nothing written yet)")
    plan = result.plan
    label = f"Import {plan.accepted:,} rows into {db.display()}"
    disabled = strict and plan.quarantined > 0
    if disabled:
        st.warning(f"Strict mode: {plan.quarantined:,} bad rows, so the import would write nothing.")
    if st.button(label, type="primary", disabled=disabled or plan.accepted == 0, key="data_confirm"):
        bar = st.progress(0.0, text="Importing...")

        def progress(what: str, done: int, total: int) -> None:
            bar.progress(min(1.0, done / total) if total else 1.0, text=what)

        try:
            who = auth.require("import_data").user_name  # the log records the signed-in person
            done = ingest.run_import(db, files, mapping, strict=strict, progress=progress, user=who)
        except (ingest.IngestError, DatabaseError) as exc:
            bar.empty()
            st.error("Nothing was imported:\n\n" + "\n".join(f"- {plain(p)}" for p in _problems(exc)))
            return
        bar.progress(1.0, text="Done")
        st.session_state["data_last_import"] = done
        st.session_state["data_upload_round"] = round_ + 1
        st.session_state.pop("data_preview", None)
        st.rerun()


@st.cache_data(show_spinner="Checking which metrics the data supports...", max_entries=16)
def _readiness_report(_db: Database, _catalog: Catalog, target: str, version: str, catalog_version: str) -> Readiness:
    return readiness.check(_db, _catalog)


def _readiness_after_import(db: Database) -> None:
    """Which scorecard metrics the data now supports, and what each of the others needs."""
    catalog = context.catalog()
    if catalog is None or not db.exists():
        return
    report = _readiness_of(db, catalog)
    ready, total = report.scorecard_counts()
    missing = report.scorecard_missing()
    st.markdown(f"**Your data supports {ready} of {total} scorecard metrics.**")
    _example_targets(report)
    if missing:
        with st.expander(f"What the other {len(missing)} need", expanded=True):
            st.markdown("\n".join(f"- **{plain(m.label)}**: {plain(m.reason)}" for m in missing))
        st.caption("The tab 'What your data supports' shows how filled each table and column is.")


def _problems(exc: Exception) -> list[str]:
    problems = getattr(exc, "problems", None)
    return list(problems) if problems else [str(exc)]


def _show_result(result: ingest.ImportResult, heading: str) -> None:
    plan = result.plan
    st.subheader(heading)
    cols = st.columns(3)
    cols[0].metric("Accepted rows", f"{plan.accepted:,}", border=True)
    cols[1].metric("Quarantined rows", f"{plan.quarantined:,}", border=True)
    cols[2].metric("Created (reps, accounts...)", f"{sum(plan.created.values()):,}", border=True)
    st.text("\n".join(result.summary()))
    slug = "last" if heading == "Last import" else "preview"
    for i, (report, frame) in enumerate(zip(plan.files, plan.previews, strict=True)):
        with st.expander(
            f"{plain(report.file)} -> {report.table}: {report.accepted:,} accepted (first {PREVIEW_ROWS})"
        ):
            st.dataframe(frame.head(PREVIEW_ROWS), hide_index=True, placeholder=MISSING)
            # The downloads hold every accepted row of the file as it will be stored, not just the first 200.
            tables.frame_downloads(frame, f"{slug}-{i + 1}-{report.table}")
    if not plan.quarantine.empty:
        st.markdown("**Quarantined rows and reasons** (row numbers as in the file: the header is row 1)")
        st.dataframe(plan.quarantine.head(1000), hide_index=True, placeholder=MISSING)
        # Every quarantined row (not only the first 1,000 shown), formula-like text neutralised.
        tables.frame_downloads(plan.quarantine, f"{slug}-quarantine")


# --- what the data supports ----------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _readiness(_db: Database, _catalog: Catalog, target: str, data_version: str, catalog_version: str) -> Readiness:
    return readiness.check(_db, _catalog)


def _readiness_of(db: Database, catalog: Catalog) -> Readiness:
    """The readiness report, computed once per database state and catalog (the import notice and the
    tab of the same run share it)."""
    return _readiness(db, catalog, db.display(), db.data_version(), catalog.version)


def _example_targets(report: Readiness) -> None:
    """While the targets are the shipped examples: say so, and which, and how to make them your own."""
    notice = report.example_notice()
    if notice:
        labels = ", ".join(plain(report.metrics[m].label) if m in report.metrics else m for m in report.example_targets)
        st.warning(f"{plain(notice)} Example targets: {labels}.", icon=":material/flag:")


def _readiness_section(db: Database) -> None:
    """`python -m scorecard doctor` on the page: which metrics the data supports, and what the rest need."""
    catalog = context.catalog()
    if catalog is None or not db.exists():
        st.caption("Import data (or build the demo) to see which metrics it supports.")
        return
    try:
        report = _readiness_of(db, catalog)
    except DatabaseError as exc:
        st.error(f"Cannot read the database: {exc}")
        return
    ready, total = report.scorecard_counts()
    others = " The others stay grey on every page, with what they need (below)." if ready < total else ""
    (st.success if ready == total else st.warning)(
        f"Your data supports {ready} of {total} scorecard metrics.{others}", icon=":material/fact_check:"
    )
    _example_targets(report)
    metrics, fill = frames.readiness_frames(report)
    missing = metrics[metrics["ready"] != "ready"]
    if len(missing):
        st.dataframe(
            missing[["metric", "needs"]],
            hide_index=True,
            width="stretch",
            column_config={"metric": "Metric", "needs": st.column_config.TextColumn("What it needs")},
        )
    st.markdown("**How filled each column the metrics read is**")
    st.altair_chart(quality.fill_chart(fill), width="stretch")
    if report.data_end is not None:
        st.caption(
            f"The data ends {report.data_end:%Y-%m-%d %H:%M} UTC; recent weeks of metrics that settle later "
            "are shown as provisional."
        )


# --- freshness and loads -------------------------------------------------------------------------------


def _locale() -> Locale:
    """The catalog's way of writing numbers (the default one while the catalog cannot be read)."""
    catalog = context.catalog()
    return catalog.locale if catalog is not None else Locale()


def _status_section(db: Database) -> None:
    if not db.exists():
        st.info(f"No data in {db.display()} yet: import files above, or run `python -m scorecard demo`.")
        return
    st.subheader("Freshness")
    fresh = frames.freshness_frame(ingest.freshness(db))
    st.dataframe(
        frames.table_styler(
            fresh,
            [
                ("table", "Table", None),
                ("rows", "Rows", "count"),
                ("latest", "Latest", None),
                ("from", "Latest of", None),
            ],
            locale=_locale(),
        ),
        hide_index=True,
        placeholder=MISSING,
        column_config={
            "Latest of": st.column_config.TextColumn(
                "Latest of", help="The time column the latest value comes from; – : the table has no times"
            )
        },
    )
    tables.frame_downloads(fresh, "freshness")
    st.subheader("Loads")
    history = ingest.load_history(db)
    if not history:
        st.caption("No loads recorded yet.")
        return
    loads = pd.DataFrame(
        [
            {
                "load": r.id,
                "when": frames.stamp_text(r.loaded_at),
                "kind": r.kind,
                "user": r.user,
                "files": ", ".join(r.files) or MISSING,
                "accepted": r.accepted,
                "quarantined": r.quarantined,
            }
            for r in history
        ]
    )
    st.dataframe(
        frames.table_styler(
            loads,
            [
                ("load", "Load", "rank"),
                ("when", "When (UTC)", None),
                ("kind", "Kind", None),
                ("user", "User", None),
                ("files", "Files", None),
                ("accepted", "Accepted", "count"),
                ("quarantined", "Quarantined", "count"),
            ],
            locale=_locale(),
        ),
        hide_index=True,
        placeholder=MISSING,
    )
    tables.frame_downloads(
        pd.DataFrame(
            [
                {
                    "load": r.id,
                    "when (UTC)": r.loaded_at,
                    "kind": r.kind,
                    "user": r.user,
                    "files": ", ".join(r.files),
                    "accepted": r.accepted,
                    "quarantined": r.quarantined,
                }
                for r in history
            ]  # fmt: skip
        ),
        "loads",
    )

"""Edit metrics.yaml in the app: live validation, a form, a preview of the effect, metric tests, save.

Thin over the core: `scorecard.catalog.check_text` validates (the same report as
`python -m scorecard validate`), `scorecard.yamledit` writes the form back keeping comments
and order, `scorecard.preview` computes the before/after numbers, `scorecard.metric_tests`
runs the tests, and `scorecard.history` saves atomically with conflict detection.

The draft lives in session state. The code editor is `st.text_area`: it works offline, is
driven by AppTest and a real browser alike, and commits its text when the analyst presses
Ctrl+Enter or leaves the field, which is when the draft is validated again (a natural
debounce: no validation per keystroke).
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from app import auth, context, queries, tables
from app.text import plain
from scorecard.access import policy as access
from scorecard.catalog import edit as yamledit
from scorecard.catalog.history import (
    ConflictError,
    History,
    HistoryError,
    ThreeWay,
    content_hash,
    default_author,
    unified_diff,
)
from scorecard.catalog.load import Catalog, check_text
from scorecard.judge import metric_tests, preview
from scorecard.language import periods as cal
from scorecard.language.definitions import WINDOWS
from scorecard.language.settings import Locale
from scorecard.language.yamlsource import Issue
from scorecard.present.charts import trends

DRAFT: Final = "editor_draft"
BASE: Final = "editor_base"
CONFLICT: Final = "editor_conflict"
SAVED: Final = "editor_saved"
WINDOW_WORDS: Final = {
    "week": "week",
    "4w": "4 weeks",
    "13w": "13 weeks",
    "mtd": "month to date",
    "qtd": "quarter to date",
}
WHOLE: Final = "Whole catalog"
ONE: Final = "One metric"


def can_edit_definitions() -> bool:
    """Whether the person using this session may save definitions (analysts and admins; in
    local mode, the one person at the machine): the roles of `scorecard.access`."""
    return access.can(auth.current(), "edit_definitions")


def author() -> str:
    """Who a save is recorded as: the signed-in person's address, else the OS user."""
    principal = auth.current()
    return principal.user_name if principal is not None else default_author()


# --- edit ------------------------------------------------------------------------------------


def render_edit(served: Catalog | None, history: History) -> None:
    """The Edit tab: text, problems, form, changes, preview, tests, save."""
    if not can_edit_definitions():
        st.info("Editing definitions is for analysts. You can browse them and their history.")
        return
    disk = history.disk_text()
    if BASE not in st.session_state:
        _load(disk)
    base: str = st.session_state[BASE]
    draft: str = st.session_state[DRAFT]
    saved = st.session_state.pop(SAVED, None)
    if saved:
        st.success(saved, icon=":material/check_circle:")
    if disk != base and st.session_state.get(CONFLICT) is None:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.warning(
                f"{history.path.name} changed on disk since you opened it (another analyst saved, or the file was "
                "edited). Saving now would be refused; load the current file first."
                + (" Your edits would be replaced." if draft != base else ""),
                icon=":material/sync_problem:",
            )
            st.button("Load the current file", key="editor_reload", on_click=_load, args=(disk,))

    scope = st.segmented_control("Edit", [WHOLE, ONE], key="editor_scope", default=WHOLE, required=True)
    if scope == ONE:
        names = yamledit.metric_names(draft)
        if not names:
            st.warning("The text does not parse, so no single metric can be picked: edit the whole catalog.")
            _whole(draft)
        else:
            _one_metric(draft, names)
    else:
        _whole(draft)
    draft = st.session_state[DRAFT]

    proposed, issues = check_text(draft, history.path.name)
    _problems(issues)
    if proposed is not None:
        _form(draft, proposed)
        draft = st.session_state[DRAFT]
        proposed, issues = check_text(draft, history.path.name)

    conflict = st.session_state.get(CONFLICT)
    if conflict is not None:
        _conflict(base, draft, conflict)

    if draft == base:
        st.caption("No changes yet: edit the YAML or use the form.")
        return
    with st.expander("What changed in the text", icon=":material/difference:"):
        st.code(unified_diff(base, draft, "loaded", "yours") or "(nothing)", language="diff", wrap_lines=True)
    failing: list[metric_tests.TestResult] = []
    if proposed is not None and served is not None:
        failing = _preview_and_tests(served, proposed)
    _save(history, base, draft, errors=[i for i in issues if i.severity == "error"], failing=failing)


def _load(text: str) -> None:
    st.session_state[BASE] = text
    st.session_state[DRAFT] = text
    st.session_state[CONFLICT] = None
    for key in ("editor_yaml", "editor_block"):
        st.session_state.pop(key, None)


def _whole(draft: str) -> None:
    st.session_state["editor_yaml"] = draft
    st.text_area(
        "metrics.yaml",
        key="editor_yaml",
        height=480,
        on_change=_from_whole,
        help="Checked when you press Ctrl+Enter or leave the field.",
    )


def _from_whole() -> None:
    st.session_state[DRAFT] = st.session_state["editor_yaml"]


def _one_metric(draft: str, names: list[str]) -> None:
    name = st.selectbox("Metric", names, key="editor_metric")
    assert name is not None
    st.session_state["editor_block"] = yamledit.metric_block(draft, name)
    st.text_area(
        f"{name} in metrics.yaml",
        key="editor_block",
        height=360,
        on_change=_from_block,
        args=(name,),
        help="Only this metric's item; the rest of the file is kept as it is.",
    )


def _from_block(name: str) -> None:
    try:
        st.session_state[DRAFT] = yamledit.replace_metric_block(
            st.session_state[DRAFT], name, st.session_state["editor_block"]
        )
    except yamledit.EditError as exc:
        st.toast(f"Not applied: {plain(exc)}", icon=":material/error:")


def _problems(issues: list[Issue]) -> None:
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity != "error"]
    if errors:
        st.error(
            f"**{len(errors)} problem(s)**: the catalog would not load, so it cannot be saved.\n\n"
            + "\n".join(f"- line {i.line}: {plain(_issue_text(i))}" for i in errors),
            icon=":material/error:",
        )
    else:
        st.success("Valid: the same check as `python -m scorecard validate`.", icon=":material/check:")
    if warnings:
        st.warning("\n".join(f"- line {i.line}: {plain(_issue_text(i))}" for i in warnings))


def _issue_text(issue: Issue) -> str:
    return (f"metric {issue.metric}: " if issue.metric else "") + issue.message


def _form(draft: str, proposed: Catalog) -> None:
    with st.expander("Form: the common fields of one metric", icon=":material/edit_note:"):
        name = st.selectbox(
            "Metric",
            list(proposed.metrics),
            key="form_metric",
            format_func=lambda n: f"{proposed.metrics[n].label}  ({n})",
        )
        if name is None:
            return
        fields = yamledit.metric_fields(draft, name)
        metric = proposed.metrics[name]
        with st.form(f"form_{name}", border=False):
            label = st.text_input("Label", fields.label)
            description = st.text_area("Description (why both teams own it)", fields.description, height=100)
            owners = st.multiselect("Owners", ["marketing", "sales"], list(fields.owners))
            min_sample = st.number_input("Minimum sample", min_value=0, value=fields.min_sample, step=1)
            window = st.segmented_control(
                "Window (what one value covers on the scorecard)",
                list(WINDOWS),
                default=fields.window if fields.window in WINDOWS else "week",
                required=True,
                format_func=lambda w: WINDOW_WORDS.get(w, w),
            )
            better = "higher" if metric.direction == "higher_is_better" else "lower"
            has_target = st.checkbox("Has a target", fields.green is not None)
            left, right = st.columns(2)
            green = left.number_input(
                f"Green when {better} than or equal to", value=fields.green or 0.0, format="%g", key=f"green_{name}"
            )
            amber = right.number_input(
                f"Amber when {better} than or equal to", value=fields.amber or 0.0, format="%g", key=f"amber_{name}"
            )
            st.caption(f"Values in the metric's own unit ({metric.format}; a percent is written 0.3 for 30%).")
            example = fields.example and st.checkbox(
                "Example target (shipped with the catalog, not yet ours)",
                True,
                key=f"example_{name}",
                help="On imported data an example target judges nothing. Untick to confirm these thresholds as "
                "your company's own (changing them confirms them too).",
            )
            if st.form_submit_button("Apply to the YAML", icon=":material/input:"):
                changed = yamledit.MetricFields(
                    label=label,
                    description=description,
                    owners=tuple(owners),
                    min_sample=int(min_sample),
                    green=float(green) if has_target else None,
                    amber=float(amber) if has_target else None,
                    window=str(window or "week"),
                    example=bool(example),
                )
                st.session_state[DRAFT] = yamledit.set_metric_fields(draft, name, changed)
                st.session_state.pop("editor_yaml", None)
                st.rerun()


# --- preview and tests -------------------------------------------------------------------------


def _preview_and_tests(served: Catalog, proposed: Catalog) -> list[metric_tests.TestResult]:
    """Draw the before/after numbers and the tests; return the tests the proposal fails."""
    found = preview.changes(served, proposed)
    try:
        db, ctx = context.open_for(served)
    except Exception as exc:  # noqa: BLE001 - no database: the text can still be saved
        st.info(f"No preview: the database cannot be opened ({exc}).")
        return []
    if ctx is None:
        st.info("No preview: the database holds no Scorecard data yet.")
        return []
    week = cal.last_complete_week(proposed.calendar)
    st.markdown(f"#### Preview: current and proposed, the weeks to {week.label}")
    if not found.any:
        st.caption("No metric's definition changes (only comments, layout or other sections).")
    else:
        with st.spinner("Computing both definitions…"):
            previews = queries.preview_of(ctx, proposed, week)
        _previews(previews, proposed.locale)
    results = queries.tests_of(ctx, proposed) if proposed.tests else []
    failing = [r for r in results if not r.passed]
    if results:
        title = f"Metric tests on the proposal: {metric_tests.summary(results)}"
        with st.expander(title, expanded=bool(failing), icon=":material/fact_check:"):
            st.code("\n".join(str(r) for r in results), language=None, wrap_lines=True)
    return failing


def _previews(previews: list[preview.MetricPreview], proposed_locale: Locale) -> None:
    recoloured = [p for p in previews if p.weeks_changing_colour]
    if recoloured:
        st.warning(
            "**Targets change colour:** "
            + "; ".join(
                f"{p.label}: {len(p.weeks_changing_colour)} of {len(p.weeks)} weeks"
                + (f" (this week {p.status_before} → {p.status_after})" if p.colour_changes else "")
                for p in recoloured
            ),
            icon=":material/palette:",
        )
    for item in previews:
        why = {
            "changed": "definition changed",
            "added": "new metric",
            "removed": "removed",
            "depends": f"depends on {', '.join(item.because)}",
        }[item.reason]
        st.markdown(f"**{item.label}** (`{item.metric}`) · {why}")
        if item.note:
            st.caption(item.note)
        if not item.weeks:
            continue
        frame = item.frame()
        left, right = st.columns([3, 2])
        with left:
            chart = trends.compare_chart(frame, title=item.label, unit=item.format, locale=proposed_locale)
            st.altair_chart(chart, width="stretch")
        with right:
            columns: list[tuple[str, str, str | None]] = [
                ("week", "Week", None),
                ("current", "Current", item.format),
                ("proposed", "Proposed", item.format),
            ]
            if "colour now" in frame:
                columns += [("colour now", "Colour now", None), ("colour proposed", "Proposed colour", None)]
            tables.table(frame, columns, name=f"preview-{item.metric}", locale=proposed_locale, height=300)


# --- save and conflicts ------------------------------------------------------------------------


def _save(history: History, base: str, draft: str, errors: list[Issue], failing: list[metric_tests.TestResult]) -> None:
    st.markdown("#### Save")
    who = author()
    message = st.text_input(
        "What changed and why (required)", key="editor_message", placeholder="e.g. sales-accept target to 45%"
    )
    override = False
    if failing:
        st.warning(
            f"This change breaks {len(failing)} metric test(s): {', '.join(r.name for r in failing)}.",
            icon=":material/gpp_maybe:",
        )
        override = st.checkbox("Save anyway (recorded in the version's message)", key="editor_override")
    blocked = bool(errors) or not message.strip() or (bool(failing) and not override)
    why = (
        "fix the problems above first" if errors
        else "write a message first" if not message.strip()
        else "the change breaks metric tests" if failing and not override
        else f"saved as {who}"
    )  # fmt: skip
    if st.button("Save", key="editor_save", type="primary", disabled=blocked, icon=":material/save:", help=why):
        note = message.strip()
        if failing:
            note += f" [saved with failing metric tests: {', '.join(r.name for r in failing)}]"
        try:
            version = history.save(draft, note, who, content_hash(base))
        except ConflictError as exc:
            st.session_state[CONFLICT] = exc.theirs
            st.rerun()
        except HistoryError as exc:  # an invalid catalog, no change, an unreadable history
            st.error(plain(exc))
        else:
            st.session_state[BASE] = draft
            st.session_state[CONFLICT] = None
            st.session_state.pop("editor_message", None)
            st.session_state[SAVED] = (
                f"Saved as {version.label} by {version.author}. Every page uses it from its next run."
            )
            st.rerun()
    st.caption(why[0].upper() + why[1:] + ".")


def _conflict(base: str, draft: str, theirs: str) -> None:
    both = ThreeWay.of(base, draft, theirs)
    st.error(
        "**Not saved: the file changed since you loaded it** (another analyst saved, or it was edited or pulled). "
        "Your text is kept here. Compare both changes, then either load the current file and redo your change, "
        "or keep your text and save it over theirs.",
        icon=":material/merge_type:",
    )
    if both.merged is None:
        st.warning("Both changes touch the same or neighbouring lines: decide which to keep.")
    mine, other = st.columns(2)
    with mine:
        st.markdown("**Your change** (from the version you loaded)")
        st.code(both.mine or "(none)", language="diff", wrap_lines=True)
    with other:
        st.markdown("**Their change** (the file on disk now)")
        st.code(both.theirs or "(none)", language="diff", wrap_lines=True)
    with st.container(horizontal=True):
        if both.merged is not None:
            st.button(
                "Merge both changes into my text",
                key="conflict_merge",
                type="primary",
                on_click=_take_merge,
                args=(theirs, both.merged),
                help="They touch different lines: your text gets their change too; check it, then save.",
            )
        st.button("Load the current file (drop my text)", key="conflict_load", on_click=_load, args=(theirs,))
        st.button("Keep my text; save over theirs", key="conflict_keep", on_click=_keep_mine, args=(theirs,))


def _take_merge(theirs: str, merged: str) -> None:
    st.session_state[BASE] = theirs
    st.session_state[DRAFT] = merged
    st.session_state[CONFLICT] = None


def _keep_mine(theirs: str) -> None:
    st.session_state[BASE] = theirs
    st.session_state[CONFLICT] = None


# --- history -----------------------------------------------------------------------------------


def render_history(history: History) -> None:
    """The History tab: every version, a diff between any two, revert to any one."""
    try:
        versions = history.versions()
    except HistoryError as exc:
        st.error(plain(exc))
        return
    st.caption(
        f"Every saved version is kept in `{history.folder.name}/` beside {history.path.name}, readable without the "
        "app (`python -m scorecard history`, `diff`, `revert`)."
    )
    if not versions:
        st.info("No saved versions yet: the first save also records the file as it was.")
        return
    disk_hash = history.disk_hash()
    frame = pd.DataFrame(
        [
            {
                "Version": v.label,
                "Time (UTC)": v.time.replace("T", " ").removesuffix("Z"),
                "Author": v.author,
                "Message": v.message,
                "On disk now": v.sha256 == disk_hash and v is versions[-1],
            }
            for v in reversed(versions)
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    labels = [v.label for v in reversed(versions)]
    options = ["current", *labels]
    left, right = st.columns(2)
    old = left.selectbox("Compare", labels, index=min(1, len(labels) - 1), key="history_old")
    new = right.selectbox("with", options, index=0, key="history_new")
    if old and new:
        diff = history.diff(int(old[1:]), new if new == "current" else int(new[1:]))
        st.code(diff or f"{old} and {new} are the same.", language="diff", wrap_lines=True)
    if not can_edit_definitions():
        return
    with st.form("revert_form", border=True):
        st.markdown("**Revert**: make an earlier version current again (recorded as a new version)")
        target = st.selectbox("Version", labels, key="revert_version")
        message = st.text_input("Why (required)", key="revert_message")
        if st.form_submit_button("Revert", icon=":material/undo:") and target:
            try:
                version = history.revert(int(target[1:]), message, author(), disk_hash)
            except HistoryError as exc:
                st.error(plain(exc))
            else:
                _load(history.disk_text())
                st.session_state[SAVED] = f"Reverted: now {version.label} ({version.message})."
                st.success(st.session_state[SAVED])
                st.rerun()

"""The definitions editor (Metric definitions → Edit, History) driven with AppTest on a copy of metrics.yaml.

Edit, an invalid edit (every problem listed, save disabled), the form, preview, save,
a conflict with another analyst's save, and revert; all against the session's demo database.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.catalog.history import History, content_hash, default_author
from scorecard.store.config import DEFAULT_METRICS
from tests.fixtures.dashboard import PageRunner

OLD_TARGET = "target: {green: 0.5, amber: 0.35, example: true}"
NEW_TARGET = "target: {green: 0.45, amber: 0.3}"


@pytest.fixture
def catalog(dashboard_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "metrics.yaml"
    shutil.copy(DEFAULT_METRICS, path)
    monkeypatch.setenv("SCORECARD_METRICS", str(path))
    return path


def values(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in app.get(kind)]


def ok(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    return app


def edit(app: AppTest, text: str) -> AppTest:
    return ok(app.text_area(key="editor_yaml").input(text).run())


def save(app: AppTest, message: str) -> AppTest:
    ok(app.text_input(key="editor_message").input(message).run())
    assert not app.button(key="editor_save").disabled
    return ok(app.button(key="editor_save").click().run())


def test_invalid_edit_lists_every_problem_and_disables_save(open_page: PageRunner, catalog: Path) -> None:
    app = ok(open_page("definitions"))
    original = catalog.read_text()
    broken = (
        original.replace("direction: higher_is_better", "direction: up", 1)
        .replace("of: leads\n", "of: leadz\n", 1)
        .replace(OLD_TARGET, "target: {green: 0.3, amber: 0.35}")
    )
    edit(app, broken)
    errors = [e.replace("\\", "") for e in values(app, "error")]
    assert errors and errors[0].startswith("**3 problem(s)**")
    lines = broken.splitlines()
    leadz = lines.index("    of: leadz") + 1
    assert f"- line {leadz}: metric leads_created: unknown table 'leadz'; did you mean 'leads'?" in errors[0]
    assert "direction" in errors[0] and "thresholds in the wrong order" in errors[0]
    ok(app.text_input(key="editor_message").input("try").run())
    assert app.button(key="editor_save").disabled
    assert catalog.read_text() == original


def test_edit_preview_save_and_every_page_uses_it(open_page: PageRunner, catalog: Path) -> None:
    app = ok(open_page("definitions"))
    edit(app, catalog.read_text().replace(OLD_TARGET, NEW_TARGET))
    markdown = values(app, "markdown")
    assert any(m.startswith("#### Preview: current and proposed, the weeks to ") for m in markdown)
    assert "**Sales-accept rate** (`sales_accept_rate`) · definition changed" in markdown
    # the side-by-side table: same values under both definitions, colours judged against each target
    tables = [t.value for t in app.dataframe if "Proposed colour" in t.value.columns]
    assert len(tables) == 1 and len(tables[0]) >= 12  # the scorecard's trend (plus any unsettled weeks)
    table = tables[0]
    assert list(table["Week"]) == sorted(table["Week"])
    assert (table["Current"].fillna(-1) == table["Proposed"].fillna(-1)).all()
    for _, row in table.iterrows():
        if row["Current"] == row["Current"]:  # not NaN: judge by hand against old and new thresholds
            share = row["Current"]  # tables keep a share as a share (0.44), shown as "44.0%"
            assert row["Colour now"] == ("green" if share >= 0.5 else "amber" if share >= 0.35 else "red")
            assert row["Proposed colour"] == ("green" if share >= 0.45 else "amber" if share >= 0.3 else "red")
    assert any("metric tests on the proposal" in e.label.lower() for e in app.expander)
    save(app, "sales-accept target to 45%")
    assert any(s.startswith("Saved as v2 by ") for s in values(app, "success"))
    assert NEW_TARGET in catalog.read_text()
    index = json.loads((catalog.parent / ".metrics-history" / "index.json").read_text())
    assert [v["message"] for v in index["versions"]] == [
        "the file as found before its first save",
        "sales-accept target to 45%",
    ]
    # live everywhere: a new session reads the saved catalog without a restart
    other = ok(open_page("definitions", metric="sales_accept_rate"))
    assert NEW_TARGET in "\n".join(values(other, "code"))


def test_form_writes_back_keeping_comments(open_page: PageRunner, catalog: Path) -> None:
    app = ok(open_page("definitions"))
    original = catalog.read_text()
    app.selectbox(key="form_metric").select("bookings").run()
    # a form: set every field, then submit once
    next(c for c in app.checkbox if c.label == "Has a target").check()
    inputs = {w.label: w for w in app.get("number_input")}
    inputs["Green when higher than or equal to"].set_value(100000)
    inputs["Amber when higher than or equal to"].set_value(50000)
    ok(next(b for b in app.get("form_submit_button") if b.label == "Apply to the YAML").click().run())
    draft = app.text_area(key="editor_yaml").value
    assert draft is not None
    added = [line for line in draft.splitlines() if line not in original.splitlines()]
    assert added == ["    target: {green: 100000, amber: 50000}"]
    assert [line for line in original.splitlines() if line not in draft.splitlines()] == []
    assert "# Metric tests: checks on the values" in draft  # comments kept


def test_form_confirms_an_example_target(open_page: PageRunner, catalog: Path) -> None:
    """Unticking "Example target" keeps the thresholds and takes the example mark off: the target is
    the company's own from then on, and judges imported data."""
    app = ok(open_page("definitions"))
    original = catalog.read_text()
    app.selectbox(key="form_metric").select("sales_accept_rate").run()
    box = next(c for c in app.checkbox if c.label.startswith("Example target"))
    assert box.value is True
    box.uncheck()
    ok(next(b for b in app.get("form_submit_button") if b.label == "Apply to the YAML").click().run())
    draft = app.text_area(key="editor_yaml").value
    assert draft == original.replace(OLD_TARGET, "target: {green: 0.5, amber: 0.35}")


def test_conflict_keeps_my_text_and_shows_both_changes(open_page: PageRunner, catalog: Path) -> None:
    app = ok(open_page("definitions"))
    original = catalog.read_text()
    mine = original.replace(OLD_TARGET, NEW_TARGET)
    edit(app, mine)
    theirs = original.replace("min_sample: 30", "min_sample: 40", 1)
    History(catalog).save(theirs, "another analyst", "bo", content_hash(original))
    save(app, "my change")
    assert catalog.read_text() == theirs
    assert any(e.startswith("**Not saved: the file changed since you loaded it**") for e in values(app, "error"))
    codes = values(app, "code")
    assert any("+    " + NEW_TARGET in c for c in codes) and any("+    min_sample: 40" in c for c in codes)
    assert app.text_area(key="editor_yaml").value == mine  # nothing lost
    ok(app.button(key="conflict_merge").click().run())  # different lines: both changes can be kept
    assert app.text_area(key="editor_yaml").value == theirs.replace(OLD_TARGET, NEW_TARGET)
    save(app, "my change, with theirs")
    assert catalog.read_text() == theirs.replace(OLD_TARGET, NEW_TARGET)
    assert [v.author for v in History(catalog).versions()][-2:] == ["bo", default_author()]


def test_conflict_on_the_same_line_keeps_mine_only_when_asked(open_page: PageRunner, catalog: Path) -> None:
    app = ok(open_page("definitions"))
    original = catalog.read_text()
    mine = original.replace(OLD_TARGET, NEW_TARGET)
    edit(app, mine)
    theirs = original.replace(OLD_TARGET, "target: {green: 0.6, amber: 0.4}")
    History(catalog).save(theirs, "another analyst", "bo", content_hash(original))
    save(app, "my change")
    assert catalog.read_text() == theirs
    assert not any(b.key == "conflict_merge" for b in app.button)
    ok(app.button(key="conflict_keep").click().run())
    save(app, "my change, over theirs")
    assert catalog.read_text() == mine


def test_history_diff_and_revert(open_page: PageRunner, catalog: Path) -> None:
    original = catalog.read_text()
    History(catalog).save(original.replace(OLD_TARGET, NEW_TARGET), "lower the bar", "ana", content_hash(original))
    app = ok(open_page("definitions"))
    table = next(t.value for t in app.dataframe if "Version" in t.value.columns)
    assert list(table["Version"]) == ["v2", "v1"] and list(table["Author"])[0] == "ana"
    diff = next(c for c in values(app, "code") if c.startswith("--- v1\n+++ current"))
    assert "-    " + OLD_TARGET in diff and "+    " + NEW_TARGET in diff
    app.selectbox(key="revert_version").select("v1")
    app.text_input(key="revert_message").input("the old bar was right")
    ok(next(b for b in app.get("form_submit_button") if b.label == "Revert").click().run())
    assert catalog.read_text() == original
    last = History(catalog).versions()[-1]
    assert last.number == 3 and last.reverts == 1 and last.message == "revert to v1: the old bar was right"


def test_a_change_that_breaks_a_metric_test_needs_an_override_recorded_in_the_message(
    open_page: PageRunner, catalog: Path
) -> None:
    app = ok(open_page("definitions"))
    original = catalog.read_text()
    # no lead has a null creation time, so the last complete week would have no leads
    broken = original.replace(
        "    of: leads\n    time: created_at\n    format: count\n",
        '    of: leads\n    filter: "created_at is null"\n    time: created_at\n    format: count\n',
        1,
    )
    assert broken != original
    edit(app, broken)
    warnings = values(app, "warning")
    assert any("This change breaks 1 metric test(s): recent_week_has_leads." in w for w in warnings), warnings
    ok(app.text_input(key="editor_message").input("only undated leads").run())
    assert app.button(key="editor_save").disabled
    ok(app.checkbox(key="editor_override").check().run())
    ok(app.button(key="editor_save").click().run())
    assert catalog.read_text() == broken
    assert History(catalog).versions()[-1].message == (
        "only undated leads [saved with failing metric tests: recent_week_has_leads]"
    )


def test_edit_one_metric_block_keeps_the_rest_of_the_file(open_page: PageRunner, catalog: Path) -> None:
    app = ok(open_page("definitions"))
    original = catalog.read_text()
    ok(app.get("button_group")[0].set_value("One metric").run())
    ok(app.selectbox(key="editor_metric").select("win_rate").run())
    block = app.text_area(key="editor_block").value
    assert block is not None and block.startswith("  - name: win_rate\n")
    assert "target: {green: 0.3, amber: 0.2, example: true}" in block
    edit_block = block.replace("target: {green: 0.3, amber: 0.2, example: true}", "target: {green: 0.35, amber: 0.25}")
    ok(app.text_area(key="editor_block").input(edit_block).run())
    assert any(e.startswith("**Win rate** (`win_rate`) · definition changed") for e in values(app, "markdown"))
    save(app, "win rate bar up")
    assert catalog.read_text() == original.replace(
        "target: {green: 0.3, amber: 0.2, example: true}", "target: {green: 0.35, amber: 0.25}"
    )


AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-long-enough",
    "client_id": "scorecard",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def _dashboard(root: str, page: str) -> None:
    import sys

    if root not in sys.path:
        sys.path.insert(0, root)
    import dashboard

    dashboard.main(default=page)


def test_only_analysts_edit_and_a_save_records_the_signed_in_address(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fixtures.dashboard import ROOT

    access = tmp_path / "access.yaml"
    access.write_text(
        'users:\n  - {email: ana@example.com, role: analyst}\n  - {email: "*@example.com", role: executive}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SCORECARD_ACCESS", str(access))

    def as_user(email: str) -> AppTest:
        app = AppTest.from_function(_dashboard, args=(str(ROOT), "definitions"), default_timeout=60)
        app.secrets["auth"] = AUTH
        app.user = {"is_logged_in": True, "email": email, "name": email}
        return ok(app.run())

    boss = as_user("exec@example.com")
    assert "Editing definitions is for analysts. You can browse them and their history." in values(boss, "info")
    assert not any(t.key == "editor_yaml" for t in boss.text_area)
    ana = as_user("ana@example.com")
    edit(ana, catalog.read_text().replace(OLD_TARGET, NEW_TARGET))
    save(ana, "sales-accept target to 45%")
    assert History(catalog).versions()[-1].author == "ana@example.com"

"""Sign-in and access in the dashboard (AppTest): who gets in, which pages they see, which rows.

Signed-in runs give AppTest an `[auth]` secrets section and an `st.user`; expected numbers
come from SQL written here against the demo database, not from the engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from scorecard.language.settings import Calendar
from scorecard.present import views
from tests.fixtures.dashboard import ROOT

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-long-enough",
    "client_id": "scorecard",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ACCESS = """\
users:
  - {email: boss@example.com, role: admin}
  - {email: ana@example.com, role: analyst}
  - {email: lena@example.com, role: team_lead, scope: {region: [EMEA]}}
  - {email: "*@example.com", role: executive}
"""

Runner = Callable[..., AppTest]


def _dashboard(root: str, page: str) -> None:
    import sys

    if root not in sys.path:
        sys.path.insert(0, root)
    import dashboard

    dashboard.main(default=page)


@pytest.fixture
def access_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(ACCESS, encoding="utf-8")
    monkeypatch.setenv("SCORECARD_ACCESS", str(path))
    return path


@pytest.fixture
def signed_in(dashboard_db: Path, access_file: Path) -> Runner:
    """signed_in("lena@example.com", "scorecard", region="NA") -> the dashboard run as that person."""

    def run(email: str | None, page: str = "scorecard", **query: str | list[str]) -> AppTest:
        app = AppTest.from_function(_dashboard, args=(str(ROOT), page), default_timeout=60)
        app.secrets["auth"] = AUTH
        app.user = {"is_logged_in": False} if email is None else {"is_logged_in": True, "email": email, "name": email}
        for key, value in query.items():
            app.query_params[key] = value
        return app.run()

    return run


def texts(app: AppTest, kind: str) -> list[str]:
    """Element texts as a reader sees them (markdown escapes and the invisible word joiner that keeps
    an address from becoming a link removed)."""
    return [str(e.value).replace("\\", "").replace("\u2060", "") for e in getattr(app, kind)]


def everything(app: AppTest) -> str:
    return " ".join(texts(app, kind) for kind in ("markdown", "caption", "error", "info", "warning", "title"))


def page_titles(app: AppTest) -> list[str]:
    return [str(t.value) for t in app.title]


def leads_created(db: Path, week: str, region: str | None) -> int:
    """Leads created in an ISO week (Monday start, UTC), counted with SQL written for this test."""
    year, number = int(week[:4]), int(week[-2:])
    monday = dt.date.fromisocalendar(year, number, 1)
    where = "created_at >= ? and created_at < ?" + (" and region = ?" if region else "")
    params: list[object] = [monday, monday + dt.timedelta(days=7), *([region] if region else [])]
    with duckdb.connect(str(db), read_only=True) as conn:
        row = conn.execute(f"select count(*) from leads where {where}", params).fetchone()
    assert row is not None
    return int(row[0])


def card(app: AppTest, label: str) -> int:
    for metric in app.metric:
        if metric.label == label:
            return int(re.sub(r"[^0-9]", "", str(metric.value)))
    raise AssertionError(f"no card {label!r}: {[m.label for m in app.metric]}")


# --- local mode ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("dashboard_db")
def test_local_mode_says_so_on_every_page_and_grants_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORECARD_ACCESS", raising=False)
    for page in ("scorecard", "explore", "ranking", "lead-quality", "definitions", "data", "access"):
        app = AppTest.from_function(_dashboard, args=(str(ROOT), page), default_timeout=60).run()
        assert not app.exception, [e.value for e in app.exception]
        notice = [c for c in texts(app.sidebar, "caption") if "Local single-user mode" in c]
        assert notice and "this machine only" in notice[0] and "`localhost`" in notice[0], page
    assert "Access" in page_titles(app)
    # The Access page (the last one): with no access file, nothing is wrong in local mode.
    assert not (ROOT / "access.yaml").exists()
    assert not texts(app, "error"), texts(app, "error")
    assert any("There is no access file yet" in t for t in texts(app, "info")), texts(app, "info")


@pytest.fixture
def listening_everywhere() -> Iterator[None]:
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        yield
    finally:
        st_config.set_option("server.address", before)


@pytest.mark.usefixtures("dashboard_db", "listening_everywhere")
def test_local_mode_refuses_to_serve_beyond_this_machine() -> None:
    app = AppTest.from_function(_dashboard, args=(str(ROOT), "scorecard"), default_timeout=60).run()
    assert not app.exception
    assert "serves this machine only" in texts(app, "error")[0]
    assert "--server.address localhost" in texts(app, "error")[0]
    assert not app.metric, "no numbers are served"


# --- signed in ----------------------------------------------------------------------------------


def test_signed_out_visitors_see_only_the_sign_in_button(signed_in: Runner) -> None:
    app = signed_in(None)
    assert not app.exception
    assert [b.label for b in app.button] == ["Sign in"]
    assert not app.metric and not app.multiselect


def test_named_providers_each_get_a_button(signed_in: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    app = AppTest.from_function(_dashboard, args=(str(ROOT), "scorecard"), default_timeout=60)
    app.secrets["auth"] = {
        "redirect_uri": AUTH["redirect_uri"],
        "cookie_secret": AUTH["cookie_secret"],
        "google": {**AUTH, "label": "Google"},
        "microsoft": AUTH,
    }
    app.user = {"is_logged_in": False}
    app.run()
    assert [b.label for b in app.button] == ["Sign in with Google", "Sign in with Microsoft"]


def test_someone_not_in_the_access_file_is_refused(signed_in: Runner) -> None:
    app = signed_in("mallory@elsewhere.org")
    assert not app.exception
    assert "mallory@elsewhere.org is not in the access list" in texts(app, "error")[0]
    assert [b.label for b in app.button] == ["Sign out"]
    assert not app.metric


def test_a_broken_access_file_lets_nobody_in(signed_in: Runner, access_file: Path) -> None:
    access_file.write_text("users:\n  - {email: boss@example.com, role: emperor}\n", encoding="utf-8")
    app = signed_in("boss@example.com")
    assert "access list cannot be read" in texts(app, "error")[0]
    assert not app.metric
    access_file.unlink()
    assert "access list cannot be read" in texts(signed_in("boss@example.com"), "error")[0]


def test_an_executive_sees_every_row_but_no_data_or_access_page(signed_in: Runner, dashboard_db: Path) -> None:
    week = views.week_choices(Calendar())[0].label
    app = signed_in("ceo@example.com", week=week)
    assert not app.exception and not app.error
    assert card(app, "Leads created") == leads_created(dashboard_db, week, None)
    assert "ceo@example.com · Executive" in " ".join(texts(app.sidebar, "caption"))
    for page, title, action in (("data", "Data", "import data"), ("access", "Access", "manage access")):
        refused = signed_in("ceo@example.com", page)
        assert not refused.exception
        assert page_titles(refused) == [title]
        assert f"ceo@example.com · Executive: only admins may {action}" in texts(refused, "error")[0]
        assert not refused.dataframe and not refused.get("file_uploader")


def test_a_team_lead_sees_only_their_region_everywhere(signed_in: Runner, dashboard_db: Path) -> None:
    week = views.week_choices(Calendar())[0].label
    app = signed_in("lena@example.com", week=week)
    assert not app.exception and not app.error, texts(app, "error")
    assert card(app, "Leads created") == leads_created(dashboard_db, week, "EMEA")
    assert leads_created(dashboard_db, week, "EMEA") != leads_created(dashboard_db, week, None)
    assert app.multiselect(key="region").options == ["EMEA"]
    assert "Region: EMEA" in " ".join(texts(app, "caption")), "the filters line names the scope"
    assert "Team lead · Region: EMEA" in " ".join(texts(app.sidebar, "caption"))
    # Filter choices come from EMEA rows only: a rep with no EMEA row anywhere is not offered.
    offered = set(app.multiselect(key="rep").options)
    with duckdb.connect(str(dashboard_db), read_only=True) as conn:
        outsiders = {
            name for (name,) in conn.execute(
                "select name from reps r where region <> 'EMEA'"
                " and not exists (select 1 from leads l where l.owner_rep_id = r.id and l.region = 'EMEA')"
                " and not exists (select 1 from opportunities o where o.owner_rep_id = r.id and o.region = 'EMEA')"
            ).fetchall()
        }
        emea_reps = {name for (name,) in conn.execute("select name from reps where region = 'EMEA'").fetchall()}
    assert outsiders and not offered & outsiders
    assert emea_reps <= offered


def test_a_team_lead_is_refused_a_region_outside_their_scope(signed_in: Runner) -> None:
    for page in ("scorecard", "explore", "ranking", "lead-quality"):
        app = signed_in("lena@example.com", page, region=["EMEA", "NA"])
        assert not app.exception
        assert "outside your access" in texts(app, "error")[0] and "NA" in texts(app, "error")[0], page
        assert not app.metric and not app.get("vega_lite_chart") and not app.dataframe, page


def test_the_sql_a_team_lead_is_shown_carries_their_scope(signed_in: Runner) -> None:
    app = signed_in("lena@example.com", "definitions", metric="leads_created")
    assert not app.exception
    sql = " ".join(str(c.value) for c in app.code)
    # the region dimension (the lead's region, else its owner's) holds the scope: coalesce(...region) IN
    assert re.search(r"region\)? IN", sql) and "'EMEA'" in sql, sql[:2000]
    everyone = signed_in("ana@example.com", "definitions", metric="leads_created")
    assert "'EMEA'" not in " ".join(str(c.value) for c in everyone.code)


def test_a_team_lead_ranking_holds_only_their_region(signed_in: Runner, dashboard_db: Path) -> None:
    app = signed_in("lena@example.com", "ranking")
    assert not app.exception and not app.error, texts(app, "error")
    with duckdb.connect(str(dashboard_db), read_only=True) as conn:
        others = {name for (name,) in conn.execute("select name from reps where region <> 'EMEA'").fetchall()}
    shown = " ".join(" ".join(map(str, frame.value.astype(str).to_numpy().ravel())) for frame in app.dataframe)
    assert shown, "the ranking shows a table"
    assert not [name for name in others if name in shown]


def test_admins_see_the_data_and_access_pages(signed_in: Runner) -> None:
    app = signed_in("boss@example.com", "access")
    assert not app.exception and not app.error, texts(app, "error")
    assert page_titles(app)[0] == "Access"
    rules = app.dataframe[0].value
    assert list(rules["Who"]) == ["boss@example.com", "ana@example.com", "lena@example.com", "*@example.com"]
    app.text_input(key="access_lookup").input("lena@example.com").run()
    assert "Team lead" in texts(app, "success")[0] and "Region: EMEA" in texts(app, "success")[0]
    data = signed_in("boss@example.com", "data")
    assert not data.exception and "Data" in [str(h.value) for h in data.header]
    assert "only admins may manage access" in texts(signed_in("ana@example.com", "access"), "error")[0]


def test_an_import_records_the_signed_in_admin(
    access_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "import.duckdb"
    monkeypatch.setenv("SCORECARD_DB", str(db_path))
    app = AppTest.from_function(_dashboard, args=(str(ROOT), "data"), default_timeout=60)
    app.secrets["auth"] = AUTH
    app.user = {"is_logged_in": True, "email": "Boss@Example.com", "name": "Boss"}
    app.run()
    fixtures = ROOT / "tests" / "fixtures" / "ingest" / "salesforce"
    uploads = [(p.name, p.read_bytes(), "text/csv") for p in sorted(fixtures.glob("*.csv"))]
    app.file_uploader(key="data_files_0").set_value(uploads)
    app.selectbox(key="data_preset").set_value("salesforce")
    app.run()
    app.button(key="data_confirm").click()
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    with duckdb.connect(str(db_path), read_only=True) as conn:
        assert conn.execute("select kind, user_name from loads").fetchall() == [("import", "boss@example.com")]


def test_a_metric_that_cannot_take_the_scope_shows_no_value(
    signed_in: Runner, access_file: Path, dashboard_db: Path
) -> None:
    access_file.write_text(
        ACCESS + "  - {email: sam@team.org, role: team_lead, scope: {team: [sales]}}\n", encoding="utf-8"
    )
    app = signed_in("sam@team.org")
    assert not app.exception
    values = {m.label: str(m.value) for m in app.metric}
    assert not re.search(r"\d", values["Cost per won deal"]), values["Cost per won deal"]  # campaign spend has no team
    assert re.search(r"\d", values["Leads created"])
    assert "Cost per won deal" in " ".join(texts(app, "caption"))


def _failing_page(root: str) -> None:
    import sys

    if root not in sys.path:
        sys.path.insert(0, root)
    import streamlit as st

    import dashboard

    def broken() -> None:
        raise RuntimeError("secret detail /srv/scorecard/data.duckdb")

    dashboard._run(st.navigation([st.Page(broken, title="Broken", url_path="broken")]))


def test_a_failing_page_says_what_to_do_and_shows_no_traceback() -> None:
    app = AppTest.from_function(_failing_page, args=(str(ROOT),), default_timeout=60).run()
    message = texts(app, "error")[0]
    assert message.startswith("**This page failed** (reference `") and "tell your admin the reference" in message
    (box,) = app.exception  # Streamlit records it, redacted by client.showErrorDetails = "none"
    assert "redacted" in str(box.message)
    assert "secret detail" not in str(box.message) and not box.stack_trace


def test_an_admin_edits_the_access_file_safely(signed_in: Runner, access_file: Path) -> None:
    app = signed_in("boss@example.com", "access")
    assert app.text_area(key="access_text").value == ACCESS

    app.text_area(key="access_text").input(ACCESS.replace("role: analyst", "role: wizard")).run()
    app.button(key="access_save").click().run()
    assert "Not saved" in texts(app, "error")[0] and f"{access_file}:3: role 'wizard'" in texts(app, "error")[0]
    assert access_file.read_text(encoding="utf-8") == ACCESS

    demoted = ACCESS.replace("boss@example.com, role: admin", "boss@example.com, role: analyst")
    app.text_area(key="access_text").input(demoted)
    app.button(key="access_save").click().run()
    assert "take away your own right to manage access" in texts(app, "error")[0]
    assert access_file.read_text(encoding="utf-8") == ACCESS

    added = ACCESS + "  - {email: sam@team.org, role: analyst}\n"
    access_file.write_text(ACCESS + "# edited on the server\n", encoding="utf-8")  # someone else saves first
    app.text_area(key="access_text").input(added)
    app.button(key="access_save").click().run()
    assert "changed since you opened it" in texts(app, "error")[0]
    assert access_file.read_text(encoding="utf-8").endswith("# edited on the server\n")

    app = signed_in("boss@example.com", "access")  # reloaded: now saves
    app.text_area(key="access_text").input(added)
    app.button(key="access_save").click().run()
    assert not app.error and "Saved access.yaml: 5 entries" in texts(app, "success")[0]
    assert access_file.read_text(encoding="utf-8") == added
    assert "sam@team.org · Analyst" in " ".join(texts(signed_in("sam@team.org").sidebar, "caption"))

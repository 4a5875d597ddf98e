"""No card shows green, amber or red on data that cannot support it: AppTest on an export with only
won deals, no activities and no quotas; unmatched filters; windows (tests/browser/test_verdicts_browser.py
checks the same in Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.catalog.load import load_catalog
from scorecard.judge import readiness
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.fixtures import verdicts
from tests.fixtures.dashboard import PageRunner
from tests.fixtures.verdicts import WEEK

VERDICT_BADGE = re.compile(r"^:(green|orange|red|gray)-badge\[(?::material/\w+: )?(.+)\]$")


@pytest.fixture(scope="module")
def only_won(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return verdicts.only_won(tmp_path_factory.mktemp("won") / "won.duckdb")


def _badges(app: AppTest) -> dict[str, tuple[str, str]]:
    """{card title: (badge colour, verdict words)}: the status badge is the one just before the title."""
    out: dict[str, tuple[str, str]] = {}
    last: tuple[str, str] | None = None
    for element in app.markdown:
        text = str(element.value)
        match = VERDICT_BADGE.match(text)
        if match and match.group(2) in ("on target", "near target", "off target", "no target", "not judged"):
            last = (match.group(1), match.group(2))
        elif text.startswith("**") and text.endswith("**") and last is not None:
            out[text.strip("*")] = last
            last = None
    return out


def test_no_card_is_coloured_on_missing_data(open_page: PageRunner, only_won: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SCORECARD_DB", str(only_won))
    app = open_page("scorecard", week=WEEK)
    assert not app.exception, [e.value for e in app.exception]
    expected = verdicts.expected(only_won)
    shown = _badges(app)
    assert set(shown) == set(expected)
    ready = readiness.check(Database.open(only_won), load_catalog(DEFAULT_METRICS))
    for label, row in expected.items():
        colour, words = shown[label]
        assert words == row.verdict, label
        if not row.judgeable:
            assert (colour, words) == ("gray", "not judged"), label
    # The metrics whose inputs are missing are among the grey ones, each with its reason under the card.
    captions = " ".join(str(c.value) for c in app.caption)
    for name in ("win_rate", "calls_per_close", "quota_attainment", "unworked_leads"):
        metric = ready.of(name)
        assert metric is not None and not metric.ready
        assert shown[metric.label] == ("gray", "not judged")
    assert "the data has no lost deals, so every closed deal would read as won" in captions
    ready_count, total = ready.scorecard_counts()
    assert any(f"Your data supports {ready_count} of {total} scorecard metrics" in str(w.value) for w in app.warning)


@pytest.mark.usefixtures("dashboard_db")
def test_a_filter_value_no_row_holds_stops_the_page_with_the_values_there_are(open_page: PageRunner) -> None:
    app = open_page("scorecard", region="Eurpoe")
    assert not app.exception
    warnings = [str(w.value) for w in app.warning]
    assert any(w.startswith("Filter matches nothing: no rep, account, campaign, lead or deal has region") and
               "Eurpoe" in w and "EMEA" in w for w in warnings), warnings
    assert not app.metric, "no page of zeros under a filter that matches nothing"


@pytest.mark.usefixtures("dashboard_db")
def test_the_window_is_kept_in_the_address(open_page: PageRunner) -> None:
    app = open_page("scorecard", window="13w")
    assert not app.exception
    assert app.selectbox(key="window_picker").value == "13w"
    assert app.query_params["window"] == ["13w"] or app.query_params["window"] == "13w"
    captions = " ".join(str(c.value) for c in app.caption)
    assert re.search(r"\d{4}-W\d\d–(\d{4}-)?W\d\d", captions), "cards name the 13 weeks they cover"

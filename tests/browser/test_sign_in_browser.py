"""End to end sign-in: a real OpenID Connect provider, `streamlit run dashboard.py`, headless Chromium.

The test starts oidc-provider-mock (PyPI; it signs in whatever address is typed into its
form) and the dashboard with an `[auth]` secrets file pointing at it and an access file,
then, in Chromium: signs in as a team lead scoped to EMEA (sees EMEA rows only, no Data or
Access page, is refused a link asking for NA), signs out through the provider, signs in
as an admin (sees the Data and Access pages), and as someone the access file does not list
(refused). Both servers are always stopped.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.dashboard import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import sessions_bench  # noqa: E402  (its server stop is shared with the benchmarks)
from test_dashboard_browser import OUTPUT, READY, chromium  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACCESS = """\
version: 1
users:
  - {email: boss@example.com, role: admin}
  - {email: lena@example.com, role: team_lead, scope: {region: [EMEA]}}
  - {email: "*@example.com", role: executive}
"""


def _port(preferred: range) -> int:
    """The first free port of `preferred` (this project's range on a shared machine), else any free one."""
    for port in [*preferred, 0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


def _start(command: list[str], log_path: Path, env: dict[str, str], health: str) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{command[2]} exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.25)
    sessions_bench.stop_server(process)
    pytest.fail(f"{health} did not answer in 60 s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def servers(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The identity provider and the dashboard (sign-in configured), both stopped afterwards."""
    folder = tmp_path_factory.mktemp("sign-in")
    provider_port = _port(range(8940, 8950))
    provider = f"http://localhost:{provider_port}"
    env = {**os.environ, "AUTHLIB_INSECURE_TRANSPORT": "1"}  # plain http on localhost, for the test only
    idp = _start(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(provider_port)],
        folder / "provider.log",
        env,
        f"{provider}/.well-known/openid-configuration",
    )
    try:
        app_port = _port(range(8640, 8650))
        app = f"http://localhost:{app_port}"
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "{app}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-of-some-length"\n'
            'client_id = "scorecard"\n'
            'client_secret = "scorecard-secret"\n'
            f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        access_file = folder / "access.yaml"
        access_file.write_text(ACCESS, encoding="utf-8")
        dashboard_env = {**env, "SCORECARD_DB": str(demo_db), "SCORECARD_ACCESS": str(access_file)}
        dashboard_env.pop("SCORECARD_METRICS", None)
        streamlit = _start(
            [
                sys.executable, "-m", "streamlit", "run", "dashboard.py",
                "--server.port", str(app_port), "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets),
            ],
            folder / "streamlit.log",
            dashboard_env,
            f"{app}/_stcore/health",
        )
        try:
            yield app
        finally:
            sessions_bench.stop_server(streamlit)
    finally:
        sessions_bench.stop_server(idp)


def _settle(page: Any, drawn: str = "h1") -> None:
    """Wait until the app has drawn `drawn` (a page title by default) and finished its script run."""
    page.wait_for_timeout(400)
    page.wait_for_selector(drawn, timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)


def _sign_in(page: Any, app: str, email: str) -> None:
    page.goto(app)
    _settle(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name='sub']", timeout=30_000)  # the provider's form
    page.fill("input[name='sub']", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app}/**", timeout=30_000)
    _settle(page)


def _sign_out(page: Any, app: str, where: str = "stSidebar") -> None:
    page.get_by_test_id(where).get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider's confirmation
    page.wait_for_url(f"{app}/**", timeout=30_000)
    _settle(page)


def _nav(page: Any) -> list[str]:
    """Page names in the navigation (each link's last line; the first is its icon's name)."""
    links = page.get_by_test_id("stSidebarNavItems").locator("a").all_inner_texts()
    return [text.strip().splitlines()[-1].strip() for text in links]


def _no_exception(page: Any) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_sign_in_scope_refusal_and_sign_out_in_chromium(servers: str) -> None:

    app = servers
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        crashes: list[str] = []
        page.on("pageerror", lambda error: crashes.append(str(error)))

        # Signed out: nothing but the sign-in button.
        page.goto(app)
        _settle(page)
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)  # a loaded machine draws it late
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert page.get_by_test_id("stMetric").count() == 0

        # A team lead scoped to EMEA.
        _sign_in(page, app, "lena@example.com")
        _no_exception(page)
        page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
        sidebar = page.get_by_test_id("stSidebar")
        # (an invisible word joiner before the @ keeps the address from turning into a mail link)
        shown = re.compile("lena\u2060?@example\\.com · Team lead · Region: EMEA")
        assert sidebar.get_by_text(shown).count() == 1
        assert page.get_by_text("Region: EMEA").count() > 0, "the filters line names the scope"
        assert page.get_by_test_id("stMetric").count() >= 10
        assert "Data" not in _nav(page) and "Access" not in _nav(page)
        assert "Weekly scorecard" in _nav(page)
        region = sidebar.get_by_test_id("stMultiSelect").first
        region.click()
        offered = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
        assert offered == ["EMEA"], offered
        page.keyboard.press("Escape")
        page.screenshot(path=str(OUTPUT / "sign-in-team-lead.png"), full_page=True)

        page.goto(f"{app}/explore?region=NA")
        _settle(page, "[data-testid='stAlert']")
        assert page.get_by_text("outside your access").count() == 1
        assert page.get_by_test_id("stVegaLiteChart").count() == 0
        page.goto(f"{app}/data")
        _settle(page)
        assert page.get_by_text("only admins may import data").count() == 1, "no Data page for a team lead"
        assert page.get_by_test_id("stFileUploader").count() == 0
        _no_exception(page)

        # Sign out through the provider: back to the sign-in button.
        _sign_out(page, app)
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert page.get_by_test_id("stMetric").count() == 0

        # An admin sees every page, the Data and Access pages included.
        _sign_in(page, app, "boss@example.com")
        _no_exception(page)
        assert {"Weekly scorecard", "Data", "Access"} <= set(_nav(page))
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Access").click()
        _settle(page)
        assert page.locator("h1").first.inner_text().strip() == "Access"
        page.screenshot(path=str(OUTPUT / "sign-in-admin-access.png"), full_page=True)
        # The rules table is drawn on a canvas loaded after the script run: wait for it to mount.
        page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)
        assert page.get_by_test_id("stDataFrame").count() == 1
        lookup = page.get_by_label("What would this person see?")
        lookup.fill("lena@example.com")
        lookup.press("Enter")
        page.wait_for_selector("text=Team lead · Region: EMEA", timeout=30_000)
        page.screenshot(path=str(OUTPUT / "sign-in-admin-access.png"), full_page=True)
        _sign_out(page, app)

        # Someone the access file does not list.
        _sign_in(page, app, "mallory@elsewhere.org")
        assert page.get_by_text("mallory@elsewhere.org is not in the access list").count() == 1
        assert page.get_by_test_id("stMetric").count() == 0
        _sign_out(page, app, "stMain")
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert not crashes, crashes

"""`python -m scorecard send` end to end against a real SMTP server (aiosmtpd) started by the test:
plain, and STARTTLS with a login over a self-signed certificate generated here."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import ipaddress
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from scorecard.catalog.load import load_catalog
from scorecard.language import periods
from scorecard.present import mail
from scorecard.store import notes
from scorecard.store.config import DEFAULT_METRICS, PROJECT_ROOT
from scorecard.store.db import Database
from tests.fixtures import tiny

pytestmark = pytest.mark.slow  # real `scorecard send` processes and a real SMTP server: `make test` only


@dataclass
class Inbox:
    """What the SMTP server received: one entry per message, with the session's TLS and login."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "content": envelope.original_content or envelope.content,
                "tls": session.ssl is not None,
                "authenticated": bool(session.authenticated),
            }
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mail") / "tiny.duckdb"
    db = tiny.load(Database.open(path))
    catalog = load_catalog(DEFAULT_METRICS)
    week = periods.parse_week(catalog.calendar, "2026-W03")
    notes.add(db, catalog.metrics, week, "Berlin trade show landed", metric="bookings", author="ana",
              now=dt.datetime(2026, 1, 19, 8, 0))  # fmt: skip
    db.dispose()
    return path


@pytest.fixture
def plain_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Inbox, int, Path]]:
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"ana", b"s3cr:t@")
        inbox.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)

    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield inbox, port, cert
    finally:
        controller.stop()


def _send(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCORECARD_")}
    return subprocess.run(
        [sys.executable, "-m", "scorecard", "send", "--db", str(db), *args],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env={**clean, **(env or {})}, check=False, timeout=300,
    )  # fmt: skip


def _parts(message: Message) -> dict[str, Message]:
    return {part.get_filename() or "body": part for part in message.walk() if not part.is_multipart()}


def test_send_delivers_summary_and_attachments(tiny_db: Path, plain_server: tuple[Inbox, int]):
    inbox, port = plain_server
    done = _send(
        tiny_db, "--week", "2026-W03", "--to", "exec@example.com,cfo@example.com",
        "--smtp", f"smtp://127.0.0.1:{port}", "--app-url", "https://scorecard.example.com/",
        env={"SCORECARD_MAIL_FROM": "Scorecard <bot@example.com>"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "sent " in done.stdout and "building the scorecard for 2026-W03" in done.stderr
    assert len(inbox.messages) == 1
    got = inbox.messages[0]
    assert got["from"] == "bot@example.com" and got["to"] == ["exec@example.com", "cfo@example.com"]
    message = email.message_from_bytes(got["content"])
    # Judged in W03 with a target: quota attainment (quarter to date, Jan 1-18: bookings O1 1000 + O2 5000
    # + O5 3000 = 9000 against 18 days of R1 1000 + R2 500 a day = 27000: 33.3%, red against 100%) and
    # pipeline coverage (open at the end of W03 and expected to close in the next 91 days: O6 600, against
    # the quota of those days, 1500 a day until the quotas end on Mar 31, 72 days = 108000: 0.0056x, shown
    # as 0.01x, red against 3x). The other metrics are below their minimum sample.
    assert message["Subject"] == "Scorecard 2026-W03: 0 on target, 0 near target, 2 off target"
    assert message["To"] == "exec@example.com, cfo@example.com"
    parts = _parts(message)
    assert sorted(parts) == ["body", "scorecard-2026-W03.csv", "scorecard-2026-W03.pdf", "scorecard-2026-W03.png"]
    body = parts["body"].get_payload(decode=True).decode().replace("\r\n", "\n")
    assert "On target (0):\n  (none)\n" in body
    assert "Near target (0):\n  (none)\n" in body
    # Quota attainment is judged on its pace; the quarter's whole quota is R1's and R2's Jan-Mar quotas,
    # 90 days x 1500 = 135000, so 9000 is 6.7% of it, with 18 of the quarter's 90 days (20%) gone.
    assert (
        "Off target (2):\n  - Quota attainment: 33.3% (target 100.0%); pace 33.3% (to date against the quota of the "
        "days passed; judged); 6.7% of 2026-Q1's quota, with 20% of it gone\n"
        "  - Pipeline coverage: 0.01x (target 3.00x)\n" in body
    )
    assert "Exceptions (0): red slices inside a total that is not red\n  (none)\n" in body
    # Bookings: won O1 1000 (NA) in W02; O2 5000 + O5 3000 (both EMEA) in W03: +7000, but sums of a few
    # deals are noisy: sd = sqrt(1000^2 + 5000^2 + 3000^2) = 5916, z = 1.18 < 1.96, so no mover.
    assert (
        "Biggest movers since the period before (changes larger than their noise):\n  (none: every change is "
        "within its noise)\n" in body
    )
    assert "* Bookings" not in body
    assert "Not judged (19): 2 no target (Leads created, Bookings); 17 too few rows (MQL to opportunity" in body
    assert "Notes on 2026-W03\n  Bookings: Berlin trade show landed (ana, 2026-01-19 08:00 UTC)" in body
    assert "Open this view in the app: https://scorecard.example.com/?week=2026-W03&moved_by=region" in body
    assert parts["scorecard-2026-W03.pdf"].get_content_type() == "application/pdf"
    assert parts["scorecard-2026-W03.pdf"].get_payload(decode=True)[:5] == b"%PDF-"
    assert parts["scorecard-2026-W03.png"].get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader(io.StringIO(parts["scorecard-2026-W03.csv"].get_payload(decode=True).decode())))
    bookings = next(r for r in rows if r["metric"] == "bookings")
    assert (bookings["value"], bookings["previous"], bookings["notes"]) == ("8000", "1000", "Berlin trade show landed")


def test_send_with_starttls_and_login(tiny_db: Path, tls_server: tuple[Inbox, int, Path]):
    inbox, port, cert = tls_server
    common = ["--week", "2026-W03", "--to", "exec@example.com", "--from", "bot@example.com", "--smtp-ca", str(cert)]
    wrong = _send(tiny_db, *common, "--smtp", f"smtp://ana:nope@127.0.0.1:{port}")
    assert wrong.returncode == 1 and "refused the login for ana: 535" in wrong.stderr and "nope" not in wrong.stderr
    assert inbox.messages == []
    # The password has ':' and '@' in it, written percent-encoded in the URL.
    done = _send(tiny_db, *common, env={"SCORECARD_SMTP_URL": f"smtp://ana:s3cr%3At%40@127.0.0.1:{port}"})
    assert done.returncode == 0, done.stderr
    assert len(inbox.messages) == 1 and inbox.messages[0]["tls"] and inbox.messages[0]["authenticated"]
    # The wrong password was refused (smtplib tries each mechanism the server offers), the right one taken.
    assert inbox.logins[-1] == ("ana", True) and set(inbox.logins[:-1]) == {("ana", False)}
    message = email.message_from_bytes(inbox.messages[0]["content"])
    assert message["Subject"] == "Scorecard 2026-W03: 0 on target, 0 near target, 2 off target"
    # Without the certificate to trust, TLS fails and nothing is sent.
    untrusted = _send(tiny_db, *common[:-2], "--smtp", f"smtp://ana:s3cr%3At%40@127.0.0.1:{port}")
    assert untrusted.returncode == 1 and "TLS failed" in untrusted.stderr and len(inbox.messages) == 1


def test_password_never_goes_in_clear(tiny_db: Path, plain_server: tuple[Inbox, int]):
    inbox, port = plain_server  # this server offers no STARTTLS
    done = _send(tiny_db, "--to", "a@example.com", "--from", "bot@example.com", "--week", "2026-W03",
                 "--smtp", f"smtp://ana:secret@127.0.0.1:{port}")  # fmt: skip
    assert done.returncode == 1 and "does not offer STARTTLS; refusing to send the password" in done.stderr
    assert "secret" not in done.stderr and inbox.messages == []


def test_bad_arguments_are_plain_errors(tiny_db: Path):
    assert "no SMTP server" in _send(tiny_db, "--to", "a@example.com", "--from", "b@example.com").stderr
    assert "'nobody' is not an e-mail address" in _send(tiny_db, "--to", "nobody", "--smtp", "smtp://h").stderr
    assert "no sender" in _send(tiny_db, "--to", "a@example.com", "--smtp", "smtp://h").stderr


def test_send_keeps_to_each_recipients_scope(tiny_db: Path, tmp_path: Path):
    rules = tmp_path / "access.yaml"
    rules.write_text(
        "version: 1\nusers:\n  - {email: exec@example.com, role: executive}\n"
        "  - {email: lena@example.com, role: team_lead, scope: {region: [EMEA]}}\n"
    )
    out = tmp_path / "week.eml"
    common = ("--week", "2026-W03", "--from", "bot@example.com", "--access", str(rules), "--out", str(out))
    # The whole company's scorecard to a team lead who may see EMEA only: refused, nothing written.
    refused = _send(tiny_db, "--to", "exec@example.com,lena@example.com", *common)
    assert refused.returncode == 1 and not out.exists()
    assert "lena@example.com may see only Region: EMEA, but this scorecard shows every region" in refused.stderr
    assert "exec@example.com" not in refused.stderr.split("not sent", 1)[1]  # the executive may see it all
    # Someone the access file does not list gets nothing either.
    stranger = _send(tiny_db, "--to", "x@nowhere.io", *common)
    assert stranger.returncode == 1 and "x@nowhere.io is not in the access list" in stranger.stderr
    # Their own view: narrowed to EMEA, so the region drivers show EMEA alone.
    own = _send(tiny_db, "--to", "lena@example.com", "--as", "lena@example.com", *common)
    assert own.returncode == 0, own.stderr
    body = email.message_from_bytes(out.read_bytes())
    text = _parts(body)["body"].get_payload(decode=True).decode()
    assert "Region: EMEA" in text and "NA -$1,000" not in text


def test_smtp_urls():
    s = mail.parse_smtp_url("smtp://mailer:p%40ss@mail.example.com")
    assert (s.host, s.port, s.user, s.password, s.security) == ("mail.example.com", 587, "mailer", "p@ss", "starttls")
    assert mail.parse_smtp_url("smtps://mail.example.com").port == 465
    assert mail.parse_smtp_url("smtps://mail.example.com").security == "tls"
    assert mail.parse_smtp_url("smtp://h:25?starttls=never").security == "none"
    assert mail.parse_smtp_url("smtp://h:25?starttls=require").require_tls
    assert mail.parse_smtp_url("smtp://u:secret@h:25").display() == "smtp://u@h:25"
    for bad, message in (
        ("http://h", "write smtp://"),
        ("smtp://", "no host"),
        ("smtp://h:x", "port is not a number"),
        ("smtp://h?tls=1", "unknown option(s) tls"),
        ("smtp://u:secret@h:x", "smtp://u:***@h:x"),
    ):
        with pytest.raises(mail.MailError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
            mail.parse_smtp_url(bad)
    assert mail.recipients(["a@x.com, b@y.org", "a@x.com"]) == ["a@x.com", "b@y.org"]
    assert mail.app_link("http://h/", "2026-W03", {"region": ["NA", "EMEA"]}) == (
        "http://h/?week=2026-W03&region=EMEA&region=NA"
    )


EUR_LOCALE = """locale:
  code: EUR
  symbol: "€"
  symbol_position: after
  thousands: "."
  decimal: ","
"""


def test_a_euro_catalog_mails_euros(tiny_db: Path, tmp_path: Path):
    """The e-mail, its CSV and its one-page figure come from one pack in the catalog's locale (the
    e-mail used to default to dollars while the page showed euros)."""
    text = DEFAULT_METRICS.read_text()
    start = text.index("locale:\n")
    end = text.index("\n\n", start)
    euro = tmp_path / "metrics.yaml"
    euro.write_text(text[:start] + EUR_LOCALE.rstrip("\n") + text[end:])
    out = tmp_path / "message.eml"
    done = _send(tiny_db, "--week", "2026-W03", "--to", "cfo@example.com", "--metrics", str(euro), "--out", str(out),
                 env={"SCORECARD_MAIL_FROM": "bot@example.com"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = _parts(email.message_from_bytes(out.read_bytes()))["body"].get_payload(decode=True).decode()
    assert "$" not in body
    assert "Quota attainment: 33,3 % (target 100,0 %)" in body or "Quota attainment: 33,3% (target 100,0%)" in body

    from scorecard.judge import weekly
    from scorecard.present.pack import WeeklyPack

    catalog = load_catalog(euro)
    db = Database.open(tiny_db)
    card = weekly.build(db, catalog, periods.parse_week(catalog.calendar, "2026-W03"))
    spec = WeeklyPack(card, "all data", catalog.locale, {}).figure.to_dict()
    texts = [str(v["text"]) for rows in spec["datasets"].values() for v in rows if "text" in v]
    money = [text for text in texts if "€" in text or "$" in text]
    assert money and all("$" not in text for text in money), money
    assert "8.000\u00a0€" in texts  # bookings in W03


def _every_state_card() -> Any:
    """A week with one row in every state: on target, near target (and near within noise), off target,
    a red slice under a green total, and rows not judged for different reasons."""
    from scorecard.judge.noise import Change
    from scorecard.judge.weekly import Scorecard, ScorecardRow, SliceException, TrendPoint
    from scorecard.language.settings import Calendar

    week = periods.parse_week(Calendar(), "2026-W49")

    def row(metric: str, label: str, value: float, status: str, **extra: Any) -> ScorecardRow:
        base: dict[str, Any] = dict(
            metric=metric, label=label, section="sales", owners=("sales",), format="percent",
            direction="higher_is_better", value=value, previous=value, delta=0.0, target=0.5, status=status, n=400,
            low_sample=False, min_sample=20, trend=(), week="2026-W49", judgeable=status != "none",
        )  # fmt: skip
        return ScorecardRow(**{**base, **extra})

    rows = (
        row("follow_up_sla", "Follow-up within 24 h", 0.713, "green", target=0.7,
            exceptions=(SliceException("region", "APAC", 0.036, "red", 28, (0.01, 0.18)),)),
        row("sales_accept_rate", "Sales-accept rate", 0.386, "amber"),
        row("discount_depth", "Discount depth", 0.118, "amber", target=0.12, flags=("within_noise",),
            direction="lower_is_better"),
        row("unworked_leads", "Unworked leads", 0.31, "red", target=0.1, direction="lower_is_better",
            previous=0.2, delta=0.11, change=Change(0.11, 0.05, 0.17, True, "two-proportion z", z=3.6),
            trend=(TrendPoint("2026-W48", 0.2, 400), TrendPoint("2026-W49", 0.31, 400)), period="2026-W49"),
        row("win_rate", "Win rate", 0.24, "amber", target=0.3, previous=0.313, delta=-0.073,
            change=Change(-0.073, -0.24, 0.1, False, "two-proportion z", z=-0.85),
            trend=(TrendPoint("2026-W48", 0.313, 54), TrendPoint("2026-W49", 0.24, 54)), period="2026-W49"),
        row("leads_created", "Leads created", 265, "none", target=None, judgeable=True, format="count",
            flags=("no_target",)),
        row("lead_to_close", "Lead-to-close (220 d)", 0.05, "none", flags=("few_events",),
            reason="only 2 wins among 40 leads; at least 10 wins are needed to judge"),
        row("channel_conflict_rate", "Channel conflict rate", 0.075, "none", flags=("example_target",),
            reason="the target is an example"),
    )  # fmt: skip
    return Scorecard(week, {}, rows, "test")


def test_the_email_carries_every_state() -> None:
    """Every state reaches the inbox: greens, ambers (the misses an e-mail of greens and reds used to
    drop), reds, the red slice a green total hides, only changes beyond their noise as movers, and one
    line on what is not judged and why; the subject counts all three colours and the exceptions."""
    from scorecard.language.formatting import DEFAULT_LOCALE

    card = _every_state_card()
    assert mail.subject(card, "all data") == (
        "Scorecard 2026-W49: 1 on target, 3 near target, 1 off target, 1 exception"
    )
    body = mail.summary(card, scope="all data", locale=DEFAULT_LOCALE)
    assert body == (
        "Scorecard for week 2026-W49 (30 Nov to 06 Dec 2026)\n"
        "Filters: all data\n"
        "\n"
        "On target (1):\n"
        "  + Follow-up within 24 h: 71.3% (target 70.0%)\n"
        "\n"
        "Near target (3):\n"
        "  ~ Sales-accept rate: 38.6% (target 50.0%)\n"
        "  ~ Discount depth: 11.8% (target 12.0%), within noise\n"
        "  ~ Win rate: 24.0% (target 30.0%)\n"
        "\n"
        "Off target (1):\n"
        "  - Unworked leads: 31.0% (target 10.0%)\n"
        "\n"
        "Exceptions (1): red slices inside a total that is not red\n"
        "  ! Follow-up within 24 h (on target overall): APAC 3.6%, off target (n = 28)\n"
        "\n"
        "Biggest movers since the period before (changes larger than their noise):\n"
        "  * Unworked leads: 20.0% -> 31.0%, +11.0 pts\n"
        "\n"
        "Not judged (3): 1 no target (Leads created); 1 too few events (Lead-to-close (220 d)); "
        "1 example target not confirmed (Channel conflict rate)\n"
        "\n"
        "Attached: the scorecard on one page (PDF and PNG) and as CSV, one row per metric with its trend.\n"
    )

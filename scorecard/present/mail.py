"""The scorecard delivered to inboxes: a plain-text summary with the one-pager and the CSV attached.

`compose` builds the message (every state: on, near and off target, the exceptions a total
hides, one line on what is not judged, the biggest movers beyond their noise with their
drivers, the week's notes, a link to the same view in the app); `send` hands it to an
SMTP server named by a URL, `smtp://[user:password@]host[:port]` (STARTTLS when the
server offers it, required before a password is sent) or `smtps://...` (TLS from the
first byte). Nothing here knows about the dashboard; the CLI's `send` is a thin front.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Final, Literal

from scorecard.judge.drivers import Movement, drivers_line
from scorecard.judge.weekly import Scorecard, ScorecardRow
from scorecard.language.formatting import format_delta, format_value
from scorecard.language.settings import Locale
from scorecard.present.report import notes_text, whole_text
from scorecard.present.views import exception_lines
from scorecard.store.notes import Note

SMTP_ENV: Final = "SCORECARD_SMTP_URL"
FROM_ENV: Final = "SCORECARD_MAIL_FROM"
APP_URL_ENV: Final = "SCORECARD_APP_URL"
CA_ENV: Final = "SCORECARD_SMTP_CA"
MOVERS: Final = 5
"""How many of the biggest movers the summary names."""
Security = Literal["starttls", "tls", "none"]
_EMAIL: Final = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class MailError(ValueError):
    """A message that cannot be composed or sent, with the reason in plain words."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand a message over. `security`: starttls (smtp://, upgrade when offered,
    required before a password is sent; `?starttls=never` to send without), tls (smtps://), none."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None
    security: Security = "starttls"
    require_tls: bool = False

    def display(self) -> str:
        who = f"{self.user}@" if self.user else ""
        scheme = "smtps" if self.security == "tls" else "smtp"
        return f"{scheme}://{who}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://[user:password@]host[:port][?starttls=auto|require|never] or smtps://... ."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("smtp", "smtps"):
        raise MailError(f"SMTP URL {_safe(url)!r}: write smtp://[user:password@]host[:port] or smtps://...")
    if not parsed.hostname:
        raise MailError(f"SMTP URL {_safe(url)!r}: no host")
    try:
        port = parsed.port or (465 if parsed.scheme == "smtps" else 587)
    except ValueError:
        raise MailError(f"SMTP URL {_safe(url)!r}: the port is not a number") from None
    options = dict(urllib.parse.parse_qsl(parsed.query))
    starttls = options.pop("starttls", "auto")
    if options:
        raise MailError(f"SMTP URL: unknown option(s) {', '.join(sorted(options))}; only starttls=auto|require|never")
    if starttls not in ("auto", "require", "never"):
        raise MailError(f"SMTP URL: starttls={starttls!r}; use auto, require or never")
    user = urllib.parse.unquote(parsed.username) if parsed.username else None
    password = urllib.parse.unquote(parsed.password) if parsed.password else None
    security: Security = "tls" if parsed.scheme == "smtps" else "none" if starttls == "never" else "starttls"
    return SmtpSettings(parsed.hostname, port, user, password, security, require_tls=starttls == "require")


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.password:
        netloc = parsed.netloc.replace(":" + parsed.password + "@", ":***@")
        return urllib.parse.urlunsplit(parsed._replace(netloc=netloc))
    return url


def recipients(values: Sequence[str]) -> list[str]:
    """`--to a@x.com,b@y.com --to c@z.com` as a list, each address checked."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            address = part.strip()
            if not address:
                continue
            if not _EMAIL.match(address):
                raise MailError(f"{address!r} is not an e-mail address")
            if address not in out:
                out.append(address)
    if not out:
        raise MailError("no recipients: give --to a@x.com[,b@y.com]")
    return out


def app_link(base: str, week: str, filters: Mapping[str, Sequence[str]], dimension: str | None = None) -> str:
    """The same view in the app: the weekly scorecard at `base`, with the week and filters in the address."""
    params: list[tuple[str, str]] = [("week", week)]
    for dim, values in sorted(filters.items()):
        params += [(dim, v) for v in sorted(values)]
    if dimension:
        params.append(("moved_by", dimension))
    return base.rstrip("/") + "/?" + urllib.parse.urlencode(params)


# --- the summary ----------------------------------------------------------------------------------


def _judged(row: ScorecardRow) -> bool:
    """A row whose status may be read as a verdict: a value, a target, enough rows, available."""
    return row.judgeable and row.note is None and row.status != "none" and not row.low_sample


def biggest_movers(card: Scorecard, count: int = MOVERS) -> list[ScorecardRow]:
    """The judgeable rows whose change is larger than its noise (enough rows in both periods),
    the most surprising first (largest |z|; a change declared `always` by its relative size)."""
    moved = [
        r
        for r in card.rows
        if r.judgeable and r.delta and r.note is None and r.significant and _previous_n(r) >= r.min_sample
    ]

    def surprise(row: ScorecardRow) -> float:
        if row.change is not None and row.change.z is not None:
            return abs(row.change.z)
        return abs((row.delta or 0.0) / (row.previous or 1.0))

    return sorted(moved, key=lambda r: (-surprise(r), r.label))[:count]


def _previous_n(row: ScorecardRow) -> int:
    """Rows behind the value the change is measured from (the period before the one judged)."""
    labels = [p.week for p in row.trend]
    current = row.settled or row.period
    i = labels.index(current) if current in labels else len(labels) - 1
    return row.trend[i - 1].n if i >= 1 else 0


def summary(
    card: Scorecard,
    *,
    scope: str,
    movements: Mapping[str, Movement] | None = None,
    notes: Sequence[Note] = (),
    link: str | None = None,
    locale: Locale,
) -> str:
    """The plain-text body: greens, reds, the biggest movers with their drivers, notes, the link;
    every number in the catalog's `locale`."""
    lines = [f"Scorecard for week {card.week.label} ({card.week.first:%d %b} to {card.week.last:%d %b %Y})",
             f"Filters: {scope}", ""]  # fmt: skip
    for status, heading, mark in (
        ("green", "On target", "+"),
        ("amber", "Near target", "~"),
        ("red", "Off target", "-"),
    ):
        rows = [r for r in card.rows if _judged(r) and r.status == status]
        lines.append(f"{heading} ({len(rows)}):")
        lines += [f"  {mark} {_row_text(r, locale)}" for r in rows] or ["  (none)"]
        lines.append("")
    hidden = [r for r in card.rows if _judged(r) and r.exceptions]
    lines.append(f"Exceptions ({sum(len(r.exceptions) for r in hidden)}): red slices inside a total that is not red")
    for row in hidden:
        lines += [f"  ! {row.label} ({row.verdict} overall): {line}" for line in exception_lines(row, locale=locale)]
    if not hidden:
        lines.append("  (none)")
    lines.append("")
    movers = biggest_movers(card)
    lines.append("Biggest movers since the period before (changes larger than their noise):")
    for row in movers:
        movement = (movements or {}).get(row.metric)
        moved = (
            drivers_line(movement, row.format, locale=locale)
            if movement is not None
            else format_delta(row.delta, row.format, locale=locale)
        )
        by = f" (by {movement.dimension})" if movement is not None and movement.decomposed else ""
        lines.append(f"  * {row.label}: {format_value(row.previous, row.format, locale=locale)} -> "
                     f"{format_value(row.value, row.format, locale=locale)}, {moved}{by}")  # fmt: skip
    if not movers:
        lines.append("  (none: every change is within its noise)")
    unjudged = [r for r in card.rows if not _judged(r)]
    if unjudged:
        lines += ["", f"Not judged ({len(unjudged)}): {not_judged_line(unjudged)}"]
    week_notes = notes_text(card, notes)
    if week_notes:
        lines += ["", week_notes.rstrip()]
    lines.append("")
    if link:
        lines.append(f"Open this view in the app: {link}")
    lines.append("Attached: the scorecard on one page (PDF and PNG) and as CSV, one row per metric with its trend.")
    return "\n".join(lines) + "\n"


def _row_text(row: ScorecardRow, locale: Locale) -> str:
    target = f" (target {format_value(row.target, row.format, locale=locale)})" if row.target is not None else ""
    noise = ", within noise" if row.within_noise else ""
    whole = f"; {whole_text(row, locale=locale)}" if row.whole is not None else ""
    return f"{row.label}: {format_value(row.value, row.format, locale=locale)}{target}{noise}{whole}"


NOT_JUDGED_WHY: Final = {
    "no_target": "no target",
    "example_target": "example target not confirmed",
    "no_input": "inputs not in the data",
    "low_sample": "too few rows",
    "few_events": "too few events",
    "provisional": "still settling",
    "not_applicable": "does not apply to the filter",
    "projection": "projection only",
}


def not_judged_line(rows: Sequence[ScorecardRow]) -> str:
    """One line on what is not judged and why: "3 no target (Leads created, Bookings, ...); 1 too few rows (...)"."""
    groups: dict[str, list[str]] = {}
    for row in rows:
        if row.note is not None and not row.flags:
            why = "cannot be computed"
        else:
            flag = next((f for f in row.flags if f in NOT_JUDGED_WHY and f != "no_target"), None)
            why = NOT_JUDGED_WHY[flag] if flag else ("no target" if "no_target" in row.flags else "not judged")
        groups.setdefault(why, []).append(row.label)
    return "; ".join(f"{len(labels)} {why} ({', '.join(labels)})" for why, labels in groups.items())


def subject(card: Scorecard, scope: str) -> str:
    counts = {s: sum(1 for r in card.rows if _judged(r) and r.status == s) for s in ("green", "amber", "red")}
    hidden = sum(len(r.exceptions) for r in card.rows if _judged(r))
    where = "" if scope == "all data" else f" ({scope})"
    extra = f", {hidden} exception{'s' if hidden != 1 else ''}" if hidden else ""
    return (
        f"Scorecard {card.week.label}{where}: {counts['green']} on target, {counts['amber']} near target, "
        f"{counts['red']} off target{extra}"
    )


# --- the message ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str


def compose(
    *,
    sender: str,
    to: Sequence[str],
    subject_line: str,
    body: str,
    attachments: Sequence[Attachment],
) -> EmailMessage:
    """A multipart message: the plain-text body, then each attachment."""
    if not _EMAIL.match(_bare(sender)):
        raise MailError(f"--from {sender!r} is not an e-mail address")
    message = EmailMessage()
    message["Subject"] = subject_line
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=Address(addr_spec=_bare(sender)).domain)
    message.set_content(body)
    for item in attachments:
        maintype, subtype = item.mime.split("/", 1)
        message.add_attachment(item.content, maintype=maintype, subtype=subtype, filename=item.filename)
    return message


def _bare(sender: str) -> str:
    """'Scorecard <bot@x.com>' -> 'bot@x.com'."""
    found = re.search(r"<([^>]+)>", sender)
    return (found.group(1) if found else sender).strip()


def send(message: EmailMessage, settings: SmtpSettings, *, cafile: str | None = None, timeout: float = 30) -> None:
    """Hand the message to the SMTP server; every failure becomes a MailError naming the server."""
    context = ssl.create_default_context(cafile=cafile)
    where = settings.display()
    try:
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif settings.require_tls or settings.password:
                    raise MailError(
                        f"{where} does not offer STARTTLS; refusing to send "
                        + ("the password" if settings.password else "the message")
                        + " in clear (add ?starttls=never to the URL to allow it)"
                    )
            if settings.user:
                client.login(settings.user, settings.password or "")
            refused = client.send_message(message)
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        reason = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        raise MailError(f"{where} refused the login for {settings.user}: {reason}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        detail = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items())
        raise MailError(f"{where} refused every recipient: {detail}") from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except ssl.SSLError as exc:
        raise MailError(f"{where}: TLS failed: {exc.reason or exc}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot deliver through {where}: {exc}") from None
    if refused:
        detail = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in refused.items())
        raise MailError(f"{where} accepted the message but refused some recipients: {detail}")


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value

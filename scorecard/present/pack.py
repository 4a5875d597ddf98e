"""The weekly pack: what the meeting gets from one scorecard, built once for every surface.

The page's download buttons and `scorecard send` both take the title, the file names and
the CSV, XLSX, PNG and PDF from here, in the catalog's locale, so the e-mail and the page
can never disagree on a number or a currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from scorecard.judge.drivers import Movement
from scorecard.judge.weekly import Scorecard
from scorecard.language.settings import Locale
from scorecard.present import spreadsheets
from scorecard.present.mail import Attachment
from scorecard.present.report import scorecard_csv
from scorecard.store.notes import Note

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class WeeklyPack:
    """A scorecard for the meeting: title and subtitle, and its files, each made when first asked for."""

    card: Scorecard
    scope: str
    locale: Locale
    movements: Mapping[str, Movement]
    notes: Sequence[Note] = ()

    @property
    def title(self) -> str:
        return f"Scorecard, week {self.card.week.label}"

    @property
    def subtitle(self) -> str:
        week = self.card.week
        return f"{week.first:%d %b} to {week.last:%d %b %Y} · {self.scope}"

    @property
    def stem(self) -> str:
        """File names without their extension: scorecard-2026-W49."""
        return f"scorecard-{self.card.week.label}"

    def csv(self) -> str:
        """One row per metric with its 12-week trend and notes."""
        return scorecard_csv(self.card, self.notes)

    def xlsx(self) -> bytes:
        """One sheet per section with the trend weeks as columns, what moved and notes."""
        return spreadsheets.scorecard_xlsx(self.card, self.notes, self.movements, locale=self.locale)

    @cached_property
    def figure(self) -> Any:
        """The scorecard on one page (an Altair chart), in the catalog's locale."""
        from scorecard.present.charts.page import scorecard_figure  # Altair: only when a page is drawn

        return scorecard_figure(
            self.card,
            title=self.title,
            subtitle=self.subtitle,
            movements=self.movements,
            notes=self.notes,
            locale=self.locale,
        )

    def png(self) -> bytes:
        from scorecard.present.charts.export import to_png

        return to_png(self.figure)

    def pdf(self) -> bytes:
        from scorecard.present.charts.export import to_pdf

        return to_pdf(self.figure)

    def attachments(self) -> list[Attachment]:
        """What the weekly e-mail carries: the page as PDF and PNG, and the CSV."""
        return [
            Attachment(f"{self.stem}.pdf", self.pdf(), "application/pdf"),
            Attachment(f"{self.stem}.png", self.png(), "image/png"),
            Attachment(f"{self.stem}.csv", self.csv().encode("utf-8"), "text/csv"),
        ]

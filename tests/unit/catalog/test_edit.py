"""Round-trip edits of metrics.yaml (the editor's form and one-metric blocks) and what a change affects."""

from __future__ import annotations

import difflib

import pytest

from scorecard.catalog import edit as yamledit
from scorecard.catalog.load import check_text
from scorecard.judge import preview
from scorecard.store.config import DEFAULT_METRICS

ORIGINAL = DEFAULT_METRICS.read_text(encoding="utf-8")


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines, by a line diff."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def test_form_fields_change_only_their_lines() -> None:
    fields = yamledit.metric_fields(ORIGINAL, "sales_accept_rate")
    assert fields.owners == ("marketing",) and (fields.green, fields.amber) == (0.5, 0.35)  # owner: marketing
    assert fields.min_sample == 20 and fields.description.startswith("Share of marketing-qualified leads")
    new = yamledit.MetricFields(
        fields.label, fields.description, ("sales", "marketing"), 25, green=0.45, amber=0.3
    )
    text = yamledit.set_metric_fields(ORIGINAL, "sales_accept_rate", new)
    removed, added = changed_lines(ORIGINAL, text)
    assert added == ["    owner: both", "    min_sample: 25", "    target: {green: 0.45, amber: 0.3}"]
    assert len(removed) == 3
    assert yamledit.metric_fields(text, "sales_accept_rate") == new
    assert check_text(text)[0] is not None


def test_a_new_target_goes_after_the_last_key_before_the_blank_line() -> None:
    fields = yamledit.metric_fields(ORIGINAL, "bookings")
    assert fields.green is None
    text = yamledit.set_metric_fields(
        ORIGINAL, "bookings", yamledit.MetricFields(**{**fields.__dict__, "green": 100000.0, "amber": 50000.0})
    )
    block = yamledit.metric_block(text, "bookings")
    assert block.rstrip().endswith("    min_sample: 0\n    target: {green: 100000, amber: 50000}")
    assert changed_lines(ORIGINAL, text) == ([], ["    target: {green: 100000, amber: 50000}"])


def test_a_long_description_is_folded_at_the_catalogs_width() -> None:
    fields = yamledit.metric_fields(ORIGINAL, "bookings")
    longer = fields.description + " Both teams read it every Monday morning, before anything else on the page."
    text = yamledit.set_metric_fields(ORIGINAL, "bookings", yamledit.MetricFields(**{**fields.__dict__,
                                                                                   "description": longer}))
    block = yamledit.metric_block(text, "bookings").splitlines()
    assert block[2] == "    description: >"
    body = block[3 : block.index("    owner: both")]
    assert all(len(line) <= 6 + yamledit.DESCRIPTION_WIDTH for line in body) and len(body) >= 2
    assert yamledit.metric_fields(text, "bookings").description == longer


def test_one_metric_block_replaced_in_place() -> None:
    block = yamledit.metric_block(ORIGINAL, "won_deals")
    assert block.startswith("  - name: won_deals\n") and block.endswith("    scorecard: false\n")
    text = yamledit.replace_metric_block(ORIGINAL, "won_deals", block.replace("scorecard: false", "scorecard: true"))
    assert changed_lines(ORIGINAL, text) == (["    scorecard: false"], ["    scorecard: true"])
    assert yamledit.metric_block(text, "won_deals") == block.replace("scorecard: false", "scorecard: true")
    with pytest.raises(yamledit.EditError, match="no metric named 'nope'"):
        yamledit.metric_block(ORIGINAL, "nope")


def test_changes_and_dependents() -> None:
    before = check_text(ORIGINAL)[0]
    edited = 'value: cost_of_sale\n    filter: "is_won and lead'
    after = check_text(ORIGINAL.replace(edited, edited.replace("cost_of_sale", "cost_of_sale * 2"), 1))[0]
    assert before is not None and after is not None
    found = preview.changes(before, after)
    assert found.changed == ("campaign_cost_of_sale",) and not found.added and not found.removed
    assert found.affected == {
        "cost_per_won_deal": ("campaign_cost_of_sale",),
        "cost_to_margin": ("campaign_cost_of_sale",),
    }
    # a ranking depends on the metric it ranks and on its activity cutoff
    assert preview.dependents(before, ["activities_logged"]) == {"attainment_rank": ("activities_logged",)}
    assert preview.dependents(before, ["quota_attainment"]) == {"attainment_rank": ("quota_attainment",)}
    # quota_attainment reads the quotas table itself, not the quota metric
    assert preview.dependents(before, ["quota_next_quarter"]) == {"pipeline_coverage": ("quota_next_quarter",)}


def test_window_is_written_only_when_not_the_default() -> None:
    fields = yamledit.metric_fields(ORIGINAL, "bookings")
    assert fields.window == "week"
    four_weeks = yamledit.MetricFields(**{**fields.__dict__, "window": "4w"})
    text = yamledit.set_metric_fields(ORIGINAL, "bookings", four_weeks)
    assert changed_lines(ORIGINAL, text) == ([], ["    window: 4w"])
    catalog = check_text(text)[0]
    assert catalog is not None and catalog.metrics["bookings"].window == "4w"
    back = yamledit.set_metric_fields(text, "bookings", fields)
    assert back == ORIGINAL

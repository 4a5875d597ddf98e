"""Catalog validation: every kind of problem reported at once, each with its line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from scorecard.catalog.load import check_text, json_schema, load_catalog
from scorecard.store.config import DEFAULT_METRICS, PROJECT_ROOT

BASE = textwrap.dedent(
    """\
    calendar: {week_start: monday, timezone: UTC}
    relationships:
      - {name: opportunity, from: activities, to: opportunities, column: opportunity_id, reverse: activities}
    dimensions:
      region: {label: Region, column: region}
    metrics:
      - name: won_deals
        label: Won deals
        description: Deals won by close week, shared by both teams.
        owners: [sales, marketing]
        type: count
        of: opportunities
        filter: "is_won"
        time: closed_at
      - name: calls
        label: Calls per won deal
        description: Calls logged on won deals per won deal, for both teams.
        owners: both
        type: ratio
        time: opportunities.closed_at
        numerator: {count: activities, filter: "type = 'call' and opportunity.is_won"}
        denominator: {count: opportunities, filter: "is_won"}
        direction: lower_is_better
        target: {green: 18, amber: 24}
    """
)


def issues_of(text: str) -> list[str]:
    catalog, issues = check_text(text, "m.yaml")
    assert catalog is None, "expected the catalog to be rejected"
    return [str(i) for i in issues]


def test_base_is_valid():
    catalog, issues = check_text(BASE, "m.yaml")
    assert issues == [] and catalog is not None
    assert list(catalog.metrics) == ["won_deals", "calls"]
    assert catalog.lines == {"won_deals": 7, "calls": 15}
    assert catalog.metrics["calls"].owners == ("sales", "marketing")


def test_default_catalog_is_valid():
    catalog = load_catalog(DEFAULT_METRICS)
    assert len(catalog.metrics) >= 20


def test_yaml_syntax_error_has_line():
    assert issues_of("metrics:\n  - name: x\n   label: y\n") == [
        "m.yaml:3: YAML syntax: expected <block end>, but found '<block mapping start>'"
    ]


def test_unknown_key_suggests_nearest():
    text = BASE.replace("    label: Won deals\n", "    lable: Won deals\n")
    found = issues_of(text)
    assert "m.yaml:8: metric won_deals: unknown key 'lable'; did you mean 'label'?" in found
    assert "m.yaml:7: metric won_deals: missing required field 'label'" in found


def test_unknown_key_in_nested_block_suggests_from_that_block():
    text = BASE.replace("numerator: {count: activities,", "numerator: {cuont: activities,")
    found = issues_of(text)
    assert any(f.startswith("m.yaml:21: metric calls: unknown key 'cuont'; did you mean 'count'?") for f in found), (
        found
    )


def test_unknown_top_level_key():
    assert issues_of("metrix: []\n") == ["m.yaml:1: unknown key 'metrix'; did you mean 'metrics'?"]


def test_unknown_column_names_table_and_suggestion():
    text = BASE.replace('filter: "is_won"\n    time: closed_at', 'filter: "is_wonn"\n    time: closed_at')
    assert issues_of(text) == [
        "m.yaml:13: metric won_deals: opportunities has no column or relationship 'is_wonn' (in 'is_wonn'); "
        "did you mean 'is_won'?"
    ]


def test_unknown_relationship_in_path():
    text = BASE.replace('opportunity.is_won"}', 'opp.is_won"}')
    found = issues_of(text)
    assert len(found) == 1 and found[0].startswith(
        "m.yaml:21: metric calls: activities has no column or relationship 'opp'"
    )


def test_unknown_table_and_time_column_type():
    text = BASE.replace("of: opportunities", "of: opportunity").replace("time: closed_at", "time: amount")
    found = issues_of(text)
    assert "m.yaml:12: metric won_deals: unknown table 'opportunity'; did you mean 'opportunities'?" in found


def test_time_anchor_must_be_a_timestamp():
    text = BASE.replace("time: closed_at", "time: amount")
    assert issues_of(text) == ["m.yaml:14: metric won_deals: time anchor 'amount' is not a date or timestamp column"]


def test_unknown_dimension_reference_in_target_override():
    text = BASE.replace(
        "target: {green: 18, amber: 24}",
        "target: {green: 18, amber: 24, overrides: [{when: {regoin: EMEA}, green: 20, amber: 30}]}",
    )
    assert issues_of(text) == ["m.yaml:24: metric calls: target override names unknown dimension 'regoin'"]


def test_thresholds_in_wrong_order():
    text = BASE.replace("target: {green: 18, amber: 24}", "target: {green: 24, amber: 18}")
    assert issues_of(text) == [
        "m.yaml:24: metric calls: thresholds in the wrong order: lower is better, so green (24) must be <= amber (18)"
    ]


def test_wrong_type_and_missing_field():
    text = BASE.replace("owners: both", "owners: both\n    min_sample: many").replace("    of: opportunities\n", "")
    found = issues_of(text)
    assert "m.yaml:7: metric won_deals: missing required field 'of'" in found
    assert any(f.startswith("m.yaml:18: metric calls: min_sample: Input should be a valid integer") for f in found), (
        found
    )


def test_unknown_metric_type_suggests():
    text = BASE.replace("type: count", "type: cuont")
    assert issues_of(text) == ["m.yaml:11: metric won_deals: unknown metric type 'cuont'; did you mean 'count'?"]


def test_duplicate_metric_names():
    text = BASE.replace("name: calls", "name: won_deals")
    assert issues_of(text) == [
        "m.yaml:15: metric won_deals: duplicate metric name (first defined on line 7); names must be unique"
    ]


def test_duplicate_yaml_keys():
    text = BASE.replace("    label: Won deals\n", "    label: Won deals\n    label: Won\n")
    assert issues_of(text) == ["m.yaml:9: key 'label' appears twice in the same block; the second would silently win"]


def test_derived_cycle_and_unknown_reference():
    common = "owners: both, type: derived, description: a derived number for the validation test"
    text = BASE + "".join(
        f"  - {{name: {name}, label: {name}, {common}, formula: {formula!r}}}\n"
        for name, formula in (("a", "b + 1"), ("b", "a * 2"), ("c", "won_dealz / 2"))
    )
    found = issues_of(text)
    assert "m.yaml:25: metric a: derived metrics form a cycle: a -> b -> a" in found
    assert "m.yaml:27: metric c: formula refers to unknown metric 'won_dealz'; did you mean 'won_deals'?" in found
    assert len(found) == 2


def test_expression_syntax_error_names_column():
    text = BASE.replace('filter: "is_won"\n    time: closed_at', 'filter: "stage = \'won"\n    time: closed_at')
    assert issues_of(text) == ['m.yaml:13: metric won_deals: unterminated string (at column 9 of "stage = \'won")']


def test_to_many_value_without_aggregate_is_explained():
    text = BASE.replace(
        'filter: "is_won"\n    time: closed_at', 'value: "activities.duration_s"\n    time: closed_at'
    ).replace("type: count", "type: sum")
    found = issues_of(text)
    assert (
        len(found) == 1
        and "'activities' is one-to-many from opportunities" in found[0]
        and found[0].startswith("m.yaml:13:")
    )


def test_every_problem_at_once():
    text = (
        BASE.replace("label: Won deals", "lable: Won deals")
        .replace("target: {green: 18, amber: 24}", "target: {green: 24, amber: 18}")
        .replace('filter: "is_won"}', 'filter: "is_wn"}')
    )
    assert len(issues_of(text)) == 4  # unknown key, missing label, bad column, threshold order


def test_relationship_problems():
    text = BASE.replace(
        "column: opportunity_id, reverse: activities}",
        "column: opp_id, reverse: activities}\n  - {name: type, from: activities, to: reps, column: rep_id}",
    )
    found = issues_of(text)
    assert "m.yaml:3: relationship opportunity: activities has no column 'opp_id'" in found
    assert "m.yaml:4: relationship name 'type' hides the column activities.type; choose another name" in found


def test_published_json_schema_is_current_and_accepts_the_catalog():
    published = json.loads((PROJECT_ROOT / "metrics.schema.json").read_text())
    assert published == json_schema(), "run: python -m scorecard schema --out metrics.schema.json"
    jsonschema.validate(yaml.safe_load(Path(DEFAULT_METRICS).read_text()), published)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"metrics": [{"name": "x", "type": "nope"}]}, published)


def test_locale_block_sets_currency_and_marks():
    text = 'locale: {code: EUR, symbol: "€", symbol_position: after, thousands: ".", decimal: ","}\n' + BASE
    catalog, issues = check_text(text, "m.yaml")
    assert issues == [] and catalog is not None
    assert (catalog.locale.code, catalog.locale.symbol, catalog.locale.thousands, catalog.locale.decimal) == (
        "EUR", "€", ".", ","
    )
    plain, _ = check_text(BASE, "m.yaml")
    assert plain is not None and (plain.locale.code, plain.locale.symbol) == ("USD", "$")  # no block: dollars


def test_locale_problems_have_their_line():
    text = 'locale:\n  code: euro\n  thousands: ","\n  decimal: ","\n  simbol: "€"\n' + BASE
    found = issues_of(text)
    assert "m.yaml:2: code: String should match pattern '^[A-Z]{3}$' (got 'euro')" in found, found
    assert "m.yaml:5: unknown key 'simbol'; did you mean 'symbol'?" in found, found
    same = issues_of('locale: {thousands: ",", decimal: ","}\n' + BASE)
    assert any(i.startswith("m.yaml:1:") and "both ','" in i for i in same), same
    odd = issues_of('locale: {thousands: "#"}\n' + BASE)
    assert any(i.startswith("m.yaml:1:") and "thousands mark '#'" in i for i in odd), odd


def test_published_json_schema_describes_the_locale_block():
    published = json.loads((PROJECT_ROOT / "metrics.schema.json").read_text())
    jsonschema.validate({"locale": {"code": "GBP", "symbol": "£"}}, published)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"locale": {"code": "pounds"}}, published)


def test_schema_error_does_not_hide_reference_errors():
    """A metric with a schema error (short description) still has its references checked, and a
    formula naming it is not told the metric is unknown."""
    text = BASE.replace(
        "description: Deals won by close week, shared by both teams.\n", "description: too short\n"
    ).replace("of: opportunities\n", "of: opportunitiez\n", 1) + (
        "  - name: per_call\n    label: Won deals per call\n"
        "    description: Won deals over calls, for both teams to read together.\n"
        "    owners: both\n    type: derived\n    formula: won_deals / calls\n"
    )
    found = issues_of(text)
    lines = text.splitlines()
    described = lines.index("    description: too short") + 1
    of = lines.index("    of: opportunitiez") + 1
    assert any(f.startswith(f"m.yaml:{described}: metric won_deals: description: String should have") for f in found)
    assert f"m.yaml:{of}: metric won_deals: unknown table 'opportunitiez'; did you mean 'opportunities'?" in found
    assert not any("unknown metric" in f for f in found), found
    assert len(found) == 2


TESTS = textwrap.dedent(
    """\
    tests:
      - name: wins_by_region
        metric: won_deals
        sum_over: region
      - name: calls_bounded
        metric: calls
        filters: {region: EMEA}
        between: [0, 100]
    """
)


def test_tests_section_is_read_into_the_catalog():
    catalog, issues = check_text(BASE + TESTS, "m.yaml")
    assert issues == [] and catalog is not None
    assert [(t.name, t.check) for t in catalog.tests] == [("wins_by_region", "sum_over"), ("calls_bounded", "between")]
    assert catalog.tests[1].filters == {"region": ("EMEA",)}


def test_tests_section_problems_each_with_its_line():
    text = BASE + TESTS.replace("metric: won_deals", "metric: won_deal").replace(
        "between: [0, 100]", "between: [0, 100]\n    equals: 3\n  - name: wins_by_region\n    metric: calls\n"
        "    sum_over: region\n    week: 2026-W99"
    )
    found = issues_of(text)
    lines = text.splitlines()
    start = lines.index("tests:")
    assert f"m.yaml:{start + 3}: test wins_by_region: unknown metric 'won_deal'; did you mean 'won_deals'?" in found
    assert any(f.startswith(f"m.yaml:{start + 5}: a test needs exactly one of") for f in found), found
    assert any("duplicate test name" in f for f in found)
    assert any("calls is not a count or sum, so its values by a dimension do not add up" in f for f in found)
    assert any("2026-W99" in f for f in found), found


def test_owner_and_contributors_and_the_older_owners_key():
    catalog, issues = check_text(BASE, "m.yaml")
    assert catalog is not None, issues
    # BASE still says `owners: [sales, marketing]` and `owners: both`: read as the shared owner `both`.
    won = catalog.metric("won_deals")
    assert (won.owner, won.owners, won.resolved_section) == ("both", ("sales", "marketing"), "shared")
    one = BASE.replace("owners: [sales, marketing]", "owner: sales\n    contributors: [marketing]")
    catalog, issues = check_text(one, "m.yaml")
    assert catalog is not None, issues
    won = catalog.metric("won_deals")
    assert (won.owner, won.contributors, won.owners, won.resolved_section) == (
        "sales", ("marketing",), ("sales",), "sales"
    )
    both = BASE.replace("owners: [sales, marketing]", "owner: sales\n    owners: [sales]")
    assert any(
        "m.yaml:" in i and "not also the older `owners:`; delete the `owners:` line" in i for i in issues_of(both)
    )
    itself = BASE.replace("owners: [sales, marketing]", "owner: sales\n    contributors: [sales]")
    assert any("sales is the owner; list only the other teams" in i for i in issues_of(itself))


RANK = textwrap.indent(textwrap.dedent(
    """\
      - name: won_rank
        label: Forced rank on won deals
        description: Reps ranked on deals won within region and segment.
        owners: [sales]
        type: rank
        of: won_deals
        group: [region, tier]
        small_groups: {below: 8, pool: [segment]}
        min_tenure_months: 3
        context: {deals_closed: won_deal, calls: calls}
    """
), "  ")


def test_rank_metric_problems_each_with_its_line():
    problems = issues_of(BASE + RANK)
    text = "\n".join(problems)
    assert "unknown peer-group dimension 'tier'" in text
    assert "small groups are pooled by 'segment', which is not one of the peer-group dimensions" in text
    assert "unknown context metric 'won_deal'; did you mean 'won_deals'?" in text
    assert all("m.yaml:" in p and "won_rank" in p for p in problems), problems


def test_rank_metric_peer_groups_and_context_as_list():
    text = BASE.replace("  region: {label: Region, column: region}\n",
                        "  region: {label: Region, column: region}\n  segment: {label: Seg, column: segment}\n"
                        "  rep: {label: Rep, column: owner_rep_id}\n")
    rank = RANK.replace("[region, tier]", "[region, segment]")
    rank = rank.replace("context: {deals_closed: won_deal, calls: calls}", "context: [won_deals, calls]")
    catalog, issues = check_text(text + rank, "m.yaml")
    assert issues == [] and catalog is not None
    metric = catalog.metrics["won_rank"]
    assert metric.groups == ("region", "segment")  # type: ignore[attr-defined]
    assert metric.context == {"won_deals": "won_deals", "calls": "calls"}  # type: ignore[attr-defined]

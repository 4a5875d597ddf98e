"""Frozen, typed definitions of metrics.yaml: calendar, relationships, dimensions, metrics.

These models check the shape of each part (keys, types, required fields); the
catalog loader (`scorecard.catalog`) adds the rules that need the whole file
(references, cycles, threshold order) and reports every problem with file:line.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema, field_validator, model_validator

from scorecard.language import expressions as ex
from scorecard.language.anchors import AheadTime, Time, parse_time
from scorecard.language.base import NAME_PATTERN, Strict
from scorecard.language.settings import Calendar, Dimension, Locale, Relationship

Owner = Literal["sales", "marketing"]
Format = Literal["count", "number", "percent", "currency", "days", "hours", "ratio"]
Direction = Literal["higher_is_better", "lower_is_better"]
Section = Literal["handover", "sales", "shared"]
TieRule = Literal["min", "dense", "average"]
Grain = Literal["week", "month", "quarter", "year"]
Window = Literal["week", "4w", "13w", "mtd", "qtd"]
WINDOWS: tuple[str, ...] = ("week", "4w", "13w", "mtd", "qtd")


def _node(text: str | None) -> ex.Node | None:
    return None if text is None else ex.parse(text)


def parse_expressions(definition: BaseModel) -> None:
    """Parse every expression a definition holds, now, and keep the trees (its cached properties),
    with those of the definitions inside it: the catalog loader calls it once per definition, so
    compiling and readiness never parse text."""
    for cls in type(definition).__mro__:
        for name, attr in vars(cls).items():
            if isinstance(attr, cached_property):
                getattr(definition, name)
    for name in type(definition).model_fields:
        value = getattr(definition, name)
        for inner in value if isinstance(value, tuple) else (value,):
            if isinstance(inner, BaseModel):
                parse_expressions(inner)

class Threshold(Strict):
    green: float
    amber: float
    value: float | None = Field(None, description="the target; defaults to the green threshold")


class TargetOverride(Threshold):
    when: dict[str, str] = Field(default_factory=dict, description="dimension -> value this target applies to")
    from_: dt.date | None = Field(None, alias="from", description="first day this target applies")


class Target(Threshold):
    overrides: tuple[TargetOverride, ...] = ()
    example: bool = Field(
        False,
        description="an example target shipped with the catalog: on imported data it judges nothing until a "
        "person confirms or replaces it (`scorecard targets confirm`); the demo judges it",
    )


class ChangeRule(Strict):
    """When a change from the previous period is coloured: only when it is larger than chance would
    give at this volume (a two-sided test at `level`)."""

    test: Literal["auto"] = Field(
        "auto",
        description="auto: the test of the aggregate's kind (Poisson for counts, two-proportion for rates, "
        "Welch for means, delta method for ratios and sums, order statistics for medians and percentiles)",
    )
    level: float = Field(0.95, gt=0.5, lt=1.0, description="confidence level, e.g. 0.95 or 0.9")


SpreadTime = Annotated[
    dict[Literal["spread"], tuple[str, str]],
    Field(description="spread the value evenly over the days from the first to the second (inclusive) date"),
]
OpenTime = Annotated[
    dict[Literal["open"], tuple[str, str]],
    Field(description="count the row in every period at whose end it is open: opened, not yet closed"),
]


TimeAnchor = str | SpreadTime | OpenTime | AheadTime


class Measure(Strict):
    """One side of a ratio: exactly one of count/sum/average, on a base table."""

    count: str | None = Field(None, description="base table to count rows of")
    sum: str | None = Field(None, description="expression to add up (needs `of`)")
    average: str | None = Field(None, description="expression to average (needs `of`)")
    of: str | None = None
    filter: str | None = None
    time: TimeAnchor | None = None

    @model_validator(mode="after")
    def _one_aggregate(self) -> Measure:
        given = [k for k in ("count", "sum", "average") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a measure needs exactly one of count, sum, average")
        if given[0] != "count" and self.of is None:
            raise ValueError(f"'{given[0]}' needs 'of: TABLE' to say which table it adds up")
        return self

    @property
    def agg(self) -> Literal["count", "sum", "average"]:
        return "count" if self.count is not None else "sum" if self.sum is not None else "average"

    @property
    def table(self) -> str:
        return self.count if self.count is not None else str(self.of)

    @property
    def value(self) -> str | None:
        return self.sum if self.sum is not None else self.average

    @cached_property
    def value_node(self) -> ex.Node | None:
        """`value`, parsed once (compiling never parses text)."""
        return _node(self.value)

    @cached_property
    def filter_node(self) -> ex.Node | None:
        return _node(self.filter)

    @cached_property
    def anchor(self) -> Time | None:
        """The side's own `time:`, parsed (None: the metric's)."""
        return None if self.time is None else parse_time(self.time)


class Requirement(Strict):
    """A condition the data must meet, over all its rows, for a metric to be judged.

    `of: opportunities, filter: "closed_at is not null and not is_won"` needs at least one
    lost deal: a win rate over data that holds only won deals is not a 100% win rate.
    """

    of: str = Field(description="the table that must hold at least one row meeting the filter")
    filter: str | None = Field(None, description="condition on that table's rows (expression grammar)")
    message: str = Field(min_length=5, description="what is missing, in plain words: 'the data has no lost deals'")

    @cached_property
    def filter_node(self) -> ex.Node | None:
        return _node(self.filter)


Accountable = Literal["sales", "marketing", "both"]


class MetricBase(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    label: str
    description: str = Field(min_length=20, description="what it measures and why both teams accept it")
    owner: Accountable = Field(
        description="the one team that answers for the number: sales or marketing ('both' only for shared "
        "outcomes such as bookings, attainment and cost-to-margin)"
    )
    contributors: tuple[Owner, ...] = Field((), description="teams that move the number without answering for it")
    section: Section | None = Field(None, description="handover | sales | shared; default from owner")
    format: Format = "number"
    direction: Direction = "higher_is_better"
    min_sample: int = Field(0, ge=0)
    min_events: int = Field(
        0,
        ge=0,
        description="for a rate of rare events (wins of leads): the events needed before it is judged",
    )
    event_noun: str = Field("events", description="what the events are called in messages: wins, deals...")
    change: ChangeRule | Literal["always"] = Field(
        default_factory=ChangeRule,
        description="when a change is coloured: {level: 0.95} (the default: only beyond its noise) or `always`",
    )
    target: Target | None = None
    scorecard: bool = Field(True, description="show on the weekly scorecard")
    requires: tuple[Requirement, ...] = Field((), description="conditions the data must meet to judge this metric")
    settles_after: int | None = Field(
        None,
        ge=0,
        le=3660,
        description="days after a period ends until its value stops changing (later events still count)",
    )
    window: Window = Field("week", description="default window: week, 4w, 13w, mtd (month to date), qtd")

    @model_validator(mode="before")
    @classmethod
    def _legacy_owners(cls, data: Any) -> Any:
        """Catalogs written before `owner:` said `owners: [sales, marketing]`: one team becomes the
        owner, two (or `both`) become `owner: both`. Giving both keys is a mistake to fix."""
        if not isinstance(data, dict) or "owners" not in data:
            return data
        if "owner" in data:
            raise ValueError(
                "give `owner: sales | marketing` (and `contributors:`), not also the older `owners:`; "
                "delete the `owners:` line"
            )
        data = dict(data)
        given = data.pop("owners")
        teams = [given] if isinstance(given, str) else list(given or [])
        if "both" in teams or {"sales", "marketing"} <= set(teams):
            data["owner"] = "both"
        elif len(teams) == 1:
            data["owner"] = teams[0]
        else:
            raise ValueError(
                f"owners: {given!r} names no team; write `owner: sales` or `owner: marketing` "
                "(the team that answers for the number) and list the others under `contributors:`"
            )
        return data

    @model_validator(mode="after")
    def _contributors_differ(self) -> MetricBase:
        if self.owner != "both" and self.owner in self.contributors:
            raise ValueError(f"{self.owner} is the owner; list only the other teams under `contributors`")
        return self

    @property
    def owners(self) -> tuple[Owner, ...]:
        """The teams that answer for the number: the owner, or both teams for a shared outcome."""
        return ("sales", "marketing") if self.owner == "both" else (self.owner,)

    @property
    def resolved_section(self) -> Section:
        """The scorecard section follows who answers: marketing's numbers under what it hands over,
        sales' under what sales does with it, the shared outcomes under what both own."""
        if self.section:
            return self.section
        return {"both": "shared", "marketing": "handover", "sales": "sales"}[self.owner]  # type: ignore[return-value]


class AggregateMetric(MetricBase):
    """count, sum, average or percentile of rows of one base table."""

    type: Literal["count", "sum", "average", "percentile", "median"]
    of: str
    value: str | None = Field(None, description="expression aggregated (not for count)")
    percentile: float | None = Field(None, gt=0, lt=1, description="0.9 for p90 (type percentile)")
    filter: str | None = None
    time: TimeAnchor

    @model_validator(mode="after")
    def _value_needed(self) -> AggregateMetric:
        if self.type != "count" and self.value is None:
            raise ValueError(f"type {self.type} needs 'value: EXPRESSION'")
        if self.type == "percentile" and self.percentile is None:
            raise ValueError("type percentile needs 'percentile: 0.x'")
        return self

    @property
    def fraction(self) -> float:
        return 0.5 if self.type == "median" else float(self.percentile or 0.5)

    @cached_property
    def value_node(self) -> ex.Node | None:
        return _node(self.value)

    @cached_property
    def filter_node(self) -> ex.Node | None:
        return _node(self.filter)

    @cached_property
    def anchor(self) -> Time:
        return parse_time(self.time)


class RatioMetric(MetricBase):
    """numerator / denominator, each with its own base table and filter."""

    type: Literal["ratio"]
    numerator: Measure
    denominator: Measure
    time: TimeAnchor | None = Field(None, description="default time anchor of both sides")
    sample: Literal["numerator", "denominator"] = "denominator"

    @cached_property
    def anchor(self) -> Time | None:
        """The default anchor of both sides, parsed."""
        return None if self.time is None else parse_time(self.time)


class DerivedMetric(MetricBase):
    """Arithmetic over other metrics, computed per period from their values."""

    type: Literal["derived"]
    formula: str

    @cached_property
    def formula_node(self) -> ex.Node:
        """The formula, parsed once (raises ExpressionError if it does not parse)."""
        return ex.parse(self.formula)

    @property
    def components(self) -> tuple[str, ...]:
        """The metrics the formula names, sorted (raises ExpressionError if it does not parse)."""
        return tuple(sorted({name.dotted for name in ex.names(self.formula_node)}))


class CohortMetric(MetricBase):
    """Of the rows entering in a period, the share (or value per row) reaching an event in a window."""

    type: Literal["cohort"]
    of: str
    time: str = Field(description="when a row enters its cohort, e.g. created_at")
    filter: str | None = None
    event: str = Field(description="condition for reaching the event, e.g. opportunity.is_won")
    event_time: str = Field(description="when the event happens, e.g. opportunity.closed_at")
    window_days: int = Field(gt=0, le=3660)
    value: str | None = Field(None, description="add this up over converted rows instead of counting them")

    @cached_property
    def anchor(self) -> Time:
        return parse_time(self.time)

    @cached_property
    def filter_node(self) -> ex.Node | None:
        return _node(self.filter)

    @cached_property
    def event_node(self) -> ex.Node:
        return ex.parse(self.event)

    @cached_property
    def event_time_node(self) -> ex.Node:
        return ex.parse(self.event_time)

    @cached_property
    def value_node(self) -> ex.Node | None:
        return _node(self.value)


class Tier(Strict):
    name: str
    share: float = Field(gt=0, le=1)


class MinActivity(Strict):
    metric: str
    at_least: float


class SmallGroups(Strict):
    """What a peer group too small to force a distribution on does.

    A group of five has no 10% bottom tier, a group of six has one: without a rule a 49% rep
    is "bottom" in one group while a 27% rep is "middle" in the next. Groups with fewer
    eligible reps than `below` are pooled by the `pool` dimensions (all small groups of the
    same segment together, say); a group still below after pooling is ranked but not tiered.
    """

    below: int = Field(ge=2, description="a peer group with fewer eligible reps than this is small")
    pool: tuple[str, ...] | None = Field(
        None,
        description="dimensions (a part of `group`) small groups are pooled by; [] pools every small group "
        "together; omitted: small groups are not pooled",
    )

    @field_validator("pool", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value
_OF_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
    "description": "the metric reps are ranked on; a list names fallbacks, tried in order",
}


class RankMetric(MetricBase):
    """Forced ranking of reps by another metric within a peer group over a period."""

    type: Literal["rank"]
    of: Annotated[str, WithJsonSchema(_OF_SCHEMA)] = Field(
        description="the metric reps are ranked on; a list names fallbacks, tried in order "
        "(e.g. [quota_attainment, bookings])"
    )
    fallbacks: tuple[str, ...] = Field(
        (), description="metrics to rank on, in order, when no rep has a value of `of` (written as `of: [a, b]`)"
    )

    @model_validator(mode="before")
    @classmethod
    def _of_list(cls, data: Any) -> Any:
        """`of: [quota_attainment, bookings]`: the first is ranked on, the rest are fallbacks."""
        if isinstance(data, dict) and isinstance(data.get("of"), list | tuple) and data["of"]:
            first, *rest = data["of"]
            data = {**data, "of": first, "fallbacks": (*rest, *data.get("fallbacks", ()))}
        return data

    @property
    def candidates(self) -> tuple[str, ...]:
        """The metrics a ranking may use, in order of preference."""
        return (self.of, *self.fallbacks)

    by: str = Field("rep", description="dimension that names who is ranked")
    group: str | tuple[str, ...] | None = Field(
        "region",
        description="peer group dimension, or a list of them ([region, rep_segment]); each must be a property "
        "of the ranked people's own table (none: everyone together)",
    )
    small_groups: SmallGroups | None = Field(None, description="the rule for peer groups too small to tier")
    min_tenure_months: int = Field(
        0, ge=0, le=120, description="reps hired fewer whole months before the period's end are flagged, not ranked"
    )
    hire_date: str = Field("hire_date", description="column of the ranked people's table holding the hire date")
    context: dict[str, str] = Field(
        default_factory=dict,
        description="metrics shown beside each rep's rank, in order: a list of metric names, or key -> metric "
        "(deals_closed: won_deals) to name the column in exports",
    )
    context_by: str | None = Field(
        None,
        description="dimension the context metrics are counted by (default: `by`); a deal-owner dimension "
        "credits an account executive with the leads behind their deals",
    )
    period: Literal["week", "month", "quarter", "year"] = "quarter"
    tiers: tuple[Tier, ...] = (
        Tier(name="top", share=0.2),
        Tier(name="middle", share=0.7),
        Tier(name="bottom", share=0.1),
    )
    ties: TieRule = "min"
    min_activity: MinActivity | None = None

    @field_validator("context", mode="before")
    @classmethod
    def _context_names(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return {str(name): str(name) for name in value}
        return value

    @cached_property
    def hire_date_node(self) -> ex.Node:
        return ex.parse(self.hire_date)

    @property
    def groups(self) -> tuple[str, ...]:
        """The peer-group dimensions, in order (() = everyone together)."""
        if self.group is None:
            return ()
        return (self.group,) if isinstance(self.group, str) else tuple(self.group)

    @field_validator("tiers")
    @classmethod
    def _shares_add_up(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        total = sum(t.share for t in tiers)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"tier shares add up to {total:g}; they must add up to 1")
        return tiers


Metric = Annotated[
    AggregateMetric | RatioMetric | DerivedMetric | CohortMetric | RankMetric,
    Field(discriminator="type"),
]
METRIC_TYPES: tuple[str, ...] = (
    "count",
    "sum",
    "average",
    "median",
    "percentile",
    "ratio",
    "derived",
    "cohort",
    "rank",
)
MODEL_BY_TYPE: dict[str, type[MetricBase]] = {
    **{t: AggregateMetric for t in ("count", "sum", "average", "median", "percentile")},
    "ratio": RatioMetric,
    "derived": DerivedMetric,
    "cohort": CohortMetric,
    "rank": RankMetric,
}


TEST_CHECKS: tuple[str, ...] = ("equals", "between", "equals_metric", "sum_over")


class MetricTest(Strict):
    """A check on a metric's value for one week, declared beside the definitions (`tests:`).

    Exactly one of: `equals` a number, `between` two bounds, `equals_metric` another metric's
    value for the same week and filters, or `sum_over` a dimension (the values by that
    dimension add up to the total; counts and sums only). Run by `python -m scorecard test`
    and by the definitions editor before a save.
    """

    name: str = Field(pattern=NAME_PATTERN)
    metric: str
    description: str = ""
    week: str | None = Field(None, description="YYYY-Www or a date in it; default: the last complete week")
    weeks_ago: int = Field(0, ge=0, description="weeks before the default week (for cohorts that need time)")
    filters: dict[str, tuple[str, ...]] = Field(default_factory=dict, description="dimension -> values")
    equals: float | None = None
    between: tuple[float, float] | None = None
    equals_metric: str | None = None
    sum_over: str | None = Field(None, description="dimension whose values add up to the total")
    tolerance: float = Field(0.0, ge=0, description="absolute difference allowed (plus float rounding)")

    @field_validator("filters", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _one_check(self) -> MetricTest:
        given = [k for k in TEST_CHECKS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a test needs exactly one of {', '.join(TEST_CHECKS)} (got {len(given)})")
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError(f"between: the low bound {self.between[0]:g} is above the high {self.between[1]:g}")
        if self.week is not None and self.weeks_ago:
            raise ValueError("give `week` or `weeks_ago`, not both")
        return self

    @property
    def check(self) -> str:
        """Which of TEST_CHECKS this test makes."""
        return next(k for k in TEST_CHECKS if getattr(self, k) is not None)


class CatalogFile(Strict):
    """The whole metrics.yaml, for the published JSON Schema."""

    version: int = 1
    calendar: Calendar = Calendar()
    locale: Locale = Locale()
    relationships: tuple[Relationship, ...] = ()
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    tests: tuple[MetricTest, ...] = ()

"""Turn text cells into typed values, vectorised: dates, money, numbers, booleans, maps.

Each parser takes a text Series (null = blank) and returns the typed values plus a
mask of cells that were not blank but could not be read, so the caller can quarantine
them with the original text. Work is done by pyarrow/pandas kernels over whole
columns; per-value Python runs only over the distinct values of low-cardinality
columns (value maps, booleans, month names).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DateOrder = Literal["mdy", "dmy"]
Decimal = Literal["auto", ".", ","]

NAMED_FORMATS: frozenset[str] = frozenset({"auto", "iso", "mdy", "us", "dmy", "eu", "excel"})
"""Date formats by name; anything else is a strftime pattern such as %d.%m.%Y %H:%M."""

_ISO = (
    r"^(?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[T ]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"\s*(?P<ap>[AaPp]\.?[Mm]\.?)?\s*(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)
_NUMERIC = (
    r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})"
    r"(?:,?[T ]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"\s*(?P<ap>[AaPp]\.?[Mm]\.?)?\s*(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)
_NAMED_MONTH = (
    r"^(?:[A-Za-z]{3,9},?\s+)?(?:(?P<d1>\d{1,2})[ -](?P<m1>[A-Za-z]{3,9})\.?[ -](?P<y1>\d{4}|\d{2})"
    r"|(?P<m2>[A-Za-z]{3,9})\.? (?P<d2>\d{1,2})(?:st|nd|rd|th)?,? (?P<y2>\d{4}))"
    r"(?:,?[T ]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?"
    r"\s*(?P<ap>[AaPp]\.?[Mm]\.?)?\s*(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)
_COMPACT = r"^(?P<y>(?:19|20|21)\d{2})(?P<mo>\d{2})(?P<d>\d{2})$"
_SERIAL = r"^\d{1,6}(?:\.\d+)?$"
_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "x", "checked", "on", "won", "closed won"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "unchecked", "off", "lost", "closed lost"})


TEXT = pd.StringDtype(na_value=np.nan)
_MISSING = object()


@dataclass(frozen=True)
class Parsed:
    """Typed values and the mask of cells that held unreadable text."""

    values: pd.Series
    bad: np.ndarray


# --- text ---------------------------------------------------------------------------------


def clean_text(series: pd.Series) -> pd.Series:
    """Trim spaces (including non-breaking ones); blank becomes null."""
    text = series.astype(TEXT).str.strip(" \t\r\n\u00a0\u202f\ufeff")
    return text.mask(text == "")


def fold(value: Any) -> str:
    """Compare names the way people mean them: case, spaces and underscores ignored."""
    return re.sub(r"[\s_\-]+", "", str(value)).casefold()


def fold_key(value: Any) -> str:
    """Natural keys (rep names, account names, emails): case and repeated spaces ignored."""
    return " ".join(str(value).split()).casefold()


def arrow_text(series: pd.Series) -> pa.Array:
    """The text of a Series as an Arrow string array (zero-copy for Arrow-backed text)."""
    array = pa.array(series, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string())


def to_text(value: Any) -> str | None:
    """A YAML scalar or Python value as the text a parser reads (None stays None)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return str(value)


def map_distinct(series: pd.Series, function: Callable[[Any], Any], dtype: Any = object) -> pd.Series:
    """Apply a Python function once per distinct value, then broadcast (fast for low cardinality)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = [function(u) for u in uniques]
    if dtype is TEXT or dtype == "text":
        array = pd.array([*mapped, None], dtype=TEXT).take(np.where(codes < 0, len(mapped), codes))
        return pd.Series(array, index=series.index)
    out = pd.Series(np.array([*mapped, None], dtype=object)[codes], index=series.index)
    return out.astype(dtype) if dtype is not object else out


def apply_value_map(text: pd.Series, values: Mapping[str, Any], keep_unmapped: bool) -> tuple[pd.Series, np.ndarray]:
    """Translate text through a map whose keys are folded; returns (text result, unmapped mask).

    Unmapped values become null, or stay as they were with `keep_unmapped`.
    """
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    found = [values.get(fold(u), _MISSING) for u in uniques]
    unmapped_unique = np.array([f is _MISSING for f in found] + [False], dtype=bool)
    mapped_text = [None if f is _MISSING else to_text(f) for f in found]
    index = np.where(codes < 0, len(found), codes)
    result = pd.Series(pd.array([*mapped_text, None], dtype=TEXT).take(index), index=text.index)
    unmapped = unmapped_unique[index]
    if keep_unmapped:
        result = result.where(~unmapped, text)
    return result, unmapped


# --- numbers -------------------------------------------------------------------------------

_NUMBER_SHAPE = (
    r"^(?P<neg1>[-+−]?)\s*(?P<open>\(?)\s*(?P<neg2>[-+−]?)\s*(?:[A-Za-z]{1,3}\s?)?[$€£¥₹]?\s*(?P<neg3>[-+−]?)\s*"
    r"(?P<digits>(?:\d[\d.,'’ \x{00a0}\x{202f}]*)?(?:[.,]\d+)?)"
    r"\s*(?:[$€£¥₹]|[A-Za-z]{1,3})?\s*(?P<pct>%?)\s*(?P<close>\)?)\s*(?P<neg4>-?)$"
)


def _matches(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


def parse_number(text: pd.Series, decimal: Decimal = "auto", percent: bool = False) -> Parsed:
    """Read '$1,234.50', '1.234,50 €', '(300)', '-12', '12%', '1 234,5': a float per cell.

    Parentheses and minus signs make a value negative; a trailing % divides by 100
    when `percent` is set (shares such as margin rates), else it is unreadable. With
    decimal 'auto' each value's own marks decide when they can: both marks present, the
    last is the decimal; one mark is the decimal unless it repeats or exactly three
    digits follow it. The ambiguous rest (1,234 or 1.234) follow the column's
    majority, else dot.
    """
    text = clean_text(text)
    present = text.notna().to_numpy()
    arr = arrow_text(text)
    shaped = _matches(arr, _NUMBER_SHAPE)
    parts = pc.extract_regex(pc.if_else(shaped, arr, pa.scalar(None, pa.string())), _NUMBER_SHAPE)
    digits = pc.replace_substring_regex(parts.field("digits"), r"[ '’\x{00a0}\x{202f}]", "")
    paren = pc.and_(pc.equal(parts.field("open"), "("), pc.equal(parts.field("close"), ")"))
    unbalanced = pc.not_equal(parts.field("open"), pc.if_else(pc.equal(parts.field("close"), ")"), "(", ""))
    minus = pc.or_(
        pc.or_(
            pc.is_in(parts.field("neg1"), pa.array(["-", "−"])), pc.is_in(parts.field("neg2"), pa.array(["-", "−"]))
        ),
        pc.or_(pc.is_in(parts.field("neg3"), pa.array(["-", "−"])), pc.equal(parts.field("neg4"), "-")),
    )
    negative = pc.fill_null(pc.or_(minus, paren), False).to_numpy(zero_copy_only=False)
    if decimal == "auto":
        both = pc.and_(_matches(digits, r"\."), _matches(digits, ","))
        comma_last = _matches(digits, r",[^.]*$")
        comma_alone = pc.and_(
            pc.and_(_matches(digits, ","), pc.invert(_matches(digits, r"\."))),
            pc.invert(_matches(digits, r",.*,|,\d{3}$")),
        )
        dot_alone = pc.and_(
            pc.and_(_matches(digits, r"\."), pc.invert(_matches(digits, ","))),
            pc.invert(_matches(digits, r"\..*\.|\.\d{3}$")),
        )
        dots_group = _matches(digits, r"^\d{1,3}(?:\.\d{3}){2,}$")
        commas_group = _matches(digits, r"^\d{1,3}(?:,\d{3}){2,}$")
        comma = pc.or_(pc.or_(pc.and_(both, comma_last), comma_alone), dots_group)
        dot = pc.or_(pc.or_(pc.and_(both, pc.invert(comma_last)), dot_alone), commas_group)
        column_comma = pc.sum(comma).as_py() or 0
        column_dot = pc.sum(dot).as_py() or 0
        comma_decimal = pc.or_(comma, pc.and_(pc.invert(dot), pa.scalar(column_comma > column_dot)))
    else:
        comma_decimal = pa.scalar(decimal == ",")
    as_comma = pc.replace_substring(pc.replace_substring(digits, ".", ""), ",", ".")
    as_dot = pc.replace_substring(digits, ",", "")
    normal = pc.if_else(comma_decimal, as_comma, as_dot)
    grouped = pc.if_else(
        comma_decimal,
        _matches(digits, r"^(?:\d+|\d{1,3}(?:\.\d{3})+)(?:,\d*)?$|^,\d+$"),
        _matches(digits, r"^(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d*)?$|^\.\d+$"),
    )
    readable = pc.and_(pc.and_(_matches(normal, r"^(?:\d+\.?\d*|\.\d+)$"), shaped), grouped)
    value = pc.cast(pc.if_else(readable, normal, pa.scalar(None, pa.string())), pa.float64())
    values = value.to_numpy(zero_copy_only=False).astype(float)
    values = np.where(negative, -values, values)
    pct = pc.fill_null(pc.equal(parts.field("pct"), "%"), False).to_numpy(zero_copy_only=False)
    if percent:
        values = np.where(pct, values / 100, values)
    bad_shape = pc.fill_null(unbalanced, False).to_numpy(zero_copy_only=False) | (pct & (not percent))
    bad = (bad_shape | np.isnan(values)) & present
    return Parsed(pd.Series(np.where(bad, np.nan, values), index=text.index, dtype=float), bad)


def parse_money(text: pd.Series, decimal: Decimal = "auto") -> Parsed:
    """Money: a number rounded to cents."""
    parsed = parse_number(text, decimal)
    return Parsed(parsed.values.round(2), parsed.bad)


def parse_integer(text: pd.Series, decimal: Decimal = "auto", scale: float = 1.0) -> Parsed:
    """Whole numbers; clock durations 'h:mm:ss' and 'm:ss' read as seconds."""
    text = clean_text(text)
    clock = text.str.extract(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2})$")
    is_clock = clock["s"].notna()
    seconds = (
        pd.to_numeric(clock["h"], errors="coerce").fillna(0) * 3600
        + pd.to_numeric(clock["m"], errors="coerce") * 60
        + pd.to_numeric(clock["s"], errors="coerce")
    )
    number = parse_number(text.where(~is_clock), decimal)
    values = (number.values * scale).round().where(~is_clock, seconds)
    bad = number.bad & ~is_clock.to_numpy()
    too_big = (values.abs() >= 2.0**63).fillna(False).to_numpy(dtype=bool)  # no 64-bit integer holds it
    values = values.where(~too_big)
    return Parsed(values.astype("Int64"), bad | too_big)


def parse_boolean(text: pd.Series) -> Parsed:
    """true/false, yes/no, y/n, 1/0, x, checked... (case-insensitive)."""
    text = clean_text(text)

    def read(value: str) -> bool | None:
        word = " ".join(value.split()).casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        return None

    values = map_distinct(text, read)
    bad = values.isna().to_numpy() & text.notna().to_numpy()
    return Parsed(values.astype("boolean"), bad)


# --- dates and times ------------------------------------------------------------------------


def _num(arr: pa.Array) -> np.ndarray:
    """Digits text to float; empty or missing text becomes NaN."""
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)


def _group(parts: pa.StructArray, name: str) -> np.ndarray:
    return _num(parts.field(name))


def _either(parts: pa.StructArray, first: str, second: str) -> np.ndarray:
    a, b = _group(parts, first), _group(parts, second)
    return np.where(np.isnan(a), b, a)


def _assemble(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, parts: pa.StructArray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build naive timestamps from regex groups; returns (datetime64[us], offset minutes or
    NaN, whether the text gave a time of day)."""
    names = set(parts.type.names) if hasattr(parts.type, "names") else {f.name for f in parts.type}
    zeros = np.zeros(len(year))
    timed = ~np.isnan(_group(parts, "h")) if "h" in names else np.zeros(len(year), dtype=bool)
    hour = np.nan_to_num(_group(parts, "h")) if "h" in names else zeros
    minute = np.nan_to_num(_group(parts, "mi")) if "mi" in names else zeros
    second = np.nan_to_num(_group(parts, "s")) if "s" in names else zeros
    micro = zeros
    if "f" in names:
        frac = pc.utf8_slice_codeunits(pc.utf8_rpad(parts.field("f"), 6, "0"), 0, 6)
        micro = np.nan_to_num(_num(pc.if_else(pc.equal(frac, "000000"), "", frac)))
    if "ap" in names:
        ampm = pc.utf8_lower(parts.field("ap"))
        has_ampm = pc.not_equal(ampm, "").to_numpy(zero_copy_only=False)
        is_pm = pc.starts_with(ampm, "p").to_numpy(zero_copy_only=False)
    else:
        has_ampm = is_pm = np.zeros(len(year), dtype=bool)
    bad = (has_ampm & ((hour < 1) | (hour > 12))) | (minute > 59) | (second > 59)
    hour = np.where(has_ampm, hour % 12 + np.where(is_pm, 12, 0), hour)
    bad |= hour > 23
    short = np.zeros(len(year), dtype=bool)  # only a two-digit year is a century guess; 0001 is year 1
    for field in ("y", "y1", "y2"):
        if field in names:
            width = pc.utf8_length(pc.fill_null(parts.field(field), "")).to_numpy(zero_copy_only=False)
            short |= (width > 0) & (width <= 2)
    year = np.where(short & (year < 100), np.where(year < 69, year + 2000, year + 1900), year)
    bad |= (year < 1) | (year > 9999)  # no such year in a calendar date (0000 would break .date later)
    dates = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    days = dates.to_numpy(dtype="datetime64[us]")
    clock = ((hour * 3600 + minute * 60 + second) * 1_000_000 + micro).astype("int64").astype("timedelta64[us]")
    stamps = np.where(bad, np.datetime64("NaT", "us"), days + clock)
    offsets = _offsets(parts.field("tz")) if "tz" in names else np.full(len(year), np.nan)
    return stamps, offsets, timed


def _offsets(tz: pa.Array) -> np.ndarray:
    """Minutes east of UTC for Z/UTC/+01:00 suffixes; NaN where the text had none."""
    upper = pc.utf8_upper(pc.fill_null(tz, ""))
    out = np.full(len(tz), np.nan)
    out[pc.is_in(upper, value_set=pa.array(["Z", "UTC", "GMT"])).to_numpy(zero_copy_only=False)] = 0
    signed = pc.match_substring_regex(upper, r"^[+-]\d{2}").to_numpy(zero_copy_only=False)
    if signed.any():
        parts = pc.extract_regex(pc.filter(upper, pa.array(signed)), r"^(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})?$")
        sign = np.where(pc.equal(parts.field("sign"), "-").to_numpy(zero_copy_only=False), -1, 1)
        out[signed] = sign * (np.nan_to_num(_group(parts, "h")) * 60 + np.nan_to_num(_group(parts, "m")))
    return out


def _extract(arr: pa.Array, pattern: str, todo: np.ndarray) -> tuple[np.ndarray, pa.StructArray]:
    """Which of the `todo` cells match `pattern`, and their named groups (in order)."""
    matched = pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False) & todo
    return matched, pc.extract_regex(pc.filter(arr, pa.array(matched)), pattern)


_MONTH_NAMES = pa.array(list(_MONTHS))
_MONTH_NUMBERS = np.array([*_MONTHS.values(), np.nan], dtype=float)


_TIME_DIRECTIVES = re.compile(r"%[HIMSfpXcTRrsz]")


def parse_datetime(
    text: pd.Series,
    fmt: str = "auto",
    timezone: str = "UTC",
    day_first: bool = False,
    date_zone: str | None = None,
) -> Parsed:
    """Read dates and times in ISO, m/d/Y, d/m/Y (with or without time, 12/24 h), named
    months, or Excel serial numbers; convert local times in `timezone` to naive UTC.

    `fmt` is 'auto' (detect per value; a column's day/month order is detected from
    values above 12, else `day_first` decides), 'iso', 'mdy'/'us', 'dmy'/'eu',
    'excel', or a strftime pattern. Offsets in the text (Z, +01:00) win over `timezone`.

    A value with no time of day ('2017-03-01', a whole Excel serial) is a calendar day:
    it becomes the instant that day begins in `date_zone` (the catalog's time zone, so
    the day falls in its own week there), not midnight in `timezone`.
    """
    text = clean_text(text)
    n = len(text)
    present = text.notna().to_numpy()
    stamps = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    offsets = np.full(n, np.nan)
    timed = np.zeros(n, dtype=bool)
    arr = arrow_text(text)
    name = fmt.lower() if fmt.lower() in NAMED_FORMATS else None
    todo = present.copy()

    def put(matched: np.ndarray, result: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        stamps[matched], offsets[matched], timed[matched] = result
        todo[matched] = False

    if name is None:
        parsed = pc.strptime(arr, format=fmt, unit="us", error_is_null=True)
        if "%z" in fmt:
            parsed = pc.cast(parsed, pa.timestamp("us"))
        values = parsed.to_numpy(zero_copy_only=False).astype("datetime64[us]")
        ok = ~np.isnat(values)
        stamps[ok] = values[ok]
        timed[ok] = bool(_TIME_DIRECTIVES.search(fmt))
        if "%z" in fmt:
            offsets[ok] = 0
    if name in ("auto", "iso"):
        matched, parts = _extract(arr, _ISO, todo)
        if matched.any():
            put(matched, _assemble(_group(parts, "y"), _group(parts, "mo"), _group(parts, "d"), parts))
    if name == "auto":
        matched, parts = _extract(arr, _COMPACT, todo)
        if matched.any():
            put(matched, _assemble(_group(parts, "y"), _group(parts, "mo"), _group(parts, "d"), parts))
    if name in ("auto", "mdy", "us", "dmy", "eu"):
        matched, parts = _extract(arr, _NUMERIC, todo)
        if matched.any():
            a, b = _group(parts, "a"), _group(parts, "b")
            if name in ("mdy", "us", "dmy", "eu"):
                day_month = np.full(len(a), name in ("dmy", "eu"))
            else:
                # 31.01.2026 is always day-first; slashes and dashes follow the column:
                # values above 12 show which part is the day, else `day_first` decides.
                dotted = pc.equal(parts.field("sep"), ".").to_numpy(zero_copy_only=False)
                a_big, b_big = bool((a[~dotted] > 12).any()), bool((b[~dotted] > 12).any())
                day_month = dotted | (a_big if a_big != b_big else day_first)
            month, day = np.where(day_month, b, a), np.where(day_month, a, b)
            put(matched, _assemble(_group(parts, "y"), month, day, parts))
    if name == "auto":
        matched, parts = _extract(arr, _NAMED_MONTH, todo)
        if matched.any():
            words = pc.utf8_lower(pc.binary_join_element_wise(parts.field("m1"), parts.field("m2"), ""))
            index = pc.fill_null(pc.index_in(words, value_set=_MONTH_NAMES), len(_MONTHS))
            month = _MONTH_NUMBERS[index.to_numpy(zero_copy_only=False)]
            put(matched, _assemble(_either(parts, "y1", "y2"), month, _either(parts, "d1", "d2"), parts))
    if name in ("auto", "excel"):
        matched = todo & text.str.fullmatch(_SERIAL).fillna(False).to_numpy(dtype=bool)
        if matched.any():
            serial = pd.to_numeric(text[matched], errors="coerce").to_numpy(dtype=float)
            low, high = (10_000, 99_999) if name == "auto" else (0, 2_958_465)
            fine = (serial >= low) & (serial <= high)
            micros = np.round(np.where(fine, serial, 0) * 86_400_000_000).astype("int64")
            stamps[matched] = np.where(fine, _EXCEL_EPOCH + micros.astype("timedelta64[us]"), np.datetime64("NaT"))
            timed[matched] = serial != np.floor(serial)
    if date_zone is None or date_zone == timezone:
        stamps = _to_utc(stamps, offsets, timezone)
    else:
        day_only = ~timed & np.isnan(offsets)
        stamps = np.where(day_only, _to_utc(stamps, offsets, date_zone), _to_utc(stamps, offsets, timezone)).astype(
            "datetime64[us]"
        )
    bad = np.isnat(stamps) & present
    return Parsed(pd.Series(stamps, index=text.index, dtype="datetime64[us]"), bad)


def _to_utc(stamps: np.ndarray, offsets: np.ndarray, timezone: str) -> np.ndarray:
    """Local wall-clock times to naive UTC; stamps with an explicit offset use it."""
    out = stamps.copy()
    has_offset = ~np.isnan(offsets)
    if has_offset.any():
        shift = (offsets[has_offset] * 60_000_000).astype("int64").astype("timedelta64[us]")
        out[has_offset] = stamps[has_offset] - shift
    local = ~has_offset & ~np.isnat(stamps)
    if timezone.upper() != "UTC" and local.any():
        series = pd.Series(stamps[local]).dt.tz_localize(
            timezone, ambiguous=np.ones(int(local.sum()), dtype=bool), nonexistent="shift_forward"
        )
        out[local] = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return out


def parse_date(text: pd.Series, fmt: str = "auto", day_first: bool = False) -> Parsed:
    """Calendar dates (no time zone shift); a time part, if any, is dropped."""
    parsed = parse_datetime(text, fmt, "UTC", day_first)
    days = parsed.values.dt.floor("D")
    return Parsed(pd.Series(days.dt.date.where(days.notna(), None), index=text.index, dtype=object), parsed.bad)

"""Filters checked against the data: a value no row holds is a mistake to report, never a
silent page of zeros ("no lead, deal, rep, account or campaign has region 'Eurpoe'")."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import dimension_values
from scorecard.language import words
from scorecard.sql.compiler import Compiler
from scorecard.store.db import Database

SHOWN_VALUES = 20


def home_tables(catalog: Catalog, dimension: str) -> list[str]:
    """The tables where a dimension's value is kept (region: leads, deals, reps...), in model order."""
    graph = catalog.graph
    compiler = Compiler(catalog)
    homes: list[str] = []
    for table in graph.tables:
        if not compiler.reaches(dimension, table):
            continue
        for path in catalog.dimensions[dimension].paths(table):
            current = table
            for part in path.split(".")[:-1]:
                rel = graph.relation(current, part)
                if rel is None:
                    break
                current = rel.target
            if current not in homes:
                homes.append(current)
    order = list(graph.tables)
    return sorted(homes, key=order.index)


def unmatched(
    catalog: Catalog,
    filters: Mapping[str, Sequence[str]],
    values_of: Mapping[str, Sequence[str]],
) -> list[str]:
    """One plain sentence per filter value that no row holds, with the values there are."""
    problems: list[str] = []
    for dimension, chosen in filters.items():
        if dimension not in catalog.dimensions:
            problems.append(f"unknown dimension {dimension!r}; dimensions: {', '.join(catalog.dimensions)}")
            continue
        known = list(values_of.get(dimension, ()))
        label = catalog.dimensions[dimension].label.lower()
        for value in chosen:
            if value in known:
                continue
            tables = words.either(home_tables(catalog, dimension)) or "row"
            if not known:
                problems.append(f"no {tables} in this data has a {label}, so {label} {value!r} matches nothing")
                continue
            near = difflib.get_close_matches(value, known, n=2, cutoff=0.6)
            hint = f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else ""
            shown = ", ".join(known[:SHOWN_VALUES]) + (
                f", … ({len(known)} in all)" if len(known) > SHOWN_VALUES else ""
            )
            problems.append(f"no {tables} has {label} {value!r}{hint}; values: {shown}")
    return problems


def check(db: Database, catalog: Catalog, filters: Mapping[str, Sequence[str]]) -> list[str]:
    """`unmatched` against the values the data holds (read from every table a dimension reaches)."""
    values = {d: dimension_values(db, catalog, d) for d in filters if d in catalog.dimensions}
    return unmatched(catalog, filters, values)

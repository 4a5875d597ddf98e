"""The model's tables and the relationships metrics.yaml declares between them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from scorecard.language.settings import Relationship
from scorecard.store import model


@dataclass(frozen=True)
class Relation:
    """A named hop from one table to another; to_many when one row reaches many."""

    name: str
    source: str
    target: str
    source_column: str
    target_column: str
    to_many: bool


class Graph:
    """The model's tables and the declared relationships between them."""

    def __init__(self, relationships: Iterable[Relationship]) -> None:
        self.tables: Mapping[str, sa.Table] = model.TABLES
        self._relations: dict[str, dict[str, Relation]] = {name: {} for name in self.tables}
        for rel in relationships:
            if rel.from_ not in self.tables or rel.to not in self.tables:
                continue  # reported by catalog validation
            self._relations[rel.from_][rel.name] = Relation(
                rel.name, rel.from_, rel.to, rel.column, rel.to_column, False
            )
            if rel.reverse:
                self._relations[rel.to][rel.reverse] = Relation(
                    rel.reverse, rel.to, rel.from_, rel.to_column, rel.column, True
                )

    def relation(self, table: str, name: str) -> Relation | None:
        return self._relations.get(table, {}).get(name)

    def relations(self, table: str) -> Mapping[str, Relation]:
        return self._relations.get(table, {})

    def columns(self, table: str) -> list[str]:
        return list(self.tables[table].c.keys())

    def many_to_one_paths(self, source: str, target: str, depth: int = 3) -> list[tuple[Relation, ...]]:
        """The shortest many-to-one paths from source to target (several if ambiguous)."""
        frontier: list[tuple[str, tuple[Relation, ...]]] = [(source, ())]
        for _ in range(depth):
            found: list[tuple[Relation, ...]] = []
            nxt: list[tuple[str, tuple[Relation, ...]]] = []
            for table, path in frontier:
                for rel in self.relations(table).values():
                    if rel.to_many or any(r.target == rel.target for r in path) or rel.target == source:
                        continue
                    if rel.target == target:
                        found.append((*path, rel))
                    nxt.append((rel.target, (*path, rel)))
            if found:
                return found
            frontier = nxt
        return []

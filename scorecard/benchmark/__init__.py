"""`python -m scorecard bench`: the engine timed beside a hand-written SQL baseline and a
pandas baseline, on demo databases of growing size, with every number checked to agree.

- `numbers`: which periods each scorecard metric shows, and comparing two sets of numbers.
- `handsql`: the same numbers in SQL written by hand for DuckDB (no compiler involved).
- `frames`: the same numbers computed in pandas from the raw tables.
- `run`: building the databases, timing in turns, peak memory, the printed and written report.

Nothing here is imported by the rest of the core; the baselines exist to check and to
measure the engine, never to replace it.
"""

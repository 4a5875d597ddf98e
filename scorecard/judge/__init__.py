"""Judgement: the weekly scorecard and its verdicts, readiness and coverage of the data, projections, the forced ranking, what moved, previews and metric tests."""

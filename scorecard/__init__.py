"""Scorecard: one shared set of sales and marketing numbers, defined once in metrics.yaml."""

__version__ = "0.4.0"

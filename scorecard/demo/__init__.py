"""The deterministic demo data: a company whose numbers tell the stories the scorecard is built to show."""

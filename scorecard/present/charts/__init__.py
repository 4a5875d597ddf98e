"""Altair chart builders for the dashboard and the exports: plain functions returning charts.

No Streamlit here: pages pass finished, tidy frames (built by `scorecard.views`) and get a chart
back, so the same figure is drawn in the browser and rendered to PNG/PDF by vl-convert without one.
By role: `palette` (colours), `axes` (number formats, sizes), `trends`, `people` (forced ranking),
`quality` (leads and data), `page` (the one-page scorecard) and `export` (PNG, PDF).
"""

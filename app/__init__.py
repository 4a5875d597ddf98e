"""The Streamlit dashboard's pages: one module per page; `context`, `queries`, `controls`, `tables`
and `chrome` for what they share.

Each page module exposes `render() -> None`. Pages draw; they never build SQL. Numbers
come from the `scorecard` core through the cached loaders in `app.queries`.
"""

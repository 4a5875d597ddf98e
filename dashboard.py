"""Scorecard dashboard: `streamlit run dashboard.py` (or `make run`)."""

from __future__ import annotations

import streamlit as st

from scorecard import config
from scorecard.db import Database, table_counts

st.set_page_config(page_title="Scorecard", layout="wide")
st.title("Scorecard")
db = Database.open(config.database_target())
if not db.exists():
    st.info(f"No data in {db.display()} yet. Run `python -m scorecard demo` to build the demo database.")
else:
    with db.engine().connect() as conn:
        counts = table_counts(conn)
    st.caption(f"Database: {db.display()}")
    st.dataframe({"table": list(counts), "rows": list(counts.values())}, hide_index=True)

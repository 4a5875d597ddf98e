"""Access page (admins): who may sign in, with which role and scope, and who a given address is.

The access file itself is edited as text (README, Security); this page shows what the
dashboard has read from it, every problem with its line, and answers "what would this
person see?" before they try.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import auth, state
from scorecard import access
from scorecard.access import AccessDenied
from scorecard.formatting import MISSING


def render() -> None:
    """Draw the Access page."""
    me = auth.require("manage_access")
    state.page_header("Access", "Who may sign in, with which role, and which rows each person sees.")
    if me.mode == "local":
        st.info(
            "**Local single-user mode**: no sign-in is configured, so this dashboard serves this machine "
            "only and you have every right. To let others in, configure sign-in in `.streamlit/secrets.toml` "
            "and list people in the access file (README, Security).",
            icon=":material/computer:",
        )
    read = auth.policy_state()
    st.markdown(f"Access file: `{read.path}`")
    if read.policy is None:
        st.error(
            "The access file cannot be used, so nobody can sign in:\n\n"
            + "\n".join(f"- `{problem}`" for problem in read.problems[:50]),
            icon=":material/error:",
        )
        return
    rules = read.policy.rules
    frame = pd.DataFrame(
        {
            "Who": [rule.pattern for rule in rules],
            "Role": [access.ROLE_LABELS[rule.role] for rule in rules],
            "Sees": [access.scope_text(rule.scope) if rule.scope else "every row" for rule in rules],
            "Line": [rule.line for rule in rules],
        }
    )
    st.dataframe(frame, hide_index=True, column_config={"Line": st.column_config.NumberColumn(format="%d")},
                 placeholder=MISSING)
    st.caption(
        "An exact address beats its domain (`*@example.com`), which beats `*` (anyone the identity "
        "provider signs in). Analysts and admins edit definitions and notes; only admins import data "
        "and manage access. The file is re-read when it changes."
    )
    email = st.text_input("What would this person see?", placeholder="name@example.com", key="access_lookup")
    if email:
        try:
            person = access.principal_for(read.policy, email)
        except AccessDenied as exc:
            st.warning(str(exc), icon=":material/block:")
        else:
            allowed = [p for p in access.PERMISSIONS if access.can(person, p)]
            st.success(f"{auth.plain(person.describe())} — may: {', '.join(allowed)}", icon=":material/person:")

"""Access page (admins): who may sign in, with which role and scope, and who a given address is.

The access file itself is edited as text (README, Security); this page shows what the
dashboard has read from it, every problem with its line, and answers "what would this
person see?" before they try.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app import auth, chrome
from app.text import plain
from scorecard.access import policy as access
from scorecard.access.policy import AccessDenied, AccessError, Principal
from scorecard.access.store import AccessConflict, current_text, save_policy
from scorecard.catalog.history import content_hash
from scorecard.language.formatting import MISSING


def render() -> None:
    """Draw the Access page."""
    me = auth.require("manage_access")
    chrome.page_header("Access", "Who may sign in, with which role, and which rows each person sees.")
    if me.mode == "local":
        st.info(
            "**Local single-user mode**: no sign-in is configured, so this dashboard serves this machine "
            "only and you have every right. To let others in, configure sign-in in `.streamlit/secrets.toml` "
            "and list people in the access file (README, Security).",
            icon=":material/computer:",
        )
    read = auth.policy_state()
    st.markdown(f"Access file: `{read.path}`")
    if read.policy is None and me.mode == "local" and not read.path.exists():
        # Nothing is broken: a machine serving only itself needs no access file until sign-in is set up.
        st.info(
            "There is no access file yet. Write one below before you configure sign-in: until then only "
            "this machine is served.",
            icon=":material/info:",
        )
    elif read.policy is None:
        st.error(
            "The access file cannot be used, so nobody can sign in:\n\n"
            + "\n".join(f"- `{problem}`" for problem in read.problems[:50]),
            icon=":material/error:",
        )
    _editor(me, read.path)
    if read.policy is None:
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
            st.success(f"{plain(person.describe())} — may: {', '.join(allowed)}", icon=":material/person:")


def _editor(me: Principal, path: Path) -> None:
    """The access file as text: save checks it, refuses conflicts and never locks its editor out."""
    on_disk = current_text(path)
    with st.expander("Edit the access file", icon=":material/edit:", expanded=not on_disk):
        if "access_loaded" not in st.session_state or st.session_state.get("access_reload"):
            st.session_state["access_loaded"] = content_hash(on_disk)
            st.session_state["access_text"] = on_disk or _STARTER
            st.session_state["access_reload"] = False
        text = st.text_area("access.yaml", key="access_text", height=320, label_visibility="collapsed")
        if not st.button("Save", type="primary", icon=":material/save:", key="access_save"):
            return
        try:
            policy = save_policy(path, text, me, st.session_state["access_loaded"])
        except AccessError as exc:
            st.error("Not saved; the file is as it was:\n\n" + "\n".join(f"- `{issue}`" for issue in exc.issues))
            return
        except (AccessDenied, AccessConflict) as exc:
            st.error(f"Not saved: {exc}", icon=":material/block:")
            return
        st.session_state["access_reload"] = True
        st.success(f"Saved {path.name}: {len(policy.rules)} entries. It applies from each person's next click.")


_STARTER = """\
version: 1
users:
  - {email: you@example.com, role: admin}
  # - {email: lead@example.com, role: team_lead, scope: {region: [EMEA]}}
  # - {email: "*@example.com", role: executive}
"""

"""Who is using the dashboard, and the gate every page passes through.

Two modes (README, Security):
- Signed in: `[auth]` in `.streamlit/secrets.toml` configures Streamlit's OpenID Connect
  sign-in (`st.login`). The access file (`$SCORECARD_ACCESS`, else access.yaml next to
  metrics.yaml) gives each address a role and maybe a scope; anyone it does not list, and
  everyone while it is missing or broken, is refused.
- Local: no sign-in configured. One person at this machine, with full rights; the server
  must listen on localhost only (`server.address` in .streamlit/config.toml), and every
  page says so.

The entrypoint calls `gate()` before drawing anything; pages read the person with
`current()` and ask `scorecard.access.can(current(), "edit_definitions")` and the like.
"""

from __future__ import annotations

import getpass
import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import streamlit as st

from app.text import plain
from scorecard.access import policy as access
from scorecard.access.policy import AccessDenied, AccessError, AccessPolicy, Principal
from scorecard.store import config

_PRINCIPAL: Final = "_scorecard_principal"
"""Session key where the gate leaves this run's person for the pages."""

_LOG: Final = logging.getLogger("scorecard.access")


# --- configuration ----------------------------------------------------------------------------------


def access_path() -> Path:
    """The access file: $SCORECARD_ACCESS, else access.yaml next to the catalog."""
    return config.access_path()


def _auth_section() -> Mapping[str, Any]:
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets.toml (StreamlitSecretNotFoundError subclasses it)
        return {}
    return section if isinstance(section, Mapping) else {}


def sign_in_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an `[auth]` section (Streamlit's OIDC sign-in)."""
    return bool(_auth_section())


def providers() -> list[str]:
    """Named identity providers (`[auth.google]`, `[auth.microsoft]`...); empty for the one unnamed provider."""
    return [name for name, value in _auth_section().items() if isinstance(value, Mapping)]


@dataclass(frozen=True)
class PolicyState:
    """The access file as read now: the policy, or why there is none."""

    policy: AccessPolicy | None
    problems: tuple[str, ...]
    path: Path


@st.cache_resource(show_spinner=False, max_entries=8)
def _read_policy(path: str, stamp: tuple[int, int]) -> tuple[AccessPolicy | None, tuple[str, ...]]:
    """One read of the access file; `stamp` (mtime, size) makes an edit a new entry."""
    try:
        return access.load_policy(path), ()
    except AccessError as exc:
        return None, tuple(str(issue) for issue in exc.issues)
    except OSError as exc:
        return None, (f"{path}: cannot read the access file: {exc.strerror or exc}",)


def policy_state() -> PolicyState:
    """The access file now (re-read when it changes; a broken file lets nobody in)."""
    path = access_path()
    try:
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size)
    except OSError:
        return PolicyState(None, (f"{path}: file not found",), path)
    policy, problems = _read_policy(str(path), stamp)
    return PolicyState(policy, problems, path)


def local_user() -> str:
    """The operating-system user running a local dashboard (what imports record in local mode)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "local user"


def is_loopback(address: str | None) -> bool:
    """Whether a `server.address` serves this machine only (unset means every interface)."""
    if not address:
        return False
    if address.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


# --- the gate ----------------------------------------------------------------------------------------


def gate() -> Principal:
    """The person using this session, or a page that says why not and stops the run.

    Signed-in mode: sign-in page until signed in; refusal (with sign-out) for anyone the
    access file does not list, or while the file is missing or broken. Local mode: refuses
    to serve data while the server listens beyond this machine.
    """
    st.session_state.pop(_PRINCIPAL, None)
    if not sign_in_configured():
        address = st.get_option("server.address")
        if not is_loopback(address):
            st.error(
                "**This dashboard has no sign-in configured, so it serves this machine only.**\n\n"
                f"It is listening on `{address or 'every interface'}`. Either restart it with "
                "`--server.address localhost` (as `make run` does), or set up sign-in in "
                "`.streamlit/secrets.toml` and an access file (README, Security).",
                icon=":material/lock:",
            )
            st.stop()
        principal = access.local_principal(local_user())
    else:
        principal = _signed_in()
    st.session_state[_PRINCIPAL] = principal
    return principal


def _signed_in() -> Principal:
    if not st.user.is_logged_in:
        _sign_in_page()
        st.stop()
    state = policy_state()
    if state.policy is None:
        _LOG.error("access file unusable, nobody can sign in:\n%s", "\n".join(state.problems))
        _refuse(
            "The access list cannot be read, so nobody can be let in right now. "
            "An admin must fix the access file (the server log names each problem with its line; "
            "`python -m scorecard access check` does too)."
        )
    verified = st.user.get("email_verified")
    try:
        return access.principal_for(
            state.policy,
            _text(st.user.get("email")),
            _text(st.user.get("name")),
            None if verified is None else verified is True or str(verified).lower() == "true",
        )
    except AccessDenied as exc:
        _refuse(str(exc))
    raise AssertionError("unreachable")  # _refuse stops the run


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _sign_in_page() -> None:
    st.title("Scorecard")
    st.markdown("Sign in to see the sales and marketing scorecard.")
    named = providers()
    if not named:
        st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login, key="sign_in")
        return
    for name in named:
        label = str(_auth_section()[name].get("label") or name.replace("_", " ").title())
        st.button(
            f"Sign in with {label}", icon=":material/login:", on_click=st.login, args=(name,), key=f"sign_in_{name}"
        )


def _refuse(message: str) -> None:
    st.title("Scorecard")
    st.error(message, icon=":material/block:")
    st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out_refused")
    st.stop()


def current() -> Principal | None:
    """The person using this session (set by the gate each run); None outside a gated run."""
    found = st.session_state.get(_PRINCIPAL)
    return found if isinstance(found, Principal) else None


def refused(message: str) -> None:
    """Stop a page with a plain refusal (a right the person lacks, a filter outside their scope)."""
    st.error(message, icon=":material/block:")
    st.stop()


def require(permission: access.Permission) -> Principal:
    """The current person if they may do this; else a refusal that stops the page."""
    principal = current()
    try:
        access.require(principal, permission)
    except AccessDenied as exc:
        refused(str(exc))
    assert principal is not None
    return principal


def identity_sidebar(principal: Principal, labels: Mapping[str, str]) -> None:
    """Who is signed in (role, scope) and a sign-out button; or the local-mode notice."""
    with st.sidebar:
        if principal.mode == "local":
            st.caption(
                ":material/computer: **Local single-user mode**: no sign-in, this machine only "
                f"(`{st.get_option('server.address')}`), full rights for {principal.name}. "
                "README › Security shows how to set up sign-in.",
            )
            return
        scope = f" · {access.scope_text(principal.scope, labels)}" if principal.scope else ""
        st.caption(
            f":material/person: {plain(principal.user_name)} · {access.ROLE_LABELS[principal.role]}{plain(scope)}"
        )
        st.button("Sign out", key="sign_out", on_click=st.logout, type="tertiary", icon=":material/logout:")

"""Scorecard dashboard: `streamlit run dashboard.py` (or `make run`).

Builds the navigation over the pages in app/ (one module per page, each a `render()`
function) and runs the chosen one. The Data page (app/data_page.py) is added when it
is there; a Data page that fails to import is shown as an error, not a crashed app.

Every run passes the sign-in gate first (app/auth.py): a person sees only the pages their
role permits (PERMISSION), and the filters of their scope apply on every page.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

import sqlalchemy as sa
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from app import access_page, auth, chrome, context, controls, definitions, explore, lead_quality, ranking, weekly
from scorecard.access import policy as access
from scorecard.access.policy import Permission, Principal

DEFAULT_PAGE: Final = "scorecard"
PAGES: Final = (  # (section, url path, title, icon, render)
    ("Scorecard", "scorecard", "Weekly scorecard", ":material/dashboard:", weekly.render),
    ("Scorecard", "explore", "Explore", ":material/query_stats:", explore.render),
    ("Scorecard", "ranking", "Forced ranking", ":material/leaderboard:", ranking.render),
    ("Scorecard", "lead-quality", "Lead quality", ":material/filter_alt:", lead_quality.render),
    ("Definitions and data", "definitions", "Metric definitions", ":material/menu_book:", definitions.render),
)
# Pages (by title) whose numbers the sidebar filters narrow; elsewhere the filters wait in a closed
# expander. (No bare strings at module level here: Streamlit's "magic" would print them.)
FILTERED: Final = frozenset({"Weekly scorecard", "Explore", "Forced ranking", "Lead quality"})
# Pages (by url path) that need more than `view`; a person without the right does not see them.
PERMISSION: Final[Mapping[str, Permission]] = {"data": "import_data", "access": "manage_access"}


DATA_PAGE: Final = "app.data_page"
# The browser tab's icon, served by the app itself (a Material icon name is fetched from the internet).
ICON: Final = Path(__file__).resolve().parent / "app" / "icon.png"


def _data_page(module_name: str = DATA_PAGE) -> Callable[[], None] | None:
    """The Data page's render function, None if the module is absent, or an error page if it is broken."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        problem: Exception = exc
    except Exception as exc:  # noqa: BLE001 - one broken page must not take the dashboard down
        problem = exc
    else:
        render = getattr(module, "render", None)
        if callable(render):
            return render
        problem = AttributeError(f"{module_name} has no render() function")

    def broken() -> None:
        st.title("Data")
        st.error(f"The Data page could not be loaded: {problem}")

    return broken


def pages(default: str = DEFAULT_PAGE, principal: Principal | None = None) -> dict[str, list[st.Page]]:
    """The navigation: the sections of pages `principal` may open, `default` (a url path) opening at the root."""
    entries: list[tuple[str, str, str, str, Callable[[], None]]] = list(PAGES)
    data = _data_page()
    if data is not None:
        entries.append(("Definitions and data", "data", "Data", ":material/database:", data))
    entries.append(("Definitions and data", "access", "Access", ":material/admin_panel_settings:", access_page.render))
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, icon, render in entries:
        permission = PERMISSION.get(path, "view")
        allowed = access.can(principal, permission)
        sections.setdefault(section, []).append(
            st.Page(
                render if allowed else _refusal(title, permission),
                title=title,
                icon=icon,
                url_path=path,
                default=path == default,
                visibility="visible" if allowed else "hidden",  # its address says "not for you", not "no such page"
            )
        )
    return sections


def _refusal(title: str, permission: Permission) -> Callable[[], None]:
    """What a page a person may not open shows instead of itself: who may, and whom to ask."""

    def refuse() -> None:
        st.title(title)
        auth.require(permission)

    return refuse


def main(default: str = DEFAULT_PAGE) -> None:
    """Configure the page, build the navigation and run the page the address names."""
    st.set_page_config(page_title="Scorecard", page_icon=str(ICON), layout="wide")
    chrome.page_style()
    principal = auth.gate()  # stops the run with a sign-in page or a refusal
    page = st.navigation(pages(default, principal))
    ctx = context.load_context()
    labels = {name: dim.label for name, dim in ctx.catalog.dimensions.items()} if ctx else {}
    auth.identity_sidebar(principal, labels)
    if ctx is not None and (problems := access.scope_problems(principal, ctx.catalog.dimensions)):
        auth.refused(
            "Your access scope cannot be applied, so nothing is shown: " + "; ".join(problems)
            + ". Ask an admin to correct the access file."
        )
    # Filters are drawn here, before the page, so they stay in the URL from page to page.
    controls.filter_sidebar(ctx, in_use=page.title in FILTERED)
    _run(page)
    served = context.catalog_state()
    where = context.database().display()
    with st.sidebar:
        st.caption(
            f"Data: `{Path(where).name if '://' not in where else where}` · "
            f"definitions: `{served.path.name}`" + (f" ({served.catalog.version})" if served.catalog else ""),
            help=f"Database {where}; catalog {served.path}",
        )


def _run(page: StreamlitPage) -> None:
    """Run the page; an unexpected failure gets a plain message with a reference the server log also has.

    The exception is raised again so Streamlit records it; visitors see no traceback
    (`client.showErrorDetails = "none"` in .streamlit/config.toml).
    """
    try:
        page.run()
    except sa.exc.DBAPIError as exc:  # damaged, locked or gone mid-run: say so, on whichever page it surfaced
        logging.getLogger("scorecard.dashboard").warning("page %s: database problem: %s", page.title, exc.orig or exc)
        chrome.database_problem(f"{context.database().display()}: {' '.join(str(exc.orig or exc).split())[:300]}")
    except Exception:
        reference = uuid.uuid4().hex[:8]
        logging.getLogger("scorecard.dashboard").exception("page %s failed (reference %s)", page.title, reference)
        st.error(
            f"**This page failed** (reference `{reference}`). Reload the page or go "
            "back a step; if it happens again, tell your admin the reference, which the server log "
            "records with the details.",
            icon=":material/error:",
        )
        raise


if __name__ == "__main__":
    main()

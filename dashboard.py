"""Scorecard dashboard: `streamlit run dashboard.py` (or `make run`).

Builds the navigation over the pages in app/ (one module per page, each a `render()`
function) and runs the chosen one. The Data page (app/data_page.py) is added when it
is there; a Data page that fails to import is shown as an error, not a crashed app.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Final

import streamlit as st

from app import definitions, explore, lead_quality, ranking, state, weekly

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


def pages(default: str = DEFAULT_PAGE) -> dict[str, list[st.Page]]:
    """The navigation: sections of pages, `default` (a url path) opening at the root address."""
    entries: list[tuple[str, str, str, str, Callable[[], None]]] = list(PAGES)
    data = _data_page()
    if data is not None:
        entries.append(("Definitions and data", "data", "Data", ":material/database:", data))
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, icon, render in entries:
        sections.setdefault(section, []).append(
            st.Page(render, title=title, icon=icon, url_path=path, default=path == default)
        )
    return sections


def main(default: str = DEFAULT_PAGE) -> None:
    """Configure the page, build the navigation and run the page the address names."""
    st.set_page_config(page_title="Scorecard", page_icon=str(ICON), layout="wide")
    state.page_style()
    page = st.navigation(pages(default))
    # Filters are drawn here, before the page, so they stay in the URL from page to page.
    state.filter_sidebar(state.load_context(), in_use=page.title in FILTERED)
    page.run()
    served = state.catalog_state()
    where = state.database().display()
    with st.sidebar:
        st.caption(
            f"Data: `{Path(where).name if '://' not in where else where}` · "
            f"definitions: `{served.path.name}`" + (f" ({served.catalog.version})" if served.catalog else ""),
            help=f"Database {where}; catalog {served.path}",
        )


if __name__ == "__main__":
    main()

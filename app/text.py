"""Text from data, identity providers or visitors, shown as text in Streamlit's markdown.

Shared by the pages, the modules they share (`app.chrome`, `app.queries`, ...) and the
sign-in layer (`app.auth`), which `app.queries` itself imports.
"""

from __future__ import annotations

import re
from typing import Final

_MARKDOWN: Final = re.compile(
    r"[\\`*\[\]<&$~|]"  # emphasis, code, links and images, HTML and entities, maths, strikethrough, tables
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"  # emphasis with _ (trade_show is left alone)
    r"|:(?=[A-Za-z])"  # :red[...] directives
    r"|^\s*(?:[#>+=-]|\d+[.)])"  # headings, quotes, lists at the start
)


def plain(text: object) -> str:
    """Text from data or from a visitor, escaped so Streamlit's markdown shows it as typed.

    Captions, notices, headers, expander and button labels are markdown: an imported lead
    source `![x](http://host/t.png)` would otherwise make every viewer's browser fetch it.
    Every character that would start markdown is backslash-escaped (no links, images,
    emphasis, HTML, maths, `:colour[...]`, autolinks, headings or lists), and line breaks
    become spaces; plain words, "Region: EMEA" and trade_show read the same in the source.
    Tables (st.dataframe), st.text and st.code show text as it is and need none of this.
    """
    flat = _MARKDOWN.sub(_escape, " ".join(str(text).splitlines()))
    return _AUTOLINK.sub(lambda m: m.group(0)[:-1] + _WORD_JOINER + m.group(0)[-1], flat)


_WORD_JOINER: Final = "\u2060"
_AUTOLINK: Final = re.compile(r"(?i)(?:[a-z]://|www\.|\w@)")
"""GFM links bare URLs, www. names and e-mail addresses after parsing, where a backslash no longer
counts; an invisible word joiner inside `://`, `www.` and before `@` keeps them plain text."""


def _escape(match: re.Match[str]) -> str:
    found = match.group(0)
    if found[-1] in ".)" and len(found) > 1:  # "1. item": escape the list marker's punctuation
        return found[:-1] + "\\" + found[-1]
    stripped = found.lstrip()
    return found[: len(found) - len(stripped)] + "\\" + stripped

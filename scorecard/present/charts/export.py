"""Charts to PNG and PDF without a browser (vl-convert), for the downloads and the e-mail."""

from __future__ import annotations

import altair as alt


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """Render a chart to PNG without a browser (vl-convert)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(chart.to_dict(), scale=scale))


def to_pdf(chart: alt.TopLevelMixin) -> bytes:
    """Render a chart to a one-page PDF without a browser (vl-convert)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_pdf(chart.to_dict()))

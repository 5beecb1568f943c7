"""Every chart a page draws is a valid Vega-Lite spec.

The app turns off Altair's debug mode (``explorer/__init__.py``), which validated every schema
object as it was built; the charts are validated here instead, as the browser receives them:
each page is run revealed under a few configurations, and the spec of every chart element is
checked against the Vega-Lite schema Altair bundles.
"""

from __future__ import annotations

import altair as alt
import pytest
from apptest_helpers import PAGES, chart_specs, run_page, script

CONFIGS = (
    {},
    {"network": "cnn", "activation": "sigmoid", "init": "he_uniform", "depth": "6", "width": "8"},
    {"network": "resmlp", "activation": "relu", "init": "normal", "depth": "30", "width": "32"},
)


@pytest.mark.parametrize("query", CONFIGS, ids=["default", "cnn-sigmoid", "resmlp-relu"])
@pytest.mark.parametrize("name", PAGES)
def test_every_chart_is_valid_vega_lite(name: str, query: dict[str, str]) -> None:
    specs = chart_specs(run_page(script(name), query))
    if name != "8_Reference.py" or not query:
        assert specs, "the page drew no chart"
    for spec in specs:
        alt.vegalite.v6.schema.core.Root.validate(spec)


def test_an_invalid_spec_is_caught() -> None:
    """The check can fail: a mark Vega-Lite does not know."""
    with pytest.raises(Exception, match="not_a_mark|is not valid|is not one of"):
        alt.vegalite.v6.schema.core.Root.validate({"mark": "not_a_mark", "data": {"values": []}})

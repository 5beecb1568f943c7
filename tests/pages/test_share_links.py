"""Share links: the URL holds the whole config, survives page switches and drives the page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from apptest_helpers import share_link
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
QUERY = {
    "network": "mlp",
    "activation": "relu",
    "init": "normal",
    "std": "0.2",
    "depth": "9",
    "width": "48",
    "seed": "5",
}


def url(at: AppTest) -> dict[str, str]:
    return {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}


def sidebar_values(at: AppTest) -> dict[str, object]:
    return {
        "activation": at.sidebar.selectbox(key="ctl_activation").value,
        "init": at.sidebar.selectbox(key="ctl_init").value,
        "std": at.sidebar.number_input(key="ctl_param_std").value,
        "depth": at.sidebar.slider(key="ctl_depth").value,
        "width": at.sidebar.slider(key="ctl_width").value,
        "seed": at.sidebar.number_input(key="ctl_seed").value,
    }


def test_url_config_is_read_kept_and_survives_a_page_switch() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.query_params.update(QUERY)
    at.run()
    assert not at.exception
    expected = {
        "activation": "relu",
        "init": "normal",
        "std": 0.2,
        "depth": 9,
        "width": 48,
        "seed": 5,
    }
    assert sidebar_values(at) == expected
    assert {k: url(at)[k] for k in QUERY} == QUERY
    for page in sorted((ROOT / "pages").glob("[0-9]*_*.py")):
        at.switch_page(f"pages/{page.name}").run()
        assert not at.exception, (page.name, [e.value for e in at.exception])
        assert sidebar_values(at) == expected, page.name
        assert {k: url(at)[k] for k in QUERY} == QUERY, page.name


def test_changing_a_control_rewrites_the_url() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    at.sidebar.selectbox(key="ctl_init").set_value("he_uniform").run()
    at.sidebar.slider(key="ctl_depth").set_value(17).run()
    assert not at.exception
    assert url(at)["init"] == "he_uniform"
    assert url(at)["gain"] == "1"
    assert url(at)["depth"] == "17"
    # The new value is kept on the next page too.
    at.switch_page("pages/2_Small_random_weights.py").run()
    assert at.sidebar.selectbox(key="ctl_init").value == "he_uniform"
    assert at.sidebar.slider(key="ctl_depth").value == 17


def test_switching_network_type_keeps_the_config_valid() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.query_params.update({"init": "identity", "width": "512"})
    at.run()
    at.sidebar.selectbox(key="ctl_network").set_value("cnn").run()
    assert not at.exception
    assert url(at)["network"] == "cnn"
    assert url(at)["init"] == "delta_orthogonal"  # identity has no conv analogue but this one
    assert int(url(at)["width"]) <= 64


def share_box_query(at: AppTest) -> dict[str, str]:
    """The query string of the sidebar's "Link to this view" box, parsed."""
    return dict(parse_qsl(share_link(at).partition("?")[2], keep_blank_values=True))


def test_share_box_shows_exactly_the_address_bar_compare_and_page_settings_included() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "3_Large_random_weights.py"), default_timeout=60)
    at.query_params.update({"clip": "10", "compare": "he_normal,orthogonal"})
    at.run()
    assert not at.exception
    box = share_box_query(at)
    assert box["compare"] == "he_normal,orthogonal"
    assert box["clip"] == "10"
    assert box == url(at)
    # A changed choice reaches the box and the address bar alike.
    at.multiselect(key="p3_compare").set_value(["glorot_normal", "zeros"]).run()
    at.select_slider(key="p3_clip").set_value(0.1).run()
    assert not at.exception
    box = share_box_query(at)
    assert box["compare"] == "glorot_normal,zeros"
    assert box["clip"] == "0.1"
    assert box == url(at)


def test_share_box_matches_the_address_bar_on_every_page() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.query_params.update(QUERY)
    at.run()
    assert share_box_query(at) == url(at)
    for page in sorted((ROOT / "pages").glob("[0-9]*_*.py")):
        at.switch_page(f"pages/{page.name}").run()
        assert not at.exception, page.name
        assert share_box_query(at) == url(at), page.name

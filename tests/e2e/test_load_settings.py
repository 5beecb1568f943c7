"""The load generator's page-setting changes send what Streamlit 1.67's frontend sends."""

from __future__ import annotations

import random

from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks.load_test import set_slider


def test_select_slider_sends_an_option_label():
    proto = Slider(options=["0.001", "0.003", "0.01"], min=0, max=2, step=1)
    state = WidgetState()
    set_slider(state, proto, random.Random(0))
    assert state.WhichOneof("value") == "string_array_value"
    assert list(state.string_array_value.data)[0] in proto.options


def test_numeric_slider_sends_a_step_within_its_range():
    proto = Slider(min=0.0, max=0.5, step=0.01)
    for seed in range(50):
        state = WidgetState()
        set_slider(state, proto, random.Random(seed))
        assert state.WhichOneof("value") == "double_array_value"
        (value,) = state.double_array_value.data
        assert 0.0 <= value <= 0.5 + 1e-12
        assert abs(value / 0.01 - round(value / 0.01)) < 1e-6

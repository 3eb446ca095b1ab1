"""Option conversion: properties that hold for every value, and the errors for the rest."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providerhub import OptionsError
from providerhub.options import OPTION_TYPES, convert, convert_options, declared_options

KINDS = st.sampled_from(OPTION_TYPES)
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.binary(max_size=5),
)


@given(st.integers())
def test_an_int_and_its_text_give_the_int(n: int) -> None:
    assert convert("n", int, n) == n
    assert convert("n", int, f" {n} ") == n


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_finite_float_and_its_text_give_the_float(x: float) -> None:
    assert convert("x", float, x) == x
    assert convert("x", float, repr(x)) == x


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_an_int_is_a_float(n: int) -> None:
    converted = convert("x", float, n)
    assert type(converted) is float and converted == n


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters=","), min_size=1).map(str.strip).filter(bool)))
def test_comma_joined_text_gives_its_items(items: list[str]) -> None:
    assert convert("stop", list[str], ",".join(items)) == items
    assert convert("stop", list[str], ", ".join(items)) == items
    assert convert("stop", list[str], items) == items


@given(st.booleans(), st.sampled_from([str.lower, str.upper, str.title]))
def test_bool_words(flag: bool, case: Any) -> None:
    words = ["true", "yes", "on", "1"] if flag else ["false", "no", "off", "0"]
    for word in words:
        assert convert("b", bool, case(word)) is flag
    assert convert("b", bool, flag) is flag


@given(KINDS, ANYTHING)
def test_any_value_either_converts_to_the_type_or_is_an_options_error_naming_the_option(kind: Any, value: Any) -> None:
    try:
        converted = convert("the_option", kind, value)
    except OptionsError as exc:
        assert str(exc).startswith("option 'the_option' takes ")
        return
    element_type = str if kind == list[str] else kind
    elements = converted if kind == list[str] else [converted]
    assert isinstance(elements, list) and all(type(element) is element_type for element in elements)
    assert kind is not float or math.isfinite(converted)


@given(KINDS, ANYTHING)
def test_conversion_is_idempotent(kind: Any, value: Any) -> None:
    try:
        once = convert("o", kind, value)
    except OptionsError:
        return
    assert convert("o", kind, once) == once


class Declares:
    name = "Declares"
    options = {"temperature": float, "tags": list[str]}


def test_declared_options_include_the_common_ones() -> None:
    assert declared_options(Declares) == {"proxy": str, "api_key": str, "temperature": float, "tags": list[str]}


@given(st.text(min_size=1, max_size=20).filter(lambda s: s not in {"proxy", "api_key", "temperature", "tags"}))
def test_every_undeclared_name_is_refused_listing_the_valid_ones(name: str) -> None:
    with pytest.raises(OptionsError) as caught:
        convert_options(Declares, {name: "1"})
    assert str(caught.value) == (
        f"provider Declares takes no option {name!r}; "
        "its options are: api_key (str), proxy (str), tags (list[str]), temperature (float)"
    )


def test_no_options_convert_to_none() -> None:
    assert convert_options(Declares, None) == {} == convert_options(Declares, {})

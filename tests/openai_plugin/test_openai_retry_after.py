"""Reading how long to wait from a service's rate-limit headers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providerhub_openai.client import retry_after

WEEK = 7 * 24 * 3600.0
HEADERS = ("Retry-After", "retry-after-ms", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("20", 20.0), ("1.5s", 1.5), ("6m0s", 360.0), ("250ms", 0.25), ("1h2m3.5s", 3723.5), ("2m", 120.0)],
)
def test_reset_durations(value: str, seconds: float) -> None:
    assert retry_after({"x-ratelimit-reset-requests": value}) == seconds


@pytest.mark.parametrize("value", ["", "soon", "1x", "s", "-5s", "1m-2s", "nan", "inf"])
def test_unreadable_values_say_nothing(value: str) -> None:
    assert retry_after({"x-ratelimit-reset-tokens": value}) is None


def test_retry_after_wins_over_the_reset_headers_and_ms_over_both() -> None:
    headers = {"Retry-After": "4", "x-ratelimit-reset-requests": "60s"}
    assert retry_after(headers) == 4.0
    assert retry_after({**headers, "retry-after-ms": "1500"}) == 1.5


def test_a_date_in_the_past_means_now_and_far_futures_are_capped() -> None:
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after({"Retry-After": "99999999999"}) == WEEK
    assert retry_after({"x-ratelimit-reset-tokens": "99999999h"}) == WEEK


@given(st.dictionaries(st.sampled_from(HEADERS), st.text(max_size=40), max_size=4))
def test_any_header_values_give_none_or_a_bounded_wait(headers: dict[str, str]) -> None:
    seconds = retry_after(headers)
    assert seconds is None or (math.isfinite(seconds) and 0.0 <= seconds <= WEEK)

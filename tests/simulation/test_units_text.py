"""Targets in human units: parse(format(x)) == x, and a clear error on anything ambiguous."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.present.units_text import (
    format_duration_input,
    format_money_input,
    format_percent_input,
    parse_duration,
    parse_money,
    parse_percent,
)

finite = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(finite)
def test_durations_round_trip(seconds):
    assert parse_duration(format_duration_input(seconds)) == seconds


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_percentages_round_trip(ratio):
    assert parse_percent(format_percent_input(ratio)) == ratio


@given(finite)
def test_amounts_round_trip(amount):
    assert parse_money(format_money_input(amount)) == amount


@given(st.integers(0, 10**7))
def test_written_durations_read_back_to_the_same_text(seconds):
    text = format_duration_input(float(seconds))
    assert format_duration_input(parse_duration(text)) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5 min", 300), ("90 s", 90), ("1 h", 3600), ("1 h 30 min", 5400), ("1.5 h", 5400), ("500 ms", 0.5), ("0", 0)],
)
def test_it_reads_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_it_writes_durations_as_people_do():
    assert [format_duration_input(s) for s in (300, 90, 3600, 5400, 0.5, 86400)] == [
        "5 min",
        "90 s",
        "1 h",
        "1 h 30 min",
        "500 ms",
        "1 d",
    ]


def test_it_reads_percentages_and_money():
    assert parse_percent("99.95 %") == 0.9995
    assert parse_money("40k USD/month") == 40_000
    assert parse_money("40,000 USD") == 40_000
    assert format_money_input(40_000) == "40k USD/month"


@pytest.mark.parametrize(
    ("parse", "text", "words"),
    [
        (parse_duration, "300", "no unit"),
        (parse_duration, "5 m", "minutes or months"),
        (parse_duration, "1,5 h", "ambiguous"),
        (parse_duration, "5 min 30", "not a duration"),
        (parse_duration, "5 min 2 min", "twice"),
        (parse_percent, "99.95", "ambiguous"),
        (parse_percent, "lots", "not a percentage"),
        (parse_money, "40k EUR/month", "currency"),
        (parse_money, "480k USD/year", "per month"),
    ],
)
def test_it_refuses_ambiguous_input_clearly(parse, text, words):
    with pytest.raises(ValueError, match=words):
        parse(text)

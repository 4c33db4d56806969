"""Property-based checks of renewal time and days left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import keys

starts = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
lifetimes = st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=3650))


@given(starts, lifetimes)
def test_default_renewal_is_two_thirds_in(start, lifetime):
    renew = keys.renewal_time(start, start + lifetime)
    assert start < renew < start + lifetime
    assert abs((renew - start) - lifetime * 2 / 3) <= timedelta(microseconds=1)


@given(starts, lifetimes, st.floats(min_value=0.001, max_value=0.999))
def test_explicit_window_ends_at_not_after(start, lifetime, fraction):
    window = lifetime * fraction
    if not timedelta(0) < window < lifetime:
        return
    not_after = start + lifetime
    assert keys.renewal_time(start, not_after, renew_before=window) == not_after - window


@given(starts, lifetimes, st.floats(min_value=1.0, max_value=5.0))
def test_window_not_shorter_than_lifetime_refused(start, lifetime, factor):
    with pytest.raises(keys.KeyPolicyError):
        keys.renewal_time(start, start + lifetime, renew_before=lifetime * factor)


@given(starts, st.timedeltas(min_value=timedelta(days=-4000), max_value=timedelta(days=4000)))
def test_days_left_is_the_floor_of_the_remaining_days(now, remaining):
    left = keys.days_left(now + remaining, now)
    assert timedelta(days=left) <= remaining < timedelta(days=left + 1)

"""Quiet hours: the customer's night, computed with the business-hours arithmetic."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from orders_link.delays import quiet_hours_end
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def parisian():
    return ContactFactory(time_zone="Europe/Paris")


def test_a_notice_waits_until_the_end_of_the_customers_night(settings, parisian):
    settings.ORDERS_QUIET_HOURS = "21:00-08:00"
    settings.ORDERS_QUIET_HOURS_CHANNELS = ["phone"]
    night = dt.datetime(2026, 3, 10, 23, 30, tzinfo=PARIS)
    early = dt.datetime(2026, 3, 11, 6, 0, tzinfo=PARIS)
    morning = dt.datetime(2026, 3, 11, 8, 0, tzinfo=PARIS)
    assert quiet_hours_end(contact=parisian, channel="phone", now=night) == morning
    assert quiet_hours_end(contact=parisian, channel="phone", now=early) == morning
    assert quiet_hours_end(contact=parisian, channel="phone", now=morning) is None
    assert quiet_hours_end(contact=parisian, channel="email", now=night) is None


def test_a_window_within_one_day_and_across_a_clock_change(settings, parisian):
    settings.ORDERS_QUIET_HOURS = "01:00-05:00"
    settings.ORDERS_QUIET_HOURS_CHANNELS = ["phone"]
    # 29 March 2026: Paris moves from 02:00 to 03:00; the night is an hour shorter.
    at_two = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # 01:30 in Paris
    assert quiet_hours_end(contact=parisian, channel="phone", now=at_two) == dt.datetime(
        2026, 3, 29, 5, 0, tzinfo=PARIS
    )
    evening = dt.datetime(2026, 3, 29, 22, 0, tzinfo=PARIS)
    assert quiet_hours_end(contact=parisian, channel="phone", now=evening) is None
    settings.ORDERS_QUIET_HOURS = ""
    assert quiet_hours_end(contact=parisian, channel="phone", now=at_two) is None

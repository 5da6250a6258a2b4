import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import EventFactory
from training.models import StatusEvent


@pytest.fixture
def event(staff, regions):
    # Registration open on 2026-11-24 (the services' date in these tests) and on the day the suite
    # runs (the views' date): the enrolment pages would otherwise close once the calendar passes
    # the window.
    real_today = timezone.localdate()
    event = EventFactory(
        status=StatusEvent.BUKA,
        pendaftaran_mulai=min(dt.date(2026, 11, 1), real_today),
        pendaftaran_selesai=max(dt.date(2026, 11, 30), real_today),
    )
    for day in (dt.date(2026, 12, 7), dt.date(2026, 12, 8)):
        event.hari_set.create(tanggal=day)
    return event

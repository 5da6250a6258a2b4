"""Processes reading one snapshot (``psm_portal.parallel``): what they see, and a failure."""

import pytest
from django.db import connection

from psm_portal import parallel
from psm_portal.models import User

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a snapshot shared by processes"),
    pytest.mark.django_db(transaction=True),
]


def count_users(seen) -> None:
    """Run in the spawned process: how many users its snapshot holds."""
    seen.value = User.objects.count()


def test_a_process_sees_the_snapshot_not_what_was_committed_after_it():
    User.objects.create_user("sebelum", password="x")
    seen = parallel.CONTEXT.Value("q", -1)
    with parallel.shared_snapshot() as snapshot:
        User.objects.create_user("sesudah", password="x")
        process = parallel.start("tests.psm_portal.test_parallel.count_users", snapshot, seen)
        parallel.wait([process])
    assert User.objects.count() == 2 and seen.value == 1


def test_a_failed_process_is_reported_not_waited_for_forever():
    with parallel.shared_snapshot() as snapshot:
        process = parallel.start("tests.psm_portal.test_parallel.no_such_function", snapshot)
        with pytest.raises(RuntimeError, match="exit codes \\[1\\]"):
            parallel.wait([process])

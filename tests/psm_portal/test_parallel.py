"""Processes reading one snapshot (``psm_portal.parallel``): what they see, and a failure."""

import time

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
        with parallel.running() as processes:
            processes.append(
                parallel.start("tests.psm_portal.test_parallel.count_users", snapshot, seen)
            )
            parallel.wait(processes)
    assert User.objects.count() == 2 and seen.value == 1


def test_a_failed_process_stops_the_others_at_once():
    started = time.monotonic()
    with (
        parallel.shared_snapshot() as snapshot,
        pytest.raises(RuntimeError, match=r"\[1\]"),
        parallel.running() as processes,
    ):
        processes.append(parallel.start("time.sleep", snapshot, 120))
        processes.append(parallel.start("tests.psm_portal.test_parallel.nothing", snapshot))
        parallel.wait(processes)
    # Not the two minutes the sleeper would have taken; both are gone, none left a zombie.
    assert time.monotonic() - started < 60
    assert all(p.exitcode is not None and not p.is_alive() for p in processes)

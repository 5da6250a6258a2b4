"""The backup and restore drill (benchmarks/backup_drill.py) on a populated database: the restored
copy is identical table by table, and the comparison really notices a changed row."""

import shutil

import psycopg
import pytest
from django.db import connection

from benchmarks import backup_drill
from psm_portal.models import Role
from tests.factories import EventFactory, PsmFactory, make_case, make_user, ppks_reference
from tests.reliability.helpers import database_url

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL"),
    pytest.mark.skipif(
        not (shutil.which("pg_dump") or backup_drill.PG_BIN.joinpath("pg_dump").exists()),
        reason="pg_dump is not installed",
    ),
]


@pytest.mark.django_db(transaction=True)
def test_a_restored_dump_is_identical_and_a_changed_row_is_noticed(regions, office):
    ppks_reference()
    psm_user = make_user(Role.PSM, psm=PsmFactory(nama="Ñoño Ma'ruf 👩‍🌾"), username="psm-bak")
    for i in range(5):
        PsmFactory(nama=f"Warga Cadangan {i}", alamat_ktp='Jl. "Kutip" \\ garis\nbaris')
        make_case(psm_user, subject={"nama": f"Subjek Cadangan {i}", "alamat": "RT 01\tRW 02"})
    EventFactory()
    url = database_url()

    report = backup_drill.drill(url, keep=True)
    try:
        print(
            f"backup drill: {report.tables} tables, {report.rows} rows, "
            f"dump {report.dump_bytes} bytes in {report.dump_seconds} s, "
            f"restore {report.restore_seconds} s"
        )
        assert report.identical, report.differences
        assert report.tables > 30 and report.rows > 100

        copy_url = backup_drill.with_database(url, report.copy)
        with psycopg.connect(copy_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE registry_psm SET nama = nama || '.' "
                "WHERE id = (SELECT min(id) FROM registry_psm)"
            )
        differences = backup_drill.compare(
            backup_drill.fingerprint(url), backup_drill.fingerprint(copy_url)
        )
        assert [d.split(":")[0] for d in differences] == ["registry_psm"]
    finally:
        backup_drill.drop(url, report.copy)

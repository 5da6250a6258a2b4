import datetime as dt

import pytest

from psm_portal.privacy import mask_nik
from registry.nik import check_nik

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("nik", "sex", "birth"),
    [
        ("3174075508950001", "P", dt.date(1995, 8, 15)),
        ("3602041211870001", "L", dt.date(1987, 11, 12)),
        ("3515144508680002", "P", dt.date(1968, 8, 5)),
    ],
)
def test_check_nik_domain_examples_are_valid(nik, sex, birth):
    result = check_nik(nik, today=TODAY)
    assert result.errors == []
    assert (result.sex, result.birth_date) == (sex, birth)


@pytest.mark.parametrize(
    ("nik", "fragment"),
    [
        ("3174073102950001", "bukan tanggal"),  # 31 Feb
        ("3174071508950000", "0000"),  # serial 0000
        ("5471011508950001", "provinsi 54"),  # province 54 does not exist
        ("317407150895001", "16 digit"),  # 15 digits
        ("31740715089500012", "16 digit"),  # 17 digits
        ("31740715O8950001", "16 digit"),  # letter O
        ("3100071508950001", "00"),  # kab/kota 00
        ("1111111111111111", "contoh"),
        ("1234567890123456", "contoh"),
        ("3174072902970001", "bukan tanggal"),  # 29 Feb 1997 is no leap year
    ],
)
def test_check_nik_impossible_numbers_are_errors(nik, fragment):
    result = check_nik(nik, today=TODAY)
    assert any(fragment in e for e in result.errors), result.errors


def test_check_nik_accepts_leap_day_and_separators():
    assert check_nik("31.7407.2902.96.0001", today=TODAY).errors == []


def test_check_nik_mismatches_are_warnings_not_errors():
    result = check_nik(
        "3174075508950001",
        declared_dob=dt.date(1995, 8, 16),
        declared_sex="L",
        today=TODAY,
        known_kecamatan=lambda code: False,
    )
    assert result.errors == []
    assert len(result.warnings) == 3
    assert any("Jenis kelamin" in w for w in result.warnings)
    assert any("31.74.07" in w for w in result.warnings)


def test_check_nik_kabkota_70_is_a_warning():
    result = check_nik("3170071508950001", today=TODAY)
    assert result.errors == [] and any("70" in w for w in result.warnings)


def test_check_nik_century_follows_declared_birth_date():
    result = check_nik("3371011503200001", declared_dob=dt.date(1920, 3, 15), today=TODAY)
    assert result.birth_date == dt.date(1920, 3, 15)
    assert check_nik("3371011503200001", today=TODAY).birth_date == dt.date(2020, 3, 15)


def test_mask_nik_keeps_only_four_first_and_two_last_digits():
    assert mask_nik("3174075508950001") == "3174**********01"


def test_check_nik_year_mismatch_names_both_years():
    # 1995 in the NIK, 2003 typed: the office sees which digits to compare, not only "differs"
    result = check_nik("3174075508950001", declared_dob=dt.date(2003, 8, 15), today=TODAY)
    assert result.errors == []
    assert result.warnings == [
        "Tahun lahir pada NIK berakhiran 95, tetapi isian tahun lahir 2003. NIK tidak berubah "
        "walau data lahir dikoreksi; periksa lagi."
    ]

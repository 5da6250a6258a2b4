"""NIK (Nomor Induk Kependudukan) checks, domain.md §5.1.

Only an impossible number is an error. A NIK never changes when a person moves, a region splits or a
birth date is corrected, so mismatches with the form or the current region list are warnings that a
user may confirm.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.translation import gettext as _

PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "19",
        "21",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "51",
        "52",
        "53",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "81",
        "82",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    }
)
_SEPARATORS = re.compile(r"[\s.\-]")


@dataclass
class NikCheck:
    nik: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sex: str | None = None
    birth_date: dt.date | None = None

    @property
    def prefix(self) -> str:
        return self.nik[:6]

    @property
    def kecamatan_code(self) -> str:
        """The prefix in Kemendagri dotted form: 317407 -> 31.74.07."""
        return f"{self.nik[:2]}.{self.nik[2:4]}.{self.nik[4:6]}"


def clean_nik(raw) -> str:
    """Strip the separators people type or paste (spaces, dots, dashes)."""
    return _SEPARATORS.sub("", str(raw or ""))


def check_nik(
    raw, *, declared_dob=None, declared_sex=None, today=None, known_kecamatan=None
) -> NikCheck:
    """Check a NIK. ``known_kecamatan`` is a callable telling whether a dotted kecamatan code is in
    the current Kemendagri list; when given, an unknown prefix is a warning."""
    nik = clean_nik(raw)
    result = NikCheck(nik=nik)
    if not re.fullmatch(r"[0-9]{16}", nik):  # \d would take other scripts' digits
        result.errors.append(
            _("NIK harus 16 digit angka (tertulis %(n)d karakter).") % {"n": len(nik)}
        )
        return result
    if len(set(nik)) == 1 or nik == "1234567890123456":
        result.errors.append(_("NIK ini adalah angka contoh, bukan NIK sebenarnya."))
    pp, kk, cc = nik[:2], nik[2:4], nik[4:6]
    if pp not in PROVINCE_CODES:
        result.errors.append(_("Kode provinsi %(pp)s pada NIK tidak ada.") % {"pp": pp})
    if "00" in (kk, cc):
        result.errors.append(_("Kode kabupaten/kota atau kecamatan pada NIK tidak boleh 00."))
    elif kk == "70":
        result.warnings.append(_("Kode kabupaten/kota 70 pada NIK tidak lazim."))

    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    result.sex = "P" if day > 40 else "L"
    day = day - 40 if day > 40 else day
    today = today or dt.date.today()
    if declared_dob and declared_dob.year % 100 == yy:
        year = declared_dob.year
    else:
        year = 2000 + yy if yy <= today.year % 100 else 1900 + yy
    try:
        result.birth_date = dt.date(year, month, day)
    except ValueError:
        result.errors.append(_("Tanggal lahir pada NIK (digit 7-12) bukan tanggal yang ada."))
    if nik[12:] == "0000":
        result.errors.append(_("Nomor urut NIK (4 digit terakhir) tidak boleh 0000."))
    if result.errors:
        return result

    if declared_dob and (result.birth_date.month, result.birth_date.day) != (
        declared_dob.month,
        declared_dob.day,
    ):
        result.warnings.append(
            _(
                "Tanggal lahir pada NIK (%(nik)s) berbeda dengan isian. NIK tidak berubah walau "
                "data lahir dikoreksi; periksa lagi."
            )
            % {"nik": date_format(result.birth_date, "j F Y")}
        )
    elif declared_dob and result.birth_date.year != declared_dob.year:
        result.warnings.append(
            _(
                "Tahun lahir pada NIK berakhiran %(yy)s, tetapi isian tahun lahir %(isian)s. NIK "
                "tidak berubah walau data lahir dikoreksi; periksa lagi."
            )
            % {"yy": nik[10:12], "isian": declared_dob.year}
        )
    if declared_sex and declared_sex != result.sex:
        result.warnings.append(_("Jenis kelamin menurut NIK berbeda dengan isian."))
    if known_kecamatan is not None and not known_kecamatan(result.kecamatan_code):
        result.warnings.append(
            _(
                "Kode wilayah %(kode)s pada NIK tidak ada di daftar Kemendagri saat ini "
                "(mungkin kode "
                "sebelum pemekaran)."
            )
            % {"kode": result.kecamatan_code}
        )
    return result


def check_no_kk(raw) -> NikCheck:
    """Check a No. KK (domain.md §5.2): 16 digits, a known province and no 00 region part are
    required; a date segment (DDMMYY, no +40) that is no date, or serial 0000, is a warning."""
    kk = clean_nik(raw)
    result = NikCheck(nik=kk)
    if not re.fullmatch(r"[0-9]{16}", kk):
        result.errors.append(_("Nomor KK harus 16 digit angka."))
        return result
    if kk[:2] not in PROVINCE_CODES:
        result.errors.append(_("Kode provinsi %(pp)s pada nomor KK tidak ada.") % {"pp": kk[:2]})
    if "00" in (kk[2:4], kk[4:6]):
        result.errors.append(_("Kode kabupaten/kota atau kecamatan pada nomor KK tidak boleh 00."))
    try:
        dt.datetime.strptime(kk[6:12], "%d%m%y")
    except ValueError:
        result.warnings.append(
            _("Tanggal pada nomor KK (digit 7-12) bukan tanggal yang ada. Periksa lagi.")
        )
    if kk[12:] == "0000":
        result.warnings.append(_("Nomor urut pada nomor KK (4 digit terakhir) 0000 tidak lazim."))
    return result

"""Importing an office's existing PSM roster (XLSX or CSV): read, match, preview, commit.

The file is checked by its bytes, not its name. Each row is validated by the same ``PsmForm`` that
guards the entry page, so an imported PSM obeys exactly the rules of a typed one; kecamatan and
desa/kelurahan names are matched to Kemendagri codes only inside their parent region and the
user's scope, with suggestions for misspellings. Nothing is written until the user commits the
preview, and then every valid row is written in one transaction through the registry services.
"""

import copy
import csv
import datetime as dt
import difflib
import io
import math
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from psm_portal import audit
from psm_portal.text import BIDI_CONTROLS, grouped
from registry import services
from registry.access import psm_visible_to, regions_in_scope
from registry.forms import PsmForm, joined_after_activation
from registry.models import ImportBatch, Psm, PsmStatusChange, StatusImpor, StatusPsm, Wilayah
from registry.nik import clean_nik
from registry.regions import kecamatan_in_national_list
from registry.text import normalise_for_search

MAX_ROWS = 20_000
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and legacy .xls
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode Text" (.txt/.csv) export
# A 10 MB upload may inflate to gigabytes of XML (a zip bomb); a real 20,000-row roster is far
# below this once unpacked.
XLSX_MAX_UNPACKED = 300 * 1024 * 1024
# Offices often put a title ("DAFTAR PSM KOTA ...") above the header row.
HEADER_SEARCH_ROWS = 10

# Column -> the header spellings offices use for it (compared after normalising).
COLUMNS = {
    "nik": ["nik", "no nik", "nomor induk kependudukan", "no ktp", "nomor ktp"],
    "nama": ["nama", "nama lengkap", "nama psm"],
    "jenis_kelamin": ["jenis kelamin", "jk", "l/p", "kelamin", "sex"],
    "tempat_lahir": ["tempat lahir", "tmp lahir", "tempat"],
    "tanggal_lahir": ["tanggal lahir", "tgl lahir", "tgl. lahir", "lahir"],
    "alamat_ktp": ["alamat", "alamat ktp", "alamat sesuai ktp"],
    "kecamatan": ["kecamatan", "kec", "kec."],
    "desa": [
        "desa",
        "kelurahan",
        "desa/kelurahan",
        "desa / kelurahan",
        "kel/desa",
        "desa/kel",
        "kelurahan/desa",
    ],
    "telepon": ["telepon", "no hp", "no. hp", "hp", "telp", "nomor hp", "no telepon"],
    "email": ["email", "e-mail", "pos-el", "surel"],
    "pekerjaan": ["pekerjaan"],
    "tanggal_bergabung": [
        "tanggal bergabung",
        "tgl bergabung",
        "mulai bergabung",
        "tahun bergabung",
        "bergabung",
    ],
}
# What an update from the roster may change on an existing PSM.
UPDATE_FIELDS = [
    "nama",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "alamat_ktp",
    "telepon",
    "email",
    "pekerjaan",
    "tanggal_bergabung",
]
# The row form's cleaned values kept on the batch for the commit: the fields the registration
# service writes, but for the regions (kept as the row's desa_kode) and the photo (a roster has
# none). The commit writes what the preview checked instead of validating every row again.
NOT_IN_A_ROSTER = {"foto", "foto_persetujuan_pada", "foto_persetujuan_versi"}
CLEANED_FIELDS = [
    f
    for f in services.PSM_FIELDS
    if f not in {"desa_ktp", "desa_domisili", "desa_tugas", *NOT_IN_A_ROSTER}
]
REQUIRED = [
    "nik",
    "nama",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "alamat_ktp",
    "kecamatan",
    "desa",
]
LABELS = {
    "nik": "NIK",
    "nama": "Nama",
    "jenis_kelamin": "Jenis kelamin",
    "tempat_lahir": "Tempat lahir",
    "tanggal_lahir": "Tanggal lahir",
    "alamat_ktp": "Alamat",
    "kecamatan": "Kecamatan",
    "desa": "Desa/kelurahan",
    "telepon": "Telepon",
    "email": "Email",
    "pekerjaan": "Pekerjaan",
    "tanggal_bergabung": "Tanggal bergabung",
}
MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("januari", "jan"),
            ("februari", "feb", "pebruari"),
            ("maret", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "jun"),
            ("juli", "jul"),
            ("agustus", "agu", "agt", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct"),
            ("november", "nov", "nop"),
            ("desember", "des", "dec"),
        ]
    )
    for name in names
}
_REGION_PREFIXES = re.compile(r"^(kecamatan|kec\.?|kelurahan|kel\.?|desa|ds\.?)\s+")


class ImportFileError(Exception):
    """The whole file cannot be read; the message says why, in Bahasa Indonesia."""


@dataclass
class ParsedFile:
    header: list[str]
    # (row number in the sheet, cell values as read: str, int, float, date, datetime or None)
    rows: list[tuple[int, list]]


# --- reading the file ----------------------------------------------------------------------


def read_file(data: bytes, filename: str) -> ParsedFile:
    if not data:
        raise ImportFileError(_("Berkas kosong."))
    if data.startswith(OLE_MAGIC):
        raise ImportFileError(
            _(
                "Berkas dilindungi sandi atau berformat Excel lama (.xls). Buka di Excel, hapus "
                "sandinya, lalu simpan sebagai .xlsx atau .csv."
            )
        )
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        # read by its content, which is not Excel's: "required columns not found" said nothing
        # of why
        raise ImportFileError(
            _(
                "Berkas ini bernama .xlsx tetapi isinya bukan berkas Excel. Buka di Excel lalu "
                "simpan ulang sebagai .xlsx, atau simpan sebagai .csv."
            )
        )
    if data.startswith(UTF16_BOMS):
        try:
            return _read_csv_text(data.decode("utf-16"))
        except UnicodeDecodeError:
            pass
    if data[:4] in (b"%PDF", b"\x89PNG") or data[:3] == b"\xff\xd8\xff" or b"\x00" in data:
        # NUL never occurs in text; PostgreSQL could not even store it in the preview.
        raise ImportFileError(_("Berkas ini bukan XLSX atau CSV."))
    return _read_csv(data)


def _read_xlsx(data: bytes) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportFileError(_("Berkas Excel rusak atau tidak dapat dibaca.")) from exc
    if unpacked > XLSX_MAX_UNPACKED:
        raise ImportFileError(_("Isi berkas Excel terlalu besar setelah dibuka."))
    try:
        # Formulas are read as formulas (not their cached values) so a row can say which cell
        # holds one instead of importing whatever Excel last displayed.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001  (a malformed package raises many kinds)
        raise ImportFileError(_("Berkas Excel rusak atau tidak dapat dibaca.")) from exc
    rows = []
    try:
        # Read-only mode parses the sheet's XML only here, row by row: a broken sheet inside a
        # sound zip fails in this loop, not in load_workbook.
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 1:
                raise ImportFileError(
                    _("Berkas terlalu panjang: paling banyak %(n)s baris.")
                    % {"n": grouped(MAX_ROWS)}
                )
        # Offices often keep one sheet per kecamatan: rows on a second roster sheet would be
        # left out without a word. (A sheet of instructions, without the roster's columns, is
        # no roster.)
        others = [sheet.title for sheet in workbook.worksheets[1:] if _is_roster(sheet)]
        if others:
            raise ImportFileError(
                _(
                    "Berkas ini berisi lebih dari satu lembar daftar PSM (juga: %(names)s), "
                    "padahal hanya lembar pertama yang dibaca. Pindahkan semua baris ke lembar "
                    "pertama, atau unggah tiap lembar sebagai berkas sendiri."
                )
                % {"names": ", ".join(others)}
            )
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001  (XML, zip and value errors alike)
        raise ImportFileError(_("Berkas Excel rusak atau tidak dapat dibaca.")) from exc
    finally:
        workbook.close()
    return _split_header(rows)


def _is_roster(sheet) -> bool:
    """Whether one of a sheet's first rows names every column a roster needs."""
    for values in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True):
        try:
            map_columns(["" if v is None else str(v) for v in values])
        except ImportFileError:
            continue
        return True
    return False


def _read_csv(data: bytes) -> ParsedFile:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover  (cp1252 decodes almost anything; latin-1 decodes everything)
        text = data.decode("latin-1")
    return _read_csv_text(text)


def _read_csv_text(text: str) -> ParsedFile:
    if "\x00" in text:
        raise ImportFileError(_("Berkas ini bukan XLSX atau CSV."))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise ImportFileError(
                    _("Berkas terlalu panjang: paling banyak %(n)s baris.")
                    % {"n": grouped(MAX_ROWS)}
                )
    except csv.Error as exc:
        # Python's own text is English ("field larger than field limit (131072)")
        raise ImportFileError(
            _(
                "Berkas CSV tidak dapat dibaca: susunan kolomnya rusak atau ada sel yang terlalu "
                "panjang. Simpan ulang dari Excel sebagai CSV atau XLSX, lalu unggah lagi."
            )
        ) from exc
    return _split_header(rows)


def _split_header(rows: list[list]) -> ParsedFile:
    """Find the header row (the first of the first few non-empty rows that names every required
    column) and keep each data row with its number in the sheet, so messages point at the row
    the user sees even when blank or title rows come first."""
    numbered = [
        (number, row)
        for number, row in enumerate(rows, start=1)
        if any(v not in (None, "") for v in row)
    ]
    if not numbered:
        raise ImportFileError(_("Berkas tidak berisi data."))
    first_error = None
    for position, (_number, row) in enumerate(numbered[:HEADER_SEARCH_ROWS]):
        header = ["" if v is None else str(v) for v in row]
        try:
            map_columns(header)
        except ImportFileError as exc:
            first_error = first_error or exc
            continue
        data_rows = numbered[position + 1 :]
        if not data_rows:
            raise ImportFileError(
                _(
                    "Berkas hanya berisi baris judul kolom, tanpa baris data. Isi data PSM di "
                    "bawah judul kolom di lembar pertama (lembar petunjuk tidak dibaca)."
                )
            )
        return ParsedFile(header=header, rows=data_rows)
    raise first_error


def map_columns(header: list[str]) -> dict[str, int]:
    """Column name -> index, from the header row; an error names what is missing."""
    normalised = [normalise_for_search(h).strip(" :*") for h in header]
    found = {}
    for key, spellings in COLUMNS.items():
        for index, name in enumerate(normalised):
            if name in spellings and key not in found:
                found[key] = index
    missing = [LABELS[k] for k in REQUIRED if k not in found]
    if missing:
        raise ImportFileError(
            _(
                "Kolom wajib tidak ditemukan di baris judul: %(cols)s. Unduh templat untuk "
                "contoh judul kolom."
            )
            % {"cols": ", ".join(missing)}
        )
    return found


# --- cell values ---------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as text, spaces collapsed and bidi controls removed (as from a form's fields:
    ``psm_portal.errors.StripBidiControlsMiddleware``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).translate(BIDI_CONTROLS).split())


def parse_nik(value) -> tuple[str, str | None, str | None]:
    """(digits, error, warning). Numbers and scientific notation are converted when every digit
    survived; when Excel already dropped digits the error says how to fix the sheet."""
    lost = _(
        "NIK tersimpan sebagai angka sehingga digit terakhirnya hilang (%(v)s). Ubah kolom "
        "NIK menjadi Teks di Excel lalu ketik ulang NIK-nya."
    )
    if isinstance(value, bool):
        return "", _("NIK tidak valid."), None
    if isinstance(value, float) and not math.isfinite(value):
        return "", _("NIK tidak valid."), None
    digits = str(int(value)) if isinstance(value, int | float) else ""
    if len(digits) == 16 and digits.endswith("0") and value == int(value):
        # Excel keeps 15 significant digits: a 16-digit NIK typed as a number always ends in 0
        # there, so a numeric NIK ending in 0 may have lost its last digit. It cannot be trusted.
        return "", lost % {"v": digits}, None
    if isinstance(value, int):
        return str(value), None, _("NIK tersimpan sebagai angka; periksa bahwa 16 digitnya benar.")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return (
                str(int(value)),
                None,
                _("NIK tersimpan sebagai angka; periksa bahwa 16 digitnya benar."),
            )
        return "", lost % {"v": value}, None
    text = cell_text(value).strip("'")
    if re.fullmatch(r"[0-9.,]+[eE][+]?[0-9]+", text):
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return "", _("NIK tidak valid."), None
        digits = len(number.as_tuple().digits)
        # a 16-digit number is 10^15 and up: any other size is not a NIK (and 1E5000 as an
        # integer is past what Python turns into text, a 500)
        if digits < 16 or number.adjusted() != 15 or number != number.to_integral_value():
            return "", lost % {"v": text}, None
        return str(int(number)), None, _("NIK ditulis dalam notasi ilmiah; periksa digitnya.")
    # "3371 0155 0895 0001" as typed from a KTP photocopy: matched against the registry, and
    # against the file's other rows, as the 16 digits it is stored as.
    return clean_nik(text), None, None


# Excel serial days below this are dates before 1906: in a roster, a year typed as a number
# ("2019" is 11 July 1905), never a real date.
_FIRST_SERIAL_DAY = 2200


def parse_date(value, *, today: dt.date | None = None) -> tuple[dt.date | None, str | None]:
    """A roster cell as a date, or the reason it is not one. With ``today``, a two-digit year
    that would lie in the future is last century's ("10/03/65" is 1965, not 2065)."""
    if value in (None, ""):
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):  # <v>1E400</v> reads as inf
            return None, _("'%(v)s' bukan tanggal.") % {"v": value}
        if value == int(value) and 1900 <= value <= 2100:
            return None, _year_only(int(value))
        if _FIRST_SERIAL_DAY <= value < 80000:  # an Excel serial day number
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value)), None
        return None, _("'%(v)s' bukan tanggal.") % {"v": value}
    text = cell_text(value).lower()
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel serial day number saved as text
        return parse_date(float(text))
    if re.fullmatch(r"(19|20)\d\d", text):
        return None, _year_only(int(text))
    # A CSV saved from Excel often carries a time after the date: "05/03/1990 00:00".
    text = re.sub(r"[ t]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)
    for pattern in (
        "%Y-%m-%d",
        "%d-%m-%Y",
        "%d/%m/%Y",
        "%d.%m.%Y",
        "%d/%m/%y",
        "%d-%m-%y",
        "%Y/%m/%d",
    ):
        try:
            parsed = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if today is not None and pattern.endswith("%y") and parsed > today:
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed, None
    match = re.fullmatch(r"(\d{1,2})[\s-]+([a-z]+)\.?[\s-]+(\d{4})", text)
    if match and match.group(2) in MONTHS:
        try:
            return dt.date(int(match.group(3)), MONTHS[match.group(2)], int(match.group(1))), None
        except ValueError:
            pass
    return None, _(
        "'%(v)s' bukan tanggal yang dikenal (contoh yang benar: 10-03-1985 atau 10 Maret 1985)."
    ) % {"v": cell_text(value)[:40]}


def _year_only(year: int) -> str:
    return _("'%(y)d' hanya tahun; tulis tanggal lengkap (contoh: 01-01-%(y)d).") % {"y": year}


def parse_sex(value) -> str:
    text = normalise_for_search(cell_text(value))
    if text in ("l", "lk", "laki-laki", "laki laki", "pria", "m"):
        return "L"
    if text in ("p", "pr", "perempuan", "wanita", "f", "w"):
        return "P"
    return text.upper()[:1] if text else ""


# --- matching region names -----------------------------------------------------------------


def _region_key(name: str) -> str:
    return _REGION_PREFIXES.sub("", normalise_for_search(name))


class RegionMatcher:
    """Kecamatan within the user's scope, desa/kelurahan within their kecamatan (two queries)."""

    def __init__(self, user):
        regions = regions_in_scope(user)
        self.kecamatan = {}
        self.kecamatan_codes = {}
        for kode, nama in regions["kecamatan"].values_list("kode", "nama"):
            self.kecamatan.setdefault(_region_key(nama), []).append((kode, nama))
            self.kecamatan_codes[kode] = nama
        self.desa = {}
        self.desa_codes = {}
        self.desa_objects = {}
        for wilayah in regions["desa"].only("kode", "nama", "induk_id", "tingkat"):
            kode, nama, induk = wilayah.kode, wilayah.nama, wilayah.induk_id
            self.desa.setdefault(induk, {}).setdefault(_region_key(nama), []).append((kode, nama))
            self.desa_codes[kode] = (nama, induk)
            self.desa_objects[kode] = wilayah

    def match_kecamatan(self, name: str):
        """(code, error)."""
        text = cell_text(name)
        if text in self.kecamatan_codes:
            return text, None
        options = self.kecamatan.get(_region_key(text), [])
        if len(options) == 1:
            return options[0][0], None
        if len(options) > 1:
            return None, _("Kecamatan '%(v)s' ada lebih dari satu (%(codes)s); tulis kodenya.") % {
                "v": text,
                "codes": ", ".join(c for c, _n in options),
            }
        return None, self._unknown(_("Kecamatan"), text, self.kecamatan)

    def match_desa(self, name: str, kecamatan_code: str):
        text = cell_text(name)
        if text in self.desa_codes and self.desa_codes[text][1] == kecamatan_code:
            return text, None
        choices = self.desa.get(kecamatan_code, {})
        options = choices.get(_region_key(text), [])
        if len(options) == 1:
            return options[0][0], None
        if len(options) > 1:
            return None, _(
                "Desa/kelurahan '%(v)s' ada lebih dari satu di kecamatan ini "
                "(%(codes)s); tulis kodenya."
            ) % {"v": text, "codes": ", ".join(c for c, _n in options)}
        return None, self._unknown(
            _("Desa/kelurahan"), text, choices, where=self.kecamatan_codes.get(kecamatan_code, "")
        )

    @staticmethod
    def _unknown(kind, text, choices, where=""):
        names = {options[0][1]: key for key, options in choices.items()}
        close = difflib.get_close_matches(_region_key(text), list(names.values()), n=3, cutoff=0.7)
        suggestion = [n for n, key in names.items() if key in close]
        message = _("%(kind)s '%(v)s' tidak dikenal") % {"kind": kind, "v": text or "-"}
        if where:
            message += _(" di Kecamatan %(k)s") % {"k": where}
        else:
            message += _(" di wilayah kerja Anda")
        if suggestion:
            message += _(". Maksud Anda: %(s)s?") % {"s": " / ".join(suggestion)}
        return message + "."


# --- preview -------------------------------------------------------------------------------


class _PreloadedRegionField(forms.ChoiceField):
    """A desa/kelurahan choice checked against regions loaded once for the whole file."""

    def __init__(self, *, regions: dict, **kwargs):
        super().__init__(choices=[], **kwargs)
        self.regions = regions

    def to_python(self, value):
        return self.regions.get(value) if value else None

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")


class _FieldsOfOneFile(dict):
    """The fields the row forms of one file share. A Django form deep-copies its class's fields
    so that changing one form's field never reaches another; at 10,000 rows that copying was
    most of the preview's time. A row form changes no field after setting it up (the same values
    for every row of a file) and validating only reads them, so one copy per file is enough."""

    def __deepcopy__(self, memo):
        return dict(self)


def _region_field(name: str) -> _PreloadedRegionField:
    field = Psm._meta.get_field(name)
    return _PreloadedRegionField(
        regions={}, required=not field.blank, label=capfirst(field.verbose_name)
    )


class RosterRowForm(PsmForm):
    """The entry form's rules for one roster row, with the per-row lookups done once per file:
    desa/kelurahan from a preloaded map, NIK prefixes from a preloaded set, and NIK uniqueness
    by the importer (one query for the file) instead of one query per row.

    A form copies its fields for every row, so the fields a roster never fills (photo,
    specialisations) are plain empty ones here and the desa fields are declared once, instead of
    copying an upload field and three querysets 10,000 times."""

    desa_ktp = _region_field("desa_ktp")
    desa_domisili = _region_field("desa_domisili")
    desa_tugas = _region_field("desa_tugas")
    foto = forms.Field(required=False)
    spesialisasi = forms.Field(required=False)
    check_standing = False  # a roster keeps KTP and duty desa together and holds no status

    def __init__(
        self,
        *args,
        regions: dict,
        kecamatan_codes: set,
        shared: _FieldsOfOneFile,
        first_aktif_of: dict,
        **kwargs,
    ):
        self.base_fields = shared
        self.first_aktif_of = first_aktif_of
        super().__init__(*args, **kwargs)
        for name in ("desa_ktp", "desa_domisili", "desa_tugas"):
            self.fields[name].regions = regions
        self.known_kecamatan = lambda kode: (
            kode in kecamatan_codes or kecamatan_in_national_list(kode)
        )

    def _photo_consent(self, cleaned) -> None:
        """A roster has no photo, so no photo consent to record or keep."""

    def _get_validation_exclusions(self):
        # The desa fields were checked against the preloaded regions: no query per row.
        return {*super()._get_validation_exclusions(), "desa_ktp", "desa_domisili", "desa_tugas"}

    def validate_unique(self):
        pass  # the importer checks NIKs against the registry once for the whole file

    def validate_constraints(self):
        # The table's check constraints (16-digit NIK, sex, status) repeat rules this form
        # already applied; Django would run a query per constraint per row to check them again.
        pass


def _form_data(values: dict, desa_code: str) -> dict:
    return {
        "nik": values["nik"],
        "nama": values["nama"],
        "jenis_kelamin": values["jenis_kelamin"],
        "tempat_lahir": values["tempat_lahir"],
        "kewarganegaraan": "WNI",
        "tanggal_lahir": values["tanggal_lahir"],
        "tanggal_bergabung": values["tanggal_bergabung"],
        "alamat_ktp": values["alamat_ktp"],
        "desa_ktp": desa_code,
        "desa_tugas": desa_code,
        "desa_domisili": desa_code,
        "alamat_domisili": values["alamat_ktp"],
        "telepon": values["telepon"],
        "email": values["email"],
        "pekerjaan": values["pekerjaan"],
        "bisa_baca_tulis": "on",
        "konfirmasi_peringatan": "on",
    }


def _labelled(label, message) -> str:
    """``message`` under its column's name, unless it begins with it ("NIK: NIK harus ...", and
    in English "NIK: The NIK must ...")."""
    if not label or re.match(rf"(the\s+)?{re.escape(str(label))}\b", str(message), re.I):
        return str(message)
    return f"{label}: {message}"


def _form_errors(form, leave_out=frozenset()) -> list[str]:
    messages = []
    for field, errors in form.errors.items():
        if field == "konfirmasi_peringatan" or field in leave_out:
            continue
        label = LABELS.get(field, form.fields[field].label if field in form.fields else "")
        messages.extend(_labelled(label, error) for error in errors)
    return messages


def build_preview(*, data: bytes, filename: str, by, today: dt.date) -> ImportBatch:
    """Parse and check every row; store the outcome for the preview page. Writes no PSM."""
    parsed = read_file(data, filename)
    columns = map_columns(parsed.header)
    matcher = RegionMatcher(by)
    desa_qs = regions_in_scope(by)["desa"]
    niks = {}
    raw_rows = []
    for number, cells in parsed.rows:
        raw = {
            key: (cells[index] if index < len(cells) else None) for key, index in columns.items()
        }
        raw_rows.append((number, raw))
        nik, _error, _warning = parse_nik(raw.get("nik"))
        niks.setdefault(nik, number)
    existing = {psm.nik: psm for psm in Psm.objects.filter(nik__in=[n for n in niks if n])}
    # The day each PSM found was first made aktif: a roster may not move their joining date
    # past it (one query for the file, not one per row).
    make_form = _form_factory(matcher, today, _first_aktif_of(existing.values()))
    visible = set(
        desa_qs.filter(kode__in=[p.desa_tugas_id for p in existing.values()]).values_list(
            "kode", flat=True
        )
    )
    rows = []
    seen = set()
    for number, raw in raw_rows:
        rows.append(
            _check_row(
                number,
                raw,
                matcher=matcher,
                make_form=make_form,
                today=today,
                existing=existing,
                visible=visible,
                seen=seen,
            )
        )
    # The batch holds a file of people's NIKs until it is committed or cancelled: never kept
    # without the entry saying who made it. Only the writes are one transaction: the rows were
    # parsed and checked above, outside it.
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            dibuat_oleh=by,
            nama_berkas=filename[:255],
            baris=rows,
            jumlah_baris=len(rows),
            jumlah_valid=sum(1 for r in rows if not r["errors"]),
        )
        audit.record(
            by=by,
            action="import.preview",
            target=batch,
            after={"baris": batch.jumlah_baris, "valid": batch.jumlah_valid},
        )
    return batch


@transaction.atomic
def cancel_batch(*, batch: ImportBatch, by) -> None:
    """Abandon a preview: its parsed personal data is not kept. Locked as the commit locks it: a
    cancel that waited for a commit finds it done and changes nothing."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != StatusImpor.PRATINJAU:
        return
    batch.status = StatusImpor.BATAL
    batch.baris = []
    batch.save(update_fields=["status", "baris", "updated_at"])
    audit.record(by=by, action="import.cancel", target=batch)


def rows_in_scope_now(batch: ImportBatch, by) -> tuple[list[dict], int]:
    """The batch's rows as its preview page shows them, checked again against the user's
    regions as they are now (two queries): the rows were matched when the file was uploaded,
    and the account's regions, or a registered PSM's desa, may have changed before the page is
    opened again (after a refused commit, the next morning). A row the commit would refuse for
    it becomes an error, with the message an upload would give it today; a PSM no longer in the
    user's regions is only "registered elsewhere", as for any NIK of another region. Answers
    the rows and how many of them changed so; nothing is written."""
    ready = [row for row in batch.baris if not row["errors"]]
    if not ready:  # a saved or cancelled batch keeps no rows
        return batch.baris, 0
    desa = set(
        regions_in_scope(by)["desa"]
        .filter(kode__in={row["desa_kode"] for row in ready})
        .values_list("kode", flat=True)
    )
    to_update = {row["psm_id"] for row in ready if row["aksi"] == "ada"}
    visible = (
        set(psm_visible_to(by).filter(pk__in=to_update).values_list("pk", flat=True))
        if to_update
        else set()
    )
    rows, changed = [], 0
    for row in batch.baris:
        errors = []
        if not row["errors"] and row["desa_kode"] not in desa:
            errors.append(_("Desa/kelurahan ini tidak lagi termasuk wilayah kerja Anda."))
        if not row["errors"] and row["aksi"] == "ada" and row["psm_id"] not in visible:
            errors.append(_("NIK: sudah terdaftar sebagai PSM di wilayah lain."))
        if errors:
            changed += 1
            row = {**row, "aksi": "baru", "psm_id": None, "errors": errors}
        rows.append(row)
    return rows, changed


def prune_abandoned_previews(*, older_than: dt.timedelta, now, dry_run=False) -> int:
    """Cancel previews nobody saved or cancelled (a closed tab, a failed commit) once they are
    ``older_than``: their parsed rows hold every NIK and address of the file. Answers how many."""
    stale = ImportBatch.objects.filter(
        status=StatusImpor.PRATINJAU, updated_at__lt=now - older_than
    )
    if dry_run:
        return stale.count()
    return stale.update(status=StatusImpor.BATAL, baris=[], updated_at=now)


def _first_aktif_of(psms) -> dict:
    """{psm id: the day first made aktif} of ``psms``, in one query: a roster may not move their
    joining date past it (``PsmForm.clean_tanggal_bergabung``)."""
    return dict(
        PsmStatusChange.objects.filter(psm__in=list(psms), ke=StatusPsm.AKTIF)
        .values("psm")
        .annotate(first=Min("tanggal_efektif"))
        .values_list("psm", "first")
    )


def _form_factory(matcher: "RegionMatcher", today: dt.date, first_aktif_of: dict):
    """Build RosterRowForms that share what was loaded once for the file: the regions, and the
    day each PSM found was first made aktif."""
    kecamatan_codes = set(Wilayah.objects.filter(tingkat=3).values_list("kode", flat=True))
    shared = _FieldsOfOneFile(copy.deepcopy(RosterRowForm.base_fields))

    def make_form(values: dict, desa_code: str, instance=None) -> RosterRowForm:
        return RosterRowForm(
            _form_data(values, desa_code or ""),
            instance=instance,
            regions=matcher.desa_objects,
            kecamatan_codes=kecamatan_codes,
            shared=shared,
            first_aktif_of=first_aktif_of,
            today=today,
        )

    return make_form


def _check_row(number, raw, *, matcher, make_form, today, existing, visible, seen) -> dict:
    errors, warnings = [], []
    reported = set()  # the fields whose problem is already listed
    for key, value in raw.items():
        if isinstance(value, str) and value.startswith("=") and len(value) > 1:
            reported.add(key)
            errors.append(
                _(
                    "%(col)s: sel berisi rumus Excel (%(f)s), bukan nilai. Salin kolomnya lalu "
                    "Tempel Khusus > Nilai, kemudian unggah lagi."
                )
                % {"col": LABELS[key], "f": value[:40]}
            )
            raw[key] = None
    nik, nik_error, nik_warning = parse_nik(raw.get("nik"))
    if nik_error:
        errors.append(_labelled("NIK", nik_error))
    if nik_warning:
        warnings.append(_labelled("NIK", nik_warning))
    values = {key: cell_text(raw.get(key)) for key in LABELS}
    values["nik"] = nik
    values["jenis_kelamin"] = parse_sex(raw.get("jenis_kelamin"))
    for key in ("tanggal_lahir", "tanggal_bergabung"):
        parsed, error = parse_date(raw.get(key), today=today)
        if error:
            errors.append(_labelled(LABELS[key], error))
            reported.add(key)
        values[key] = parsed.isoformat() if parsed else ""
    joined_in_file = bool(values["tanggal_bergabung"])
    kecamatan_code, error = matcher.match_kecamatan(raw.get("kecamatan"))
    desa_code = ""
    if error:
        errors.append(error)
    else:
        desa_code, error = matcher.match_desa(raw.get("desa"), kecamatan_code)
        if error:
            errors.append(error)
    action = "baru"
    psm_id = None
    if nik and nik in seen:
        errors.append(_("NIK: muncul lebih dari sekali di berkas ini."))
    seen.add(nik)
    if nik in existing:
        if existing[nik].desa_tugas_id in visible:
            action, psm_id = "ada", existing[nik].pk
        else:
            errors.append(_("NIK: sudah terdaftar sebagai PSM di wilayah lain."))
    if not joined_in_file:
        # A new PSM joins today; one already registered keeps the date on record (the commit
        # leaves it alone), which the form checks against their first day aktif: today's was
        # refused for every PSM aktif, so a roster without the column updated nobody.
        joined = existing[nik].tanggal_bergabung if action == "ada" else today
        values["tanggal_bergabung"] = joined.isoformat()
        if action == "ada":
            # the file has no such column: a problem with the date on record is not its row's
            reported.add("tanggal_bergabung")
    cleaned = None
    # The entry form's rules run whatever was found above, so that a row's every problem is
    # listed at once (a wrong NIK showed only once the desa was fixed and the file sent again);
    # its messages about what is already reported are left out.
    if nik_error:
        reported.add("nik")
    if not desa_code:
        reported |= {"desa_ktp", "desa_tugas", "desa_domisili"}
    instance = existing.get(nik) if action == "ada" else None
    form = make_form(values, desa_code, instance)
    if form.is_valid():
        if not errors:
            warnings.extend(
                _labelled("NIK", w) if w in form.nik_warnings else w for w in form.warnings
            )
            cleaned = _keep_cleaned(form.cleaned_data)
    else:
        errors.extend(_form_errors(form, leave_out=reported))
    desa_label = ""
    if desa_code:
        nama, induk = matcher.desa_codes[desa_code]
        desa_label = f"{nama}, {matcher.kecamatan_codes[induk]}"
    return {
        "baris": number,
        "nilai": values,
        "desa_kode": desa_code,
        "desa_label": desa_label,
        "aksi": action,
        "psm_id": psm_id,
        "errors": errors,
        "warnings": warnings,
        "bergabung_dari_berkas": joined_in_file,
        "bersih": cleaned,
    }


def _keep_cleaned(cleaned: dict) -> dict:
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in cleaned.items()
        if key in CLEANED_FIELDS
    }


def _restore_cleaned(stored: dict, desa: Wilayah) -> dict:
    data = {key: Psm._meta.get_field(key).to_python(value) for key, value in stored.items()}
    data["desa_ktp"] = data["desa_tugas"] = data["desa_domisili"] = desa
    return data


# --- commit --------------------------------------------------------------------------------


@transaction.atomic
def commit_batch(*, batch: ImportBatch, update_existing: bool, by, today: dt.date) -> dict:
    """Write every valid row in one transaction: all of them or, on any failure, none.

    The rows are written from the values the preview's row form cleaned; what may have changed
    since then is checked again once for the whole batch: the user's regions here, NIK
    uniqueness and region codes in the registry services. A query count that does not grow
    with the rows (tests pin it) keeps a 10,000-row roster to seconds."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != StatusImpor.PRATINJAU:
        raise ValidationError(_("Impor ini sudah disimpan atau dibatalkan."))
    rows = [
        row
        for row in batch.baris
        if not row["errors"] and (row["aksi"] != "ada" or update_existing)
    ]
    skipped = len(batch.baris) - len(rows)
    regions = regions_in_scope(by)["desa"].in_bulk({row["desa_kode"] for row in rows})
    # Said as such: the row form would only call the desa/kelurahan empty.
    left = [str(row["baris"]) for row in rows if row["desa_kode"] not in regions]
    if left:
        raise ValidationError(
            _(
                "Baris %(n)s tidak lagi valid: desa/kelurahannya tidak lagi termasuk wilayah "
                "kerja Anda. Tidak ada yang disimpan; unggah ulang berkasnya."
            )
            % {"n": ", ".join(left[:5]) + (", ..." if len(left) > 5 else "")}
        )
    to_update = {r["psm_id"] for r in rows if r["aksi"] == "ada"}
    # Through the user's scope: a PSM moved to another region since the preview is no longer
    # theirs to update (nor to move back).
    existing = psm_visible_to(by).select_for_update().in_bulk(to_update)
    if len(existing) < len(to_update):
        raise ValidationError(
            _(
                "Sebagian PSM yang akan diperbarui sudah tidak ada di wilayah Anda. Tidak ada "
                "yang disimpan; unggah ulang berkasnya."
            )
        )
    make_form = None
    # Read again under the rows' locks: a PSM made aktif since the preview (a status change locks
    # the row too) may not have their joining date moved past that day either.
    first_aktif_of = _first_aktif_of(existing.values())
    new_rows, updates = [], []
    for row in rows:
        instance = existing.get(row["psm_id"]) if row["aksi"] == "ada" else None
        if row.get("bersih") is not None:
            data = _restore_cleaned(row["bersih"], regions[row["desa_kode"]])
        else:
            # A batch previewed before the cleaned values were kept: the row form decides, as it
            # did then.
            make_form = make_form or _form_factory(RegionMatcher(by), today, first_aktif_of)
            form = make_form(row["nilai"], row["desa_kode"], instance)
            if not form.is_valid():
                raise ValidationError(
                    _(
                        "Baris %(n)s tidak lagi valid: %(e)s. Tidak ada yang disimpan; unggah "
                        "ulang berkasnya."
                    )
                    % {"n": row["baris"], "e": "; ".join(_form_errors(form)).rstrip(".")}
                )
            data = dict(form.cleaned_data)
            data.pop("spesialisasi", None)
            data.pop("foto", None)  # a roster has no photo: the model's empty default
        if instance is None:
            new_rows.append(data)
            continue
        # An update touches only what the roster holds; the rest of the record stays.
        desa = data["desa_tugas"]
        data = {key: data[key] for key in UPDATE_FIELDS if row["nilai"].get(key, "") != ""}
        data["desa_tugas"] = desa
        # The KTP desa moves with the duty desa only where the two were one (a roster holds one
        # desa): one deliberately different, outside the editor's region even, was overwritten.
        if instance.desa_ktp_id == instance.desa_tugas_id:
            data["desa_ktp"] = desa
        if not row.get("bergabung_dari_berkas"):
            data.pop("tanggal_bergabung", None)
        first_aktif = first_aktif_of.get(instance.pk)
        if (
            first_aktif
            and data.get("tanggal_bergabung")
            and data["tanggal_bergabung"] > first_aktif
        ):
            raise ValidationError(
                _(
                    "Baris %(n)s tidak lagi valid: %(e)s. Tidak ada yang disimpan; unggah "
                    "ulang berkasnya."
                )
                % {"n": row["baris"], "e": joined_after_activation(first_aktif).rstrip(".")}
            )
        updates.append((instance, data))
    try:
        if new_rows:
            services.psm_register_many(rows=new_rows, by=by, today=today)
        if updates:
            services.psm_update_many(changes=updates, by=by)
    except ValidationError as exc:
        raise ValidationError(
            _("%(e)s Tidak ada yang disimpan; unggah ulang berkasnya.")
            % {"e": " ".join(exc.messages)}
        ) from exc
    created, updated = len(new_rows), len(updates)
    batch.status = StatusImpor.SELESAI
    batch.hasil = {
        "baru": created,
        "diperbarui": updated,
        "dilewati": skipped,
        "waktu": timezone.now().isoformat(),
    }
    # The parsed rows served the preview; kept, they would hold every NIK of the file (people
    # skipped or refused included) for as long as the batch exists. The counts stay.
    batch.baris = []
    batch.save(update_fields=["status", "hasil", "baris", "updated_at"])
    audit.record(by=by, action="psm.import", target=batch, after=batch.hasil)
    return batch.hasil


def template_workbook() -> bytes:
    """An empty roster with the expected headers, NIK as text, and a guide with an example of
    each column on a second sheet. An example row on the roster itself, uploaded unchanged,
    registered "Contoh Nama", with a valid-looking NIK, as a PSM."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Daftar PSM"
    header = [
        "NIK",
        "Nama",
        "Jenis kelamin",
        "Tempat lahir",
        "Tanggal lahir",
        "Alamat",
        "Kecamatan",
        "Desa/kelurahan",
        "Telepon",
        "Email",
        "Pekerjaan",
        "Tanggal bergabung",
    ]
    sheet.append(header)
    # The example goes on a sheet of its own, one column per row, so that it is not a second
    # roster (a workbook with two is refused) and nobody uploads it as a person.
    guide = workbook.create_sheet("Petunjuk pengisian")
    guide.append(["Kolom", "Contoh isian", "Keterangan"])
    example = [
        ("3371015508950001", "16 angka; kolom ini berformat teks agar tidak terpotong."),
        ("Contoh Nama", "Nama lengkap sesuai KTP."),
        ("P", "L atau P."),
        ("Magelang", ""),
        ("15-08-1995", "Tanggal-bulan-tahun."),
        ("Jl. Contoh No. 1 RT 01/RW 02", "Alamat sesuai KTP."),
        ("Magelang Selatan", "Nama kecamatan tempat bertugas."),
        ("Rejowinangun Selatan", "Nama desa/kelurahan tempat bertugas."),
        ("0812-3456-7890", "Angka, boleh diawali +62."),
        ("", "Boleh kosong."),
        ("Wiraswasta", "Boleh kosong."),
        ("02-01-2024", "Boleh kosong: PSM baru bergabung hari impor, yang sudah terdaftar tetap."),
    ]
    for name, (value, note) in zip(header, example, strict=True):
        guide.append([name, value, note])
    for column, width in zip("ABC", (20, 32, 70), strict=True):
        guide.column_dimensions[column].width = width
    for column in "ABCDEFGHIJKL":
        sheet.column_dimensions[column].width = 22
    for cell in sheet["A"]:
        cell.number_format = "@"  # NIK as text, so Excel keeps all 16 digits
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

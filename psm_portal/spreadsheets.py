"""CSV and XLSX exports that are safe to open in Excel and bounded in memory.

XLSX is written by XlsxWriter in constant-memory mode: each row goes to a temporary file as soon as
the next one starts, so a million rows take the memory of one. Measured on the 2-core machine, a
million rows of the case export take 64 s against openpyxl write-only's 114 s: still no request's
work, so large exports are built by the task worker (``assessments.exports``), and the largest by
two processes that write a part of the sheet each (``write_xlsx(first_row=...)``), joined into one
workbook (``join_parts``). openpyxl stays for reading rosters.
"""

import csv
import datetime as dt
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from decimal import Decimal

import xlsxwriter
from django.db import connection, transaction
from django.http import HttpResponse, StreamingHttpResponse

# Rows per chunk of a streamed CSV (about 60 KB of the case export).
CSV_ROWS_PER_CHUNK = 500
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit per sheet (header included); past it the rows go on to "Sheet (2)", "Sheet (3)".
XLSX_MAX_ROWS = 1_048_576

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A date is a number of days since 30 December 1899 in a cell formatted as a date: a cell
# Excel sorts, filters by month and year, and counts with. Written as the office writes it.
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
_DATE_FORMAT = {"num_format": "dd/mm/yyyy"}
_DATE_WIDTH = 11  # "20/11/2026" in a default column shows as "########"
# C0 control characters other than tab, line feed and carriage return: XML 1.0 cannot hold them.
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010\013\014\016-\037]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise(value):
    """A cell that starts like a formula is prefixed with an apostrophe, so Excel shows it as text
    instead of running it (CSV/formula injection). Numbers stay numbers (a negative number is
    not a formula), so totals can be summed in Excel."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    if type(value) is dt.date:  # a date cell in a workbook; "2026-11-20" in a CSV
        return value
    text = "" if value is None else str(value)
    # Control characters (a pasted ESC, a vertical tab) cannot be stored in an XLSX cell at all
    # (the export answered 500). They carry no meaning: drop them. isprintable() is the cheap
    # test that spares the regular expression for almost every cell of a million-row export.
    if not text.isprintable():
        text = _ILLEGAL_CHARACTERS.sub("", text)
    if text.startswith(_FORMULA_PREFIXES):
        return f"'{text}"
    # XlsxWriter (constant-memory mode) writes a text from "<r>" to "</r>" into the sheet as raw
    # XML, a rich string: a name typed so would corrupt the file or smuggle in a formula.
    if text.startswith("<r>") and text.endswith("</r>"):
        return f"'{text}"
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # BOM so Excel opens UTF-8 names (Ma'ruf, Ñ, emoji) correctly
        yield writer.writerow(header)
        # On PostgreSQL the rows are read inside a transaction, which lasts the download: outside
        # one, Django declares the server-side cursor WITH HOLD and PostgreSQL computes and
        # stores the whole result before the first row (11 s for the national case export,
        # against 1 s). SQLite has no such cursor, and a transaction there holds the write lock.
        with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
            try:
                # A few hundred rows per chunk, not one: a million writes to the socket made
                # the national export twice as slow in a threaded gunicorn worker.
                lines = []
                for row in rows:
                    lines.append(writer.writerow([neutralise(v) for v in row]))
                    if len(lines) == CSV_ROWS_PER_CHUNK:
                        yield "".join(lines)
                        lines = []
                if lines:
                    yield "".join(lines)
            finally:
                if hasattr(rows, "close"):
                    rows.close()  # a download stopped halfway ends its cursor here and now

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _sheet_name(name: str, number: int) -> str:
    name = _SHEET_NAME_FORBIDDEN.sub(" ", str(name)).strip("' ") or "Data"
    suffix = f" ({number})" if number > 1 else ""
    return name[: 31 - len(suffix)] + suffix


def write_xlsx(
    target,
    sheet: str,
    header: list[str] | None,
    rows: Iterable[list],
    *,
    on_rows: Callable[[int], None] | None = None,
    every: int = 10_000,
    first_row: int = 1,
    one_sheet: bool = False,
    tmpdir: str | None = None,
    more_sheets: Iterable[tuple[str, list[str], Iterable[list]]] = (),
) -> int:
    """Write ``rows`` (neutralised here) to ``target``, a path or a binary file, and return how
    many were written. ``on_rows(n)`` is called after every ``every`` rows (a progress bar).

    A part of a sheet written beside others (``join_parts``) starts at ``first_row`` (0-based: the
    header is row 0), only the first part has a ``header``, and ``one_sheet`` says the rows must
    fit on the first sheet (the join takes no other). XlsxWriter keeps the rows in a file in
    ``tmpdir`` until the workbook is closed. ``more_sheets`` (name, header, rows), small tables
    after the rows' own sheet (a recap's other breakdown), are not counted; a part joined by
    ``join_parts`` takes none (only its first sheet is joined)."""
    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "tmpdir": tmpdir or tempfile.gettempdir()}
    )
    dates = _Dates(workbook)
    written = 0
    worksheet, row_number, sheets = None, XLSX_MAX_ROWS, 0
    try:
        for row in rows:
            if row_number >= XLSX_MAX_ROWS:
                if one_sheet and sheets:
                    raise ValueError(f"more rows than one sheet holds from row {first_row}")
                sheets += 1
                worksheet = _add_sheet(workbook, sheet, sheets, header)
                row_number = first_row if sheets == 1 else 1
                # Bound methods: a million rows make eleven million calls.
                write_string, write_number = worksheet.write_string, worksheet.write_number
            for column, value in enumerate(row):
                value = neutralise(value)
                if isinstance(value, str):
                    if value:
                        write_string(row_number, column, value)
                elif type(value) is dt.date:
                    dates.write(worksheet, row_number, column, value)
                else:
                    write_number(row_number, column, value)
            row_number += 1
            written += 1
            if on_rows and written % every == 0:
                on_rows(every)
        if worksheet is None:  # no rows: still a sheet with its header
            _add_sheet(workbook, sheet, 1, header)
        for name, more_header, more_rows in more_sheets:
            more = _add_sheet(workbook, name, 1, more_header)
            for number, row in enumerate(more_rows, start=1):
                _write_cells(more, number, row, dates)
    finally:
        workbook.close()
    if on_rows and written % every:
        on_rows(written % every)
    return written


def _write_cells(worksheet, number: int, row, dates: "_Dates") -> None:
    """One row as the main loop writes it: neutralised, a string as a string (``write_row``
    guesses, and made "{=...}" an array formula and a URL a live link)."""
    for column, value in enumerate(row):
        value = neutralise(value)
        if isinstance(value, str):
            if value:
                worksheet.write_string(number, column, value)
        elif type(value) is dt.date:
            dates.write(worksheet, number, column, value)
        else:
            worksheet.write_number(number, column, value)


class _Dates:
    """Date cells of one workbook: one format (so every part of a joined sheet gives it the same
    style index), and each date column widened once to show its dates."""

    def __init__(self, workbook):
        self.format = workbook.add_format(_DATE_FORMAT)
        self.widened: set[tuple[int, int]] = set()

    def write(self, worksheet, row: int, column: int, value: dt.date) -> None:
        if (id(worksheet), column) not in self.widened:
            worksheet.set_column(column, column, _DATE_WIDTH)
            self.widened.add((id(worksheet), column))
        worksheet.write_number(row, column, value.toordinal() - _EXCEL_EPOCH, self.format)


def _add_sheet(workbook, name: str, number: int, header: list[str] | None):
    worksheet = workbook.add_worksheet(_sheet_name(name, number))
    if header is not None:
        worksheet.write_row(0, 0, [str(h) for h in header])
    return worksheet


_SHEET_XML = "xl/worksheets/sheet1.xml"
_CHUNK = 1 << 20


def join_parts(paths: list, target, *, rows: int, columns: int) -> None:
    """Join the workbooks written by ``write_xlsx(first_row=..., one_sheet=True)`` into one in
    ``target``: the first one's files, with the rows of the others' sheets appended to its sheet,
    in order. Pass only parts that hold rows.

    The parts were laid out by XlsxWriter at their final row numbers, so joining is copying: a
    sheet's rows lie between ``<sheetData>`` and ``</sheetData>``, which no cell's text can hold
    (XlsxWriter escapes ``<``; ``neutralise`` stops its raw rich strings). Only the first part's
    ``<dimension>`` (the used range: ``rows`` below the header, ``columns`` wide) is rewritten.
    Decompressing and compressing the sheet again is the whole cost: 8 s for a million rows."""
    last_cell = xlsxwriter.utility.xl_rowcol_to_cell(rows, max(columns - 1, 0))
    with zipfile.ZipFile(paths[0]) as first, zipfile.ZipFile(target, "w") as out:
        for info in first.infolist():
            if info.filename != _SHEET_XML:
                out.writestr(info, first.read(info))
                continue
            joined = zipfile.ZipInfo(info.filename, info.date_time)
            joined.compress_type = zipfile.ZIP_DEFLATED
            with first.open(info) as head_file, out.open(joined, "w") as sheet:
                head = _Stream(head_file)
                # Before the rows: a kilobyte of sheet settings, the used range among them.
                prologue = b"".join(head.until(b"<sheetData>"))
                sheet.write(
                    re.sub(
                        rb'<dimension ref="[A-Z0-9:]+"/>',
                        f'<dimension ref="A1:{last_cell}"/>'.encode(),
                        prologue,
                        count=1,
                    )
                )
                sheet.writelines(head.until(b"</sheetData>"))
                for path in paths[1:]:
                    with zipfile.ZipFile(path) as part, part.open(_SHEET_XML) as part_file:
                        body = _Stream(part_file)
                        body.skip_past(b"<sheetData>")
                        sheet.writelines(body.until(b"</sheetData>"))
                sheet.writelines(head.rest())


class _Stream:
    """A file read in chunks up to a marker; the marker and what follows stay for the next read."""

    def __init__(self, file):
        self.file, self.pending = file, b""

    def until(self, marker: bytes):
        buffer, keep = self.pending, len(marker) - 1
        while (found := buffer.find(marker)) < 0:
            chunk = self.file.read(_CHUNK)
            if not chunk:
                raise ValueError(f"{marker!r} not found in the part")
            cut = max(len(buffer) - keep, 0)  # the marker may straddle two chunks
            yield buffer[:cut]
            buffer = buffer[cut:] + chunk
        yield buffer[:found]
        self.pending = buffer[found:]

    def skip_past(self, marker: bytes) -> None:
        for _chunk in self.until(marker):
            pass
        self.pending = self.pending[len(marker) :]

    def rest(self):
        yield self.pending
        while chunk := self.file.read(_CHUNK):
            yield chunk


def xlsx_bytes(sheet: str, header: list[str], rows: Iterable[list], **kwargs) -> tuple[bytes, int]:
    """The workbook as bytes (built in a temporary file, not in memory) and its row count."""
    with tempfile.TemporaryFile() as file:
        count = write_xlsx(file, sheet, header, rows, **kwargs)
        file.seek(0)
        return file.read(), count


def xlsx_response(filename: str, sheet: str, header: list[str], rows: Iterable[list], **kwargs):
    content, _count = xlsx_bytes(sheet, header, rows, **kwargs)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

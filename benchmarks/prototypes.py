"""Measured alternatives for the slow spots the benchmark finds, before anyone edits app code:
``python -m benchmarks.prototypes --preset nasional``.

Each prototype runs beside the code it would replace, on the same data and the same user, and
prints both timings. Nothing here is imported by the portal; the findings it supports are in the
benchmark section of the README and in ``benchmarks/results/explain-<preset>.md``.
"""

import argparse
import csv
import resource
import time

from benchmarks.run import _django


class _Count:
    def __init__(self):
        self.bytes = 0

    def write(self, value):
        self.bytes += len(value)


def _export_current(user, limit):
    """The case export's rows as assessments.views.case_export builds them (model instances)."""
    from assessments import selectors

    rows = 0
    sink = csv.writer(_Count())
    for c in selectors.case_list(user)[:limit].iterator(chunk_size=2000):
        sink.writerow(
            [
                c.pk,
                c.subjek.nama,
                c.subjek.nik or "",
                c.desa.induk.nama,
                c.desa.nama,
                c.kategori_utama.singkatan,
                c.get_jenis_display(),
                c.tanggal.isoformat(),
                c.get_urgensi_display(),
                c.get_status_display(),
                c.psm.nama if c.psm else "",
            ]
        )
        rows += 1
    return rows


def _export_values(user, limit, order=("-status_sejak", "-pk")):
    """The same rows from ``values_list`` (no model instances), choice labels from dicts."""
    from assessments import selectors
    from assessments.models import JenisAsesmen, StatusAsesmen, Urgensi

    jenis, urgensi, status = (dict(c.choices) for c in (JenisAsesmen, Urgensi, StatusAsesmen))
    rows = 0
    sink = csv.writer(_Count())
    qs = (
        selectors.case_list(user)
        .order_by(*order)
        .values_list(
            "pk",
            "subjek__nama",
            "subjek__nik",
            "desa__induk__nama",
            "desa__nama",
            "kategori_utama__singkatan",
            "jenis",
            "tanggal",
            "urgensi",
            "status",
            "psm__nama",
        )
    )
    for pk, nama, nik, kec, desa, kat, j, tgl, u, s, psm in qs[:limit].iterator(chunk_size=5000):
        sink.writerow(
            [pk, nama, nik or "", kec, desa, kat, jenis[j], tgl.isoformat(), urgensi[u], status[s],
             psm or ""]
        )  # fmt: skip
        rows += 1
    return rows


def _timed(label, fn, *args, **kwargs):
    started = time.perf_counter()
    rows = fn(*args, **kwargs)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), "
          f"peak RSS so far {peak:.0f} MB")  # fmt: skip


def _ms(fn, repeats=5):
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(sorted(samples)[len(samples) // 2], 1)


def _checks(staff):
    """The proposed query rewrites against today's, on the same data.

    An administrator without a scope gets no region filter at all: exactly what ``region_q``
    would produce for an account whose scope holds every province once it recognises that."""
    import datetime as dt

    from django.db import connection
    from django.test import Client

    from assessments import selectors as case_selectors
    from benchmarks.run import HOST, _session_for
    from psm_portal.models import Role, User
    from reports import selectors as report_selectors

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": Role.ADMIN})
    admin.scope.clear()
    admin = User.objects.get(pk=admin.pk)
    staff = User.objects.get(pk=staff.pk)
    today = dt.date.today()

    def page(user, path):
        client = Client(HTTP_HOST=HOST)
        client.cookies["sessionid"] = _session_for(user)
        return lambda: client.get(path)

    def queue(user, part="page"):
        def run():
            qs = case_selectors.review_queue(user)
            if part == "page":
                case_selectors.queue_page_details(qs[:50])  # the rows the page shows
            else:
                qs.count()

        return run

    def with_jit_off(fn):
        def run():
            with connection.cursor() as cursor:
                cursor.execute("SET jit = off")
            try:
                fn()
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("RESET jit")

        return run

    rows = [
        ("PSM list page, 38-province scope (today)", page(staff, "/registri/psm/")),
        ("PSM list page, no region filter (region_q collapsed)", page(admin, "/registri/psm/")),
        # The DISTINCT these rows once compared against is gone from the selector (99cd923).
        ("review queue, first 50 (today)", queue(staff)),
        ("review queue, count (today)", queue(staff, part="count")),
        ("review queue, count, jit off", with_jit_off(queue(staff, "count"))),
    ]
    for label, fn in rows:
        print(f"{label}: {_ms(fn)} ms")

    def dashboard(user):
        return lambda: report_selectors.dashboard(user, tahun=today.year, today=today)

    for label, fn in [
        ("dashboard figures, 38-province scope (today)", dashboard(staff)),
        ("dashboard figures, no region filter", dashboard(admin)),
        ("dashboard figures, no region filter, jit off", with_jit_off(dashboard(admin))),
    ]:
        print(f"{label}: {_ms(fn, repeats=3)} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows per export variant")
    parser.add_argument("--user", default="bench-ekspor")
    parser.add_argument("--checks", action="store_true", help="query rewrites instead of export")
    args = parser.parse_args(argv)
    _django()
    from psm_portal.models import User

    if args.checks:
        _checks(User.objects.get(username="bench-staf"))
        return
    user = User.objects.get(username=args.user)
    _timed("export, model instances (today)", _export_current, user, args.rows)
    _timed("export, values_list", _export_values, user, args.rows)
    _timed("export, values_list ordered by -pk", _export_values, user, args.rows, order=("-pk",))


if __name__ == "__main__":
    main()

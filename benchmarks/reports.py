"""Report benchmark: ``python -m benchmarks.reports [--psm 500]`` (or ``make bench-reports``).

Fills the benchmark database (``DATABASE_URL``, PostgreSQL or SQLite) with Kota Magelang and
``--psm`` active PSM with activities and evaluations, then times, in the same run:

- baseline: WeasyPrint laying out one plain HTML table (automatic table layout) of the same rows
  and columns the yearly recap prints, in one process;
- the yearly recap as the worker builds it (figures from the database, summary, pages of fixed
  rows laid out on ``PSM_PDF_WORKERS`` processes, joined);
- one rapor kinerja (inline in a request).

Prints seconds, pages per second and the recap's time as a ratio of the baseline (target <= 0.6),
and writes ``benchmarks/results/reports.json`` and ``reports.md``.
"""

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _fill(n: int, today: dt.date):
    from psm_portal.models import Kantor, Role, User
    from registry.demo import make_nik
    from registry.models import Kegiatan, Psm, Wilayah
    from registry.regions import load_regions
    from reports.models import Evaluasi

    load_regions("33.71")
    Kantor.objects.update_or_create(
        pk=1,
        defaults={
            "wilayah": Wilayah.objects.get(kode="33.71"),
            "pemerintah": "Pemerintah Kota Magelang",
            "nama": "Dinas Sosial",
            "alamat": "Jl. Jenderal Sudirman No. 46",
            "kota_surat": "Magelang",
            "penandatangan_nama": "Dra. Wulan Prasetyaningsih, M.Si.",
            "penandatangan_jabatan": "Kepala Dinas Sosial Kota Magelang",
            "penandatangan_pangkat": "Pembina Tingkat I (IV/b)",
            "penandatangan_nip": "196804111993032009",
        },
    )
    supervisor, _ = User.objects.get_or_create(
        username="bench-supervisor", defaults={"role": Role.SUPERVISOR}
    )
    supervisor.scope.set(Wilayah.objects.filter(kode="33.71"))
    if Psm.objects.filter(nama__startswith="Bench ").count() >= n:
        return supervisor
    rng = random.Random(5)
    desa = list(Wilayah.objects.filter(tingkat=4, kode__startswith="33.71."))
    first = ["Ahmad", "Siti", "Budi", "Dewi", "Eko", "Fitri", "Hadi", "Lestari", "Joko", "Sri"]
    last = ["Santoso", "Rahayu", "Wibowo", "Purwanti", "Hartono", "Lestari", "Setiawan"]
    people = [
        Psm(
            nik=make_nik(d.kode[:8], dt.date(1980, 1, 1), sex, i + 1),
            nama=f"Bench {rng.choice(first)} {rng.choice(last)} {i}",
            nama_cari=f"bench {i}",
            jenis_kelamin=sex,
            tempat_lahir="Magelang",
            tanggal_lahir=dt.date(1980, 1, 1),
            alamat_ktp="Jl. Tidar",
            desa_ktp=d,
            desa_tugas=d,
            tanggal_bergabung=dt.date(rng.randint(2012, 2025), 1, 6),
            status="aktif",
            status_sejak=dt.date(2020, 1, 6),
        )
        for i, d, sex in ((i, rng.choice(desa), rng.choice("LP")) for i in range(n))
    ]
    Psm.objects.bulk_create(people, batch_size=500)
    people = list(Psm.objects.filter(nama__startswith="Bench "))
    Kegiatan.objects.bulk_create(
        [
            Kegiatan(
                psm=p,
                client_uuid=uuid.uuid4(),
                jenis="kunjungan",
                tanggal=today - dt.timedelta(days=rng.randint(0, 300)),
                durasi_jam=Decimal(rng.choice([1, 2, 3])),
                tempat="Balai RW",
                desa=p.desa_tugas,
                uraian="Kunjungan rumah",
                jumlah_penerima=rng.randint(0, 20),
                status="diverifikasi",
            )
            for p in people
            for _ in range(rng.randint(0, 8))
        ],
        batch_size=2000,
    )
    Evaluasi.objects.bulk_create(
        [
            Evaluasi(
                psm=p,
                tahun=today.year,
                penilai=supervisor,
                kerajinan=rng.randint(1, 5),
                disiplin=rng.randint(1, 5),
                kerja_sama=rng.randint(1, 5),
                kepemimpinan=rng.randint(1, 5),
                prestasi=rng.randint(1, 5),
            )
            for p in people[::3]
        ]
    )
    return supervisor


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _baseline_html(context) -> str:
    """The recap's rows in one plain table, as a first draft would print them."""
    from django.utils.html import escape

    head = ["No", "Nama", "Desa/Kel.", "Status"] + [d.kode for d in context["key_indicators"]]
    head += ["Skor", "Prk."]
    rows = []
    for group in context["summary"]:
        for r in group["rows"]:
            cells = [r.no, r.psm.nama, r.psm.desa_tugas.nama, r.psm.get_status_display()]
            cells += [*r.nilai_kunci, r.skor_gabungan, r.peringkat]
            rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return (
        "<html><head><style>@page { size: A4; margin: 18mm 16mm; } body { font-family: "
        "'DejaVu Sans'; font-size: 7.5pt; } table { width: 100%; border-collapse: collapse; } "
        "td, th { border: 0.5pt solid #444; padding: 0.8mm 1.2mm; }</style></head><body><table>"
        "<thead><tr>"
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--psm", type=int, default=500)
    args = parser.parse_args()
    _django()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from psm_portal.pdf import render_html, render_pdf
    from registry.models import Psm
    from reports.documents import RaporKinerja, YearlyRecap

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    supervisor = _fill(args.psm, today)

    report = YearlyRecap(supervisor, today=today, tahun=today.year)
    context = report.context()
    rows = context["jumlah_psm"]

    start = time.perf_counter()
    baseline_pdf = render_html(_baseline_html(context))
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    report = YearlyRecap(supervisor, today=today, tahun=today.year)
    context = report.context()
    recap_pdf = report.render(
        context, number=lambda sidik: "400.9/001/Dinsos/2026", workers=settings.PSM_PDF_WORKERS
    )
    recap = time.perf_counter() - start

    psm = Psm.objects.filter(nama__startswith="Bench ").order_by("pk").first()
    start = time.perf_counter()
    rapor = RaporKinerja(supervisor, today=today, psm=psm, tahun=today.year)
    rapor_pdf = render_pdf(
        rapor.template, rapor.context(), number=lambda sidik: "400.9/002/Dinsos/2026"
    )
    rapor_s = time.perf_counter() - start

    result = {
        "psm": rows,
        "workers": settings.PSM_PDF_WORKERS,
        "baseline_plain_table": {"seconds": round(baseline, 2), "pages": _pages(baseline_pdf)},
        "yearly_recap": {"seconds": round(recap, 2), "pages": _pages(recap_pdf)},
        "rapor_kinerja": {"seconds": round(rapor_s, 2), "pages": _pages(rapor_pdf)},
    }
    result["recap_vs_baseline"] = round(recap / baseline, 2)
    for key in ("baseline_plain_table", "yearly_recap", "rapor_kinerja"):
        r = result[key]
        r["pages_per_second"] = round(r["pages"] / r["seconds"], 1)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "reports.json").write_text(json.dumps(result, indent=2))
    table = [
        f"Reports benchmark: {rows} PSM, {settings.PSM_PDF_WORKERS} layout processes",
        "",
        "| document | seconds | pages | pages/s | vs plain table |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in (
        ("baseline_plain_table", "plain auto-layout table (baseline)"),
        ("yearly_recap", "yearly recap (figures + PDF)"),
        ("rapor_kinerja", "one rapor kinerja (figures + PDF)"),
    ):
        r = result[key]
        ratio = f"{r['seconds'] / baseline:.2f}x"
        table.append(
            f"| {label} | {r['seconds']} | {r['pages']} | {r['pages_per_second']} | {ratio} |"
        )
    text = "\n".join(table)
    (out / "reports.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

"""One command for the performance figures: ``python -m benchmarks.run --preset kabkota``.

Starts gunicorn on loopback with the benchmark settings, loads each key page with wrk at 16
concurrent clients, and prints requests per second and p50/p95 latency as ratios against a bare
one-query Django view measured in the same run; then times searches in the database and reads the
workers' memory. Results go to ``benchmarks/results/<preset>.json`` and a short Markdown table.
Needs PostgreSQL (``DATABASE_URL``) and wrk (``apt-get install wrk``). Touches only 127.0.0.1.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOST = "127.0.0.1"


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _sessions(preset_root):
    """Log-in sessions for a staff account scoped to the preset's region and one PSM."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from psm_portal.models import Role, User
    from registry.models import Psm, StatusPsm, Wilayah

    def session_for(user):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    staff, _ = User.objects.get_or_create(username="bench-staf", defaults={"role": Role.STAF})
    staff.set_unusable_password()
    staff.save()
    roots = (
        [preset_root]
        if preset_root
        else list(Wilayah.objects.filter(tingkat=1).values_list("kode", flat=True))
    )
    staff.scope.set(Wilayah.objects.filter(kode__in=roots))
    psm = Psm.objects.filter(status=StatusPsm.AKTIF).order_by("pk").first()
    return session_for(staff), psm


def _pages(psm):
    kecamatan = psm.desa_tugas.induk_id
    return {
        "baseline (1 query)": "/bench/baseline/",
        "PSM list": "/registri/psm/",
        "PSM list, filtered": f"/registri/psm/?kecamatan={kecamatan}&status=aktif",
        "PSM profile": f"/registri/psm/{psm.pk}/",
        "coverage (kecamatan)": "/registri/cakupan/",
    }


def _wait_until_up(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not come up")


def _wrk(url, cookie, seconds, connections):
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-H",
            f"Cookie: sessionid={cookie}",
            "-s",
            str(HERE / "report.lua"),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def _children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _db_timings(psm, repeats=25):
    """Median milliseconds of the registry's searches, measured in the database."""
    from registry.filters import search_psm
    from registry.models import Psm

    def median_ms(term):
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            list(search_psm(Psm.objects.all(), term).order_by("nama_cari", "pk")[:25])
            samples.append((time.perf_counter() - started) * 1000)
        return round(statistics.median(samples), 2)

    return {
        "exact NIK search": median_ms(psm.nik),
        "partial name search (first page)": median_ms("wulan"),
        "partial name search, rare term": median_ms("zzq"),
    }


def _import_timing(rows=10_000):
    """Seconds to preview and to commit a 10,000-row roster (rolled back afterwards)."""
    import datetime as dt
    import io

    from django.db import transaction
    from openpyxl import Workbook

    from psm_portal.models import Role, User
    from registry import importer
    from registry.models import Wilayah

    kecamatan = Wilayah.objects.filter(tingkat=3).order_by("kode").first()
    desa = list(Wilayah.objects.filter(induk=kecamatan).values_list("nama", flat=True))
    user, _ = User.objects.get_or_create(username="bench-import", defaults={"role": Role.STAF})
    user.scope.set([kecamatan.induk])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        ["NIK", "Nama", "JK", "Tempat lahir", "Tanggal lahir", "Alamat", "Kecamatan", "Kelurahan"]
    )
    prefix = kecamatan.kode.replace(".", "")
    n = 0
    for day in range(1, 29):
        for month in range(1, 13):
            for serial in range(9001, 9031):  # serials the generator does not use
                n += 1
                if n <= rows:
                    sheet.append(
                        [
                            f"{prefix}{day:02d}{month:02d}85{serial:04d}",
                            f"Warga {n}",
                            "L",
                            "Kota",
                            f"{day:02d}-{month:02d}-1985",
                            "Jl. Contoh",
                            kecamatan.nama,
                            desa[n % len(desa)],
                        ]
                    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    today = dt.date.today()

    class Rollback(Exception):
        pass

    timings = {}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            batch = importer.build_preview(
                data=buffer.getvalue(), filename="bench.xlsx", by=user, today=today
            )
            timings["preview_s"] = round(time.perf_counter() - started, 2)
            started = time.perf_counter()
            result = importer.commit_batch(batch=batch, update_existing=False, by=user, today=today)
            timings["commit_s"] = round(time.perf_counter() - started, 2)
            timings["created"] = result["baru"]
            raise Rollback
    except Rollback:
        pass
    return timings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="kabkota", choices=["kabkota", "provinsi", "nasional"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (benchmarks run on PostgreSQL).")

    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from benchmarks.synthetic import PRESETS, generate
    from registry.models import Psm

    if not Psm.objects.exists():
        print(f"generating the {args.preset} preset ...")
        generate(args.preset)
    cookie, psm = _sessions(PRESETS[args.preset].root)
    from django.db import connection

    connection.close()

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "benchmarks.wsgi",
            "-b",
            f"{HOST}:{args.port}",
            "-w",
            str(args.workers),
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"},
    )
    results = {
        "preset": args.preset,
        "psm_rows": Psm.objects.count(),
        "connections": args.connections,
        "seconds": args.seconds,
        "pages": {},
    }
    try:
        _wait_until_up(args.port)
        for name, path in _pages(psm).items():
            url = f"http://{HOST}:{args.port}{path}"
            _wrk(url, cookie, 2, args.connections)  # warm-up: persistent connections, caches
            results["pages"][name] = _wrk(url, cookie, args.seconds, args.connections)
            print(f"  {name}: {results['pages'][name]['rps']:.0f} req/s")
        results["worker_rss_mb"] = [round(_rss_mb(p) or 0, 1) for p in _children(server.pid)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    results["database_ms"] = _db_timings(psm)
    results["import_10000_rows"] = _import_timing()

    base = results["pages"]["baseline (1 query)"]
    lines = [
        f"Preset `{args.preset}` ({results['psm_rows']:,} PSM), {args.connections} clients, "
        f"{args.seconds} s per page, gunicorn {args.workers} workers, loopback.",
        "",
        "| page | req/s | x baseline | p50 ms | p95 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results["pages"].items():
        r["rps_ratio"] = round(r["rps"] / base["rps"], 3)
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['rps_ratio']:.2f} | {r['p50_ms']:.1f} | "
            f"{r['p95_ms']:.1f} | {r['errors_status']} |"
        )
    lines += ["", "| database (median of 25) | ms |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in results["database_ms"].items()]
    imp = results["import_10000_rows"]
    lines += [
        "",
        f"Roster import, {imp['created']:,} rows: preview {imp['preview_s']} s, "
        f"commit {imp['commit_s']} s (target: under 20 s together).",
    ]
    lines += ["", f"Worker RSS after the load (MB): {results['worker_rss_mb']}"]
    table = "\n".join(lines)
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{args.preset}.json").write_text(json.dumps(results, indent=2))
    (out_dir / f"{args.preset}.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()

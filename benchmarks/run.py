"""One command for the performance figures: ``python -m benchmarks.run --preset kabkota``.

Fills an empty PostgreSQL database with the preset's synthetic data set, then:

- counts the queries of each key page and times its first (uncached) rendering in-process;
- starts gunicorn on loopback with the benchmark settings (a private Redis as the shared cache,
  as in a multi-worker deployment), loads each key page with wrk at 16 concurrent clients (asking
  for gzip, as browsers do) and reports requests per second and p50/p95 latency as ratios
  against a bare one-query Django view measured in the same run, with the machine's load average
  next to each page;
- streams the case CSV export (about 1,000,000 assessments at the national preset), then the
  PSM CSV export of the staff account, through a one-worker gunicorn and reports their time and
  the worker's peak RSS; builds the case rows as the XLSX background document in a subprocess
  and reports time and peak RSS;
- times searches, reports' figures and a 10,000-row roster import in the database, and reads the
  web workers' RSS after the load.

Results go to ``benchmarks/results/<preset>.json`` and a short Markdown table (``<preset>.md``).
Needs PostgreSQL (``DATABASE_URL``), wrk (``apt-get install wrk``) and, for the shared cache,
``redis-server`` (without it each worker caches the dashboard on its own). Touches only 127.0.0.1.
"""

import argparse
import datetime as dt
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
EXPORT_TARGET_ROWS = 1_000_000


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _session_for(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _staff(username: str, roots: list[str]):
    from psm_portal.models import Role, User
    from registry.models import Wilayah

    user, _ = User.objects.get_or_create(username=username, defaults={"role": Role.STAF})
    user.role = Role.STAF
    user.set_unusable_password()
    user.save()
    user.scope.set(Wilayah.objects.filter(kode__in=roots))
    return User.objects.get(pk=user.pk)


def _fixtures(preset_root):
    """A staff account scoped to the preset's region, the PSM and the case the pages show, and an
    account whose scope holds about 1,000,000 assessments for the export."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from assessments.models import Asesmen
    from registry.models import Psm, StatusPsm, Wilayah

    provinces = list(
        Wilayah.objects.filter(tingkat=1).order_by("kode").values_list("kode", flat=True)
    )
    roots = [preset_root] if preset_root else provinces
    staff = _staff("bench-staf", roots)
    psm = Psm.objects.filter(status=StatusPsm.AKTIF).order_by("pk").first()
    # A referred case that was returned once: transitions, a version diff and referrals to show.
    case = (
        Asesmen.objects.filter(status="dirujuk", versi=2).order_by("pk").first()
        or Asesmen.objects.filter(status="dirujuk").order_by("pk").first()
    )
    # The export's scope: whole provinces, largest first, until about EXPORT_TARGET_ROWS cases.
    export_roots = roots
    if not preset_root:
        per_province = dict(
            Asesmen.objects.annotate(p=Substr("desa_id", 1, 2))
            .values_list("p")
            .annotate(n=Count("pk"))
            .order_by()
        )
        export_roots, total = [], 0
        for code, n in sorted(per_province.items(), key=lambda kv: -kv[1]):
            if total >= EXPORT_TARGET_ROWS or total + n > EXPORT_TARGET_ROWS * 1.05:
                continue
            export_roots.append(code)
            total += n
    exporter = _staff("bench-ekspor", export_roots)
    return staff, psm, case, exporter


def _pages(psm, case):
    from django.urls import reverse

    kecamatan = psm.desa_tugas.induk_id
    return {
        "baseline (1 query)": "/bench/baseline/",
        "PSM list": reverse("registry:psm-list"),
        "PSM list, filtered": f"{reverse('registry:psm-list')}?kecamatan={kecamatan}&status=aktif",
        "PSM profile": reverse("registry:psm-detail", args=[psm.pk]),
        "review queue": reverse("assessments:queue"),
        "case page": reverse("assessments:case-detail", args=[case.pk]),
        "dashboard": reverse("reports:dashboard"),
    }


def _query_counts(pages, cookie):
    """Queries and in-process time of each page's first rendering (the dashboard uncached)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from reports.models import CuplikanDasbor

    cache.clear()
    # Every run measures a first visit: a snapshot kept from an earlier run would be served as is,
    # and the run would neither time the worker's computation nor say how the figures were made.
    CuplikanDasbor.objects.all().delete()
    client = Client(HTTP_HOST=HOST)
    client.cookies["sessionid"] = cookie
    out = {}
    renders = list(pages.items())
    # The dashboard twice: the first visit of a scope-wide view finds no figures and queues their
    # computation (timed here as the worker would run it); the second reads them.
    renders.insert(-1, ("dashboard, first visit", pages["dashboard"]))
    refresh_s = None
    for name, path in renders:
        if name == "dashboard":
            refresh_s = _refresh_dashboards()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            elapsed = time.perf_counter() - started
        slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
        out[name] = {
            "status": response.status_code,
            "queries": len(ctx.captured_queries),
            "first_ms": round(elapsed * 1000, 1),
            "slowest_queries": [
                {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:2000]} for q in slowest
            ],
        }
    return out, refresh_s


def _refresh_dashboards() -> float | None:
    """Run the queued dashboard refreshes in-process, as ``db_worker`` would; their seconds."""
    from reports.dashboard import dashboard_refresh
    from reports.models import CuplikanDasbor

    pending = list(CuplikanDasbor.objects.filter(diminta_pada__isnull=False))
    if not pending:
        return None
    started = time.perf_counter()
    for snapshot in pending:
        dashboard_refresh(snapshot=snapshot)
    return round(time.perf_counter() - started, 2)


def _wait_until_up(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not come up")


def _get(url, cookie, timeout=600):
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status, response.read()


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
            # as every browser asks: the pages are sent gzipped (psm_portal.compression)
            "-H",
            "Accept-Encoding: gzip",
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


def _drain(port, workers, limit_s=300):
    """Wait until every worker is free again: a page slower than wrk's timeout leaves requests
    queued in gunicorn after wrk stops, and they must not be billed to the next page."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"http://{HOST}:{port}/bench/baseline/"

    def probe(_):
        started = time.perf_counter()
        try:
            urllib.request.urlopen(url, timeout=limit_s)  # noqa: S310
        except OSError:
            return limit_s
        return time.perf_counter() - started

    deadline = time.time() + limit_s
    waited = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        while time.time() < deadline:
            if max(pool.map(probe, range(workers))) < 0.5:
                break
            time.sleep(0.5)
    return round(time.perf_counter() - waited, 1)


def _status_kb(pid, key):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def _rss_mb(pid, key="VmRSS"):
    kb = _status_kb(pid, key)
    return round(kb / 1024, 1) if kb is not None else None


def _children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _load():
    return [round(x, 2) for x in os.getloadavg()]


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(worker_pids) -> dict[str, float]:
    """CPU (user + system) used so far by the gunicorn workers and by every PostgreSQL process,
    read from /proc: around a page's load it says where its requests spent the machine."""
    out = {"workers": 0.0, "postgres": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        pid = int(stat.parent.name)
        kind = "workers" if pid in worker_pids else None
        if kind is None and name.startswith("postgres"):
            kind = "postgres"
        if kind:
            fields = text[text.rindex(")") + 2 :].split()
            out[kind] += (int(fields[11]) + int(fields[12])) / _TICKS
    return out


class Processes:
    """Every process this run starts, stopped on the way out whatever happened."""

    def __init__(self):
        self.started = []

    def start(self, args, **kwargs):
        proc = subprocess.Popen(args, cwd=ROOT, **kwargs)
        self.started.append(proc)
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def stop_all(self):
        for proc in reversed(self.started):
            self.stop(proc)


def _redis(procs, port):
    if not shutil.which("redis-server"):
        return None
    proc = procs.start(
        ["redis-server", "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        probe = subprocess.run(
            ["redis-cli", "-h", HOST, "-p", str(port), "ping"], capture_output=True, text=True
        )
        if probe.stdout.strip() == "PONG":
            return f"redis://{HOST}:{port}/0"
        time.sleep(0.1)
    procs.stop(proc)
    return None


def _gunicorn(procs, port, workers, env, timeout=30, threads=1):
    return procs.start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "benchmarks.wsgi",
            "-b",
            f"{HOST}:{port}",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            str(timeout),
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        env=env,
    )


def _export_csv(procs, port, env, cookie, path):
    """Stream a CSV export (``path``) through one gunicorn worker; time to the last byte, the
    worker's peak RSS (VmHWM) and its RSS before the export. The worker runs as the README
    deploys it: threads (gthread) and gunicorn's default 30 s timeout, which a download longer
    than that must outlive (a sync worker would be killed at 30 s)."""
    server = _gunicorn(procs, port, 1, env, threads=2)
    try:
        _wait_until_up(port)
        worker = _children(server.pid)[0]
        _get(f"http://{HOST}:{port}/bench/baseline/", cookie)
        before = _rss_mb(worker)
        url = f"http://{HOST}:{port}{path}"
        request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})  # noqa: S310
        started = time.perf_counter()
        lines = size = 0
        first_byte = None
        with urllib.request.urlopen(request, timeout=900) as response:  # noqa: S310
            while chunk := response.read(1 << 20):
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - started
        return {
            "rows": lines - 1,
            "mb": round(size / 2**20, 1),
            "seconds": round(elapsed, 1),
            "first_byte_s": round(first_byte or 0, 2),
            "worker_rss_before_mb": before,
            "worker_peak_rss_mb": _rss_mb(worker, "VmHWM"),
        }
    finally:
        procs.stop(server)


XLSX_SCRIPT = """
import os
import threading
import time
import django
django.setup()
from assessments import exports
from psm_portal.models import User
from psm_portal.background import build_document
from psm_portal.models import GeneratedDocument
user = User.objects.get(username="bench-ekspor")
started = time.perf_counter()
background = exports.is_large(user)
decide_ms = (time.perf_counter() - started) * 1000
# Created here without enqueueing it, so no running db_worker can claim it first.
document = GeneratedDocument.objects.create(
    jenis=exports.XLSX_JENIS, judul="bench", params={"status": ""}, diminta_oleh=user
)

def vmhwm_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as proc_status:
            kb = next(int(x.split()[1]) for x in proc_status if x.startswith("VmHWM:"))
    except (OSError, StopIteration):  # gone, or a zombie (no memory left to report)
        return None
    return kb / 1024


# The processes that write the halves side by side (exports._xlsx_side_by_side): their peak RSS
# (VmHWM, a high-water mark) sampled every 50 ms until they are gone.
writers, building = {}, threading.Event()


def sample_children():
    me = os.getpid()
    while not building.wait(0.05):
        try:
            with open(f"/proc/{me}/task/{me}/children") as children:
                pids = children.read().split()
        except OSError:
            continue
        for pid in pids:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if b"spawn_main" not in cmdline.read():
                        continue  # multiprocessing's resource tracker, not a writer
            except OSError:
                continue
            peak = vmhwm_mb(pid)
            if peak is not None:
                writers[pid] = max(peak, writers.get(pid, 0))


sampler = threading.Thread(target=sample_children, daemon=True)
sampler.start()
started = time.perf_counter()
status = build_document.call(str(document.pk))
elapsed = time.perf_counter() - started
building.set()
sampler.join()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, so it would report the runner's own
# peak (the process this one was forked from) whenever that was higher.
with open("/proc/self/status") as proc_status:
    peak = next(int(line.split()[1]) for line in proc_status if line.startswith("VmHWM:")) / 1024
document.refresh_from_db()
size = document.berkas.size if document.berkas else 0
if document.berkas:
    document.berkas.delete(save=False)
document.delete()
assert status == GeneratedDocument.Status.DONE, document.pesan_galat
peaks = ",".join(f"{mb:.1f}" for mb in writers.values()) or "-"
print(f"{elapsed:.1f} {peak:.1f} {size / 2**20:.1f} {decide_ms:.1f} {int(background)} {peaks}")
"""


def _export_xlsx(env):
    """The same cases as XLSX. Past exports.XLSX_IMMEDIATE_MAX_ROWS the export view answers with a
    background document; in a subprocess, time the view's decision (a bounded count), then the
    build as the task worker runs it (seconds, peak RSS, file size). The document is deleted."""
    out = subprocess.run(
        [sys.executable, "-c", XLSX_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1:]}
    seconds, peak, mb, decide_ms, background, writers = out.stdout.split()
    return {
        "seconds": float(seconds),
        "peak_rss_mb": float(peak),
        "writer_peak_rss_mb": [] if writers == "-" else [float(w) for w in writers.split(",")],
        "mb": float(mb),
        "decide_ms": float(decide_ms),
        "background": background == "1",
    }


def _median_ms(fn, repeats=25):
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def _db_timings(psm, staff):
    """Median milliseconds of searches and report figures, measured in the database."""
    from assessments.models import Subjek
    from assessments.services import nik_taken
    from registry.filters import search_psm
    from registry.models import Psm
    from reports import selectors as report_selectors

    subject_nik = (
        Subjek.objects.exclude(nik="").order_by("pk").values_list("nik", flat=True).first()
    )
    today = dt.date.today()

    def psm_search(term):
        return lambda: list(search_psm(Psm.objects.all(), term).order_by("nama_cari", "pk")[:25])

    timings = {
        "exact NIK search (PSM)": _median_ms(psm_search(psm.nik)),
        "partial name search (PSM, first page)": _median_ms(psm_search("wulan")),
        "partial name search (PSM, rare term)": _median_ms(psm_search("zzq")),
        "exact NIK lookup (PPKS subject)": _median_ms(lambda: nik_taken(subject_nik)),
    }
    timings["dashboard figures, uncached"] = _median_ms(
        lambda: report_selectors.dashboard(staff, tahun=today.year, today=today), repeats=3
    )
    timings["PPKS recap figures (year)"] = _median_ms(
        lambda: report_selectors.ppks_recap(staff, tahun=today.year), repeats=3
    )
    return timings


def _import_timing(rows=10_000):
    """Seconds to preview and to commit a 10,000-row roster (rolled back afterwards)."""
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
    # The rolled-back rows stay as dead tuples, all in one kecamatan: below autovacuum's threshold
    # (a fifth of the table), a rerun would find the filtered list reading 10,000 of them.
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("registry_psm", "registry_psmstatuschange", "psm_portal_auditevent"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return timings


def _table(results) -> str:
    base = results["pages"]["baseline (1 query)"]
    counts = results["data"]
    lines = [
        f"Preset `{results['preset']}` ({counts['psm']:,} PSM, {counts['subjek']:,} PPKS subjects, "
        f"{counts['asesmen']:,} assessments, {counts['event']:,} Bimtek events, "
        f"{counts['peserta']:,} enrolments, {counts['kegiatan']:,} activities), "
        f"{results['connections']} clients, {results['seconds']} s per page, gunicorn "
        f"{results['workers']} workers, loopback, {results['started']}; "
        f"load average before the run {results['load_before']}.",
        "",
        "| page | queries | first render ms | req/s | x baseline | p50 ms | p95 ms | non-2xx "
        "| timeouts | load (1 min) | CPU ms/request: workers | PostgreSQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results["pages"].items():
        r["rps_ratio"] = round(r["rps"] / base["rps"], 3)
        q = results["queries"].get(name, {})
        cpu = r.get("cpu_ms_per_request", {})
        rps = f"{r['rps']:.0f}" if r["rps"] >= 10 else f"{r['rps']:.1f}"
        lines.append(
            f"| {name} | {q.get('queries', '')} | {q.get('first_ms', '')} | {rps} | "
            f"{r['rps_ratio']:.2f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['errors_status']} | {r['errors_timeout']} | {r['load_after'][0]} | "
            f"{cpu.get('workers', '')} | {cpu.get('postgres', '')} |"
        )
    refresh = results.get("dashboard_refresh_s")
    first = results["queries"].get("dashboard, first visit", {})
    lines += [
        "",
        "Dashboard: served from its stored snapshot (reports.CuplikanDasbor) and says when the "
        "figures were computed. "
        + (
            f"The first visit of this scope-wide view answered in {first.get('first_ms')} ms "
            f"with a self-reloading page while the worker computed the figures in {refresh} s."
            if refresh is not None
            else "This scope is small enough to compute in the request."
        ),
    ]
    lines += ["", "| database (median) | ms |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in results["database_ms"].items()]
    imp = results.get("import_10000_rows")
    if imp:
        lines += [
            "",
            f"Roster import, {imp['created']:,} rows: preview {imp['preview_s']} s, "
            f"commit {imp['commit_s']} s (target: under 20 s together).",
        ]
    csv_ = results.get("export_csv")
    if csv_:
        lines += [
            "",
            f"Case CSV export (streamed by one gunicorn worker): {csv_['rows']:,} rows, "
            f"{csv_['mb']} MB in {csv_['seconds']} s (first byte {csv_['first_byte_s']} s); "
            f"worker RSS {csv_['worker_rss_before_mb']} MB before, "
            f"peak {csv_['worker_peak_rss_mb']} MB.",
        ]
    psm_csv = results.get("export_psm_csv")
    if psm_csv:
        lines += [
            f"PSM CSV export of the load's staff account, the same way: {psm_csv['rows']:,} rows, "
            f"{psm_csv['mb']} MB in {psm_csv['seconds']} s (first byte "
            f"{psm_csv['first_byte_s']} s); worker peak RSS {psm_csv['worker_peak_rss_mb']} MB.",
        ]
    xlsx = results.get("export_xlsx")
    if xlsx and "error" not in xlsx:
        where = (
            f"a background document (the request answers after a {xlsx['decide_ms']} ms "
            "bounded count)"
            if xlsx["background"]
            else "built in the request"
        )
        writers = xlsx.get("writer_peak_rss_mb") or []
        memory = f"peak RSS {xlsx['peak_rss_mb']} MB"
        if writers:
            memory = (
                f"written by {len(writers)} processes side by side, peak RSS "
                + " + ".join(str(w) for w in writers)
                + f" MB, then joined by the worker (peak RSS {xlsx['peak_rss_mb']} MB)"
            )
        lines += [
            f"Same cases as XLSX (XlsxWriter, constant memory), {where}: built in "
            f"{xlsx['seconds']} s, {xlsx['mb']} MB, {memory}.",
        ]
    lines += ["", f"Web worker RSS after the load (MB): {results['worker_rss_mb']}"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="kabkota", choices=["kabkota", "provinsi", "nasional"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-export", action="store_true", help="skip the CSV/XLSX exports")
    parser.add_argument("--no-import", action="store_true", help="skip the roster import")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (benchmarks run on PostgreSQL).")

    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.urls import reverse

    from assessments.models import Asesmen, Subjek
    from benchmarks.synthetic import PRESETS, generate
    from registry.models import Kegiatan, Psm
    from training.models import BimtekEvent, Peserta

    results = {
        "preset": args.preset,
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "connections": args.connections,
        "seconds": args.seconds,
        "workers": args.workers,
        "load_before": _load(),
        "pages": {},
    }
    if not Psm.objects.exists():
        print(f"generating the {args.preset} preset ...")
        results["generation_s"] = generate(args.preset)
    results["data"] = {
        "psm": Psm.objects.count(),
        "subjek": Subjek.objects.count(),
        "asesmen": Asesmen.objects.count(),
        "event": BimtekEvent.objects.count(),
        "peserta": Peserta.objects.count(),
        "kegiatan": Kegiatan.objects.count(),
    }
    staff, psm, case, exporter = _fixtures(PRESETS[args.preset].root)
    cookie, export_cookie = _session_for(staff), _session_for(exporter)
    pages = _pages(psm, case)
    results["queries"], results["dashboard_refresh_s"] = _query_counts(pages, cookie)
    for name, q in results["queries"].items():
        print(f"  {name}: {q['queries']} queries, first render {q['first_ms']} ms ({q['status']})")
    connection.close()

    procs = Processes()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "CACHE_KEY_PREFIX": f"bench-{args.preset}-{os.getpid()}",
    }
    try:
        redis_url = _redis(procs, args.port + 100)
        if redis_url:
            env["REDIS_URL"] = redis_url
        results["cache"] = "private Redis" if redis_url else "per-process LocMem"
        server = _gunicorn(procs, args.port, args.workers, env, timeout=120)
        _wait_until_up(args.port)
        for name, path in pages.items():
            url = f"http://{HOST}:{args.port}{path}"
            _wrk(url, cookie, 2, args.connections)  # warm-up: persistent connections, caches
            _drain(args.port, args.workers)
            workers = set(_children(server.pid))
            cpu_before = _cpu_seconds(workers)
            results["pages"][name] = _wrk(url, cookie, args.seconds, args.connections)
            cpu_after = _cpu_seconds(workers)
            served = max(1, results["pages"][name]["requests"])
            results["pages"][name]["cpu_ms_per_request"] = {
                kind: round((cpu_after[kind] - cpu_before[kind]) / served * 1000, 2)
                for kind in cpu_after
            }
            results["pages"][name]["load_after"] = _load()
            results["pages"][name]["drain_s"] = _drain(args.port, args.workers)
            print(f"  {name}: {results['pages'][name]['rps']:.0f} req/s")
        results["worker_rss_mb"] = [_rss_mb(p) or 0 for p in _children(server.pid)]
        procs.stop(server)
        if not args.no_export:
            results["export_csv"] = _export_csv(
                procs, args.port + 1, env, export_cookie, reverse("assessments:case-export")
            )
            print(f"  CSV export: {results['export_csv']}")
            results["export_psm_csv"] = _export_csv(
                procs, args.port + 1, env, cookie, reverse("registry:psm-export", args=["csv"])
            )
            print(f"  PSM CSV export: {results['export_psm_csv']}")
    finally:
        procs.stop_all()
    if not args.no_export:
        results["export_xlsx"] = _export_xlsx(env)
        print(f"  XLSX export: {results['export_xlsx']}")
    results["database_ms"] = _db_timings(psm, staff)
    if not args.no_import:
        results["import_10000_rows"] = _import_timing()
    results["load_after"] = _load()

    table = _table(results)
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{args.preset}.json").write_text(json.dumps(results, indent=2, default=str))
    (out_dir / f"{args.preset}.md").write_text(table + "\n")
    (out_dir / "queries.md").write_text(_query_table(out_dir) + "\n")
    print(table)


def _query_table(out_dir: Path) -> str:
    """Queries per page at each preset measured so far: they must not grow with the data."""
    presets = [p for p in ("kabkota", "provinsi", "nasional") if (out_dir / f"{p}.json").exists()]
    runs = {p: json.loads((out_dir / f"{p}.json").read_text()) for p in presets}
    names = list(dict.fromkeys(n for r in runs.values() for n in r.get("queries", {})))
    lines = [
        "Queries per page (view and template together) at each preset:",
        "",
        "| page | " + " | ".join(presets) + " |",
        "|---|" + "---:|" * len(presets),
    ]
    for name in names:
        cells = [str(runs[p].get("queries", {}).get(name, {}).get("queries", "")) for p in presets]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""CPU per request of each key page, in-process: ``python -m benchmarks.profile_pages``.

Under wrk the same page's requests per second move by a quarter between back-to-back runs on this
machine, so a change worth a millisecond is lost in the noise there. Here each page is requested
through Django's full handler (middleware, session, templates; no gunicorn, no network) by the
benchmark's staff account on an already generated preset, in five batches, and the fastest batch
is reported: CPU and wall time per request, queries and bytes, beside the one-query view and two
signed-in references (an empty page, and the base layout alone) that show what every page pays.

    DATABASE_URL=postgres://psm:psm@127.0.0.1:5432/psm_bench_nasional \\
        python -m benchmarks.profile_pages [--requests 500] [--page "case page"] [--cprofile]

``--cprofile`` prints where the time goes (cProfile inflates Python-heavy parts, so read it for
proportions). Touches only the database; writes only the audit events a case view records.
"""

import argparse
import cProfile
import pstats
import time

from benchmarks.run import HOST, _django, _fixtures, _pages, _session_for

BATCHES = 5


def _measure(client, url, requests):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):  # warm: persistent connection, template cache, kept totals
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    per_batch = max(1, requests // BATCHES)
    cpu, wall = [], []
    for _ in range(BATCHES):
        started_cpu, started = time.process_time(), time.perf_counter()
        for _ in range(per_batch):
            client.get(url)
        cpu.append((time.process_time() - started_cpu) / per_batch * 1000)
        wall.append((time.perf_counter() - started) / per_batch * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return min(cpu), min(wall), len(queries), len(response.content)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--page", help="only pages whose name contains this")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)

    _django()
    from django.test import Client

    staff, psm, case, _exporter = _fixtures(None)
    client = Client(HTTP_HOST=HOST)
    client.cookies["sessionid"] = _session_for(staff)
    key_pages = _pages(psm, case)
    pages = {
        "baseline (1 query)": key_pages.pop("baseline (1 query)"),
        "signed-in empty page": "/bench/signed-in/",
        "signed-in base layout": "/bench/signed-in/layout/",
        **key_pages,
    }
    baseline = None
    print("page".ljust(24), "CPU ms".rjust(7), "x base".rjust(7), "wall ms".rjust(8), end=" ")
    print("queries".rjust(8), "bytes".rjust(8))
    for name, url in pages.items():
        if args.page and args.page not in name:
            continue
        cpu, wall, queries, size = _measure(client, url, args.requests)
        if name.startswith("baseline"):
            baseline = cpu
        ratio = f"{cpu / baseline:7.1f}" if baseline else "       "
        print(f"{name:24s} {cpu:7.2f} {ratio} {wall:8.2f} {queries:8d} {size:8d}")
        if args.cprofile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests // BATCHES):
                client.get(url)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()

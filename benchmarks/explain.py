"""Why a key page is slow: ``python -m benchmarks.explain --preset nasional``.

Renders each key page of ``benchmarks.run`` once in-process (as the bench staff account, after a
``benchmarks.run`` of the same database created it), keeps every query with its time, and runs
``EXPLAIN (ANALYZE, BUFFERS)`` on each page's slowest SELECTs. Writes
``benchmarks/results/explain-<preset>.md``: per page, the query count, then each slow query with
its plan. Read-only apart from what the pages themselves write (audit events, sessions).
"""

import argparse
import time

from benchmarks.run import HERE, _django


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="kabkota", choices=["kabkota", "provinsi", "nasional"])
    parser.add_argument("--top", type=int, default=3, help="slowest queries explained per page")
    parser.add_argument("--min-ms", type=float, default=5.0, help="explain only queries this slow")
    args = parser.parse_args(argv)
    _django()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.run import HOST, _fixtures, _pages, _session_for
    from benchmarks.synthetic import PRESETS

    staff, psm, case, _exporter = _fixtures(PRESETS[args.preset].root)
    client = Client(HTTP_HOST=HOST)
    client.cookies["sessionid"] = _session_for(staff)
    cache.clear()
    out = [f"# Slow queries of the key pages, preset `{args.preset}`", ""]
    for name, path in _pages(psm, case).items():
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        queries = ctx.captured_queries
        total_db = sum(float(q["time"]) for q in queries) * 1000
        out += [
            f"## {name} (`{path}`)",
            "",
            f"{len(queries)} queries, {total_db:.0f} ms in the database, {elapsed:.0f} ms in all.",
            "",
        ]
        slow = sorted(queries, key=lambda q: -float(q["time"]))[: args.top]
        for q in slow:
            ms = float(q["time"]) * 1000
            sql = q["sql"]
            if ms < args.min_ms or not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            out += [f"### {ms:.1f} ms", "", "```sql", sql, "```", "", "```", plan, "```", ""]
    target = HERE / "results" / f"explain-{args.preset}.md"
    target.write_text("\n".join(out) + "\n")
    print(f"written: {target}")


if __name__ == "__main__":
    main()

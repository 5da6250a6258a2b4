"""Backup and restore drill: ``python -m benchmarks.backup_drill [DATABASE_URL]``.

Dumps the database with ``pg_dump -Fc`` (what the nightly backup does), restores the dump into a
new, empty database with ``pg_restore``, and proves the copy is identical: for every table the row
count and an MD5 of all its rows (each row as text, in a fixed order), and every sequence's
position. Prints one line per table, the dump's size and the times, drops the copy (unless
``--keep``) and exits 1 if anything differs. Touches only the server in DATABASE_URL; the role
needs CREATEDB.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidate = PG_BIN / name
    if candidate.exists():
        return str(candidate)
    raise FileNotFoundError(f"{name} not found (apt-get install postgresql-client)")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """{table or sequence: (rows, md5 of the rows as text in text order)} of the public schema."""
    result = {}
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
        for (table,) in tables:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
                "FROM {} AS t"
            ).format(sql.Identifier(table))
            count, digest = conn.execute(query).fetchone()
            result[table] = (count, digest)
        sequences = conn.execute(
            "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences "
            "WHERE schemaname = 'public' ORDER BY sequencename"
        ).fetchall()
        for name, last_value in sequences:
            result[f"sequence {name}"] = (last_value, "")
    return result


@dataclass
class DrillReport:
    source: str
    copy: str
    dump_bytes: int
    dump_seconds: float
    restore_seconds: float
    tables: int
    rows: int
    differences: list = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def compare(source: dict, copy: dict) -> list[str]:
    differences = []
    for name in sorted(set(source) | set(copy)):
        if source.get(name) != copy.get(name):
            differences.append(f"{name}: {source.get(name)} != {copy.get(name)}")
    return differences


def drill(url: str, *, keep: bool = False, workdir: str | None = None) -> DrillReport:
    source_name = database_name(url)
    copy_name = f"{source_name}_drill_{os.getpid()}"[:63]
    copy_url = with_database(url, copy_name)
    maintenance = with_database(url, "postgres")
    with tempfile.TemporaryDirectory(dir=workdir, prefix="psm-backup-") as tmp:
        dump = Path(tmp) / f"{source_name}.dump"
        started = time.perf_counter()
        subprocess.run([pg_tool("pg_dump"), "-Fc", "-f", str(dump), url], check=True, timeout=600)
        dumped = time.perf_counter()
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(copy_name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(copy_name)))
        try:
            restore_started = time.perf_counter()
            subprocess.run(
                [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", copy_url, str(dump)],
                check=True,
                timeout=600,
            )
            restored = time.perf_counter()
            before, after = fingerprint(url), fingerprint(copy_url)
        finally:
            if not keep:
                drop(url, copy_name)
        tables = [k for k in before if not k.startswith("sequence ")]
        return DrillReport(
            source=source_name,
            copy=copy_name,
            dump_bytes=dump.stat().st_size,
            dump_seconds=round(dumped - started, 2),
            restore_seconds=round(restored - restore_started, 2),
            tables=len(tables),
            rows=sum(before[t][0] for t in tables),
            differences=compare(before, after),
        )


def drop(url: str, name: str) -> None:
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="keep the restored copy")
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("give a PostgreSQL DATABASE_URL")
    report = drill(args.url, keep=args.keep)
    print(
        f"{report.source} -> {report.copy}: {report.tables} tables, {report.rows} rows, "
        f"dump {report.dump_bytes / 1024:.0f} KiB in {report.dump_seconds} s, "
        f"restore in {report.restore_seconds} s"
    )
    if report.identical:
        print("IDENTICAL: every table's row count and content checksum, and every sequence")
        return 0
    print("DIFFERENT:", *report.differences, sep="\n  ")
    return 1


if __name__ == "__main__":
    sys.exit(main())

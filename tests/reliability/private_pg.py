"""A private PostgreSQL server for the fault check, so it can be stopped and started without
touching the machine's shared server on port 5432: initdb in a temporary folder, a free loopback
port, its socket in that folder. As root it runs as the ``postgres`` user (PostgreSQL refuses to
run as root). Always removed by :meth:`PrivatePostgres.destroy`."""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.reliability.helpers import HOST, free_port

PG_BIN = Path(os.environ.get("PSM_PG_BIN", "/usr/lib/postgresql/15/bin"))


def unavailable_reason() -> str | None:
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"{PG_BIN / tool} is not installed (PostgreSQL server binaries)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run a private server"
        if not shutil.which("runuser"):
            return "running as root without runuser"
    return None


class PrivatePostgres:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="psm-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self._as = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
            + ["-E", "UTF8", "--no-locale", "--no-sync"],
            timeout=120,
        )

    def _run(self, args, timeout=60, check=True):
        return subprocess.run(
            self._as + args, capture_output=True, text=True, timeout=timeout, check=check
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses={HOST} -c max_connections=60 "
            "-c shared_buffers=32MB -c fsync=off"
        )
        self._run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options]
            + ["-w", "-t", "60", "start"],
            timeout=90,
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"],
            timeout=90,
            check=False,
        )

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgres://{user}@{HOST}:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql]
            + [self.url(database)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

"""What the reliability checks share: free loopback ports, portal and worker processes that are
always stopped, a small cookie-keeping HTTP client (stdlib only), and an HTML form reader.

Everything here talks to 127.0.0.1 only, and every wait is bounded in time.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.db import connection

HOST = "127.0.0.1"
ROOT = Path(settings.BASE_DIR)
# The full run (PSM_RELIABILITY_FULL=1, or `make reliability`): 60 s of load with 16 clients and
# so on; without it a reduced form that fits in the normal test run.
FULL = os.environ.get("PSM_RELIABILITY_FULL", "") in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def database_url(name: str | None = None, *, host=None, port=None) -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{host or db['HOST'] or HOST}:"
        f"{port or db['PORT'] or 5432}/{name or db['NAME']}"
    )


def portal_env(db_url: str, **extra) -> dict:
    """The environment of a portal or worker process: the test settings on ``db_url``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "psm_portal.settings_test",
        "DATABASE_URL": db_url,
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Process:
    """A child process in its own process group, stopped (group and all) by :meth:`stop`."""

    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, grace: float = 8) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill9()
        # Anything left in the group (a gunicorn worker orphaned by a crash).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def start_gunicorn(port: int, env: dict, log_dir: Path, *, workers=2, threads=1, name=None):
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "psm_portal.wsgi",
        "-b",
        f"{HOST}:{port}",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
    ]
    return Process(name or f"gunicorn-{port}", args, env, log_dir)


def start_worker(env: dict, log_dir: Path, name: str):
    args = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.2",
        "--worker-id",
        name,
    ]
    return Process(name, args, env, log_dir)


def inside_one_window(seconds: int = 60, margin: float = 15) -> None:
    """Wait, if need be, until the rate limiter's current fixed window (``psm_portal.ratelimit``:
    epoch time divided by ``seconds``) has ``margin`` seconds left, so the requests of a test all
    fall in one window. A run that reached 04:55:00 mid-test saw its fifth request counted in a
    new window and allowed."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 0.5)


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout} s")


def wait_for_http(port: int, process: Process | None = None, timeout: float = 40) -> None:
    def up():
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log()}")
        try:
            return Client(port, timeout=2).get("/healthz").status == 200
        except OSError:
            return False

    wait_until(up, timeout, 0.25, f"http://{HOST}:{port}/healthz")


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Client:
    """One browser: keeps cookies, sends the CSRF token header, never follows redirects."""

    port: int
    timeout: float = 30
    cookies: dict = field(default_factory=dict)

    def request(self, method, path, body=b"", headers=None) -> Response:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            hdrs = {"Host": f"{HOST}:{self.port}", "Accept-Language": "id"}
            if self.cookies:
                hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if method == "POST" and "csrftoken" in self.cookies:
                hdrs["X-CSRFToken"] = self.cookies["csrftoken"]
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            raw = conn.getresponse()
            data = raw.read()
            headers_out = {k.lower(): v for k, v in raw.getheaders()}
            for value in raw.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for key, morsel in jar.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[key] = morsel.value
                    else:
                        self.cookies.pop(key, None)
            return Response(raw.status, headers_out, data)
        finally:
            conn.close()

    def get(self, path) -> Response:
        return self.request("GET", path)

    def post(self, path, data: dict, files: dict | None = None) -> Response:
        if files:
            body, content_type = multipart(data, files)
        else:
            body, content_type = (
                urlencode(data, doseq=True).encode(),
                ("application/x-www-form-urlencoded"),
            )
        return self.request("POST", path, body, {"Content-Type": content_type})

    def login(self, username: str, password: str = "sandi-uji-123") -> None:  # noqa: S107
        self.get("/masuk/")
        response = self.post("/masuk/", {"username": username, "password": password})
        assert response.status == 302, (response.status, response.text[:500])


def multipart(data: dict, files: dict) -> tuple[bytes, str]:
    boundary = f"----psm{uuid.uuid4().hex}"
    parts = []
    for name, values in data.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + (value if isinstance(value, bytes) else str(value).encode())
                + b"\r\n"
            )
    for name, items in files.items():
        for filename, content, content_type in items:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- HTML forms --------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea" or "select"
    value: str = ""
    checked: bool = False
    options: list = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list = field(default_factory=list)


class FormParser(HTMLParser):
    """Every <form> of a page with its fields, the way a browser would submit them."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self._form = Form(
                urlsplit(action).path + (f"?{urlsplit(action).query}" if "?" in action else ""),
                (a.get("method") or "get").lower(),
                a.get("enctype", ""),
            )
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            self._form.fields.append(Field(a["name"], kind, a.get("value", ""), "checked" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field(a["name"], "textarea")
            self._form.fields.append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = Field(a["name"], "select", multiple="multiple" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._select.options.append(self._option)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option["text"] += data


def parse_forms(html: str, page_url: str) -> list[Form]:
    parser = FormParser(page_url)
    parser.feed(html)
    for form in parser.forms:
        for f in form.fields:
            if f.kind == "select":
                for option in f.options:
                    if option["value"] is None:
                        option["value"] = option["text"].strip()
    return parser.forms


def form_values(form: Form) -> dict:
    """What a browser would submit as is: selected options, checked boxes, typed values."""
    data: dict[str, list] = {}
    for f in form.fields:
        if f.kind in ("submit", "button", "image", "reset", "file"):
            continue
        if f.kind in ("checkbox", "radio"):
            if f.checked:
                data.setdefault(f.name, []).append(f.value or "on")
            continue
        if f.kind == "select":
            chosen = [o["value"] for o in f.options if o["selected"]]
            if not chosen and f.options and not f.multiple:
                chosen = [f.options[0]["value"]]
            data.setdefault(f.name, []).extend(chosen)
            continue
        data.setdefault(f.name, []).append(f.value)
    return data

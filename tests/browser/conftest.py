"""Browser tests: Playwright driving Debian's Chromium (Playwright's own browsers cannot be
downloaded here). They are skipped when /usr/bin/chromium is missing, except in CI, where
.ci/run installs it and a missing browser is a failure."""

import contextlib
import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs {CHROMIUM} for the browser tests (.ci/run installs it)")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
        "accept_downloads": True,
    }


@pytest.fixture
def phone_page(browser):
    """A 360 px wide touch phone, the PSM's usual screen."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot(request):
    """shot(page, "name") saves a screenshot in test-results/ for a person to look at."""
    RESULTS.mkdir(exist_ok=True)

    def take(page, name):
        page.screenshot(path=RESULTS / f"{request.node.name}-{name}.png", full_page=True)

    return take


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for name in ("page", "phone_page"):
            page = item.funcargs.get(name)
            if page is not None:
                RESULTS.mkdir(exist_ok=True)
                safe = re.sub(r"[^\w.-]", "_", item.name)
                with contextlib.suppress(Exception):  # the page may already be closed
                    page.screenshot(path=RESULTS / f"FAILED-{safe}-{name}.png", full_page=True)


def login(page, live_server, username, password="sandi-uji-123"):  # noqa: S107
    page.goto(f"{live_server.url}/masuk/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()

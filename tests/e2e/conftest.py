"""Browser fixtures: the system's Chromium driven by Playwright, plus axe-core.

The pages run under their real Content-Security-Policy (script-src 'self'):
axe-core is served from the page's own origin by a Playwright route, so the
tests also catch an inline script or style that the CSP would block.
"""

import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


def _unavailable(reason: str):
    """In CI a missing browser is a broken build; on a laptop, say loudly why we skip."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(f"TESTS NAVIGATEUR IGNORÉS – {reason}")


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the e2e package, closed when the package is done.

    Playwright's sync API keeps an event loop running in the test thread while
    it is open, and Django then refuses synchronous ORM calls (the tests' own,
    which are safe). DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly that window:
    set for the whole session it would leak into other tests and their
    subprocesses (``check --deploy`` rightly warns about it).
    """
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright n'est pas installé ({exc}) : pip install -e '.[dev]'.")
    if not Path(executable).is_file():
        _unavailable(
            f"Chromium introuvable : installez le paquet Debian chromium "
            f"(apt-get install chromium) ou indiquez son chemin dans CHROMIUM_PATH "
            f"(cherché : {executable})."
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def watched_page(context):
    """A new page that records the Content-Security-Policy violations the browser reports."""
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return page


@contextmanager
def signed_in_page(browser, live_server, user):
    """A page whose session belongs to ``user``, without the emailed login code
    (the login journeys test that part)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP, accept_downloads=True)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    try:
        yield watched_page(context)
    finally:
        context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    yield watched_page(context)
    context.close()


def assert_no_csp_violations(page):
    assert not page.csp_violations, "Violations de la CSP :\n" + "\n".join(page.csp_violations)


def _axe_url(page) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}/__e2e__/axe.min.js"


def assert_no_axe_violations(page):
    """Run axe-core (WCAG 2.1 A and AA rules) on the current page; list every violation."""
    if not AXE_PATH.is_file():
        _unavailable(
            f"axe-core introuvable ({AXE_PATH}) : lancez `npm install --no-audit --no-fund` "
            "à la racine du dépôt."
        )
    url = _axe_url(page)
    if not getattr(page, "_axe_routed", False):
        # Same origin as the page, so the CSP's script-src 'self' lets it load.
        page.route(
            "**/__e2e__/axe.min.js",
            lambda route: route.fulfill(path=AXE_PATH, content_type="text/javascript"),
        )
        page._axe_routed = True
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=url)
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        AXE_TAGS,
    )
    assert not violations, f"Violations d'accessibilité sur {page.url} :\n" + "\n".join(
        f"- {v['id']} ({v['impact']}) : {v['help']}\n"
        + "\n".join(f"    {node['target']}: {node.get('failureSummary', '')}" for node in v["nodes"])
        for v in violations
    )


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def page_checker(prefix: str):
    """``checked(page, shot=None)``: the page as it stands passes axe and the CSP; with a name,
    a screenshot ``<prefix>-<shot>.png`` is kept."""

    def checked(page, shot: str | None = None):
        if shot:
            screenshot(page, f"{prefix}-{shot}")
        assert_no_axe_violations(page)
        assert_no_csp_violations(page)

    return checked

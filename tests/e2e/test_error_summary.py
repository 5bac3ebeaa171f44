"""In a browser, every form of the portal sent empty puts the focus on its error summary.

The pages are found, not listed: every URL pattern without an identifier (outside the back
office and the JSON API, which has no forms and its own generated checks in tests/api/),
opened by an insured person and by an anonymous visitor. On each page, each POST form
of the main content with fields to fill is sent empty; when the page comes back with errors,
the focus must be on the error summary (static/js/error-summary.js), axe must find nothing,
and a link of the summary must take the focus to its field.
"""

import pytest
from django.urls import NoReverseMatch
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_axe_violations, assert_no_csp_violations, screenshot, signed_in_page
from tests.factories import BeneficiaryFactory, UserFactory
from tests.security.urlmap import all_routes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The sign-in and sign-up steps are the login journeys' (tests/e2e/test_account_journeys.py).
SKIPPED = {
    "account_logout",
    "accounts:signup_proof",
    "accounts:signup_code",
    "accounts:signup_request_letter",
    "account_signup",
}
FORMS_WITH_FIELDS = (
    "main form[method='post' i]:has(input:not([type='hidden']):not([type='submit'])), "
    "main form[method='post' i]:has(textarea), main form[method='post' i]:has(select)"
)


def pages() -> list[str]:
    found = []
    for route in all_routes():
        if route.is_admin or route.is_api or route.converters or route.name in SKIPPED:
            continue
        try:
            found.append(route.path())
        except NoReverseMatch:
            continue
    return sorted(set(found))


def check_forms(page, base: str, path: str) -> int:
    """Send each fillable form of ``path`` empty; the number of summaries checked."""
    try:
        response = page.goto(base + path)
    except PlaywrightError:  # a POST-only address (405) or a download: no form to send
        # Chromium shows its own error page for an error answer without a body; leave it
        # before the next address, or the next navigations are "interrupted" one by one.
        page.goto("about:blank")
        return 0
    if response is None or response.status != 200 or not page.url.startswith(base + path):
        return 0  # refused, or sent elsewhere (the login): that page is checked on its own
    count = page.locator(FORMS_WITH_FIELDS).count()
    checked = 0
    for index in range(count):
        page.goto(base + path)
        form = page.locator(FORMS_WITH_FIELDS).nth(index)
        if not form.is_visible():
            continue
        form.evaluate("f => { f.noValidate = true; }")
        with page.expect_navigation():
            form.evaluate("f => f.requestSubmit ? f.requestSubmit() : f.submit()")
        summary = page.locator(".error-summary").first
        if summary.count() == 0:
            continue
        expect(summary).to_be_focused()
        screenshot(page, f"erreurs{path.replace('/', '-').rstrip('-')}-{index}")
        assert_no_axe_violations(page)
        assert_no_csp_violations(page)
        links = summary.locator("a[href^='#']")
        if links.count():
            target = links.first.get_attribute("href")[1:]
            links.first.click()
            expect(page.locator(f"[id='{target}']")).to_be_focused()
        checked += 1
    return checked


def test_every_form_sent_empty_focuses_its_summary(browser, live_server, page):
    user = UserFactory()
    BeneficiaryFactory(insured=user.insured)
    found = {}
    with signed_in_page(browser, live_server, user) as signed_in:
        for path in pages():
            found[path] = check_forms(signed_in, live_server.url, path)
    for path in pages():
        if not path.startswith(("/mon-espace/", "/messagerie/", "/demarches/", "/attestations/")):
            found[f"anonyme {path}"] = check_forms(page, live_server.url, path)
    summarized = {path for path, n in found.items() if n}
    for expected in (
        "/messagerie/nouveau/",
        "/attestations/",
        "/compte/password/change/",
        "/demarches/carte-vitale-sans-compte/",
        "anonyme /contact/",
        "anonyme /compte/login/",
    ):
        assert expected in summarized, f"{expected} : aucun récapitulatif vérifié ({sorted(summarized)})"

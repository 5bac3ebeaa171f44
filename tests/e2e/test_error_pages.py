"""The French error pages in a browser, at desktop and mobile widths: the portal's look,
one heading, a way back, WCAG 2.1 AA (DEBUG is off in the tests, as in production)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DESKTOP,
    MOBILE,
    assert_no_axe_violations,
    assert_no_csp_violations,
    screenshot,
)

pytestmark = pytest.mark.browser

PAGES = {
    404: ("/nulle-part/", "Page introuvable"),
    405: (lambda: reverse("accounts:signup_request_letter"), "Cette adresse ne s'ouvre pas directement"),
    500: ("/essai/500/", "Erreur technique"),
}
VIEWPORTS = {"desktop": DESKTOP, "mobile": MOBILE}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("status", PAGES)
def test_error_page(page, live_server, settings, status, viewport):
    settings.ROOT_URLCONF = "tests.error_urls"
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    path, heading = PAGES[status]
    page.set_viewport_size(VIEWPORTS[viewport])

    response = page.goto(live_server.url + (path() if callable(path) else path))

    assert response.status == status
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator(".demo-banner")).to_be_visible()
    expect(page.get_by_role("link", name="Retour à l'accueil", exact=True)).to_be_visible()
    screenshot(page, f"error-{status}-{viewport}")
    assert_no_axe_violations(page)
    assert_no_csp_violations(page)

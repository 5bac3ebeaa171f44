"""The public pages, at desktop and mobile widths: banner, headings, skip link, WCAG 2.1 AA."""

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

PUBLIC_PAGES = [
    "home",
    "help",
    "glossary",
    "contact",
    "demo_mailbox",
    "terms",
    "privacy",
    "legal",
    "accessibility",
]
VIEWPORTS = {"desktop": DESKTOP, "mobile": MOBILE}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page(page, live_server, settings, name, viewport):
    settings.DEMO_MODE = True  # the mailbox exists only then; the footer links to it
    page.set_viewport_size(VIEWPORTS[viewport])

    response = page.goto(live_server.url + reverse(f"public:{name}"))

    assert response.status == 200
    expect(page.locator(".demo-banner")).to_contain_text(settings.BRANDING["demo_banner"])
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).not_to_be_empty()
    screenshot(page, f"public-{name}-{viewport}")

    page.keyboard.press("Tab")
    skip_link = page.locator(":focus")
    expect(skip_link).to_have_text("Aller au contenu")
    expect(skip_link).to_have_attribute("href", "#contenu")
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.wait_for_url("**#contenu")
    assert page.evaluate("() => document.activeElement.id") == "contenu"

    assert_no_axe_violations(page)
    assert_no_csp_violations(page)


def test_demo_mailbox_lists_and_opens_an_email(page, live_server, settings):
    from ameli_portal.emails import build_email
    from ameli_portal.mailbox import DemoMailboxBackend

    settings.DEMO_MODE = True
    # A real email of the portal's, inline styles included, as the demo backend keeps it.
    message = build_email(template="test", to=["test@example.org"], context={})
    DemoMailboxBackend().send_messages([message])
    subject = message.subject

    page.goto(live_server.url + reverse("public:demo_mailbox"))
    link = page.get_by_role("link", name=subject)
    expect(link).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("test@example.org")
    link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(page.locator("pre")).to_contain_text("peut envoyer des messages")
    frame = page.frame_locator("iframe.mail-frame")
    expect(frame.get_by_text("peut envoyer des messages")).to_be_visible()
    screenshot(page, "public-demo-message")
    assert_no_axe_violations(page)
    assert_no_csp_violations(page)

"""An insured person asks for an attestation de droits, watches it get ready without reloading,
downloads it, and a third party checks its code on the public verification page.

The session is made by Django's test client and its cookie handed to the browser, as in the
payments journey. Every page is checked with axe-core and against the Content-Security-Policy.
"""

import io
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import (
    DESKTOP,
    MOBILE,
    page_checker,
    signed_in_page,
)
from tests.factories import BeneficiaryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = re.compile(r"\b([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})\b")


checked = page_checker("attestations")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


@pytest.fixture
def person(db, private_storage):
    user = UserFactory(
        insured__first_names="Camille",
        insured__last_name="Durand",
        insured__medecin_traitant="Dr Anne Martin",
    )
    BeneficiaryFactory(insured=user.insured, first_names="Lou")
    return user


@pytest.fixture
def signed_in(browser, live_server, person):
    with signed_in_page(browser, live_server, person) as page:
        yield page


def test_insured_gets_an_attestation_and_someone_checks_it(signed_in, live_server, person):
    page = signed_in
    page.goto(live_server.url + reverse("attestations:list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes attestations")
    checked(page, "vide")

    # In tests the job runs in-process when the request commits, so the page comes back with
    # the row ready; the next test watches a pending row turn ready.
    page.get_by_role("button", name="Obtenir mon attestation de droits").click()
    page.wait_for_load_state()
    link = page.get_by_role("link", name=re.compile("^Télécharger"))
    expect(link).to_be_visible(timeout=15_000)
    expect(page.locator(".document").first).to_contain_text("Prêt")
    checked(page, "prete")
    page.set_viewport_size(MOBILE)
    checked(page, "prete-mobile")
    page.set_viewport_size(DESKTOP)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert re.fullmatch(r"attestation-droits-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
    with open(download.path(), "rb") as f:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(f.read())).pages)
    assert "Durand" in text and "Dr Anne Martin" in text and "Lou Durand" in text
    code = CODE.search(text).group(1)

    visitor = page.context.browser.new_context(locale="fr-FR", viewport=DESKTOP)
    public = visitor.new_page()
    public.csp_violations = []
    public.on(
        "console",
        lambda m: (
            public.csp_violations.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    public.goto(live_server.url + reverse("attestations:verify"))
    public.get_by_label("Code de vérification").fill(code.lower())
    with public.expect_navigation():
        public.get_by_role("button", name="Vérifier").click()
    expect(public.get_by_role("status")).to_contain_text("Document authentique et valable")
    expect(public.locator("main")).not_to_contain_text("Durand")
    assert person.insured.nir not in public.content()
    checked(public, "verification")
    visitor.close()


def test_the_page_follows_a_document_being_prepared(signed_in, live_server, person):
    """A document still pending when the page loads turns ready in place (the script polls)."""
    from attestations import services
    from attestations.models import Document

    document = Document.objects.create(owner=person.insured, kind=Document.Kind.RIGHTS, content_key="x")
    page = signed_in
    page.goto(live_server.url + reverse("attestations:list"))
    expect(page.locator(".document").first).to_contain_text("En préparation")
    expect(page.get_by_role("link", name="Actualiser")).to_be_hidden()  # the script took over
    checked(page, "en-preparation")
    page.evaluate("() => { window.__notReloaded = true; }")

    services.document_render(document_id=document.pk)  # what the worker does

    expect(page.get_by_role("link", name=re.compile("^Télécharger"))).to_be_visible(timeout=10_000)
    expect(page.locator("#document-announce")).to_have_text(re.compile("est prêt"))
    assert page.evaluate("() => window.__notReloaded === true")  # no reload happened
    checked(page, "prete-sans-rechargement")

"""Links in emails and letters point to the address the portal is reached on: the request's
own during a request, else SITE_URL, which `./run demo` derives from its address argument."""

import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from ameli_portal.emails import enqueue_email
from ameli_portal.models import OutboxJob
from ameli_portal.site import SiteUrlMiddleware, current_site, site_url
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def test_during_a_request_the_links_use_its_address_and_after_it_the_setting(settings):
    settings.SITE_URL = "https://portail.caisse.example"
    settings.ALLOWED_HOSTS = ["demo.example.test"]
    middleware = SiteUrlMiddleware(lambda request: HttpResponse(f"{site_url()} {current_site().domain}"))
    response = middleware(RequestFactory().get("/", HTTP_HOST="demo.example.test:8080"))
    assert response.content.decode() == "http://demo.example.test:8080 demo.example.test:8080"
    assert site_url() == "https://portail.caisse.example"
    assert current_site().name == settings.BRANDING["portal_name"]


def test_a_host_refused_by_allowed_hosts_is_never_used(settings):
    settings.SITE_URL = "https://portail.caisse.example"
    settings.ALLOWED_HOSTS = ["portail.caisse.example"]
    middleware = SiteUrlMiddleware(lambda request: HttpResponse(site_url()))
    response = middleware(RequestFactory().get("/", HTTP_HOST="evil.example"))
    assert response.content.decode() == "https://portail.caisse.example"


def test_the_attestations_qr_code_points_to_the_address_of_the_request_that_made_it(settings):
    from attestations.content import verification_url

    settings.ALLOWED_HOSTS = ["demo.example.test"]
    middleware = SiteUrlMiddleware(lambda request: HttpResponse(verification_url("AB12")))
    response = middleware(RequestFactory().get("/", HTTP_HOST="demo.example.test:8080"))
    assert (
        response.content.decode()
        == f"http://demo.example.test:8080{reverse('attestations:verify')}?code=AB12"
    )


@pytest.mark.django_db
def test_an_email_queued_outside_a_request_links_to_site_url(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://192.0.2.10:8123"
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_email(
            template="statement-ready",
            to=["camille@example.org"],
            context={"first_name": "Camille", "month": "novembre 2026"},
        )
    assert OutboxJob.objects.get(pk=job.pk).kwargs["context"]["site_url"] == "http://192.0.2.10:8123"
    assert "http://192.0.2.10:8123" in mail.outbox[-1].body
    assert ":8000" not in mail.outbox[-1].body


@pytest.mark.django_db(transaction=True)
def test_the_lockout_email_links_to_the_address_the_person_used(client, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    user = UserFactory()
    for _ in range(settings.ACCOUNT_MAX_FAILED_LOGINS):
        client.post(
            reverse("account_login"),
            {"login": user.username, "password": "Faux-mot-de-passe-1"},
            HTTP_HOST="localhost:8123",
        )
    locked = next(m for m in mail.outbox if "verrouillé" in m.subject)
    assert "http://localhost:8123/compte/password/reset/" in locked.body
    assert "127.0.0.1:8000" not in locked.body


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("8080", "http://127.0.0.1:8080"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("[::1]:8000", "http://[::1]:8000"),
        ("demo.local:8001", "http://demo.local:8001"),
    ],
)
def test_run_demo_derives_site_url_from_its_address_argument(address, url):
    script = (ROOT / "run").read_text()
    start = script.index("site_url_for() {")
    function = script[start : script.index("\n}\n", start) + 3]
    out = subprocess.run(
        ["bash", "-c", f'{function}\nsite_url_for "$1"', "_", address],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    assert out.stdout.strip() == url
    assert 'export SITE_URL=${SITE_URL:-$(site_url_for "$ADDRESS")}' in script

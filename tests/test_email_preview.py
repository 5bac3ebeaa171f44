"""The back office's preview of every email template: listed in the admin index for the
roles that hold the right, every template found by the glob shown with sample data."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import CONSEILLER, COURRIER, SUPERVISEUR, roles_sync
from ameli_portal.email_catalog import email_templates, render_email
from tests.security.conftest import make_staff

pytestmark = pytest.mark.django_db


def _client_in(role):
    from django.contrib.auth.models import Group

    roles_sync()
    user = make_staff()
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [CONSEILLER, SUPERVISEUR])
def test_the_preview_is_in_the_admin_index_and_lists_every_template(role):
    client = _client_in(role)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:email_previews") in index and "Modèles de courriels" in index
    page = client.get(reverse("admin:email_previews")).content.decode()
    templates = email_templates()
    for template in templates:
        assert reverse("admin:email_preview", args=[template.key]) in page, template.prefix
    assert render_email(templates[0]).subject.replace("'", "&#x27;") in page


def test_the_mail_room_clerk_does_not_see_the_preview():
    client = _client_in(COURRIER)
    assert reverse("admin:email_previews") not in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:email_previews")).status_code == 403


def test_a_template_opens_with_its_subject_text_and_html_on_their_own_address():
    client = _client_in(CONSEILLER)
    template = next(t for t in email_templates() if t.prefix == "account/email/email_confirmation_signup")
    page = client.get(reverse("admin:email_preview", args=[template.key]))
    body = page.content.decode()
    assert "Confirmez votre adresse électronique" in body
    assert "482915" in body  # the sample code, in the text version
    html_url = reverse("admin:email_preview_html", args=[template.key])
    assert html_url in body
    html = client.get(html_url)
    assert html.status_code == 200 and "482915" in html.content.decode()
    assert "style-src 'unsafe-inline'" in html["Content-Security-Policy"]
    assert "default-src 'none'" in html["Content-Security-Policy"]
    assert client.get(reverse("admin:email_preview", args=["inconnu"])).status_code == 404

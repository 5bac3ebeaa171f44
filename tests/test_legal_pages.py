"""The public legal pages: conditions d'utilisation, données personnelles, mentions légales."""

import html

import pytest
from django.urls import reverse

from ameli_portal.legal import RETENTION

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name,heading",
    [
        ("public:terms", "Conditions d'utilisation"),
        ("public:privacy", "Données personnelles"),
        ("public:legal", "Mentions légales"),
    ],
)
def test_each_page_answers_anonymously_and_is_linked_from_every_footer(client, name, heading):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert f"<h1>{heading}</h1>" in page
    home = html.unescape(client.get(reverse("public:home")).content.decode())
    assert f'href="{reverse(name)}"' in home


def test_the_privacy_notice_has_every_section_the_law_requires(client, settings):
    settings.BRANDING = {
        **settings.BRANDING,
        "dpo_email": "dpo@caisse-x.example",
        "caisse_name": "Caisse primaire d'Exempleville",
    }
    page = html.unescape(client.get(reverse("public:privacy")).content.decode())
    for section in (
        "Qui est responsable de vos données",
        "Délégué à la protection des données",
        "Pourquoi nous traitons vos données, et sur quelle base",
        "Qui reçoit vos données",
        "Combien de temps nous gardons vos données",
        "Vos droits et comment les exercer",
        "Réclamation auprès de la CNIL",
    ):
        assert section in page, section
    assert "dpo@caisse-x.example" in page
    assert "Caisse primaire d'Exempleville" in page
    for basis in ("article 6.1.e", "9.2.b"):
        assert basis in page
    for right in (
        "droit d'accès",
        "droit de rectification",
        "droit d'opposition",
        "droit à la portabilité",
        "droit à l'effacement",
    ):
        assert right in page
    # the retention periods are a captioned table with row and column headers
    assert "<caption>Durées de conservation, par type de données</caption>" in page
    assert page.count('<th scope="col">') >= 6
    for row in RETENTION:
        assert f'<th scope="row">{row.data}</th>' in page
    assert f"{reverse('accounts:my_data')}" in page
    assert f"{reverse('messaging:new')}?theme=donnees" in page


def test_the_archive_lifetime_in_the_notice_is_the_setting(client, settings):
    settings.DATA_EXPORT_DAYS = 3
    page = html.unescape(client.get(reverse("public:privacy")).content.decode())
    assert "<td>3 jours</td>" in page


def test_the_legal_notice_names_publisher_host_and_dpo_from_the_settings(client, settings):
    settings.BRANDING = {
        **settings.BRANDING,
        "publisher": "CPAM d'Exempleville",
        "host": "Hébergeur HDS Exemple",
        "dpo_email": "dpo@exemple.test",
    }
    page = html.unescape(client.get(reverse("public:legal")).content.decode())
    for text in (
        "CPAM d'Exempleville",
        "Hébergeur HDS Exemple",
        "dpo@exemple.test",
        "Directeur de la publication",
    ):
        assert text in page


def test_the_terms_show_the_version_in_force(client, settings):
    settings.TERMS_VERSION = "2027-03"
    page = html.unescape(client.get(reverse("public:terms")).content.decode())
    assert "2027-03" in page and "Modification des conditions" in page

"""« Mon espace »: what changed since the last visit, what the caisse waits for, the last
payments, the unread messages, the documents ready, the card; the header's account menu."""

import html as html_module
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attestations.models import Document
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.factories import (
    CareActFactory,
    CareSheetFactory,
    DemarcheFactory,
    HealthCardFactory,
    MessageFactory,
    ThreadFactory,
)

pytestmark = pytest.mark.django_db
HOME = reverse("accounts:home")


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(date(2026, 3, 20), tick=False):
        yield


def text(response) -> str:
    plain = html_module.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(plain.replace("\u00a0", " ").replace("\u202f", " ").split())


def paid(insured, day: date):
    act = CareActFactory(
        sheet=CareSheetFactory(insured=insured, received_on=day),
        care_date=day,
        charged=Decimal("30.00"),
        kind="doctor",
        act_code="G",
        label="Consultation",
    )
    care_sheet_post(sheet=act.sheet, actor=None)
    [payment] = payments_run(day=day + timedelta(days=1))
    return payment


def sign_in(client, insured, *, last_login):
    user = insured.user
    user.last_login = last_login
    user.save(update_fields=["last_login"])
    client.force_login(user)
    return client


def test_a_first_visit_is_welcomed_and_shows_no_change(client, insured):
    sign_in(client, insured, last_login=None)
    page = text(client.get(HOME))
    assert "Bienvenue dans votre espace personnel" in page
    assert "Depuis votre dernière visite" not in page


def test_what_changed_since_the_previous_sign_in(client, insured):
    before = timezone.now() - timedelta(days=3)
    paid(insured, date(2026, 3, 2))  # paid before the previous visit: not new
    for payment in insured.payments.all():
        type(payment).objects.filter(pk=payment.pk).update(created_at=before - timedelta(days=1))
    paid(insured, date(2026, 3, 10))
    paid(insured, date(2026, 3, 12))
    MessageFactory(thread=ThreadFactory(insured=insured))
    sign_in(client, insured, last_login=before)
    page = text(client.get(HOME))
    assert "Depuis votre dernière visite : 2 paiements, 1 message." in page
    # Signing in again: the visit before is now this one, nothing new since.
    client.logout()
    client.force_login(insured.user)
    assert "Rien de nouveau depuis votre dernière visite" in text(client.get(HOME))


def test_the_last_payments_with_amount_date_and_link(client, insured):
    payments = [paid(insured, date(2026, 3, d)) for d in (2, 5, 9, 12)]
    sign_in(client, insured, last_login=timezone.now())
    response = client.get(HOME)
    page = text(response)
    assert "19,00 € le 13/03/2026" in page
    html = response.content.decode()
    for newest in payments[1:]:
        assert reverse("reimbursements:payment_detail", args=[newest.public_id]) in html
    assert reverse("reimbursements:payment_detail", args=[payments[0].public_id]) not in html


def test_a_demarche_waiting_for_the_person_documents_messages_and_card(client, insured):
    waiting = DemarcheFactory(
        insured=insured, status="complement", expected_from_insured="Le devis signé du fournisseur."
    )
    in_review = DemarcheFactory(insured=insured, status="instruction")
    ready = Document.objects.create(
        owner=insured,
        kind=Document.Kind.RIGHTS,
        content_key="x",
        status=Document.Status.READY,
        issued_at=timezone.now(),
        file="documents/test.pdf",
    )
    Document.objects.create(
        owner=insured,
        kind=Document.Kind.STATEMENT,
        content_key="y",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 2, 28),
    )  # pending
    MessageFactory(thread=ThreadFactory(insured=insured))
    MessageFactory(thread=ThreadFactory(insured=insured), read_at=timezone.now())
    HealthCardFactory(insured=insured, serial_number="123456782345")
    sign_in(client, insured, last_login=timezone.now())
    response = client.get(HOME)
    page, html = text(response), response.content.decode()
    assert "Votre caisse attend une action de votre part" in page
    assert "Le devis signé du fournisseur." in page
    assert reverse("requests_app:detail", args=[waiting.public_id]) in html
    assert reverse("requests_app:detail", args=[in_review.public_id]) not in html
    assert "1 message non lu de votre caisse" in page
    assert "Attestation de droits prêt le 20/03/2026" in page
    assert reverse("attestations:download", args=[ready.public_id]) in html
    assert "Relevé de remboursements" not in page
    assert "Carte Vitale valide depuis le 01/09/2020 (n° •••• 2345)" in page


def test_nothing_waiting_means_no_waiting_block(client, insured):
    sign_in(client, insured, last_login=timezone.now())
    page = text(client.get(HOME))
    assert "attend une action" not in page
    assert "Aucun paiement ces derniers mois." in page
    assert "Aucun document prêt." in page
    assert "Aucune carte Vitale en service." in page


def _history(insured, size):
    for n in range(size):
        paid(insured, date(2026, 1, 5) + timedelta(days=3 * n))
        MessageFactory(thread=ThreadFactory(insured=insured))
        DemarcheFactory(insured=insured, status="complement")
        Document.objects.create(
            owner=insured,
            kind=Document.Kind.RIGHTS,
            content_key=f"k{n}",
            status=Document.Status.READY,
            issued_at=timezone.now(),
            file="documents/test.pdf",
        )
        HealthCardFactory(insured=insured, status="replaced")


@pytest.mark.parametrize("size", [1, 12])
def test_the_query_count_does_not_grow_with_the_history(client, insured, size, django_assert_num_queries):
    _history(insured, size)
    sign_in(client, insured, last_login=timezone.now() - timedelta(days=400))
    client.get(HOME)  # the first request of a session creates its record (allauth's user sessions)
    # The 2 queries of every signed-in page (session, user: nothing written, see
    # tests/accounts/test_session_activity.py) and the unread count (header and page share
    # it); this page: 7 insured, new payments, new messages, démarches waiting, documents
    # ready, the person's cards, the last payments (one query, as « Mes paiements »).
    with django_assert_num_queries(10):
        assert client.get(HOME).status_code == 200


def test_the_account_menu_names_the_person_and_never_the_nir(client, insured):
    sign_in(client, insured, last_login=None)
    html = client.get(reverse("accounts:profile")).content.decode()
    menu = html[html.index('<details class="account-menu">') : html.index("</details>")]
    assert f"Menu du compte de </span>{insured.full_name}</summary>" in menu
    assert 'href="/mon-espace/informations/" aria-current="page">Mon profil' in menu
    assert reverse("accounts:my_data") in menu and "Mes données" in menu
    assert "Se déconnecter" in menu
    assert insured.nir not in html and insured.nir[:13] not in html


def test_staff_get_a_menu_to_the_back_office(client, staff):
    client.force_login(staff)
    html = client.get(HOME).content.decode()
    menu = html[html.index('<details class="account-menu">') : html.index("</details>")]
    assert "Back-office" in menu and "Mon profil" not in menu


def test_capture_is_constant(client, insured):
    """Same count for a short and a long history, measured rather than assumed."""
    sign_in(client, insured, last_login=timezone.now() - timedelta(days=400))
    client.get(HOME)
    with CaptureQueriesContext(connection) as short:
        client.get(HOME)
    _history(insured, 8)
    with CaptureQueriesContext(connection) as long:
        client.get(HOME)
    assert len(long) == len(short)

"""Demo démarches: what ``seed_demo`` puts in the demo accounts' "Mes démarches"."""

from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import HealthCard, Insured
from ameli_portal.models import OutboxJob
from messaging.models import Thread
from requests_app import demo
from requests_app.models import Attachment, Kind, Request, RequestEvent, Status
from requests_app.uploads import check_upload

pytestmark = pytest.mark.django_db


def _person(last_name) -> Insured:
    return Insured.objects.select_related("user").get(last_name=last_name, caisse__code="999")


def _counts():
    return (
        Request.objects.count(),
        RequestEvent.objects.count(),
        Attachment.objects.count(),
        Thread.objects.count(),
        OutboxJob.objects.count(),
    )


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    accounts_demo.seed()
    with django_capture_on_commit_callbacks(execute=True):
        lines = demo.seed()
    return lines


def test_the_main_demo_person_sees_her_demarches_in_every_state(seeded, client):
    martin = _person("Martin")
    client.force_login(martin.user)
    page = unescape(client.get(reverse("requests_app:list")).content.decode())
    for label in (
        "Changement de coordonnées bancaires",
        "Carte Vitale",
        "Demande de prestation",
        "Carte européenne d'assurance maladie",
        "Acceptée",
        "En instruction",
        "Complément demandé",
        "Clôturée",
        "action attendue de votre part",
    ):
        assert label in page
    statuses = dict(Request.objects.filter(insured=martin).values_list("kind", "status"))
    assert statuses == {
        Kind.RIB: Status.ACCEPTED,
        Kind.VITALE: Status.REVIEW,
        Kind.PRESTATION: Status.COMPLEMENT,
        Kind.CEAM: Status.CLOSED,
    }


def test_the_history_is_dated_in_the_past_and_told_in_order(seeded):
    martin = _person("Martin")
    now = timezone.now()
    for request in Request.objects.filter(insured=martin):
        events = list(request.events.all())
        assert events[0].to_status == Status.FILED and events[0].at == request.filed_at
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert all(e.at < now - timedelta(days=1) for e in events)
    wheelchair = Request.objects.get(insured=martin, kind=Kind.PRESTATION)
    assert "prescription médicale" in wheelchair.expected_from_insured
    assert wheelchair.assigned_to.username == "conseiller"
    quote = wheelchair.attachments.get()
    assert quote.label == "Devis"
    with quote.file.open("rb") as f:  # the stored file passes the upload checks again
        assert check_upload(f).content_type == "application/pdf"


def test_the_accepted_rib_change_changed_the_register(seeded):
    martin = _person("Martin")
    rib = Request.objects.get(insured=martin, kind=Kind.RIB)
    assert martin.iban == rib.data["iban"]
    old = martin.iban_history.get()
    assert old.iban != martin.iban
    assert old.valid_until == timezone.localtime(rib.decided_at).date()


def test_the_accepted_ceam_gave_the_child_a_card(seeded):
    martin = _person("Martin")
    ceam = Request.objects.get(insured=martin, kind=Kind.CEAM)
    card = HealthCard.objects.get(insured=martin, beneficiary=ceam.beneficiary, kind=HealthCard.Kind.CEAM)
    assert card.status == HealthCard.Status.VALID
    assert card.valid_from < timezone.localdate()


def test_another_person_has_a_refused_delay_with_its_reason(seeded, client):
    richard = _person("Richard")
    delay = Request.objects.get(insured=richard, kind=Kind.COTISATION)
    assert delay.status == Status.REFUSED and delay.decision_reason
    client.force_login(richard.user)
    page = unescape(client.get(reverse("requests_app:detail", args=[delay.public_id])).content.decode())
    assert "Refusée" in page and "échéancier est déjà en cours" in page


def test_the_decisions_are_in_the_message_box_and_no_email_is_sent(seeded):
    martin = _person("Martin")
    subjects = list(
        Thread.objects.filter(insured=martin, kind=Thread.Kind.NOTICE).values_list("subject", flat=True)
    )
    assert any("est acceptée" in s for s in subjects)
    assert any("des pièces sont demandées" in s for s in subjects)
    # The message box's own demo is still there.
    assert Thread.objects.filter(insured=martin, kind=Thread.Kind.CONVERSATION).exists()
    assert mail.outbox == []
    assert not OutboxJob.objects.filter(task_name__in=demo.EMAIL_TASKS).exists()


def test_seeding_again_adds_nothing(seeded):
    before = _counts()
    assert demo.seed() == []
    assert _counts() == before

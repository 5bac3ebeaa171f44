"""Back office: queues, assignment, transitions with their reasons, everything audited."""

import html

import pytest
from django.urls import reverse

from ameli_portal.models import AuditEvent
from requests_app import services
from requests_app.models import Request, Status
from tests.factories import DemarcheFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def back_office(client, agent):
    client.force_login(agent)
    return client


def transition_url(request, to):
    return reverse("admin:requests_app_request_transition", args=[request.pk, to])


def test_the_queues_filter_by_status_and_assignment(back_office, agent, insured):
    mine = DemarcheFactory(insured=insured, status=Status.REVIEW, assigned_to=agent)
    waiting = DemarcheFactory(insured=insured, status=Status.FILED)
    url = reverse("admin:requests_app_request_changelist")
    page = back_office.get(url, {"attribuee": "moi"}).content.decode()
    assert mine.reference in page and waiting.reference not in page
    page = back_office.get(url, {"file": "a_prendre"}).content.decode()
    assert waiting.reference in page and mine.reference not in page
    page = back_office.get(url, {"kind__exact": "prestation", "status__exact": "instruction"})
    page = page.content.decode()
    assert mine.reference in page and waiting.reference not in page


def test_assign_to_me_is_audited(back_office, agent, insured):
    request = DemarcheFactory(insured=insured)
    response = back_office.post(
        reverse("admin:requests_app_request_changelist"),
        {"action": "assign_to_me", "_selected_action": [request.pk]},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.assigned_to == agent
    assert AuditEvent.objects.filter(action="request_assign", actor=agent, object_id=str(request.pk)).exists()


def test_the_change_page_shows_the_actions_and_is_audited(back_office, agent, insured):
    request = DemarcheFactory(insured=insured)
    page = back_office.get(reverse("admin:requests_app_request_change", args=[request.pk])).content.decode()
    assert transition_url(request, Status.REVIEW) in page
    assert transition_url(request, Status.ACCEPTED) not in page  # not from "déposée"
    assert "Fauteuil roulant" in page
    assert AuditEvent.objects.filter(action="view", actor=agent, object_id=str(request.pk)).exists()


def test_a_refusal_without_a_reason_is_refused_then_with_one_it_is_done(back_office, agent, insured):
    request = DemarcheFactory(insured=insured, status=Status.REVIEW)
    response = back_office.post(transition_url(request, Status.REFUSED), {"reason": ""})
    assert response.status_code == 200 and "motif est obligatoire" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.REVIEW
    response = back_office.post(
        transition_url(request, Status.REFUSED), {"reason": "Équipement non remboursable"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.REFUSED and request.decision_reason == "Équipement non remboursable"
    event = request.events.get()
    assert (event.actor, event.actor_kind) == (agent, "staff")
    assert AuditEvent.objects.filter(action="request_refusee", actor=agent).exists()


def test_a_move_outside_the_table_is_refused_in_the_admin_too(back_office, insured):
    request = DemarcheFactory(insured=insured, status=Status.FILED)
    response = back_office.post(transition_url(request, Status.ACCEPTED), {"reason": "ok"})
    assert response.status_code == 200 and "ne peut pas passer" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.FILED


def test_accepting_a_prestation_with_another_amount(back_office, insured):
    request = DemarcheFactory(insured=insured, status=Status.REVIEW)
    page = back_office.get(transition_url(request, Status.ACCEPTED)).content.decode()
    assert "Montant accordé" in page and "1250.00" in page
    back_office.post(transition_url(request, Status.ACCEPTED), {"reason": "", "amount": "1000,00"})
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and str(request.decided_amount) == "1000.00"


def test_staff_without_the_change_right_cannot_move_a_request(client, register_clerk, insured):
    request = DemarcheFactory(insured=insured, status=Status.REVIEW)
    client.force_login(register_clerk)
    assert client.post(transition_url(request, Status.REFUSED), {"reason": "x"}).status_code == 403
    request.refresh_from_db()
    assert request.status == Status.REVIEW


def test_the_assignment_field_goes_through_the_service(back_office, agent, insured):
    request = DemarcheFactory(insured=insured)
    response = back_office.post(
        reverse("admin:requests_app_request_change", args=[request.pk]), {"assigned_to": agent.pk}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.assigned_to == agent
    assert AuditEvent.objects.filter(action="request_assign").count() == 1
    assert not services.allowed_targets(Status.CLOSED)
    assert Request.objects.count() == 1


def test_the_back_office_timeline_never_shows_the_insured_s_login(back_office, insured):
    request = services.request_file(
        insured=insured, kind="carte_vitale", data={"reason": "malfunction"}, actor=insured.user
    )
    page = back_office.get(reverse("admin:requests_app_request_change", args=[request.pk])).content.decode()
    assert insured.user.username not in page and insured.nir not in page
    assert insured.nir_masked in page


def test_the_change_page_shows_what_was_asked_in_the_insured_s_words(back_office, insured):
    """« 1 250,00 € » and « 15/01/2030 », as the insured's page writes them, not the stored
    « 1250.00 » and « 2030-01-15 »; the agent who checks a new IBAN reads it whole."""
    asked = DemarcheFactory(
        insured=insured, data={"equipment": "Fauteuil", "amount": "1250.00", "comment": ""}
    )
    page = back_office.get(reverse("admin:requests_app_request_change", args=[asked.pk])).content.decode()
    assert "1\u202f250,00\u00a0€" in html.unescape(page) and "1250.00" not in page
    rib = DemarcheFactory(insured=insured, kind="rib", data={"iban": "FR7630006000011234567890189"})
    page = back_office.get(reverse("admin:requests_app_request_change", args=[rib.pk])).content.decode()
    assert "FR7630006000011234567890189" in page

"""What an accepted request changes in the register, kind by kind."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import HealthCard
from requests_app import services
from requests_app.models import Request, Status
from tests.factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db


def accept(insured, agent, kind, data, beneficiary=None, **decision):
    filed = services.request_file(
        insured=insured, kind=kind, data=data, beneficiary=beneficiary, actor=insured.user
    )
    services.request_transition(request=filed, to_status=Status.REVIEW, actor=agent)
    return services.request_transition(request=filed, to_status=Status.ACCEPTED, actor=agent, **decision)


def test_an_accepted_carte_vitale_is_ordered(insured, agent):
    accept(insured, agent, "carte_vitale", {"reason": "first"})
    card = HealthCard.objects.get(insured=insured)
    assert (card.kind, card.status, card.order_reason, card.beneficiary) == (
        "vitale",
        "ordered",
        "first",
        None,
    )


def test_an_accepted_ceam_is_ordered_for_the_beneficiary(insured, agent):
    child = BeneficiaryFactory(insured=insured)
    departure = timezone.localdate() + timedelta(days=30)
    accept(insured, agent, "ceam", {"departure_on": departure.isoformat()}, beneficiary=child)
    card = HealthCard.objects.get(insured=insured)
    assert (card.kind, card.status, card.beneficiary, card.departure_on) == (
        "ceam",
        "ordered",
        child,
        departure,
    )


def test_an_accepted_rib_change_updates_the_register_and_tells_both_addresses(
    insured, agent, django_capture_on_commit_callbacks
):
    insured.iban = "FR7630004000010001234567830"
    insured.email = "registre@exemple.test"
    insured.save()
    with django_capture_on_commit_callbacks(execute=True):
        filed = services.request_file(
            insured=insured, kind="rib", data={"iban": "FR7630006000011234567890189"}, actor=insured.user
        )
        insured.refresh_from_db()
        assert insured.iban == "FR7630004000010001234567830"  # not before staff accept it
        services.request_transition(request=filed, to_status=Status.REVIEW, actor=agent)
        services.request_transition(request=filed, to_status=Status.ACCEPTED, actor=agent)
    insured.refresh_from_db()
    assert insured.iban == "FR7630006000011234567890189"
    assert insured.iban_history.get().iban == "FR7630004000010001234567830"
    recipients = {
        address
        for m in mail.outbox
        if "IBAN" in m.subject or "bancaire" in m.subject.lower()
        for address in m.to
    }
    assert {"registre@exemple.test", insured.user.email} <= recipients


def test_an_accepted_family_situation_is_recorded(insured, agent):
    accept(insured, agent, "situation_familiale", {"situation": "pacse", "since": "2025-04-05"})
    insured.refresh_from_db()
    assert (insured.family_situation, insured.family_situation_since) == ("pacse", date(2025, 4, 5))


def test_an_accepted_child_is_attached(insured, agent):
    filed = accept(
        insured,
        agent,
        "enfant",
        {
            "declaration": "naissance",
            "last_name": "Durand",
            "first_names": "Lou",
            "birth_date": "2026-01-10",
            "sex": "2",
        },
    )
    child = insured.beneficiaries.get()
    assert (child.first_names, child.birth_date, child.relationship) == ("Lou", date(2026, 1, 10), "enfant")
    assert filed.beneficiary == child


def test_an_accepted_prestation_records_the_amount(insured, agent):
    data = {"equipment": "Fauteuil", "amount": "1250.00", "comment": ""}
    assert accept(insured, agent, "prestation", data).decided_amount == Decimal("1250.00")
    assert accept(insured, agent, "prestation", data, amount=Decimal("800")).decided_amount == Decimal("800")


def test_an_accepted_payment_delay_records_the_months(insured, agent):
    data = {"contribution": "csm", "reference": "", "months": 6, "reason": "Perte d'emploi"}
    assert accept(insured, agent, "delai_cotisation", data).granted_months == 6
    assert accept(insured, agent, "delai_cotisation", data, months=3).granted_months == 3


def test_an_effect_the_register_refuses_leaves_the_request_in_review(insured, agent):
    baby = BeneficiaryFactory(insured=insured, birth_date=timezone.localdate() - timedelta(days=400))
    with pytest.raises(services.TransitionNotAllowed, match="moins de 12 ans"):
        accept(insured, agent, "carte_vitale", {"reason": "first"}, beneficiary=baby)
    filed = Request.objects.get()
    assert filed.status == Status.REVIEW and filed.decided_at is None
    assert not HealthCard.objects.exists()
    assert filed.events.count() == 2  # filed, put in review: no acceptance recorded


def test_a_bad_iban_the_register_refuses_is_a_refusal_for_the_conseiller(insured, agent):
    filed = services.request_file(
        insured=insured, kind="rib", data={"iban": "FR7630006000011234567890189"}, actor=insured.user
    )
    services.request_transition(request=filed, to_status=Status.REVIEW, actor=agent)
    Request.objects.filter(pk=filed.pk).update(data={"iban": "FR00 pas un IBAN"})
    with pytest.raises(services.TransitionNotAllowed):
        services.request_transition(request=filed, to_status=Status.ACCEPTED, actor=agent)
    assert Request.objects.get(pk=filed.pk).status == Status.REVIEW


def test_a_bug_in_an_effect_is_not_shown_as_a_refusal(insured, agent):
    """Only the domain's refusals (DomainError) become a message; a ValueError from broken
    data is an error, and the acceptance is not recorded."""
    departure = timezone.localdate() + timedelta(days=30)
    filed = services.request_file(
        insured=insured, kind="ceam", data={"departure_on": departure.isoformat()}, actor=insured.user
    )
    services.request_transition(request=filed, to_status=Status.REVIEW, actor=agent)
    Request.objects.filter(pk=filed.pk).update(data={"departure_on": "bientôt"})
    with pytest.raises(ValueError) as raised:
        services.request_transition(request=filed, to_status=Status.ACCEPTED, actor=agent)
    assert not isinstance(raised.value, services.TransitionNotAllowed)
    assert Request.objects.get(pk=filed.pk).status == Status.REVIEW

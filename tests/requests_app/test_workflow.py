"""The state machine: every allowed move works, every other one is refused, each is recorded."""

import itertools
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from ameli_portal.models import AuditEvent
from messaging.models import Thread
from requests_app import services
from requests_app.models import Request, RequestEvent, Status
from tests.factories import DemarcheFactory

pytestmark = pytest.mark.django_db

STAFF, INSURED, SYSTEM = "staff", "insured", "system"
PAIRS = list(itertools.permutations(Status.values, 2))


def at(status, insured, **kwargs):
    decided = (
        {"decided_at": timezone.now(), "decision_reason": "motif"}
        if status in (Status.ACCEPTED, Status.REFUSED, Status.CLOSED)
        else {}
    )
    return DemarcheFactory(insured=insured, status=status, **decided, **kwargs)


def actor_for(kind, insured, agent):
    return {STAFF: agent, INSURED: insured.user, SYSTEM: None}[kind]


@pytest.mark.parametrize("frm,to", PAIRS)
@pytest.mark.parametrize("who", [STAFF, INSURED, SYSTEM])
def test_only_the_table_s_moves_are_possible(frm, to, who, insured, agent):
    request = at(frm, insured)
    allowed = who in services.TRANSITIONS.get((frm, to), ())
    call = lambda: services.request_transition(  # noqa: E731
        request=request, to_status=to, actor=actor_for(who, insured, agent), reason="parce que"
    )
    if allowed:
        call()
        request.refresh_from_db()
        assert request.status == to
        event = request.events.get()
        assert (event.from_status, event.to_status, event.actor_kind, event.reason) == (
            frm,
            to,
            who,
            "parce que",
        )
    else:
        with pytest.raises(services.TransitionNotAllowed):
            call()
        request.refresh_from_db()
        assert request.status == frm
        assert not request.events.exists()


def test_the_table_has_the_issue_s_path():
    path = [Status.FILED, Status.REVIEW, Status.COMPLEMENT, Status.REVIEW, Status.ACCEPTED, Status.CLOSED]
    for frm, to in itertools.pairwise(path):
        assert STAFF in services.TRANSITIONS[(frm, to)]
    assert STAFF in services.TRANSITIONS[(Status.REVIEW, Status.REFUSED)]
    assert services.allowed_targets(Status.CLOSED) == []


@pytest.mark.parametrize("to", [Status.REFUSED, Status.COMPLEMENT])
def test_a_refusal_or_a_complement_needs_a_reason(to, insured, agent):
    request = at(Status.REVIEW, insured)
    with pytest.raises(services.TransitionNotAllowed, match="(motif|attendu)"):
        services.request_transition(request=request, to_status=to, actor=agent, reason="  ")
    request.refresh_from_db()
    assert request.status == Status.REVIEW


def test_an_insured_cannot_answer_someone_else_s_complement(insured, other_insured):
    request = at(Status.COMPLEMENT, insured)
    with pytest.raises(services.TransitionNotAllowed):
        services.request_transition(request=request, to_status=Status.REVIEW, actor=other_insured.user)


def test_a_staff_move_is_audited_and_tells_the_insured(insured, agent, django_capture_on_commit_callbacks):
    request = at(Status.REVIEW, insured)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_transition(
            request=request,
            to_status=Status.COMPLEMENT,
            actor=agent,
            reason="Le devis détaillé de l'audioprothésiste.",
        )
    request.refresh_from_db()
    assert request.expected_from_insured == "Le devis détaillé de l'audioprothésiste."
    audit = AuditEvent.objects.get(action="request_complement")
    assert audit.actor == agent and audit.object_id == str(request.pk)
    # One email for the event: the notice in the box does not send its own "nouveau message".
    [email] = mail.outbox
    assert email.to == [insured.user.email]
    assert "des documents vous sont demandés" in email.subject
    assert f"/demarches/{request.public_id}/" in email.body
    # No health detail in the email: neither the equipment nor the reason.
    for secret in ("Fauteuil", "audioprothésiste", "devis détaillé"):
        assert secret not in email.body and secret not in email.alternatives[0][0]
    notice = Thread.objects.get(insured=insured)
    assert "des pièces sont demandées" in notice.subject
    assert "devis détaillé" in notice.messages.get().body


def test_an_acceptance_records_the_decision(insured, agent):
    request = at(Status.REVIEW, insured)
    services.request_transition(
        request=request, to_status=Status.ACCEPTED, actor=agent, amount=Decimal("900.00")
    )
    request.refresh_from_db()
    assert request.decided_amount == Decimal("900.00") and request.decided_at
    assert Thread.objects.get(insured=insured).subject.endswith("est acceptée")


def test_the_database_refuses_what_the_service_refuses(insured):
    request = at(Status.REVIEW, insured)
    refused_without_reason = {"status": Status.REFUSED, "decided_at": timezone.now(), "decision_reason": ""}
    for bad in ({"status": "perdue"}, {"kind": "autre"}, refused_without_reason):
        with pytest.raises(IntegrityError), transaction.atomic():
            Request.objects.filter(pk=request.pk).update(**bad)
    with pytest.raises(IntegrityError), transaction.atomic():
        RequestEvent.objects.create(request=request, from_status="", to_status="nulle", actor_kind="staff")


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-11-27", 1, "2026-11-30"),  # a Friday: the weekend does not count
        ("2026-04-30", 1, "2026-05-04"),  # 1 May (a Friday) is a public holiday
        ("2026-12-24", 2, "2026-12-29"),  # Christmas Day
        ("2026-05-13", 3, "2026-05-19"),  # Ascension (Thursday 14) and Whit Monday (25 is later)
        ("2027-03-26", 1, "2027-03-30"),  # Easter Monday 2027 is 29 March
    ],
)
def test_the_answer_date_counts_working_days_without_public_holidays(start, days, expected):
    from datetime import date

    from requests_app.models import add_working_days

    assert add_working_days(date.fromisoformat(start), days) == date.fromisoformat(expected)

"""Commander une carte Vitale sans compte: nothing irreversible on identity facts a stranger can know.

Anyone who knows a person's NIR, name, birth date and postal code can fill the public form.
The page answers the same whether or not they match; a matching request waits until the
holder types the code emailed to the address on file, or a conseiller accepts it; the
holder is told every time.
"""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import HealthCard
from messaging.models import Thread
from requests_app.models import PublicConfirmation, Request, Status
from tests.factories import InsuredFactory, UserFactory
from tests.requests_app.helpers import photo, upload

pytestmark = pytest.mark.django_db
URL = reverse("requests_app:public_vitale")
CODE = re.compile(r"\b(\d{4} \d{4})\b")


@pytest.fixture
def person(db):
    return InsuredFactory(
        last_name="Lefèvre-Dupré",
        birth_date=date(1984, 3, 9),
        postal_code="75010",
        address_line1="12 rue Secrète",
        email="noemie@exemple.test",
    )


@pytest.fixture
def card(person):
    return HealthCard.objects.create(
        insured=person, kind="vitale", status="valid", valid_from=date(2020, 1, 1)
    )


@pytest.fixture
def back_office(client, agent):
    client.force_login(agent)
    return client


def to_confirm(back_office):
    """The back office's queue of requests filed without an account and not yet confirmed."""
    response = back_office.get(reverse("admin:requests_app_request_changelist"), {"file": "a_confirmer"})
    return response.context["cl"].queryset


def form(person, **overrides):
    data = {
        "nir": person.nir,
        "last_name": "lefevre dupre",
        "birth_date": "09/03/1984",
        "postal_code": "75010",
        "reason": "loss",
        "photo": photo(),
        "id_document": upload(),
        "accept_terms": "on",
        "accept_privacy": "on",
    }
    data.update(overrides)
    return data


def declare(client, capture, person, **overrides):
    """Fill the public form; return the confirmation page's URL the browser is sent to."""
    with capture(execute=True):
        response = client.post(URL, form(person, **overrides))
    assert response.status_code == 302
    return response["Location"]


def emailed_code(to="noemie@exemple.test") -> str:
    [email] = [m for m in mail.outbox if to in m.to]
    return CODE.search(email.body).group(1)


def confirm(client, url, code):
    return client.post(url, {"code": code})


def test_the_page_is_public(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "Commander une carte Vitale sans compte" in response.content.decode()


def test_a_public_loss_declaration_does_not_oppose_the_card_until_confirmed(
    client, person, card, django_capture_on_commit_callbacks
):
    url = declare(client, django_capture_on_commit_callbacks, person)

    card.refresh_from_db()
    assert card.status == "valid" and not HealthCard.objects.filter(status="ordered").exists()
    filed = Request.objects.get()
    assert (filed.insured, filed.kind, filed.status, filed.filed_without_account) == (
        person,
        "carte_vitale",
        Status.FILED,
        True,
    )
    assert filed.attachments.count() == 2
    assert filed.public_confirmation.pending and filed.public_confirmation.by_email
    page = client.get(url).content.decode()
    assert "Si ces informations correspondent à un assuré" in page
    assert "Secrète" not in page and "75010" not in page and filed.reference not in page


def test_the_emailed_code_confirms_the_request_and_opposes_the_card(
    client, person, card, django_capture_on_commit_callbacks
):
    url = declare(client, django_capture_on_commit_callbacks, person)
    code = emailed_code()

    response = confirm(client, url, code)
    assert response.status_code == 200
    assert "Votre ancienne carte est mise en opposition" in response.content.decode()
    card.refresh_from_db()
    assert card.status == "opposed" and card.opposition_reason == "loss"
    filed = Request.objects.get()
    assert filed.public_confirmation.confirmed_by == "code"
    assert filed.status == Status.FILED  # the order itself still waits for a conseiller
    assert "confirmée par le code" in filed.events.last().reason

    # Single use: the same code again is refused.
    again = confirm(client, url, code)
    assert again.status_code == 400 and "pas valable" in again.content.decode()


def test_only_the_hash_of_the_code_is_stored(client, person, django_capture_on_commit_callbacks):
    declare(client, django_capture_on_commit_callbacks, person)
    code = emailed_code().replace(" ", "")
    stored = PublicConfirmation.objects.get()
    assert code not in stored.code_hash
    from ameli_portal.models import OutboxJob

    assert all(code not in str(job.args) + str(job.kwargs) for job in OutboxJob.objects.all())


def test_a_wrong_code_does_nothing_and_five_block_the_right_one(
    client, person, card, django_capture_on_commit_callbacks
):
    url = declare(client, django_capture_on_commit_callbacks, person)
    code = emailed_code()
    wrong = "0000 0000" if code != "0000 0000" else "1111 1111"

    response = confirm(client, url, wrong)
    assert response.status_code == 400 and "pas valable" in response.content.decode()
    for _ in range(4):
        confirm(client, url, wrong)
    response = confirm(client, url, code)
    assert response.status_code == 400
    card.refresh_from_db()
    assert card.status == "valid"
    assert PublicConfirmation.objects.get().failed_attempts == 5


def test_an_expired_code_does_nothing(client, person, card, django_capture_on_commit_callbacks):
    url = declare(client, django_capture_on_commit_callbacks, person)
    code = emailed_code()
    with time_machine.travel(timezone.now() + timedelta(hours=48, minutes=1)):
        response = confirm(client, url, code)
    assert response.status_code == 400 and "pas valable" in response.content.decode()
    card.refresh_from_db()
    assert card.status == "valid"


def test_staff_acceptance_in_the_back_office_opposes_the_card_and_orders_a_new_one(
    client, back_office, person, card, django_capture_on_commit_callbacks
):
    anonymous = client.__class__()
    url = declare(anonymous, django_capture_on_commit_callbacks, person)
    code = emailed_code()
    filed = Request.objects.get()
    assert list(to_confirm(back_office)) == [filed]
    change = back_office.get(reverse("admin:requests_app_request_change", args=[filed.pk]))
    assert "Non confirmée : un code a été envoyé" in change.content.decode()

    for to in ("instruction", "acceptee"):
        response = back_office.post(
            reverse("admin:requests_app_request_transition", args=[filed.pk, to]), {"reason": ""}
        )
        assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == "opposed"
    assert HealthCard.objects.filter(insured=person, status="ordered").exists()
    assert PublicConfirmation.objects.get().confirmed_by == "staff"
    assert list(to_confirm(back_office)) == []
    # The decision settles it: the emailed code no longer does anything.
    assert confirm(anonymous, url, code).status_code == 400


def test_a_refused_request_voids_the_code(client, agent, person, card, django_capture_on_commit_callbacks):
    from requests_app import services

    url = declare(client, django_capture_on_commit_callbacks, person)
    code = emailed_code()
    filed = Request.objects.get()
    services.request_transition(request=filed, to_status=Status.REVIEW, actor=agent)
    services.request_transition(
        request=filed, to_status=Status.REFUSED, actor=agent, reason="Demande faite par un tiers."
    )
    assert confirm(client, url, code).status_code == 400
    card.refresh_from_db()
    assert card.status == "valid"


@pytest.mark.parametrize("reason", ["loss", "first"])
def test_the_holder_is_emailed_every_time_without_nir_or_health_detail(
    client, person, reason, django_capture_on_commit_callbacks
):
    declare(client, django_capture_on_commit_callbacks, person, reason=reason)
    [email] = mail.outbox
    assert email.to == ["noemie@exemple.test"]
    assert "sans compte" in email.subject
    assert "Si ce n'est pas vous" in email.body and "annuler la demande" in email.body
    filed = Request.objects.get()
    assert filed.reference in email.body
    for text in (email.body, email.alternatives[0][0]):
        assert person.nir not in text and person.nir[:7] not in text.replace(" ", "")
        assert reverse("requests_app:detail", args=[filed.public_id]) not in text


def test_a_holder_with_an_account_is_emailed_at_the_account_address_and_gets_a_notice(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(
        email="compte@exemple.test",
        insured__email="registre@exemple.test",
        insured__last_name="Lefèvre-Dupré",
        insured__birth_date=date(1984, 3, 9),
        insured__postal_code="75010",
    )
    declare(client, django_capture_on_commit_callbacks, user.insured)
    [email] = mail.outbox
    assert email.to == ["compte@exemple.test"] and CODE.search(email.body)
    notice = Thread.objects.get(insured=user.insured, kind=Thread.Kind.NOTICE)
    assert "sans compte" in notice.subject
    body = notice.messages.get().body
    assert "Si ce n'est pas vous" in body and user.insured.nir not in body


def test_without_an_email_on_file_only_staff_can_confirm(
    client, person, card, django_capture_on_commit_callbacks
):
    person.email = ""
    person.save()
    url = declare(client, django_capture_on_commit_callbacks, person)
    assert mail.outbox == []
    confirmation = PublicConfirmation.objects.get()
    assert not confirmation.by_email and confirmation.pending
    assert confirm(client, url, "1234 5678").status_code == 400
    card.refresh_from_db()
    assert card.status == "valid"
    assert "seul un conseiller peut alors confirmer" in client.get(url).content.decode()


def _normalised(page: str) -> str:
    page = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", page)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)


def _answer(client, capture, data):
    with capture(execute=True):
        response = client.post(URL, data)
    follow = client.get(response["Location"])
    return (
        response.status_code,
        response["Location"],
        follow.status_code,
        _normalised(follow.content.decode()),
    )


def test_the_answer_is_the_same_whether_or_not_the_identity_matches(
    client, person, django_capture_on_commit_callbacks
):
    no_rights = InsuredFactory(last_name="Sansdroit", birth_date=date(1990, 1, 1), postal_code="13001")
    no_rights.coverage_periods.all().delete()
    with_account = UserFactory(
        insured__last_name="Compte", insured__birth_date=date(1970, 5, 5), insured__postal_code="69001"
    ).insured
    answers = [
        _answer(client, django_capture_on_commit_callbacks, form(person)),
        _answer(client, django_capture_on_commit_callbacks, form(person, last_name="Martin")),
        _answer(client, django_capture_on_commit_callbacks, form(person, postal_code="75011")),
        _answer(
            client,
            django_capture_on_commit_callbacks,
            form(no_rights, last_name="Sansdroit", birth_date="01/01/1990", postal_code="13001"),
        ),
        _answer(
            client,
            django_capture_on_commit_callbacks,
            form(with_account, last_name="Compte", birth_date="05/05/1970", postal_code="69001"),
        ),
    ]
    unknown = InsuredFactory.build()
    answers.append(_answer(client, django_capture_on_commit_callbacks, form(person, nir=unknown.nir)))

    statuses = {(a[0], a[2]) for a in answers}
    assert statuses == {(302, 200)}
    assert all(
        re.fullmatch(r"/demarches/carte-vitale-sans-compte/confirmer/[0-9a-f-]{36}/", a[1]) for a in answers
    )
    assert len({a[3] for a in answers}) == 1
    assert len({a[1] for a in answers}) == len(answers)  # each its own page, none reused
    # And a wrong code is refused in the same words on every one of those pages.
    refusals = {_normalised(client.post(a[1], {"code": "1234 5678"}).content.decode()) for a in answers}
    assert len(refusals) == 1
    assert Request.objects.count() == 3  # the three matching identities only


def test_attempts_are_limited(client, person):
    for _ in range(5):
        client.post(URL, form(person, last_name="Martin"))
    response = client.post(URL, form(person))
    assert response.status_code == 429 and "Trop de tentatives" in response.content.decode()
    assert not Request.objects.exists()


def test_code_attempts_are_limited(client, person, card, django_capture_on_commit_callbacks):
    url = declare(client, django_capture_on_commit_callbacks, person)
    for _ in range(10):
        confirm(client, url, "9999 9998")
    response = confirm(client, url, emailed_code())
    assert "Trop de tentatives" in response.content.decode()
    card.refresh_from_db()
    assert card.status == "valid"


def test_the_identity_document_is_required(client, person):
    response = client.post(URL, form(person, id_document=""))
    assert response.status_code == 400
    assert not Request.objects.exists()

"""A form sent twice (a double click, a reload, two requests at once) files one démarche,
sends one email, stores its documents once, and answers a complement once."""

import pytest
from django.urls import reverse

from ameli_portal.models import OutboxJob
from requests_app import services
from requests_app.models import Attachment, Request, Status
from tests.requests_app.helpers import photo, upload
from tests.submissions import post_at_once, token_in

CREATE = reverse("requests_app:create", args=["prestation"])


def prestation(token: str, **changes) -> dict:
    return {
        "equipment": "Fauteuil roulant",
        "amount": "1250,00",
        "quote": upload("devis.pdf"),
        "idempotency_key": token,
        **changes,
    }


def emails() -> int:
    return OutboxJob.objects.filter(task_name="ameli_portal.send_email").count()


def stored_files(root) -> int:
    return sum(1 for path in root.rglob("*") if path.is_file())


def card_order(token: str) -> dict:
    return {"reason": "loss", "photo": photo(), "id_document": upload(), "idempotency_key": token}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "form", "files"), [("prestation", prestation, 1), ("carte_vitale", card_order, 2)]
)
def test_the_same_form_sent_twice_files_one_demarche_with_one_email(
    logged, insured, private_storage, kind, form, files
):
    url = reverse("requests_app:create", args=[kind])
    token = token_in(logged.get(url))
    first = logged.post(url, form(token))
    second = logged.post(url, form(token))
    filed = Request.objects.get(insured=insured)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("requests_app:detail", args=[filed.public_id])
    assert emails() == 1
    assert filed.attachments.count() == files and stored_files(private_storage) == files
    assert "déjà déposée" in logged.get(second["Location"]).content.decode()


@pytest.mark.django_db
def test_a_form_refused_by_validation_keeps_its_token_for_the_corrected_one(logged, insured):
    token = token_in(logged.get(CREATE))
    refused = logged.post(CREATE, prestation(token, amount=""))
    assert refused.status_code == 400 and token_in(refused) == token  # nothing filed yet
    assert logged.post(CREATE, prestation(token)).status_code == 302
    assert logged.post(CREATE, prestation(token)).status_code == 302
    assert Request.objects.filter(insured=insured).count() == 1
    # A new page is a new form: a second, deliberate démarche is filed.
    logged.post(CREATE, prestation(token_in(logged.get(CREATE))))
    assert Request.objects.filter(insured=insured).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_twice_at_once_files_one_demarche(insured, private_storage):
    responses = post_at_once(insured.user, CREATE, lambda: prestation("jeton-envoi-simultane-0001"))
    filed = Request.objects.get(insured=insured)
    detail = reverse("requests_app:detail", args=[filed.public_id])
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {detail}
    assert emails() == 1
    assert Attachment.objects.count() == 1 and stored_files(private_storage) == 1


def _in_complement(insured, agent) -> Request:
    from requests_app.uploads import check_upload

    filed = services.request_file(
        insured=insured,
        kind="prestation",
        data={"equipment": "X", "amount": "10.00", "comment": ""},
        uploads=[("Devis", check_upload(upload()))],
    )
    services.request_transition(request=filed, to_status=Status.REVIEW, actor=agent)
    services.request_transition(
        request=filed, to_status=Status.COMPLEMENT, actor=agent, reason="Le devis signé."
    )
    return filed


def answers(filed) -> int:
    return filed.events.filter(from_status=Status.COMPLEMENT, actor_kind="insured").count()


@pytest.mark.django_db
def test_a_complement_form_sent_again_is_not_a_second_answer(logged, insured, agent):
    filed = _in_complement(insured, agent)
    url = reverse("requests_app:detail", args=[filed.public_id])
    token = token_in(logged.get(url))
    assert logged.post(url, {"documents": [upload()], "idempotency_key": token}).status_code == 302
    # The caisse asks for something else; the old form, sent again, does not answer it.
    services.request_transition(
        request=filed, to_status=Status.COMPLEMENT, actor=agent, reason="Une facture."
    )
    again = logged.post(url, {"documents": [upload()], "idempotency_key": token})
    assert again.status_code == 302
    filed.refresh_from_db()
    assert filed.status == Status.COMPLEMENT and answers(filed) == 1
    assert filed.attachments.filter(added_for_complement=True).count() == 1
    assert "déjà été envoyés" in logged.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_complement_sent_twice_at_once_is_one_answer_and_both_are_told_it_is_sent(insured, agent):
    filed = _in_complement(insured, agent)
    url = reverse("requests_app:detail", args=[filed.public_id])
    responses = post_at_once(
        insured.user, url, lambda: {"documents": [upload()], "idempotency_key": "jeton-complement-0001"}
    )
    assert [r.status_code for r in responses] == [302, 302]
    filed.refresh_from_db()
    assert filed.status == Status.REVIEW and answers(filed) == 1
    assert filed.attachments.filter(added_for_complement=True).count() == 1
    for response in responses:  # each browser's next page: sent, not an error
        page = response.client.get(url).content.decode()
        assert "envoyés" in page and "Aucun complément" not in page

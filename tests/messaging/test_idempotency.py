"""A message sent twice (a double click, a reload, two requests at once) is one message."""

import pytest
from django.urls import reverse

from messaging.models import Message, Thread
from tests.factories import ThreadFactory
from tests.submissions import post_at_once, token_in

NEW = reverse("messaging:new")


def new_message(token: str) -> dict:
    return {
        "topic": "carte_vitale",
        "subject": "Carte perdue",
        "body": "Bonjour, j'ai perdu ma carte.",
        "idempotency_key": token,
    }


def reply_url(thread) -> str:
    return reverse("messaging:reply", args=[thread.public_id])


@pytest.fixture
def logged(client, insured):
    client.force_login(insured.user)
    return client


@pytest.mark.django_db
def test_the_new_message_form_sent_twice_opens_one_thread(logged, insured):
    token = token_in(logged.get(NEW))
    first, second = logged.post(NEW, new_message(token)), logged.post(NEW, new_message(token))
    thread = Thread.objects.get(insured=insured)
    assert first["Location"] == second["Location"] == reverse("messaging:thread", args=[thread.public_id])
    assert thread.messages.count() == 1


@pytest.mark.django_db
def test_a_reply_sent_twice_is_one_message_and_a_refused_one_keeps_its_token(logged, insured):
    thread = ThreadFactory(insured=insured)
    token = token_in(logged.get(reverse("messaging:thread", args=[thread.public_id])))
    refused = logged.post(reply_url(thread), {"body": "", "idempotency_key": token})
    assert refused.status_code == 400 and token_in(refused) == token
    for _ in range(2):
        assert logged.post(reply_url(thread), {"body": "Merci.", "idempotency_key": token}).status_code == 302
    assert list(thread.messages.values_list("body", flat=True)) == ["Merci."]


@pytest.mark.django_db(transaction=True)
def test_the_new_message_form_sent_twice_at_once_opens_one_thread(insured):
    responses = post_at_once(insured.user, NEW, lambda: new_message("jeton-message-simultane-01"))
    assert [r.status_code for r in responses] == [302, 302]
    assert Thread.objects.filter(insured=insured).count() == 1 and Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_reply_sent_twice_at_once_is_one_message(insured):
    thread = ThreadFactory(insured=insured)
    responses = post_at_once(
        insured.user,
        reply_url(thread),
        lambda: {"body": "Merci.", "idempotency_key": "jeton-reponse-simultane-01"},
    )
    assert [r.status_code for r in responses] == [302, 302]
    assert thread.messages.count() == 1

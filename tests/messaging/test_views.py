"""Ma messagerie as the insured person sees it: inbox, new message, thread, reply."""

import html

import pytest
from django.urls import reverse

from messaging.models import Thread
from messaging.services.threads import message_reply_by_staff, notice_post, thread_start
from tests.factories import MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("messaging:inbox")
NEW = reverse("messaging:new")


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def client_insured(client, insured):
    client.force_login(insured.user)
    return client


def thread_url(thread):
    return reverse("messaging:thread", args=[thread.public_id])


def test_pages_need_a_login(client, insured):
    thread = ThreadFactory(insured=insured)
    for url in (INBOX, NEW, thread_url(thread)):
        response = client.get(url)
        assert response.status_code == 302 and "/compte/" in response["Location"]


def test_staff_accounts_have_no_message_box(client, agent):
    client.force_login(agent)
    assert client.get(INBOX).status_code == 404


def test_the_inbox_lists_threads_newest_first_and_marks_unread_and_notices(
    client_insured, insured, other_insured
):
    old = ThreadFactory(insured=insured, subject="Ancienne question")
    MessageFactory(thread=old, author_kind="insured")
    notice_post(insured=insured, subject="Décision sur votre demande", body="Acceptée.")
    ThreadFactory(insured=other_insured, subject="Pas à moi")
    page = text(client_insured.get(INBOX))
    assert page.index("Décision sur votre demande") < page.index("Ancienne question")
    assert "Avis de la caisse" in page
    assert "1 non lu" in page and "Non lu : </span>Décision" in page
    assert "Pas à moi" not in page


def test_the_inbox_is_paginated(client_insured, insured):
    for n in range(25):
        ThreadFactory(insured=insured, subject=f"Sujet {n}")
    page = text(client_insured.get(INBOX))
    assert "Page 1 sur 2" in page and page.count('class="inbox__item') == 20
    assert text(client_insured.get(INBOX, {"page": 2})).count('class="inbox__item') == 5


@pytest.mark.parametrize("threads", [1, 12])
def test_the_inbox_query_count_does_not_grow_with_threads(
    client_insured, insured, django_assert_num_queries, threads
):
    for _ in range(threads):
        MessageFactory(thread=ThreadFactory(insured=insured))
    client_insured.get(INBOX)  # the first request of a session creates its record (allauth's user sessions)
    # Every page: 1 session, 2 user (nothing written within the renewal interval:
    # tests/accounts/test_session_activity.py). This page: 3 threads counted by the paginator,
    # 4 the header's unread counter, 5 the page of threads with their unread messages counted
    # (a subquery).
    with django_assert_num_queries(5):
        response = client_insured.get(INBOX)
    assert response.status_code == 200


def test_writing_to_the_caisse_opens_a_thread(client_insured, insured):
    response = client_insured.post(
        NEW, {"topic": "carte_vitale", "subject": "Carte perdue", "body": "J'ai perdu ma carte Vitale."}
    )
    thread = Thread.objects.get(insured=insured)
    assert response.status_code == 302 and response["Location"] == thread_url(thread)
    page = text(client_insured.get(response["Location"]))
    assert "Votre message a été envoyé" in page and "J'ai perdu ma carte Vitale." in page
    assert thread.awaiting_answer


def test_the_new_message_form_explains_its_errors_in_french(client_insured, insured):
    response = client_insured.post(NEW, {"topic": "", "subject": "x" * 121, "body": ""})
    assert response.status_code == 400
    page = text(response)
    assert "3 erreurs à corriger" in page
    assert "Choisissez le thème de votre message." in page
    assert "L'objet est trop long : 120 caractères au plus (il en compte 121)." in page
    assert "Écrivez votre message." in page
    assert not Thread.objects.exists()


def test_opening_a_thread_shows_the_conversation_and_marks_the_caisses_messages_read(
    client_insured, insured, agent
):
    thread = thread_start(
        insured=insured, user=insured.user, topic="autre", subject="Question", body="Ma question"
    )
    message_reply_by_staff(thread=thread, staff_user=agent, body="Notre réponse")
    assert "1 message non lu" in text(client_insured.get(INBOX))
    page = text(client_insured.get(thread_url(thread)))
    assert page.index("Ma question") < page.index("Notre réponse")
    assert "Envoyer ma réponse" in page
    assert "message non lu" not in text(client_insured.get(INBOX))


def test_another_insured_persons_thread_is_not_found(client_insured, other_insured):
    thread = ThreadFactory(insured=other_insured)
    MessageFactory(thread=thread)
    assert client_insured.get(thread_url(thread)).status_code == 404
    reply = reverse("messaging:reply", args=[thread.public_id])
    assert client_insured.post(reply, {"body": "Intrusion"}).status_code == 404
    assert thread.messages.count() == 1
    assert thread.messages.get().read_at is None


def test_replying_adds_a_message(client_insured, insured):
    thread = ThreadFactory(insured=insured)
    reply = reverse("messaging:reply", args=[thread.public_id])
    response = client_insured.post(reply, {"body": "Une précision"})
    assert response.status_code == 302
    assert thread.messages.get().body == "Une précision"
    response = client_insured.post(reply, {"body": ""})
    assert response.status_code == 400 and "Écrivez votre message." in text(response)


def test_a_notice_and_a_closed_thread_have_no_reply_form(client_insured, insured):
    notice = notice_post(insured=insured, subject="Courrier envoyé", body="Nous vous avons écrit.")
    page = text(client_insured.get(thread_url(notice)))
    assert "Envoyer ma réponse" not in page and "n'appelle pas de réponse" in page
    closed = ThreadFactory(insured=insured, status="closed")
    MessageFactory(thread=closed)
    page = text(client_insured.get(thread_url(closed)))
    assert "Envoyer ma réponse" not in page and "clôturée" in page
    reply = reverse("messaging:reply", args=[notice.public_id])
    response = client_insured.post(reply, {"body": "Merci"}, follow=True)
    assert "n'accepte plus de réponse" in text(response)
    assert notice.messages.count() == 1


def test_html_in_messages_is_shown_as_text(client_insured, insured):
    thread = ThreadFactory(insured=insured)
    MessageFactory(thread=thread, body="<script>alert(1)</script>")
    assert b"<script>alert(1)</script>" not in client_insured.get(thread_url(thread)).content


def test_a_link_can_choose_the_topic_of_a_new_message(client_insured):
    # « Données personnelles » links here to ask for a rectification or to object.
    page = client_insured.get(NEW + "?theme=donnees").content.decode()
    assert '<option value="donnees" selected>' in page
    unknown = client_insured.get(NEW + "?theme=nimportequoi").content.decode()
    assert "selected>" not in unknown.replace('<option value="" selected>', "")

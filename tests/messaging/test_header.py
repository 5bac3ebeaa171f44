"""The unread counter: its context processor and the header link."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from messaging.context_processors import unread_messages
from messaging.services.threads import message_reply_by_staff, thread_start
from tests.factories import MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_counts_the_caisses_unread_messages_in_one_query(insured, other_insured, django_assert_num_queries):
    thread = ThreadFactory(insured=insured)
    MessageFactory(thread=thread)
    MessageFactory(thread=thread)
    MessageFactory(thread=thread, author_kind="insured")
    MessageFactory(thread=ThreadFactory(insured=insured), read_at=thread.last_message_at.replace(year=2099))
    MessageFactory(thread=ThreadFactory(insured=other_insured))
    context = unread_messages(request_for(insured.user))
    with django_assert_num_queries(1):
        assert context["unread_messages"]() == 2
        assert context["unread_messages"]() == 2  # asked twice, counted once


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_costs_nothing_for_visitors_and_staff(who, agent, django_assert_num_queries):
    user = AnonymousUser() if who == "anonymous" else agent
    with django_assert_num_queries(0):
        assert unread_messages(request_for(user))["unread_messages"]() == 0


def test_the_header_link_says_how_many_messages_are_unread(client, insured, agent):
    client.force_login(insured.user)
    home = reverse("accounts:home")
    page = client.get(home).content.decode()
    assert 'href="/messagerie/"' in page and "non lu" not in page
    thread = thread_start(insured=insured, user=insured.user, topic="autre", subject="Q", body="Question")
    message_reply_by_staff(thread=thread, staff_user=agent, body="R1")
    message_reply_by_staff(thread=thread, staff_user=agent, body="R2")
    page = client.get(home).content.decode()
    assert 'aria-label="Messagerie, 2 messages non lus"' in page
    assert '<span class="header-inbox__count" aria-hidden="true">2</span>' in page


def test_no_inbox_link_for_staff_or_visitors(client, agent):
    assert "/messagerie/" not in client.get(reverse("public:home")).content.decode()
    client.force_login(agent)
    assert 'href="/messagerie/"' not in client.get(reverse("public:home")).content.decode()

"""Demo message boxes: what the seed command puts in the demo accounts."""

import pytest
from django.core import mail

from messaging.demo import seed, seed_demo_messages
from messaging.models import Thread
from messaging.queries import unread_count

pytestmark = pytest.mark.django_db


def test_a_demo_box_has_an_answered_conversation_a_notice_and_one_unread_message(insured):
    threads = seed_demo_messages(insured)
    assert len(threads) == 3
    assert {t.kind for t in threads} == {Thread.Kind.CONVERSATION, Thread.Kind.NOTICE}
    assert unread_count(insured.pk) == 1
    assert Thread.objects.filter(insured=insured, awaiting_answer=True).count() == 1
    answered = threads[0]
    assert [m.author_kind for m in answered.messages.all()] == ["insured", "caisse"]
    assert mail.outbox == []  # demo history, not news


def test_seeding_twice_changes_nothing(insured, insured_without_account):
    seed()
    seed()
    assert Thread.objects.filter(insured=insured).count() == 3
    assert not Thread.objects.filter(insured=insured_without_account).exists()

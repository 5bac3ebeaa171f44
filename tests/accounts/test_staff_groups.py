"""The demo staff groups hold the rights each job needs, and no more."""

import pytest

from accounts.demo import seed_staff
from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents():
    seed_staff()
    return User.objects.get(username="conseiller"), User.objects.get(username="superviseur")


def test_a_conseiller_liquidates_but_only_a_superviseur_reverses(agents):
    conseiller, superviseur = agents
    assert conseiller.has_perm("reimbursements.post_caresheet")
    assert not conseiller.has_perm("reimbursements.reverse_caresheet")
    assert superviseur.has_perm("reimbursements.post_caresheet")
    assert superviseur.has_perm("reimbursements.reverse_caresheet")


def test_a_conseiller_processes_requests_and_answers_messages(agents):
    conseiller, _ = agents
    for perm in (
        "requests_app.change_request",
        "requests_app.view_attachment",
        "messaging.add_message",
        "messaging.change_thread",
        "accounts.change_healthcard",
    ):
        assert conseiller.has_perm(perm), perm
    for perm in (
        "requests_app.delete_request",
        "messaging.delete_message",
        "accounts.delete_healthcard",
        "reimbursements.change_payment",
    ):
        assert not conseiller.has_perm(perm), perm

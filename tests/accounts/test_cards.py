"""Health cards: order, deliver, oppose; the database refuses two cards in service."""

from datetime import date

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from accounts.models import HealthCard
from accounts.services.cards import (
    CardRefused,
    ceam_order,
    health_card_deliver,
    vitale_card_oppose,
    vitale_card_order,
)
from ameli_portal.models import AuditEvent
from tests.factories import BeneficiaryFactory, HealthCardFactory, InsuredFactory, StaffFactory

pytestmark = pytest.mark.django_db

Status = HealthCard.Status


def statuses(card):
    return [e.status for e in card.events.order_by("at", "pk")]


def test_opposing_puts_the_card_in_service_into_opposition_at_once(insured):
    card = HealthCardFactory(insured=insured)
    opposed = vitale_card_oppose(insured=insured, reason="theft")
    card.refresh_from_db()
    assert opposed == card
    assert card.status == Status.OPPOSED and card.opposition_reason == "theft"
    assert card.opposed_at is not None
    assert statuses(card) == [Status.OPPOSED]
    assert "vol" in card.events.get().note


def test_opposing_without_a_card_in_service_returns_none(insured):
    HealthCardFactory(insured=insured, status=Status.REPLACED)
    assert vitale_card_oppose(insured=insured, reason="loss") is None


def test_opposing_a_parents_card_leaves_the_childs_card_alone(insured):
    child = BeneficiaryFactory(insured=insured, birth_date=date(2008, 1, 1))
    own = HealthCardFactory(insured=insured)
    childs = HealthCardFactory(insured=insured, beneficiary=child)
    vitale_card_oppose(insured=insured, beneficiary=child, reason="loss")
    own.refresh_from_db()
    childs.refresh_from_db()
    assert (own.status, childs.status) == (Status.VALID, Status.OPPOSED)


def test_someone_elses_beneficiary_is_refused(insured, other_insured):
    stranger = BeneficiaryFactory(insured=other_insured, birth_date=date(2005, 1, 1))
    HealthCardFactory(insured=other_insured, beneficiary=stranger)
    with pytest.raises(CardRefused):
        vitale_card_oppose(insured=insured, beneficiary=stranger, reason="theft")
    with pytest.raises(CardRefused):
        vitale_card_order(insured=insured, beneficiary=stranger, reason="first")


def test_unknown_reasons_are_refused(insured):
    with pytest.raises(ValueError):
        vitale_card_oppose(insured=insured, reason="lost-at-sea")
    with pytest.raises(ValueError):
        vitale_card_order(insured=insured, reason="whim")


def test_renewal_keeps_the_current_card_valid_until_the_new_one_is_delivered(insured):
    current = HealthCardFactory(insured=insured)
    with time_machine.travel(date(2026, 5, 20)):
        new = vitale_card_order(insured=insured, reason="renewal")
    current.refresh_from_db()
    assert new.status == Status.ORDERED and new.kind == HealthCard.Kind.VITALE
    assert new.order_reason == "renewal" and new.beneficiary is None
    assert current.status == Status.VALID
    assert statuses(new) == [Status.ORDERED]

    with time_machine.travel(date(2026, 6, 3)):
        health_card_deliver(card=new)
    current.refresh_from_db()
    new.refresh_from_db()
    assert new.status == Status.VALID and new.valid_from == date(2026, 6, 3)
    assert new.valid_until is None
    assert current.status == Status.REPLACED and current.valid_until == date(2026, 6, 3)
    assert statuses(new) == [Status.ORDERED, Status.VALID]
    assert statuses(current)[-1] == Status.REPLACED
    assert new.serial_number[-4:] in current.events.last().note


def test_ordering_after_a_theft_opposes_a_card_still_in_service(insured):
    current = HealthCardFactory(insured=insured)
    new = vitale_card_order(insured=insured, reason="theft")
    current.refresh_from_db()
    assert current.status == Status.OPPOSED and current.opposition_reason == "theft"
    assert new.status == Status.ORDERED


def test_oppose_then_order_for_a_loss_gives_one_opposition_and_one_order(insured):
    current = HealthCardFactory(insured=insured)
    vitale_card_oppose(insured=insured, reason="loss")
    new = vitale_card_order(insured=insured, reason="loss")
    current.refresh_from_db()
    assert statuses(current) == [Status.OPPOSED]
    health_card_deliver(card=new)
    current.refresh_from_db()
    assert current.status == Status.OPPOSED  # an opposed card is never brought back


def test_a_second_order_joins_the_card_already_ordered(insured):
    first = vitale_card_order(insured=insured, reason="first")
    again = vitale_card_order(insured=insured, reason="malfunction")
    assert again == first
    assert HealthCard.objects.filter(insured=insured).count() == 1
    assert "déjà commandée" in first.events.last().note


def test_a_child_under_twelve_is_on_the_parents_card(insured):
    with time_machine.travel(date(2026, 6, 1)):
        child = BeneficiaryFactory(insured=insured, birth_date=date(2016, 2, 3))
        with pytest.raises(CardRefused, match="moins de 12 ans"):
            vitale_card_order(insured=insured, beneficiary=child, reason="first")
        teen = BeneficiaryFactory(insured=insured, birth_date=date(2012, 2, 3), first_names="Léo")
        card = vitale_card_order(insured=insured, beneficiary=teen, reason="first")
    assert card.beneficiary == teen and card.insured == insured


def test_only_an_ordered_card_can_be_delivered(insured):
    card = HealthCardFactory(
        insured=insured, status=Status.OPPOSED, opposition_reason="loss", opposed_at="2026-01-01T10:00Z"
    )
    with pytest.raises(CardRefused):
        health_card_deliver(card=card)


def test_ceam_is_valid_two_years_from_delivery(insured):
    card = ceam_order(insured=insured, departure_on=date(2026, 7, 14))
    assert (card.kind, card.status, card.departure_on) == (
        HealthCard.Kind.CEAM,
        Status.ORDERED,
        date(2026, 7, 14),
    )
    assert card.order_reason == "first"
    with time_machine.travel(date(2026, 6, 20)):
        health_card_deliver(card=card)
    card.refresh_from_db()
    assert (card.valid_from, card.valid_until) == (date(2026, 6, 20), date(2028, 6, 20))
    second = ceam_order(insured=insured, departure_on=date(2027, 7, 1))
    assert second.order_reason == "renewal"


def test_a_ceam_leaves_the_carte_vitale_alone(insured):
    vitale = HealthCardFactory(insured=insured)
    health_card_deliver(card=ceam_order(insured=insured, departure_on=date(2026, 8, 1)))
    vitale.refresh_from_db()
    assert vitale.status == Status.VALID


def test_staff_actions_are_audited_and_the_serial_is_masked(insured):
    agent = StaffFactory()
    card = vitale_card_order(insured=insured, reason="first", actor=agent)
    health_card_deliver(card=card, actor=agent)
    events = AuditEvent.objects.filter(object_type="accounts.healthcard", object_id=str(card.pk))
    assert {e.action for e in events} == {"health_card_order", "health_card_deliver"}
    assert all(e.actor == agent for e in events)
    assert all(card.serial_number not in e.summary for e in events)
    assert card.events.last().actor == agent
    assert str(card).endswith(card.serial_number[-4:]) and card.serial_number not in str(card)


def test_serials_are_random_digits():
    cards = HealthCardFactory.create_batch(3, status=Status.REPLACED)
    serials = {c.serial_number for c in cards}
    assert len(serials) == 3 and all(s.isdigit() and len(s) == 12 for s in serials)


# --- the database itself refuses, whatever the code does -----------------------------


def _raw_insert(card_like: HealthCard, *, status: str, serial: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_healthcard (public_id, insured_id, beneficiary_id, kind, status,"
            " serial_number, order_reason, ordered_at, valid_from, opposition_reason)"
            " VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, 'first', now(), '2024-01-01', '')",
            [card_like.insured_id, card_like.beneficiary_id, card_like.kind, status, serial],
        )


@pytest.mark.parametrize("status", ["valid", "ordered"])
@pytest.mark.parametrize("for_child", [False, True])
def test_database_refuses_a_second_card_of_a_kind_per_person(status, for_child):
    insured = InsuredFactory()
    child = BeneficiaryFactory(insured=insured, birth_date=date(2005, 1, 1)) if for_child else None
    card = HealthCardFactory(insured=insured, beneficiary=child, status=status)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_insert(card, status=status, serial="111122223333")


def test_database_accepts_one_valid_card_per_person_and_per_kind():
    insured = InsuredFactory()
    child = BeneficiaryFactory(insured=insured, birth_date=date(2005, 1, 1))
    card = HealthCardFactory(insured=insured)
    HealthCardFactory(insured=insured, beneficiary=child)
    HealthCardFactory(insured=insured, kind="ceam")
    HealthCardFactory(insured=InsuredFactory())
    _raw_insert(card, status="replaced", serial="444455556666")
    assert HealthCard.objects.filter(status="valid").count() == 4


def test_database_refuses_an_opposition_without_date_or_reason(insured):
    card = HealthCardFactory(insured=insured)
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthCard.objects.filter(pk=card.pk).update(status="opposed")


def test_database_refuses_a_serial_that_is_not_twelve_digits(insured):
    card = HealthCardFactory(insured=insured, status="replaced")
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthCard.objects.filter(pk=card.pk).update(serial_number="12AB")


def test_demo_gives_each_person_of_sixteen_a_card_and_is_idempotent():
    from accounts import demo
    from accounts.models import Insured

    demo.seed()
    first = sorted(HealthCard.objects.values_list("serial_number", "status"))
    demo.seed()
    assert sorted(HealthCard.objects.values_list("serial_number", "status")) == first
    for insured in Insured.objects.filter(user__isnull=False):
        assert insured.health_cards.filter(beneficiary=None, kind="vitale", status="valid").count() == 1
    mael = HealthCard.objects.get(beneficiary__first_names="Maël")
    assert mael.status == "valid" and mael.events.exists()
    assert not HealthCard.objects.filter(beneficiary__first_names="Lou").exists()
    assert HealthCard.objects.filter(status="opposed", insured__last_name="Richard").exists()
    assert HealthCard.objects.filter(status="ordered", insured__last_name="Lefebvre").exists()
    assert Insured.objects.get(last_name="Martin").get_family_situation_display() == "Pacsé·e"


def test_the_insured_persons_own_step_is_in_the_history_not_in_the_staff_audit(insured):
    HealthCardFactory(insured=insured)
    card = vitale_card_oppose(insured=insured, reason="loss", actor=insured.user)
    assert card.events.get().actor == insured.user
    assert not AuditEvent.objects.filter(object_type="accounts.healthcard").exists()


def test_a_ceam_past_its_end_date_expires_and_says_so(insured):
    from accounts.services.cards import health_cards_expire

    with time_machine.travel(date(2024, 5, 2)):
        card = health_card_deliver(card=ceam_order(insured=insured, departure_on=date(2024, 6, 1)))
    vitale = HealthCardFactory(insured=insured)
    assert health_cards_expire(today=date(2026, 5, 2)) == 0  # its last day
    assert health_cards_expire(today=date(2026, 5, 3)) == 1
    card.refresh_from_db()
    vitale.refresh_from_db()
    assert (card.status, vitale.status) == (Status.EXPIRED, Status.VALID)
    assert "échéance le 02/05/2026" in card.events.last().note
    assert health_cards_expire(today=date(2026, 5, 3)) == 0

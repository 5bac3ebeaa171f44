"""Changes to the register: IBAN (with the owner told), beneficiaries, family situation."""

from datetime import date

import pytest
import time_machine
from django.core import mail
from schwifty import IBAN

from accounts.models import Beneficiary, FamilySituation, IbanHistory
from accounts.services.register import (
    beneficiary_attach,
    insured_change_family_situation,
    insured_change_iban,
)
from ameli_portal.models import AuditEvent
from tests.factories import InsuredFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

OLD = IBAN.generate("FR", bank_code="30004", branch_code="00550", account_code="00000000201").compact
NEW = IBAN.generate("FR", bank_code="20041", branch_code="01005", account_code="0500013M026").compact


def iban_mails():
    return [m for m in mail.outbox if "coordonnées bancaires" in m.subject]


def test_new_iban_replaces_the_old_one_which_is_kept_in_the_history():
    insured = InsuredFactory(iban=OLD)
    agent = StaffFactory()
    with time_machine.travel(date(2026, 5, 4)):
        insured_change_iban(
            insured=insured, iban=" ".join([NEW[i : i + 4] for i in range(0, 27, 4)]).lower(), actor=agent
        )
    insured.refresh_from_db()
    assert insured.iban == NEW
    old = IbanHistory.objects.get(insured=insured)
    assert (old.iban, old.valid_until, old.changed_by) == (OLD, date(2026, 5, 4), agent)
    assert old.valid_from <= old.valid_until
    audit = AuditEvent.objects.get(action="iban_change", object_id=str(insured.pk))
    assert audit.actor == agent and NEW not in audit.summary and NEW[-4:] in audit.summary


def test_a_second_change_starts_where_the_first_ended():
    insured = InsuredFactory(iban=OLD)
    with time_machine.travel(date(2026, 5, 4)):
        insured_change_iban(insured=insured, iban=NEW)
    with time_machine.travel(date(2026, 9, 1)):
        insured_change_iban(insured=insured, iban=OLD)
    periods = list(
        IbanHistory.objects.filter(insured=insured)
        .order_by("valid_until")
        .values_list("iban", "valid_from", "valid_until")
    )
    assert periods[1] == (NEW, date(2026, 5, 4), date(2026, 9, 1))


def test_first_iban_on_file_leaves_no_history_and_same_iban_changes_nothing():
    insured = InsuredFactory(iban="")
    insured_change_iban(insured=insured, iban=NEW)
    assert not IbanHistory.objects.exists()
    mail.outbox.clear()
    insured_change_iban(insured=insured, iban=NEW)
    assert not IbanHistory.objects.exists() and not iban_mails()


@pytest.mark.parametrize("bad", ["FR76 3000 4005 5000 0000 0201 00", "FR00", "pas un iban", ""])
def test_a_bad_iban_is_refused_in_french_and_changes_nothing(bad):
    insured = InsuredFactory(iban=OLD)
    with pytest.raises(ValueError, match="IBAN n'est pas valide"):
        insured_change_iban(insured=insured, iban=bad)
    insured.refresh_from_db()
    assert insured.iban == OLD and not IbanHistory.objects.exists() and not iban_mails()


def test_a_wrong_french_rib_key_is_refused():
    # Valid IBAN check digits computed over a BBAN whose RIB key is wrong.
    bban = "30004005500000000020100"
    digits = "".join(str(int(c, 36)) for c in bban + "FR00")
    wrong_rib = f"FR{98 - int(digits) % 97:02d}{bban}"
    IBAN(wrong_rib)  # the IBAN's own check digits are right
    with pytest.raises(ValueError):
        insured_change_iban(insured=InsuredFactory(iban=OLD), iban=wrong_rib)


def test_both_addresses_of_record_are_told_without_the_full_iban():
    user = UserFactory(email="compte@exemple.test", insured__email="registre@exemple.test", insured__iban=OLD)
    insured_change_iban(insured=user.insured, iban=NEW)
    [message] = iban_mails()
    assert sorted(message.to) == ["compte@exemple.test", "registre@exemple.test"]
    assert message.subject == "Vos coordonnées bancaires ont été modifiées"
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert NEW[-4:] in text
        assert NEW not in text and NEW[-7:] not in text and OLD[-4:] not in text
        assert user.insured.nir not in text


def test_the_same_address_twice_is_told_once():
    user = UserFactory(email="Meme@Exemple.test", insured__email="meme@exemple.test", insured__iban=OLD)
    insured_change_iban(insured=user.insured, iban=NEW)
    [message] = iban_mails()
    assert message.to == ["Meme@Exemple.test"]


def test_an_insured_without_account_is_told_at_the_registers_address():
    insured = InsuredFactory(iban=OLD, email="registre@exemple.test")
    insured_change_iban(insured=insured, iban=NEW)
    [message] = iban_mails()
    assert message.to == ["registre@exemple.test"]


def test_beneficiary_attach_creates_a_child_once():
    insured = InsuredFactory()
    agent = StaffFactory()
    child = beneficiary_attach(
        insured=insured,
        last_name="Nom",
        first_names="Jeanne  Marie",
        birth_date=date(2024, 3, 1),
        sex="2",
        actor=agent,
    )
    assert child.relationship == Beneficiary.Relationship.CHILD
    assert (child.insured, child.first_names) == (insured, "Jeanne Marie")
    again = beneficiary_attach(
        insured=insured, last_name="Nom", first_names="jeanne marie", birth_date=date(2024, 3, 1), sex="2"
    )
    assert again == child and insured.beneficiaries.count() == 1
    assert AuditEvent.objects.filter(action="beneficiary_attach", actor=agent).count() == 1


def test_beneficiary_attach_refuses_nonsense():
    insured = InsuredFactory()
    with pytest.raises(ValueError):
        beneficiary_attach(
            insured=insured, last_name="Nom", first_names="Léo", birth_date=date(2099, 1, 1), sex="1"
        )
    with pytest.raises(ValueError):
        beneficiary_attach(
            insured=insured, last_name="Nom", first_names="Léo", birth_date=date(2020, 1, 1), sex="X"
        )
    with pytest.raises(ValueError):
        beneficiary_attach(
            insured=insured,
            last_name="Nom",
            first_names="Léo",
            birth_date=date(2020, 1, 1),
            sex="1",
            relationship="cousin",
        )
    assert not insured.beneficiaries.exists()


def test_family_situation_is_recorded_with_its_history():
    insured = InsuredFactory()
    agent = StaffFactory()
    insured_change_family_situation(insured=insured, situation="pacse", since=date(2022, 6, 1))
    insured_change_family_situation(
        insured=insured, situation=FamilySituation.MARRIED, since=date(2025, 9, 13), actor=agent
    )
    assert (insured.family_situation, insured.family_situation_since) == ("marie", date(2025, 9, 13))
    insured.refresh_from_db()
    assert insured.get_family_situation_display() == "Marié·e"
    history = list(
        insured.family_situation_changes.order_by("created_at", "pk").values_list("situation", "changed_by")
    )
    assert history == [("pacse", None), ("marie", agent.pk)]
    assert AuditEvent.objects.filter(action="family_situation_change", actor=agent).exists()


def test_family_situation_refuses_unknown_values_and_future_dates():
    insured = InsuredFactory()
    with pytest.raises(ValueError):
        insured_change_family_situation(insured=insured, situation="complique", since=date(2020, 1, 1))
    with pytest.raises(ValueError):
        insured_change_family_situation(insured=insured, situation="marie", since=date(2099, 1, 1))
    insured.refresh_from_db()
    assert insured.family_situation == "" and not insured.family_situation_changes.exists()

"""Posting care, the immutable ledger, reversals and the payment run."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction

from reimbursements.models import Account, Journal, LedgerEntry, Payment, Settlement
from reimbursements.queries import ledger_balance
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post, settlement_reverse
from tests.factories import CareActFactory, CareSheetFactory, ProfessionalFactory, StaffFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def agent(db):
    return StaffFactory()


def post_gp(insured, agent, *, day=date(2026, 3, 10), charged="30.00", **sheet):
    act = CareActFactory(sheet=CareSheetFactory(insured=insured, **sheet), care_date=day, charged=D(charged))
    return care_sheet_post(sheet=act.sheet, actor=agent)


def test_posting_a_gp_consultation_pays_19_euros(insured, agent):
    [s] = post_gp(insured, agent)
    assert (s.base, s.rate, s.amo, s.participation_withheld, s.paid) == (
        D("30.00"),
        D("0.70"),
        D("21.00"),
        D("2.00"),
        D("19.00"),
    )
    assert s.ticket_moderateur == D("9.00") and s.payee == "insured"
    assert ledger_balance(account=Account.INSURED_PAYABLE, insured=insured) == D("-19.00")
    assert ledger_balance() == 0


def test_posting_twice_does_not_settle_twice(insured, agent):
    [s] = post_gp(insured, agent)
    again = care_sheet_post(sheet=s.act.sheet, actor=agent)
    assert [x.pk for x in again] == [s.pk]
    assert Journal.objects.count() == 1


def test_daily_participation_cap_counts_earlier_sheets(insured, agent):
    doctor = ProfessionalFactory()
    for _ in range(4):
        post_gp(insured, agent, professional=doctor)
    [fifth] = post_gp(insured, agent, professional=doctor)
    assert fifth.participation_withheld == 0 and fifth.paid == D("21.00")


def test_the_database_refuses_to_edit_or_delete_a_ledger_entry(insured, agent):
    post_gp(insured, agent)
    entry = LedgerEntry.objects.first()
    for sql in (
        "UPDATE reimbursements_ledgerentry SET amount = amount + 1 WHERE id = %s",
        "DELETE FROM reimbursements_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_journal_that_does_not_balance(insured):
    journal = Journal.objects.create(kind="settlement")
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        LedgerEntry.objects.create(journal=journal, account="expense", amount=D("5.00"))
        LedgerEntry.objects.create(journal=journal, account="bank", amount=D("-4.00"))
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_batch_in_which_one_journal_does_not_balance(insured):
    """The balance is checked once per statement over its new entries (a transition table):
    one unbalanced journal among many refuses the whole statement, written around the ORM."""
    journals = [Journal.objects.create(kind="settlement") for _ in range(50)]
    values = []
    for n, journal in enumerate(journals):
        credit = D("-4.00") if n == 37 else D("-5.00")  # the 38th is one euro short
        values += [(journal.pk, "expense", D("5.00")), (journal.pk, "insured_payable", credit)]
    sql = "INSERT INTO reimbursements_ledgerentry (journal_id, account, amount) VALUES " + ", ".join(
        ["(%s, %s, %s)"] * len(values)
    )
    with (
        pytest.raises(DatabaseError, match=f"journal {journals[37].pk} does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [v for row in values for v in row])
    assert not LedgerEntry.objects.exists()
    # The same batch, balanced, goes in whole; a journal's legs cannot be split over statements.
    values[75] = (journals[37].pk, "insured_payable", D("-5.00"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [v for row in values for v in row])
    assert LedgerEntry.objects.count() == 100 and ledger_balance() == 0
    late = Journal.objects.create(kind="settlement")
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        LedgerEntry.objects.create(journal=late, account="expense", amount=D("5.00"))
        LedgerEntry.objects.create(journal=late, account="insured_payable", amount=D("-5.00"))
    assert LedgerEntry.objects.count() == 100


def test_a_reversal_is_an_opposite_journal_never_an_edit(insured, agent):
    [s] = post_gp(insured, agent)
    with pytest.raises(ValueError):
        settlement_reverse(settlement=s, actor=agent, reason="  ")
    settlement_reverse(settlement=s, actor=agent, reason="Acte saisi deux fois")
    assert ledger_balance(account=Account.INSURED_PAYABLE, insured=insured) == 0
    assert Journal.objects.filter(kind="reversal").count() == 1
    assert Settlement.objects.get(pk=s.pk).paid == D("19.00")  # the settlement itself is untouched
    with pytest.raises(ValueError):
        settlement_reverse(settlement=s, actor=agent, reason="encore")


def test_payment_run_pays_each_insured_once_and_tells_them_without_health_detail(
    insured, agent, django_capture_on_commit_callbacks
):
    post_gp(insured, agent)
    post_gp(insured, agent, day=date(2026, 3, 11))
    with django_capture_on_commit_callbacks(execute=True):
        [payment] = payments_run(day=date(2026, 3, 14))
    assert payment.amount == D("38.00") and payment.insured == insured
    assert payment.iban == insured.iban
    assert ledger_balance(account=Account.INSURED_PAYABLE, insured=insured) == 0
    assert payments_run(day=date(2026, 3, 15)) == []
    [message] = [m for m in mail.outbox if insured.contact_email in m.to]
    assert "38,00" in message.body
    for detail in ("G", "Consultation", "Dr ", insured.nir):
        assert detail not in message.body.replace("Bonjour", "")


def test_tiers_payant_pays_the_professional_and_carries_the_deduction(insured, agent):
    doctor = ProfessionalFactory()
    [tp] = post_gp(insured, agent, professional=doctor, tiers_payant=True)
    assert tp.payee == "professional" and tp.paid == D("21.00") and tp.carried_forward == D("2.00")
    [later] = post_gp(insured, agent, day=date(2026, 3, 20))
    assert later.debt_recovered == D("2.00") and later.paid == D("17.00")
    payments = payments_run(day=date(2026, 3, 21))
    assert {(p.professional_id, p.insured_id, p.amount) for p in payments} == {
        (doctor.pk, None, D("21.00")),
        (None, insured.pk, D("17.00")),
    }
    assert ledger_balance() == 0


def test_a_paid_act_reversed_is_recovered_from_the_next_payment(insured, agent):
    [first] = post_gp(insured, agent)
    payments_run(day=date(2026, 3, 12))
    settlement_reverse(settlement=first, actor=agent, reason="Erreur de bénéficiaire")
    post_gp(insured, agent, day=date(2026, 3, 25))
    post_gp(insured, agent, day=date(2026, 3, 26))
    payments = payments_run(day=date(2026, 3, 28))
    assert [p.amount for p in payments] == [D("19.00")]  # 38.00 due - 19.00 paid by mistake
    assert Payment.objects.count() == 2


def test_an_act_reversed_before_payment_is_neither_paid_nor_deducted_later(insured, agent):
    [wrong] = post_gp(insured, agent)
    settlement_reverse(settlement=wrong, actor=agent, reason="Saisie en double")
    post_gp(insured, agent, day=date(2026, 3, 11))
    assert [p.amount for p in payments_run(day=date(2026, 3, 13))] == [D("19.00")]
    post_gp(insured, agent, day=date(2026, 3, 16))
    assert [p.amount for p in payments_run(day=date(2026, 3, 20))] == [D("19.00")]
    assert ledger_balance(account=Account.INSURED_PAYABLE, insured=insured) == 0


# --- An act cancelled after its deductions were carried forward ------------------------


def carry_franchises(insured, agent, *, day=date(2026, 3, 2), boxes=3):
    """Boxes under tiers payant: their franchises (1 EUR a box) are carried forward."""
    pharmacy = ProfessionalFactory(kind="medicine", specialty="")
    act = CareActFactory(
        sheet=CareSheetFactory(insured=insured, professional=pharmacy, tiers_payant=True),
        care_date=day,
        act_code="PH7",
        kind="medicine",
        charged=D("3.10") * boxes,
        base=D("3.10"),
        medicine_rate=D("0.65"),
        quantity=boxes,
    )
    [s] = care_sheet_post(sheet=act.sheet, actor=agent)
    assert s.carried_forward == D(boxes)
    return s


def receivable(insured):
    return ledger_balance(account=Account.RECEIVABLE, insured=insured)


def test_a_cancelled_act_s_carried_deductions_are_not_recovered(insured, agent):
    boxes = carry_franchises(insured, agent)
    settlement_reverse(settlement=boxes, actor=agent, reason="Boîtes non délivrées")
    assert receivable(insured) == 0
    [consultation] = post_gp(insured, agent)
    assert (consultation.debt_recovered, consultation.paid) == (0, D("19.00"))


def test_a_recovery_made_for_an_act_cancelled_since_is_given_back_on_the_next_payment(insured, agent):
    boxes = carry_franchises(insured, agent)
    [consultation] = post_gp(insured, agent)
    assert (consultation.debt_recovered, consultation.paid) == (D("3.00"), D("16.00"))
    payments_run(day=date(2026, 3, 11))
    settlement_reverse(settlement=boxes, actor=agent, reason="Boîtes non délivrées")
    refund = boxes.reversal.refund
    assert (refund.amount, refund.payment, receivable(insured)) == (D("3.00"), None, 0)
    # Nothing else due: the refund is paid on its own, to the insured.
    # (The pharmacy owes the boxes back: nothing is paid to it until that is made up.)
    [to_insured] = payments_run(day=date(2026, 3, 12))
    assert (to_insured.insured_id, to_insured.amount) == (insured.pk, D("3.00"))
    refund.refresh_from_db()
    assert refund.payment == to_insured
    assert ledger_balance(account=Account.INSURED_PAYABLE, insured=insured) == 0 and ledger_balance() == 0
    assert payments_run(day=date(2026, 3, 13)) == []  # given back once


def test_the_migration_gives_back_what_was_recovered_before_it(insured, agent):
    """Data from before the fix: a cancellation that left the patient's debt below zero."""
    from django.apps import apps

    from reimbursements.models import Reversal
    from reimbursements.services.posting import _journal, settlement_legs

    migration = __import__("reimbursements.migrations.0009_deduction_refunds", fromlist=["x"])
    boxes = carry_franchises(insured, agent)
    post_gp(insured, agent)
    with transaction.atomic():  # what settlement_reverse wrote before the fix: no refund
        Reversal.objects.create(settlement=boxes, reason="Erreur", actor=agent)
        _journal(
            kind=Journal.Kind.REVERSAL,
            settlement=boxes,
            actor=agent,
            legs=settlement_legs(
                boxes, insured_id=insured.pk, professional_id=boxes.act.sheet.professional_id, sign=-1
            ),
        )
    assert receivable(insured) == D("-3.00")
    migration.refund_over_recoveries(apps, None)
    assert receivable(insured) == 0
    payment = next(p for p in payments_run(day=date(2026, 3, 12)) if p.insured_id == insured.pk)
    assert payment.amount == D("16.00") + D("3.00")  # the consultation and the refund

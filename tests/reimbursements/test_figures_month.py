"""« Mes paiements » reads its counters and chart from rows kept per person and month
(reimbursements/aggregates.py), never from the history: each writer computes them again in
its own transaction. Here, after each writer, the page shows exactly what a reading of the
person's lines themselves gives (the counters and the chart rendered from that reading are
in the page, character for character); a generated sequence of writes checks the same; the
backfill and the command give the same rows; the page reads at most 13 rows a person.
"""

import importlib
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reimbursements import aggregates, queries
from reimbursements.aggregates import figures_refresh
from reimbursements.models import ZERO, FiguresMonth, PaymentFigures, Settlement
from reimbursements.services.importing import import_care_sheets
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post, settlement_reverse
from reimbursements.views import CHART_TEMPLATE, COUNTERS_TEMPLATE
from tests.factories import (
    BeneficiaryFactory,
    CareActFactory,
    CareSheetFactory,
    InsuredFactory,
    ProfessionalFactory,
)
from tests.reimbursements.test_import import act_row, to_csv

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


def from_the_lines(insured, today=TODAY):
    """The counters and the chart read from the person's settlements one by one (the ledger's
    lines), as queries.yearly_counters and queries.monthly_reimbursements take them."""
    first = queries.months_back(today.replace(day=1), queries.CHART_MONTHS - 1)
    people, months = defaultdict(lambda: [ZERO] * 5), defaultdict(lambda: ZERO)
    for s in Settlement.objects.filter(insured=insured).select_related("payment", "reversal"):
        if hasattr(s, "reversal"):
            continue  # cancelled: counts nowhere
        person = people[s.beneficiary_id]
        if s.care_date.year == today.year:
            person[0] += s.participation_due
            person[1] += s.franchise_due
            person[2] += s.participation_withheld + s.franchise_withheld
            person[3] += s.carried_forward
        person[4] += s.carried_forward - s.debt_recovered
        if s.payment is not None and s.payment.paid_on >= first:
            months[s.payment.paid_on.replace(day=1)] += s.paid
    beneficiaries = list(insured.beneficiaries.all())
    counters = queries.yearly_counters(
        insured, beneficiaries, today, {k: tuple(v) for k, v in people.items()}
    )
    return counters, queries.monthly_reimbursements(today, dict(months))


def rendered(counters, chart, today=TODAY) -> tuple[str, str]:
    return (
        render_to_string(COUNTERS_TEMPLATE, {"counters": counters, "year": today.year}),
        render_to_string(CHART_TEMPLATE, {"chart": chart}),
    )


def assert_page_agrees_with_the_lines(client, insured):
    """The page (cold or warm: whatever the cache holds) shows the figures of the lines."""
    client.force_login(insured.user)
    response = client.get(reverse("reimbursements:payments"))
    assert response.status_code == 200
    page = response.content.decode()
    counters_html, chart_html = rendered(*from_the_lines(insured))
    assert counters_html in page
    assert chart_html in page


def assert_rows_agree_with_the_lines(insured):
    kept = queries.household_figures(insured, list(insured.beneficiaries.all()), TODAY)
    assert rendered(*kept) == rendered(*from_the_lines(insured))


def care(insured, *, day, beneficiary=None, pharmacy=None, boxes=1):
    """A GP consultation (participation forfaitaire withheld from the payment), or under tiers
    payant ``boxes`` boxes of medicine at ``pharmacy`` (franchises carried forward: the payment
    goes to the pharmacy, nothing can be withheld from it)."""
    if pharmacy is not None:
        act = CareActFactory(
            sheet=CareSheetFactory(
                insured=insured,
                beneficiary=beneficiary,
                professional=pharmacy,
                tiers_payant=True,
                received_on=day,
            ),
            care_date=day,
            kind="medicine",
            act_code="PH7",
            label="Boîte",
            charged=D("3.10") * boxes,
            base=D("3.10") * boxes,
            medicine_rate=D("0.65"),
            quantity=boxes,
        )
    else:
        sheet = CareSheetFactory(insured=insured, beneficiary=beneficiary, received_on=day)
        act = CareActFactory(
            sheet=sheet, care_date=day, charged=D("30.00"), kind="doctor", act_code="G", label="Consultation"
        )
    [settlement] = care_sheet_post(sheet=act.sheet, actor=None)
    return settlement


@pytest.fixture
def pharmacy(db):
    return ProfessionalFactory(kind="medicine", specialty="")


@pytest.fixture
def household(insured):
    return insured, BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2016, 2, 3))


# --- each writer ---------------------------------------------------------------------------------


def test_posting_one_sheet(client, household, pharmacy):
    insured, child = household
    care(insured, day=date(2026, 3, 2))
    care(insured, day=date(2026, 3, 3), beneficiary=child, pharmacy=pharmacy, boxes=3)
    care(insured, day=date(2025, 12, 30))  # last year: in the chart's months, not in this year's counters
    assert_rows_agree_with_the_lines(insured)
    assert_page_agrees_with_the_lines(client, insured)
    care(insured, day=date(2026, 3, 9), beneficiary=child)
    assert_page_agrees_with_the_lines(client, insured)


def test_a_payment_run_to_the_insured_and_to_a_professional(client, household, pharmacy):
    insured, child = household
    care(insured, day=date(2026, 1, 5), pharmacy=pharmacy, boxes=2)  # carried forward
    assert_page_agrees_with_the_lines(client, insured)
    payments_run(day=date(2026, 1, 6))  # to the pharmacy
    assert_page_agrees_with_the_lines(client, insured)
    care(insured, day=date(2026, 2, 2), beneficiary=child)
    care(insured, day=date(2026, 2, 2))  # recovers what was carried forward
    payments_run(day=date(2026, 2, 3))  # to the insured
    shown = from_the_lines(insured)
    assert shown[1].total > 0 and any(c.carried_forward for c in shown[0])
    assert_rows_agree_with_the_lines(insured)
    assert_page_agrees_with_the_lines(client, insured)


def test_reversals_before_and_after_payment(client, insured, staff):
    before = care(insured, day=date(2026, 2, 2))
    settlement_reverse(settlement=before, actor=staff, reason="Doublon")
    assert_page_agrees_with_the_lines(client, insured)
    after = care(insured, day=date(2026, 2, 3))
    care(insured, day=date(2026, 2, 4))
    payments_run(day=date(2026, 2, 5))
    assert_page_agrees_with_the_lines(client, insured)
    settlement_reverse(settlement=after, actor=staff, reason="Acte saisi deux fois")
    assert_page_agrees_with_the_lines(client, insured)
    care(insured, day=date(2026, 3, 2))
    payments_run(day=date(2026, 3, 3))  # takes back the act paid and cancelled since
    assert_rows_agree_with_the_lines(insured)
    assert_page_agrees_with_the_lines(client, insured)


def test_an_import(client, household, other_insured, staff):
    insured, child = household
    doctor = ProfessionalFactory()
    care(insured, day=date(2026, 3, 2))
    assert_page_agrees_with_the_lines(client, insured)
    rows = [
        act_row("A", insured.nir, doctor.rpps, care_date="2026-03-09"),
        act_row("B", insured.nir, doctor.rpps, care_date="2026-03-10", beneficiary_birth_date="03/02/2016"),
        act_row("C", other_insured.nir, doctor.rpps, care_date="2026-03-11"),
    ]
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=staff)
    assert report.sheets_posted == 3 and not report.rejected
    assert Settlement.objects.filter(beneficiary=child).exists()
    for person in (insured, other_insured):
        assert_rows_agree_with_the_lines(person)
        assert_page_agrees_with_the_lines(client, person)


# --- any sequence of writes ----------------------------------------------------------------------

SHEET = st.tuples(st.integers(0, 2), st.integers(0, 500), st.booleans())  # who, day, tiers payant
WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("care"), st.integers(0, 2), st.integers(0, 500), st.booleans()),
        st.tuples(st.just("pay"), st.integers(0, 500)),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
        st.tuples(
            st.just("import"),
            st.lists(SHEET, min_size=1, max_size=3),
        ),
    ),
    min_size=1,
    max_size=12,
)

FIELDS = ("beneficiary", "month", "participation_due", "franchise_due", "withheld", "carried_forward")
FIELDS += ("paid", "outstanding")


def kept_rows(*people) -> list[tuple]:
    rows = FiguresMonth.objects.filter(insured__in=people).values_list("insured", *FIELDS)
    return sorted(rows, key=str)


def assert_kept_rows_are_the_rows_computed_again(*people):
    """What the writes adjusted, row for row, is what the full recompute (the backfill's, the
    rebuild command's) computes from the lines and the ledger."""
    kept = kept_rows(*people)
    figures_refresh(insured_ids=[p.pk for p in people])
    assert kept == kept_rows(*people)


def import_rows(sheets, people, pharmacy, start, ref):
    """CSV rows of an import batch: one sheet a line, a GP consultation or (tiers payant)
    two boxes of medicine at the pharmacy."""
    doctor, rows = ProfessionalFactory(), []
    for n, (who, day, tiers) in enumerate(sheets):
        person, beneficiary = people[who]
        on = start + timedelta(days=day)
        common = {
            "care_date": on.isoformat(),
            "received_on": on.strftime("%d/%m/%Y"),
            "beneficiary_birth_date": beneficiary.birth_date.strftime("%d/%m/%Y") if beneficiary else "",
        }
        if tiers:
            act = {"act_code": "PH7", "kind": "medicine", "medicine_rate": "65", "charged": "6.20"}
            act |= {"quantity": "2", "base": "3.10", "tiers_payant": "oui"}
            rows.append(act_row(f"{ref}-{n}", person.nir, pharmacy.rpps, label="Boîte", **common, **act))
        else:
            rows.append(act_row(f"{ref}-{n}", person.nir, doctor.rpps, **common))
    return rows


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=WRITES)
def test_any_sequence_of_writes_keeps_the_rows_equal_to_the_lines(
    household, other_insured, pharmacy, staff, writes
):
    """Care for the insured, their child or someone else, on any day of the history (the
    counters' year, the chart's months, older), one sheet at a time or by an import batch,
    paid and cancelled in any order: the rows the writes adjusted are those computed again
    from the lines, and the page's figures those of the lines."""
    insured, child = household
    people = [(insured, None), (insured, child), (other_insured, None)]
    with transaction.atomic():
        start = date(2024, 11, 1)
        for n, write in enumerate(writes):
            if write[0] == "import":
                rows = import_rows(write[1], people, pharmacy, start, ref=f"H{n}")
                report = import_care_sheets(io.StringIO(to_csv(rows)), actor=staff)
                assert report.sheets_posted == len(rows), report.rejected
            elif write[0] == "care":
                _, who, day, tiers = write
                person, beneficiary = people[who]
                care(
                    person,
                    day=start + timedelta(days=day),
                    beneficiary=beneficiary,
                    pharmacy=pharmacy if tiers else None,
                    boxes=1 + day % 3,
                )
            elif write[0] == "pay":
                payments_run(day=start + timedelta(days=write[1]))
            else:
                live = list(Settlement.objects.filter(reversal__isnull=True).order_by("id"))
                if live:
                    settlement_reverse(settlement=live[write[1] % len(live)], actor=staff, reason="Erreur")
        for person in (insured, other_insured):
            assert_rows_agree_with_the_lines(person)
        assert_kept_rows_are_the_rows_computed_again(insured, other_insured)
        transaction.set_rollback(True)


# --- existing data -------------------------------------------------------------------------------


def _history(insured, child, pharmacy, staff):
    for n in range(30):
        care(
            insured,
            day=date(2024, 1, 3) + timedelta(days=27 * n),
            beneficiary=child if n % 3 else None,
            pharmacy=pharmacy if n % 4 == 0 else None,
        )
        if n % 2:
            payments_run(day=date(2024, 1, 4) + timedelta(days=27 * n))
    settlement_reverse(settlement=Settlement.objects.order_by("id")[5], actor=staff, reason="Doublon")


def test_the_backfill_migration_and_the_command_give_the_rows_back(
    client, household, other_insured, pharmacy, staff
):
    insured, child = household
    _history(insured, child, pharmacy, staff)
    care(other_insured, day=date(2026, 3, 2))
    kept = sorted(
        FiguresMonth.objects.values_list(
            "insured",
            "beneficiary",
            "month",
            "participation_due",
            "franchise_due",
            "withheld",
            "carried_forward",
            "paid",
            "outstanding",
        ),
        key=str,
    )
    assert len(kept) > 13
    stale = FiguresMonth.objects.create(insured=InsuredFactory(), month=date(2026, 1, 1), paid=D("1.00"))
    migration = importlib.import_module("reimbursements.migrations.0011_figures_month_backfill")
    for rebuild in (
        lambda: migration.backfill(apps, None),
        lambda: call_command("rebuild_payment_figures", stdout=io.StringIO()),
    ):
        FiguresMonth.objects.filter(insured__in=[insured, other_insured]).delete()
        PaymentFigures.objects.all().delete()
        rebuild()
        assert (
            sorted(
                FiguresMonth.objects.values_list(
                    "insured",
                    "beneficiary",
                    "month",
                    "participation_due",
                    "franchise_due",
                    "withheld",
                    "carried_forward",
                    "paid",
                    "outstanding",
                ),
                key=str,
            )
            == kept
        )
        assert not FiguresMonth.objects.filter(pk=stale.pk).exists()  # someone without lines: no rows
        assert set(PaymentFigures.objects.values_list("insured", flat=True)) == {insured.pk, other_insured.pk}
        assert_page_agrees_with_the_lines(client, insured)


def test_the_page_reads_at_most_13_rows_a_person_whatever_the_history(household, pharmacy, staff):
    insured, child = household
    _history(insured, child, pharmacy, staff)
    first = queries.months_back(TODAY.replace(day=1), queries.CHART_MONTHS - 1)
    read = FiguresMonth.objects.filter(
        Q(month__isnull=True) | Q(month__gte=first, month__lte=date(2026, 12, 31)), insured=insured
    )
    assert FiguresMonth.objects.filter(insured=insured).count() > 2 * 13  # 27 months of history
    assert read.count() <= 13 * 2  # the insured and the child
    assert_rows_agree_with_the_lines(insured)


def test_a_write_adjusts_its_months_without_reading_the_history(household, pharmacy, staff):
    """A write's figures cost the same at 30 lines or 20,000: the posting, the payment run and
    the reversal adjust the rows of the months they touched, never reading the person's lines
    or the ledger again for them (the full recompute is the rebuild's)."""
    insured, child = household
    _history(insured, child, pharmacy, staff)
    read = []
    apply = aggregates.figures_apply

    def watched(change, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            apply(change, **kwargs)
        read.extend(q["sql"] for q in queries.captured_queries)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("reimbursements.services.posting.figures_apply", watched)
        patch.setattr("reimbursements.services.payments.figures_apply", watched)
        line = care(insured, day=date(2026, 3, 2))
        payments_run(day=date(2026, 3, 3))
        settlement_reverse(settlement=line, actor=staff, reason="Erreur")
    assert len(read) >= 3 * 3
    history = ("reimbursements_settlement", "reimbursements_ledgerentry")
    assert not [sql for sql in read if any(table in sql for table in history)]
    assert_rows_agree_with_the_lines(insured)
    assert_kept_rows_are_the_rows_computed_again(insured)

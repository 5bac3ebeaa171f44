"""The import's set-based posting gives exactly what posting sheet by sheet gives.

The same file goes through both paths: (A) imported as drafts, then each sheet
posted with `care_sheet_post` in file order, as staff would in the admin;
(B) imported with posting, through posting.care_sheets_post_batch. Every
settlement figure and every ledger entry must be the same. The file is built
to make the counters matter: history already posted, yearly and daily caps
reached, tiers payant deductions carried forward and recovered by a later
sheet dated earlier, exemptions starting mid-period, a child, two years, a
sheet the engine refuses between two sheets of the same person.
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from accounts.models import Exemption
from reimbursements.models import CareSheet, LedgerEntry, Settlement
from reimbursements.queries import ledger_balance
from reimbursements.services.importing import import_care_sheets
from reimbursements.services.posting import care_sheet_post
from tests.factories import (
    BeneficiaryFactory,
    CareActFactory,
    CareSheetFactory,
    InsuredFactory,
    ProfessionalFactory,
    StaffFactory,
)
from tests.reimbursements.test_import import act_row, to_csv

pytestmark = pytest.mark.django_db

FIGURES = (
    "base",
    "rate",
    "amo",
    "ticket_moderateur",
    "depassement",
    "participation_due",
    "franchise_due",
    "participation_withheld",
    "franchise_withheld",
    "carried_forward",
    "debt_recovered",
    "paid",
    "payee",
    "hospital_daily_charge",
    "out_of_pocket",
)


@pytest.fixture
def world(db):
    a, b, c, d, e, f = (InsuredFactory() for _ in range(6))
    child = BeneficiaryFactory(insured=a, birth_date=date(2016, 2, 3))
    gp1, gp2 = ProfessionalFactory(), ProfessionalFactory()
    s2 = ProfessionalFactory(sector="2", optam=False)
    pharmacy = ProfessionalFactory(kind="medicine", specialty="", name="Pharmacie")
    nurse = ProfessionalFactory(kind="auxiliary", specialty="", name="Infirmière")
    nurse2 = ProfessionalFactory(kind="auxiliary", specialty="", name="Kinésithérapeute")
    taxi = ProfessionalFactory(kind="transport", specialty="", name="Ambulances")
    lab = ProfessionalFactory(kind="lab", specialty="", name="Laboratoire")
    hospital = ProfessionalFactory(kind="hospital", specialty="", name="Hôpital")
    Exemption.objects.create(insured=c, kind="css", start=date(2025, 1, 1))
    Exemption.objects.create(insured=d, kind="maternite", start=date(2026, 2, 1))
    # History, posted before the file: 24 PF of 2 EUR for A in 2026 (48 of the 50 EUR cap).
    for day in range(1, 25):
        sheet = CareSheetFactory(insured=a, professional=gp2)
        CareActFactory(sheet=sheet, care_date=date(2026, 1, day))
        care_sheet_post(sheet=sheet, actor=None)
    pros = {
        "gp1": gp1,
        "gp2": gp2,
        "s2": s2,
        "pharmacy": pharmacy,
        "nurse": nurse,
        "nurse2": nurse2,
        "taxi": taxi,
        "lab": lab,
        "hospital": hospital,
    }
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "child": child, **pros}


def build_rows(w):
    rows = []

    def sheet(ref, who, pro, acts, **common):
        for values in acts:
            rows.append(act_row(ref, w[who].nir, w[pro].rpps, label=f"L{len(rows) + 1}", **common, **values))

    gp = {"act_code": "G", "kind": "doctor", "charged": "30.00"}
    sheet("S01", "a", "gp1", [gp | {"care_date": "2026-03-05"}] * 5)  # yearly PF cap reached at once
    sheet("S02", "a", "gp1", [gp | {"care_date": "2025-12-20"}] * 5)  # another year: daily cap, 4 acts
    med = {"act_code": "PH7", "kind": "medicine", "care_date": "2026-02-10", "medicine_rate": "65"}
    sheet(
        "S03",
        "b",
        "pharmacy",
        [med | {"charged": "4.36", "quantity": "2", "base": "2.18"}] * 4,
        tiers_payant="oui",
    )  # 8 EUR of franchises carried forward
    sheet("S04", "b", "gp2", [gp | {"care_date": "2026-02-01"}])  # dated earlier, recovers debt
    sheet("S05", "a", "gp1", [gp | {"care_date": "2026-03-06"}], beneficiary_birth_date="03/02/2016")
    sheet("S06", "c", "gp1", [gp | {"care_date": "2026-03-01"}])  # CSS: no PF
    sheet("S07", "d", "gp2", [gp | {"care_date": "2026-01-15"}])  # before maternity
    sheet("S08", "d", "gp2", [gp | {"care_date": "2026-02-15"}])  # maternity: 100 %, no PF
    ami = {
        "act_code": "AMI",
        "kind": "auxiliary",
        "care_date": "2026-03-02",
        "charged": "3.15",
        "coefficient": "1",
    }
    sheet("S09", "e", "nurse", [ami] * 3)
    sheet("S10", "e", "nurse", [ami] * 3)  # the daily franchise cap (4 EUR) is reached here
    sheet("S11", "b", "pharmacy", [med | {"charged": "3.00", "base": "3.00", "medicine_rate": ""}])  # refused
    sheet("S12", "b", "gp2", [gp | {"care_date": "2026-02-20"}] * 2)
    sheet("S13", "f", "s2", [gp | {"care_date": "2026-03-03", "charged": "50.00"}])  # C base, dépassement
    sheet(
        "S14",
        "a",
        "lab",
        [
            {
                "act_code": "B",
                "kind": "lab",
                "care_date": "2026-03-07",
                "charged": "18.90",
                "coefficient": "70",
            }
        ],
        tiers_payant="oui",
    )
    sheet(
        "S15",
        "e",
        "hospital",
        [
            {
                "act_code": "HOSP",
                "kind": "hospital",
                "care_date": "2026-01-10",
                "end_date": "2026-01-14",
                "charged": "800.00",
                "base": "800.00",
            }
        ],
    )
    sheet("S16", "b", "gp1", [gp | {"care_date": "2026-02-10"}, gp | {"care_date": "2026-01-05"}])
    sheet("S17", "e", "nurse2", [ami] * 3)  # same day, another professional: a cap of its own
    sheet("S18", "e", "nurse", [ami])  # the first nurse's cap, already reached in S09-S10
    trip = {
        "act_code": "AMB",
        "kind": "transport",
        "care_date": "2026-03-02",
        "charged": "60.00",
        "base": "60.00",
    }
    sheet("S19", "e", "taxi", [trip | {"emergency_transport": "oui"}, trip])  # no franchise, then 4 EUR
    sheet(
        "S20",
        "f",
        "hospital",
        [
            {
                "act_code": "HOSP",
                "kind": "hospital",
                "care_date": "2026-02-10",
                "end_date": "2026-02-12",
                "charged": "900.00",
                "base": "900.00",
                "costly_act": "oui",
            }
        ],
    )  # the flat participation
    return rows


def snapshot() -> dict:
    """Every posted figure and ledger entry of the file's acts, by act label (unique per row)."""
    result = {}
    settlements = Settlement.objects.filter(act__label__startswith="L").select_related("act__sheet")
    for s in settlements:
        entries = sorted(
            LedgerEntry.objects.filter(journal__settlement=s).values_list(
                "journal__kind", "account", "amount", "insured_id", "professional_id"
            )
        )
        result[s.act.label] = {
            "sheet": (
                s.act.sheet.external_ref,
                s.act.sheet.status,
                s.act.sheet.insured_id,
                s.act.sheet.beneficiary_id,
                s.act.sheet.professional_id,
            ),
            "act": (s.act.act_code, s.act.care_date, s.act.charged, s.act.quantity),
            "figures": tuple(getattr(s, f) for f in FIGURES),
            "patient": (s.insured_id, s.beneficiary_id, s.care_date),
            "entries": entries,
        }
    return result


@pytest.mark.parametrize("batch_size", [1000, 4])
def test_batch_posting_equals_posting_sheet_by_sheet(world, batch_size):
    agent = StaffFactory()
    csv_text = to_csv(build_rows(world))

    with transaction.atomic():  # path A, rolled back once observed
        report = import_care_sheets(io.StringIO(csv_text), actor=agent, post=False)
        assert report.sheets_imported == 20
        refused = []
        for sheet in CareSheet.objects.filter(external_ref__startswith="S").order_by("pk"):
            try:
                care_sheet_post(sheet=sheet, actor=agent)
            except ValueError:
                refused.append(sheet.external_ref)
        assert refused == ["S11"]
        one_by_one = snapshot()
        transaction.set_rollback(True)

    report = import_care_sheets(io.StringIO(csv_text), actor=agent, batch_size=batch_size)
    assert report.sheets_posted == 19
    assert [r.sheet_ref for r in report.rejected] == ["S11"]
    assert "taux de remboursement du médicament manquant" in report.rejected[0].reason
    batched = snapshot()

    assert len(one_by_one) == 39  # 40 rows, one refused
    assert batched.keys() == one_by_one.keys()
    for label in one_by_one:
        assert batched[label] == one_by_one[label], label

    # The file did exercise the counters.
    in_file_order = sorted(batched.items(), key=lambda item: int(item[0][1:]))
    figures = {label: dict(zip(FIGURES, v["figures"], strict=True)) for label, v in in_file_order}
    assert sum(f["participation_due"] for f in figures.values()) > 0
    assert any(f["debt_recovered"] > 0 for f in figures.values())
    assert any(f["carried_forward"] > 0 for f in figures.values())
    a_2026 = [f for label, f in figures.items() if batched[label]["sheet"][0] == "S01"]
    assert [f["participation_due"] for f in a_2026] == [Decimal("2.00"), 0, 0, 0, 0]  # yearly cap
    a_2025 = [f for label, f in figures.items() if batched[label]["sheet"][0] == "S02"]
    assert [f["participation_due"] for f in a_2025] == [Decimal("2.00")] * 4 + [0]  # daily cap: 4 acts
    nursing = [
        f["franchise_due"] for label, f in figures.items() if batched[label]["sheet"][0] in ("S09", "S10")
    ]
    assert sum(nursing) == Decimal("4.00")  # daily cap across the two sheets
    by_sheet = {
        ref: [f["franchise_due"] for label, f in figures.items() if batched[label]["sheet"][0] == ref]
        for ref in ("S17", "S18", "S19")
    }
    assert by_sheet == {"S17": [Decimal("1.00")] * 3, "S18": [0], "S19": [0, Decimal("4.00")]}
    assert [
        f["ticket_moderateur"] for label, f in figures.items() if batched[label]["sheet"][0] == "S20"
    ] == [Decimal("24.00")]
    assert ledger_balance() == 0
    # The balance trigger checked every journal of the batch at its COPY; the foreign keys, deferred, here.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_ledger_guards_see_the_rows_written_by_copy(db):
    """The batch path writes with COPY on PostgreSQL: the balance trigger still checks it."""
    from django.db import DatabaseError
    from django.utils import timezone

    from reimbursements.models import Journal
    from reimbursements.services.posting_batch import ENTRY_COLUMNS, JOURNAL_COLUMNS, _insert

    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        [journal_id] = _insert(
            Journal, JOURNAL_COLUMNS, [("settlement", None, None, None, "", timezone.now())]
        )
        _insert(LedgerEntry, ENTRY_COLUMNS, [(journal_id, "expense", None, None, Decimal("1.00"))])
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

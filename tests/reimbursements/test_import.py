"""Importing care sheets from CSV: the service, the command and the admin upload page."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ameli_portal.models import AuditEvent
from reimbursements.models import CareAct, CareSheet, Settlement
from reimbursements.queries import ledger_balance
from reimbursements.services.importing import COLUMNS, import_care_sheets
from tests.factories import BeneficiaryFactory, InsuredFactory, ProfessionalFactory, StaffFactory

pytestmark = pytest.mark.django_db

UNKNOWN_NIR = "1850575056999"  # well formed, not in the register


def act_row(ref, nir, rpps, **values):
    row = {
        "sheet_ref": ref,
        "nir": nir,
        "beneficiary_birth_date": "",
        "rpps": rpps,
        "received_on": "12/03/2026",
        "act_code": "G",
        "label": "Consultation",
        "care_date": "2026-03-10",
        "end_date": "",
        "kind": "doctor",
        "charged": "30,00",
        "quantity": "1",
        "coefficient": "",
        "base": "",
        "medicine_rate": "",
        "tiers_payant": "non",
        "coordinated_path": "oui",
        "ald_related": "non",
        "psychiatric": "",
        "basket": "",
        "emergency_transport": "",
        "costly_act": "",
    }
    return row | values


def to_csv(rows) -> str:
    lines = [";".join(COLUMNS)]
    lines += [";".join(row[c] for c in COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture
def people(db):
    insured = [InsuredFactory() for _ in range(10)]
    pros = [ProfessionalFactory() for _ in range(3)]
    child = BeneficiaryFactory(insured=insured[0], birth_date="2016-02-03")
    return insured, pros, child


@pytest.fixture
def agent(db):
    return StaffFactory()


def sample_rows(people, *, sheets=100, acts=3):
    """`sheets` sheets of `acts` GP consultations; six of them carry one kind of fault each."""
    insured, pros, child = people
    rows = []
    for n in range(sheets):
        ref = f"F{n:04d}"
        for k in range(acts):
            rows.append(act_row(ref, insured[n % 10].nir, pros[n % 3].rpps, care_date=f"2026-03-{1 + k:02d}"))
    # A sheet for the insured's child.
    for row in rows[0:acts]:
        row["beneficiary_birth_date"] = "03/02/2016"
    faults = {
        10: {"nir": UNKNOWN_NIR},  # every row of the sheet
        20: {"rpps": "99999999999"},
        30: {"care_date": "31/02/2026"},
        40: {"kind": "chiropracteur"},
        50: {"charged": "trente"},
        60: {"kind": "medicine", "act_code": "PH1"},  # no medicine rate: refused when posting
    }
    bad_lines = {}
    for sheet, fault in faults.items():
        if sheet >= sheets:
            continue
        whole = "nir" in fault or "rpps" in fault
        targets = range(sheet * acts, (sheet + 1) * acts) if whole else [sheet * acts + 1]
        for i in targets:
            rows[i] |= fault
        bad_lines[sheet] = [i + 2 for i in targets]  # +1 header, +1 one-based
    return rows, bad_lines


def test_a_file_of_300_rows_imports_the_good_sheets_and_reports_the_bad_rows(people, agent):
    rows, bad = sample_rows(people)
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent, batch_size=50)
    assert report.rows == 300 and report.batches == 6 and not report.error
    assert report.sheets_imported == report.sheets_posted == 94
    assert report.rows_rejected == 18  # six sheets of three acts, refused whole
    reasons = {r.line: r.reason for r in report.rejected}
    assert reasons[bad[10][0]] == "NIR inconnu : aucun assuré avec ce numéro"
    assert reasons[bad[20][0]].startswith("RPPS inconnu « 99999999999 »")
    assert reasons[bad[30][0]].startswith("date des soins invalide « 31/02/2026 »")
    assert reasons[bad[40][0]].startswith("nature d'acte inconnue « chiropracteur »")
    assert reasons[bad[50][0]].startswith("montant facturé invalide « trente »")
    assert "taux de remboursement du médicament manquant" in reasons[bad[60][0]]
    # The other rows of a sheet with one bad row are refused with it and say why.
    assert reasons[bad[50][0] - 1] == f"feuille refusée : la ligne {bad[50][0]} est en erreur"
    assert {r.sheet_ref for r in report.rejected} == {"F0010", "F0020", "F0030", "F0040", "F0050", "F0060"}
    # No half sheet: every sheet in the database has its three acts, every act is posted.
    assert CareSheet.objects.count() == 94
    assert CareAct.objects.count() == 282 == Settlement.objects.count()
    assert not CareSheet.objects.filter(status="draft").exists()
    assert CareSheet.objects.filter(beneficiary=people[2]).count() == 1
    assert ledger_balance() == 0
    assert Settlement.objects.filter(paid=Decimal("19.00")).exists()
    assert AuditEvent.objects.filter(action="post", actor=agent).count() == 94
    # Each as the back office's posting writes it (the import COPYs them): sheet, acts, no changes.
    event = AuditEvent.objects.filter(action="post", actor=agent).order_by("created_at").first()
    assert (event.object_type, event.summary, event.changes) == ("reimbursements.caresheet", "3 acte(s)", {})
    assert CareSheet.objects.filter(pk=int(event.object_id), acts__isnull=False).exists()


def test_no_post_leaves_drafts_and_a_batch_never_splits_a_sheet(people, agent):
    rows, _ = sample_rows(people, sheets=5)
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent, batch_size=1, post=False)
    assert report.sheets_imported == 5 and report.sheets_posted == 0 and report.batches == 5
    assert all(s.acts.count() == 3 for s in CareSheet.objects.all())
    assert not Settlement.objects.exists()
    assert CareSheet.objects.filter(status="draft").count() == 5


def test_rows_of_one_sheet_must_follow_each_other_and_agree(people, agent):
    insured, pros, _ = people
    rows = [
        act_row("A", insured[0].nir, pros[0].rpps),
        act_row("B", insured[1].nir, pros[0].rpps),
        act_row("A", insured[0].nir, pros[0].rpps),
        act_row("C", insured[2].nir, pros[0].rpps),
        act_row("C", insured[3].nir, pros[0].rpps),
        act_row("D", insured[4].nir, pros[1].rpps, charged="12.5"),
    ]
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent)
    reasons = {r.line: r.reason for r in report.rejected}
    assert reasons[2] == reasons[4] == "feuille refusée : ses lignes ne se suivent pas dans le fichier"
    assert reasons[6].startswith("en-tête de feuille différent de sa première ligne (nir)")
    assert report.sheets_imported == 2  # B and D
    assert CareAct.objects.get(sheet__insured=insured[4]).charged == Decimal("12.50")


def test_a_bad_header_imports_nothing(agent):
    report = import_care_sheets(io.StringIO("a,b,c\n1,2,3\n"), actor=agent)
    assert report.error.startswith("En-tête invalide") and "colonnes manquantes : sheet_ref" in report.error
    assert report.rows == 0 and not CareSheet.objects.exists()


def test_a_database_error_rolls_the_whole_batch_back(people, agent):
    """A real constraint, added for the test, refuses one act of the second batch."""
    rows, _ = sample_rows(people, sheets=20)
    rows[40]["label"] = "BOOM"  # sheet F0013, in the second batch (sheets 10 to 19)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE reimbursements_careact ADD CONSTRAINT test_no_boom CHECK (label <> 'BOOM')"
        )
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent, batch_size=30)
    assert report.batches == 2 and report.failed_batches == 1
    assert report.sheets_imported == 10  # the first batch (F0000 to F0009)
    assert report.rows_rejected == 30  # the second batch: F0010 for its NIR, the rest rolled back
    second = [r for r in report.rejected if r.sheet_ref >= "F0011"]
    assert len(second) == 27 and all(r.reason.startswith("lot annulé (lignes 32 à 61)") for r in second)
    assert "test_no_boom" in second[0].reason
    assert CareSheet.objects.count() == 10 and CareAct.objects.count() == 30
    assert Settlement.objects.count() == 30


def test_importing_a_batch_costs_the_same_queries_whatever_its_size(
    people, agent, django_assert_max_num_queries
):
    small, _ = sample_rows(people, sheets=8)
    large, _ = sample_rows(people, sheets=80)
    with CaptureQueriesContext(connection) as queries:
        import_care_sheets(io.StringIO(to_csv(small)), actor=agent, batch_size=1000, post=False)
    # sheets already imported (external_ref), savepoint, insured by NIR, professionals by RPPS,
    # beneficiaries, sheets (bulk), acts (bulk), release savepoint
    assert len(queries) == 8, [q["sql"] for q in queries]
    with django_assert_max_num_queries(len(queries)):
        import_care_sheets(io.StringIO(to_csv(large)), actor=agent, batch_size=1000, post=False)
    # Five bad sheets (drafts are not checked by the rules); F0000 to F0007 were already imported.
    assert CareAct.objects.count() == 24 + 240 - 5 * 3 - 8 * 3


def test_posting_a_batch_costs_the_same_queries_whatever_its_size(
    people, agent, django_assert_max_num_queries
):
    small, _ = sample_rows(people, sheets=8)
    large, _ = sample_rows(people, sheets=80)
    for row in large:
        row["sheet_ref"] = "L" + row["sheet_ref"]
    with CaptureQueriesContext(connection) as queries:
        import_care_sheets(io.StringIO(to_csv(small)), actor=agent, batch_size=1000)
    # known refs; savepoint; insured by NIR, professionals by RPPS, beneficiaries (resolution);
    # insured locked, beneficiaries, professionals, exemptions, 2 counters (the year's and the
    # debt from the rows kept per person and month, never the history; the days');
    # sheets (bulk insert); ids for acts, settlements, journals and entries (one nextval series
    # each, then a COPY each, which Django's query log does not list); audit rows (the same);
    # « Mes paiements »'s figures of the batch's people (aggregates.figures_apply: their
    # versions, the kept rows of the months the batch touched read, deleted and inserted
    # adjusted); release savepoint
    assert len(queries) == 22, "\n".join(q["sql"] for q in queries)
    with django_assert_max_num_queries(len(queries)):
        import_care_sheets(io.StringIO(to_csv(large)), actor=agent, batch_size=1000)
    assert Settlement.objects.count() == 8 * 3 + 74 * 3  # six bad sheets in the large file


def test_a_file_sent_again_imports_nothing_twice(people, agent):
    rows, _ = sample_rows(people, sheets=20)
    first = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent, batch_size=30)
    assert first.sheets_imported == 19  # F0010: unknown NIR
    refs = set(CareSheet.objects.values_list("external_ref", flat=True))
    assert refs == {f"F{n:04d}" for n in range(20) if n != 10}
    # The same file again, plus one new sheet: only the new sheet is imported.
    rows += [act_row("F9999", people[0][1].nir, people[1][0].rpps)]
    again = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent, batch_size=30)
    assert again.sheets_imported == 1 and again.rows == 61
    reasons = {r.line: r.reason for r in again.rejected}
    assert reasons[2] == (
        "feuille déjà importée (référence « F0000 ») : ignorée, elle n'est pas importée une seconde fois"
    )
    assert sum("déjà importée" in r for r in reasons.values()) == 19 * 3
    # The sheet refused the first time is refused again for its own fault, not skipped.
    assert reasons[32] == "NIR inconnu : aucun assuré avec ce numéro"
    assert CareSheet.objects.count() == 20 and Settlement.objects.count() == 19 * 3 + 1
    assert ledger_balance() == 0


def test_a_sheet_already_imported_by_a_drafts_import_is_skipped_too(people, agent):
    insured, pros, _ = people
    rows = [act_row("X1", insured[0].nir, pros[0].rpps), act_row("X2", insured[1].nir, pros[0].rpps)]
    import_care_sheets(io.StringIO(to_csv(rows[:1])), actor=agent, post=False)
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent)
    assert report.sheets_imported == 1 and report.rejected[0].sheet_ref == "X1"
    assert report.rejected[0].reason.startswith("feuille déjà importée (référence « X1 »)")
    assert CareSheet.objects.get(external_ref="X1").status == CareSheet.Status.DRAFT
    assert CareSheet.objects.get(external_ref="X2").status == CareSheet.Status.POSTED


def test_the_command_shows_progress_and_writes_the_rejections_file(people, agent, tmp_path):
    rows, bad = sample_rows(people)
    source = tmp_path / "feuilles.csv"
    source.write_text(to_csv(rows), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_care_sheets",
        str(source),
        "--batch-size",
        "100",
        "--actor",
        agent.username,
        stdout=out,
        stderr=err,
    )
    assert "300/300 lignes (100%)" in err.getvalue() and err.getvalue().startswith("\r[")
    assert "94 feuille(s) importée(s) (94 liquidée(s)), 18 ligne(s) rejetée(s)" in out.getvalue()
    rejections = (tmp_path / "feuilles.csv.rejets.csv").read_text(encoding="utf-8").splitlines()
    assert rejections[0] == "ligne;sheet_ref;motif" and len(rejections) == 19
    assert f"{bad[10][0]};F0010;NIR inconnu : aucun assuré avec ce numéro" in rejections
    assert Settlement.objects.count() == 282


def test_the_command_drafts_with_no_post_and_reports_where_asked(people, tmp_path):
    rows, _ = sample_rows(people, sheets=4)
    source, report = tmp_path / "f.csv", tmp_path / "rapport.csv"
    source.write_text("\ufeff" + to_csv(rows).replace(",00", ".00"), encoding="utf-8")
    call_command(
        "import_care_sheets",
        str(source),
        "--no-post",
        "--report",
        str(report),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert CareSheet.objects.filter(status="draft").count() == 4
    assert report.read_bytes() == b"ligne;sheet_ref;motif\r\n"


def test_the_new_kinds_of_care_import_and_post(agent):
    """Emergency visits and the 100 % Santé kinds, by code or French label, up to their settlement."""
    person = InsuredFactory()
    cases = [  # (kind as written in the file, professional's kind, code, charged, base, AMO)
        ("emergency", "emergency", "URG", "150,00", "150,00", Decimal("150.00")),
        ("Optique", "optics", "VERRE", "120,00", "9,00", Decimal("5.40")),
        ("dental_prosthesis", "dental_prosthesis", "HBLD634", "500,00", "120,00", Decimal("72.00")),
        ("Audiologie", "audiology", "APPAREIL", "950,00", "", Decimal("240.00")),
    ]
    rows = []
    for n, (kind, pro_kind, code, charged, base, _) in enumerate(cases):
        pro = ProfessionalFactory(kind=pro_kind, specialty="")
        rows.append(
            act_row(f"K{n}", person.nir, pro.rpps, kind=kind, act_code=code, charged=charged, base=base)
        )
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent)
    assert report.sheets_posted == 4, report.rejected
    amo = {s.act.sheet.external_ref: s.amo for s in Settlement.objects.select_related("act__sheet")}
    assert amo == {f"K{n}": case[-1] for n, case in enumerate(cases)}
    assert CareAct.objects.get(sheet__external_ref="K2").kind == "dental_prosthesis"


def test_basket_emergency_transport_and_costly_stay_columns_reach_the_rules(agent):
    person = InsuredFactory()
    taxi = ProfessionalFactory(kind="transport", specialty="")
    clinic = ProfessionalFactory(kind="hospital", specialty="")
    optician = ProfessionalFactory(kind="optics", specialty="")
    trip = {"kind": "transport", "act_code": "SMUR", "charged": "40,00", "base": "40,00"}
    rows = [
        act_row("T1", person.nir, taxi.rpps, **trip, emergency_transport="oui"),
        act_row("T2", person.nir, taxi.rpps, **trip, care_date="2026-03-11"),
        act_row(
            "H1",
            person.nir,
            clinic.rpps,
            kind="hospital",
            act_code="GHS",
            care_date="2026-01-05",
            end_date="2026-01-09",
            charged="1000,00",
            base="1000,00",
            costly_act="oui",
        ),
        act_row(
            "O1",
            person.nir,
            optician.rpps,
            kind="optics",
            act_code="VERRE",
            charged="120,00",
            base="9,00",
            basket="100 % Santé",
        ),
        act_row(
            "O2",
            person.nir,
            optician.rpps,
            kind="optics",
            act_code="VERRE",
            charged="120,00",
            base="9,00",
            basket="panier d'or",
        ),
    ]
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=agent)
    assert [r.sheet_ref for r in report.rejected] == ["O2"]
    assert "panier invalide" in report.rejected[0].reason
    by_ref = {s.act.sheet.external_ref: s for s in Settlement.objects.select_related("act__sheet")}
    assert by_ref["T1"].franchise_due == Decimal("0.00")  # urgent: no franchise
    assert by_ref["T2"].franchise_due == Decimal("4.00")
    assert by_ref["H1"].ticket_moderateur == Decimal("24.00")  # the flat participation, not 20 %
    assert CareAct.objects.get(sheet__external_ref="O1").basket == "100_sante"

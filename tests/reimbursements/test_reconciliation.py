"""The same money on every screen, to the cent: « Mes paiements » (list, counters, detail), its
CSV and the relevé PDF, read as the person reads them (HTML, CSV, PDF text), reconciled with
each other and with the ledger, for every insured person of the demo data and for generated
histories (tiers payant, deductions carried forward and recovered, acts cancelled before and
after their payment, after their deductions were carried forward and after they were recovered).

What must agree (reimbursements/deductions.py):
- each payment of the list = the CSV's « Remboursé » added up over its rows (its acts, less the
  rows of deductions recovered and of cancelled acts taken back) = its detail's « Montant »;
- the counters (due this year, withheld, carried forward, still to recover) = the CSV's columns
  over the person's live acts; what is still to recover = carried forward less recovered on the
  live acts, plus what was given back = the ledger's receivable, per patient (the debt the
  engine is fed, builders.debts), never below zero: a deduction recovered for an act cancelled
  since is given back (its own row, « Retenues rendues »);
- the relevé's « Versé sur la période » = the list's payments of the period, and its other
  totals = the CSV's columns over the same rows.
"""

import csv
import io
import os
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from accounts.models import Insured
from ameli_portal.emails import build_email
from ameli_portal.models import OutboxJob
from attestations.content import document_pdf
from attestations.models import Document
from reimbursements.models import Account, CareSheet, LedgerEntry, Settlement
from reimbursements.queries import history_start, ledger_balance
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post, settlement_reverse
from tests.factories import (
    BeneficiaryFactory,
    CareActFactory,
    CareSheetFactory,
    ProfessionalFactory,
    UserFactory,
)

D = Decimal
ZERO = D("0.00")
AMOUNT = re.compile(r"(-?\d[\d\u202f ]*,\d\d)\s*€")
NOT_PAID = "Annulé avant paiement : non versé"
EVERYTHING = {"period": "27"}  # the whole history kept online, as the relevé below


def money(text: str) -> Decimal:
    found = AMOUNT.search(text.replace("\u00a0", " "))
    assert found, f"pas de montant dans « {text} »"
    return D(found.group(1).replace("\u202f", "").replace(" ", "").replace(",", "."))


def csv_money(text: str) -> Decimal:
    return D(text.replace(",", ".")) if text else ZERO


def plain(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def cells(row: str) -> dict[str, str]:
    return {label: body for label, body in re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S)}


# --- What the person sees ------------------------------------------------------------------


def page_payments(client) -> tuple[list[dict], str]:
    """Every payment of « Mes paiements » (all its pages) and the first page's HTML."""
    url, payments, first, number = reverse("reimbursements:payments"), [], None, 1
    while True:
        response = client.get(url, {**EVERYTHING, "page": number})
        assert response.status_code == 200
        html = response.content.decode()
        first = first or html
        table = re.search(
            r'<table class="table table--stack payments-table payments-table--main".*?</table>', html, re.S
        )
        for row in re.findall(r"<tr>(.*?)</tr>", table.group() if table else "", re.S)[1:]:
            c = cells(row)
            detail = re.search(r'href="([^"]+)"', c["Détail"]).group(1)
            payee = plain(re.sub(r'<span class="badge">.*?</span>', "", c["Versé à"]))
            payments.append(
                {
                    "day": plain(c["Date"]),
                    "payee": payee,
                    "amount": money(c["Montant"]),
                    "url": detail,
                    "recovered": money(c["Montant"].split("après reprise de", 1)[1])
                    if "après reprise de" in c["Montant"]
                    else ZERO,
                    "refunded": money(c["Montant"].split("dont", 1)[1])
                    if "de retenues rendues" in c["Montant"]
                    else ZERO,
                }
            )
        if "Page suivante" not in html:
            return payments, first
        number += 1


def page_counters(html: str) -> dict[str, dict[str, Decimal]]:
    section = re.search(
        r'<section class="section" aria-labelledby="plafonds-titre">.*?</section>', html, re.S
    )
    people = {}
    for person in section.group().split('<li class="counters__person">')[1:]:
        name = plain(person.split("</h3>", 1)[0]).removesuffix(" (vous)")
        text = plain(person)
        people[name] = {
            "participation_due": money(text.split("Participations forfaitaires dues en", 1)[1]),
            "franchise_due": money(text.split("Franchises dues en", 1)[1]),
            "withheld": money(text.split("Dont retenu sur le soin lui-même :", 1)[1]),
            "carried_forward": money(text.split("reporté :", 1)[1]),
            "outstanding": money(text.split("restant à reprendre :", 1)[1]),
        }
        assert "annulés depuis" not in text  # nothing recovered for a cancelled act is kept
    return people


def page_detail(client, url: str) -> dict[str, Decimal]:
    response = client.get(url)
    assert response.status_code == 200
    table = re.search(r'<table class="table payment-breakdown">.*?</table>', response.content.decode(), re.S)
    rows = {
        plain(th): money(td)
        for th, td in re.findall(
            r'<th scope="row">(.*?)</th><td class="amount">(.*?)</td>', table.group(), re.S
        )
    }
    summary = {"for_lines": ZERO, "recovered": ZERO, "taken_back": ZERO, "refunded": ZERO, "amount": None}
    for label, amount in rows.items():
        if label == "Remboursé pour les actes ci-dessus":
            summary["for_lines"] = amount
        elif label.startswith("Reprise de retenues reportées"):
            summary["recovered"] = -amount
        elif label.startswith("Actes annulés repris"):
            summary["taken_back"] = -amount
        elif label.startswith("Retenues rendues"):
            summary["refunded"] = amount
        else:
            assert label.startswith("Montant du paiement"), label
            summary["amount"] = amount
    return summary


def csv_rows(client) -> list[dict[str, str]]:
    response = client.get(reverse("reimbursements:payments_csv"), EVERYTHING)
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


def releve_text(insured, start: date, end: date) -> str:
    document = Document.objects.create(
        owner=insured,
        kind=Document.Kind.STATEMENT,
        content_key="rapprochement",
        period_start=start,
        period_end=end,
    )
    reader = PdfReader(io.BytesIO(document_pdf(document, timezone.localdate())))
    return " ".join("\n".join(page.extract_text() for page in reader.pages).replace("\u202f", "").split())


def releve_total(text: str, label: str) -> Decimal:
    found = re.search(re.escape(label) + r" : (-?[\d ]*\d,\d\d) €", text)
    assert found, f"« {label} » absent du relevé"
    return D(found.group(1).replace(" ", "").replace(",", "."))


def payment_emails(insured) -> dict[str, dict[str, Decimal]]:
    """The « Nouveau remboursement » emails queued for ``insured``, as they read: paid on ->
    amount, and the recovery it tells of."""
    emails = {}
    for job in OutboxJob.objects.filter(task_name="ameli_portal.send_email").order_by("created_at"):
        if job.kwargs["template"] != "new-payment" or job.kwargs["to"] != [insured.contact_email]:
            continue
        text = " ".join(build_email(**job.kwargs).body.split())
        found = re.search(r"Un remboursement de (\S+) € a été effectué le (\S+)\.", text)
        recovered = re.search(r"moins (\S+) € de reprise de retenues reportées", text)
        emails[found.group(2)] = {
            "amount": csv_money(found.group(1)),
            "recovered": csv_money(recovered.group(1)) if recovered else ZERO,
        }
    return emails


# --- The reconciliation --------------------------------------------------------------------


def _kind(row: dict) -> str:
    if row["Code acte"]:
        return "act"
    if row["Libellé"].startswith("Retenues rendues"):
        return "refund"
    return "recovery" if row["Libellé"].startswith("Reprise de retenues") else "taken_back"


def reconcile(client, insured) -> dict:
    """Every figure of every screen of ``insured``, checked against the others; returns counts."""
    today = timezone.localdate()
    payments, html = page_payments(client)
    counters = page_counters(html)
    rows = csv_rows(client)

    # The list against the CSV, payment by payment (a payment: its day and its payee).
    by_payment = defaultdict(lambda: ZERO)
    recovered_by_payment = defaultdict(lambda: ZERO)
    refunded_by_payment = defaultdict(lambda: ZERO)
    previous_act = None
    for row in rows:
        kind = _kind(row)
        if kind == "act":
            previous_act = row
        row["_kind"], row["_act"] = kind, previous_act  # a recovery row follows its act
        if not row["Date de paiement"] or (kind == "act" and row["État"] == NOT_PAID):
            continue
        payee = "Vous" if row["Versé à"] == "Assuré" else row["Professionnel de santé"]
        by_payment[(row["Date de paiement"], payee)] += csv_money(row["Remboursé"])
        if kind == "recovery":
            recovered_by_payment[(row["Date de paiement"], payee)] -= csv_money(row["Remboursé"])
        if kind == "refund":
            refunded_by_payment[(row["Date de paiement"], payee)] += csv_money(row["Remboursé"])
    listed = {(p["day"], p["payee"]): p for p in payments}
    assert len(listed) == len(payments), "deux paiements le même jour au même bénéficiaire"
    assert set(listed) == set(by_payment)
    for key, payment in listed.items():
        assert payment["amount"] == by_payment[key], key
        assert payment["recovered"] == recovered_by_payment[key], key
        assert payment["refunded"] == refunded_by_payment[key], key

    # The details of the payments that take something back (and of the first few others).
    details = [
        p
        for p in payments
        if p["recovered"] or p["refunded"] or p["amount"] != by_payment[(p["day"], p["payee"])]
    ]
    details += [p for p in payments if p not in details][:3]
    taken_back_rows = defaultdict(lambda: ZERO)
    for row in rows:
        if row["_kind"] == "taken_back":
            payee = "Vous" if row["Versé à"] == "Assuré" else row["Professionnel de santé"]
            taken_back_rows[(row["Date de paiement"], payee)] -= csv_money(row["Remboursé"])
    for p in details:
        detail, key = page_detail(client, p["url"]), (p["day"], p["payee"])
        assert (
            detail["amount"]
            == p["amount"]
            == (detail["for_lines"] - detail["recovered"] - detail["taken_back"] + detail["refunded"])
        )
        assert detail["recovered"] == p["recovered"] and detail["taken_back"] == taken_back_rows[key]
        assert detail["refunded"] == p["refunded"]

    # The counters against the CSV: this year's live acts, per patient.
    live = [r for r in rows if r["_kind"] == "act" and not r["État"].startswith("Annulé")]
    year = [
        r
        for r in live
        if date.fromisoformat("-".join(reversed(r["Date des soins"].split("/")))).year == today.year
    ]

    def total(column: str, selected) -> Decimal:
        return sum((csv_money(r[column]) for r in selected), ZERO)

    for name, shown in counters.items():
        mine = [r for r in year if r["Patient"] == name]
        assert shown["participation_due"] == total("Participation forfaitaire due", mine)
        assert shown["franchise_due"] == total("Franchise due", mine)
        assert shown["withheld"] == total("Retenu sur ce soin", mine)
        assert shown["carried_forward"] == total("Reporté", mine)
        assert shown["withheld"] + shown["carried_forward"] == (
            shown["participation_due"] + shown["franchise_due"]
        )
        # Still to recover: carried forward less recovered, over the live acts of the history.
        carried = sum((csv_money(r["Reporté"]) for r in live if r["Patient"] == name), ZERO)
        recovered = -sum(
            (
                csv_money(r["Remboursé"])
                for r in rows
                if r["_kind"] == "recovery"
                and r["Patient"] == name
                and not r["_act"]["État"].startswith("Annulé")
            ),
            ZERO,
        )
        refunded = sum(
            (csv_money(r["Remboursé"]) for r in rows if r["_kind"] == "refund" and r["Patient"] == name), ZERO
        )
        assert shown["outstanding"] == carried - recovered + refunded >= ZERO, name
    # What the ledger holds as receivable, and, per patient, the debt the engine is fed.
    owed = ledger_balance(account=Account.RECEIVABLE, insured=insured)
    assert sum((c["outstanding"] for c in counters.values()), ZERO) == owed
    names = {None: str(insured), **{b.pk: str(b) for b in insured.beneficiaries.all()}}
    debts = {
        names[row["journal__settlement__beneficiary"]]: row["total"]
        for row in LedgerEntry.objects.filter(account=Account.RECEIVABLE, insured=insured)
        .values("journal__settlement__beneficiary")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    assert {name: c["outstanding"] for name, c in counters.items() if c["outstanding"]} == {
        name: amount for name, amount in debts.items() if amount
    }

    # The relevé of the whole history against the list and the CSV.
    start = history_start(today)
    in_period = [r for r in rows if r["Date de paiement"]]
    acts = [r for r in in_period if r["_kind"] == "act" and r["État"] != NOT_PAID]
    text = releve_text(insured, start, today)
    if not payments:
        assert "Aucun paiement" in text
        return {"payments": 0, "rows": len(rows)}
    assert releve_total(text, "Versé sur la période") == sum((p["amount"] for p in payments), ZERO)
    recoveries = [r for r in in_period if r["_kind"] == "recovery"]
    assert releve_total(text, "Remboursé pour les soins") == total("Remboursé", acts)
    assert releve_total(text, "Reprise de retenues reportées") == total("Remboursé", recoveries)
    assert releve_total(text, "Actes annulés repris") == total(
        "Remboursé", [r for r in in_period if r["_kind"] == "taken_back"]
    )
    refunds = [r for r in in_period if r["_kind"] == "refund"]
    assert releve_total(text, "Retenues rendues (soins annulés)") == total("Remboursé", refunds)
    assert releve_total(text, "Participations forfaitaires dues sur ces soins") == total(
        "Participation forfaitaire due", acts
    )
    assert releve_total(text, "Franchises dues sur ces soins") == total("Franchise due", acts)
    taken = total("Retenu sur ce soin", acts) - total("Remboursé", recoveries) - total("Remboursé", refunds)
    assert (
        releve_total(
            text,
            "Retenues sur les paiements de la période (sur les soins eux-mêmes et "
            "reprises, moins les retenues rendues)",
        )
        == taken
    )
    return {
        "payments": len(payments),
        "rows": len(rows),
        "recovered": sum((p["recovered"] for p in payments), ZERO),
        "refunded": sum((p["refunded"] for p in payments), ZERO),
    }


# --- The demo's insured people -------------------------------------------------------------


@pytest.mark.django_db
def test_every_demo_insured_sees_the_same_figures_on_every_screen():
    with time_machine.travel("2026-06-15 10:00 +0200"):
        call_command("seed_demo", stdout=StringIO())
        people = (
            CareSheet.objects.filter(import_batch="demo", insured__user__isnull=False)
            .values_list("insured", flat=True)
            .distinct()
        )
        seen = []
        for insured_id in sorted(set(people)):
            insured = Insured.objects.select_related("user").get(pk=insured_id)
            client = Client()
            client.force_login(insured.user)
            seen.append(reconcile(client, insured))
    assert len(seen) >= 3  # the demo people with an account and care
    # The data covers what this is about: recoveries, on payments of more than one person.
    assert sum(1 for s in seen if s.get("recovered")) >= 2


# --- Generated histories -------------------------------------------------------------------

START = date(2026, 1, 5)  # a Monday
MEDICINE = ("PH7", D("0.65"))


@st.composite
def care(draw):
    """One care line: (week, weekday, who, kind, tiers payant, quantity)."""
    return (
        draw(st.integers(0, 9)),
        draw(st.integers(0, 4)),
        draw(st.sampled_from(["me", "child"])),
        draw(st.sampled_from(["gp", "gp", "medicine", "nurse", "transport"])),
        draw(st.booleans()),
        draw(st.integers(1, 4)),
    )


def _post(insured, child, pros, line) -> Settlement:
    week, weekday, who, kind, tiers_payant, quantity = line
    day = START + timedelta(days=7 * week + weekday)
    sheet = CareSheetFactory(
        insured=insured,
        beneficiary=child if who == "child" else None,
        received_on=day,
        professional=pros[kind],
        tiers_payant=tiers_payant and kind != "gp",
    )
    if kind == "gp":
        act = dict(act_code="G", label="Consultation", kind="doctor", charged=D("30.00"))
    elif kind == "medicine":
        act = dict(
            act_code=MEDICINE[0],
            label="Boîte",
            kind="medicine",
            charged=D("3.10") * quantity,
            quantity=quantity,
            base=D("3.10"),
            medicine_rate=MEDICINE[1],
        )
    elif kind == "nurse":
        act = dict(
            act_code="AMI",
            label="Soin infirmier",
            kind="auxiliary",
            charged=D("3.15") * quantity,
            coefficient=D("1"),
            quantity=quantity,
        )
    else:
        act = dict(act_code="TRS", label="Transport", kind="transport", charged=D("12.00"), base=D("12.00"))
    CareActFactory(sheet=sheet, care_date=day, **act)
    [settlement] = care_sheet_post(sheet=sheet, actor=None)
    return settlement


@pytest.mark.django_db
def test_generated_histories_reconcile_on_every_screen(staff):
    user = UserFactory(insured__first_names="Camille", insured__birth_date=date(1980, 5, 17))
    insured = user.insured
    child = BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2000, 2, 1))
    pros = {
        "gp": ProfessionalFactory(name="Dr Généraliste"),
        "medicine": ProfessionalFactory(name="Pharmacie du Port", kind="medicine", specialty=""),
        "nurse": ProfessionalFactory(name="Infirmière Martin", kind="auxiliary", specialty=""),
        "transport": ProfessionalFactory(name="Taxi Allo", kind="transport", specialty=""),
    }
    client = Client()
    client.force_login(user)

    # Random on a developer's machine; fixed examples in CI (as tests/security/test_form_fuzz.py).
    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        lines=st.lists(care(), min_size=1, max_size=14),
        cancel=st.lists(st.integers(0, 13), max_size=3),
        late=st.lists(st.integers(0, 13), max_size=3),
    )
    # Boxes under tiers payant (4 EUR of franchises carried forward), then a consultation that
    # recovers them: the boxes cancelled once carried (before the recovery), or once recovered.
    @example(lines=[(0, 0, "me", "medicine", True, 4), (1, 0, "me", "gp", False, 1)], cancel=[0], late=[])
    @example(lines=[(0, 0, "me", "medicine", True, 4), (1, 0, "me", "gp", False, 1)], cancel=[], late=[0])
    # The consultation that recovered them cancelled too, after the refund.
    @example(lines=[(0, 0, "me", "medicine", True, 4), (1, 0, "me", "gp", False, 1)], cancel=[], late=[0, 1])
    def history(lines, cancel, late):
        with transaction.atomic():
            with time_machine.travel("2026-03-20 10:00 +0100"):
                posted, cancelled = [], set()
                for week in range(10):
                    for line in sorted((x for x in lines if x[0] == week), key=lambda x: x[1]):
                        posted.append(_post(insured, child, pros, line))
                    for index in cancel:  # an act cancelled, before or after its payment
                        if index < len(posted) and index not in cancelled and index % 10 == week:
                            settlement_reverse(settlement=posted[index], actor=staff, reason="Erreur")
                            cancelled.add(index)
                    payments_run(day=START + timedelta(days=7 * week + 4))
                reconcile(client, insured)
                # Acts cancelled late: after their deductions were carried forward, recovered,
                # and paid; then the next payment gives back what was recovered for them.
                for index in late:
                    if index < len(posted) and index not in cancelled:
                        settlement_reverse(settlement=posted[index], actor=staff, reason="Erreur")
                        cancelled.add(index)
                reconcile(client, insured)
                payments_run(day=START + timedelta(days=7 * 10 + 4))
                reconcile(client, insured)
                payments, _ = page_payments(client)
                mine = {
                    p["day"]: {"amount": p["amount"], "recovered": p["recovered"]}
                    for p in payments
                    if p["payee"] == "Vous"
                }
                assert payment_emails(insured) == mine
            transaction.set_rollback(True)

    history()

"""« Mes paiements » for an insured person with 2,000 care lines, against a bare page.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ameli_bench \\
        .venv/bin/python -m bench.payments_page [--lines 2000] [--runs 30] [--keep]

Prints the median server time of each page (django.test.Client, force_login,
in-process: no network, no static files), their ratio (goal <= 2.0x) and the
number of SQL queries of each. Nothing is asserted.
"""

import argparse
import random
import sys
from datetime import date, timedelta
from decimal import Decimal

from bench import common

EMAIL = "banc.paiements@exemple.test"
D = Decimal


def make_data(lines: int) -> None:
    """One insured person with ``lines`` posted care lines over 26 months, paid every Friday."""
    from django.utils import timezone

    from reimbursements.models import CareAct, CareSheet
    from reimbursements.services import care_sheet_post, payments_run
    from tests.factories import BeneficiaryFactory, ProfessionalFactory, UserFactory

    rng = random.Random(2000)
    user = UserFactory(email=EMAIL, insured__email=EMAIL)
    insured = user.insured
    kids = [BeneficiaryFactory(insured=insured, first_names=n, birth_date=b)
            for n, b in (("Lou", date(2016, 3, 1)), ("Noé", date(2020, 9, 14)))]
    pros = {
        kind: ProfessionalFactory(rpps=rpps, name=name, kind=kind,
                                  specialty="general_practice" if kind == "doctor" else "")
        for kind, rpps, name in (("doctor", "19900000001", "Dr Banc"),
                                 ("medicine", "999000001", "Pharmacie du Banc"),
                                 ("lab", "999000002", "Laboratoire du Banc"),
                                 ("auxiliary", "19900000002", "Kiné du Banc"))
    }
    today = timezone.localdate()
    day = today - timedelta(days=790)
    made, sheets = 0, []
    while made < lines:
        patient = rng.choice([None, None, None, *kids])
        visit = CareSheet(insured=insured, beneficiary=patient, professional=pros["doctor"],
                          received_on=day)
        fee = D("30.00") if day >= date(2024, 12, 22) else D("26.50")
        sheets.append((visit, [CareAct(act_code="G", label="Consultation", care_date=day, kind="doctor",
                                       charged=fee)]))
        made += 1
        boxes = min(rng.randint(1, 3), lines - made)
        if boxes:
            pharmacy = CareSheet(insured=insured, beneficiary=patient, professional=pros["medicine"],
                                 received_on=day, tiers_payant=rng.random() < 0.7)
            sheets.append((pharmacy, [
                CareAct(act_code="PH7", label=f"Médicament {i + 1}", care_date=day, kind="medicine",
                        charged=D("3.40"), base=D("3.40"), medicine_rate=D("0.65"))
                for i in range(boxes)]))
            made += boxes
        if made < lines and rng.random() < 0.3:
            lab = CareSheet(insured=insured, beneficiary=patient, professional=pros["lab"],
                            received_on=min(day + timedelta(days=1), today))
            sheets.append((lab, [CareAct(act_code="B", label="Bilan", care_date=day, kind="lab",
                                         charged=D("18.90"), coefficient=D("70"))]))
            made += 1
        day = min(day + timedelta(days=rng.choice((1, 1, 2))), today)
    CareSheet.objects.bulk_create([s for s, _ in sheets])
    for sheet, acts in sheets:
        for act in acts:
            act.sheet = sheet
    CareAct.objects.bulk_create([a for _, acts in sheets for a in acts])
    friday = sheets[0][0].received_on
    friday += timedelta(days=(4 - friday.weekday()) % 7)
    pending = [s for s, _ in sheets]
    pending.sort(key=lambda s: s.received_on)
    weeks = 0
    while pending:
        while pending and pending[0].received_on <= friday:
            care_sheet_post(sheet=pending.pop(0), actor=None)
        if friday <= today:
            payments_run(day=friday)
        friday += timedelta(days=7)
        weeks += 1
        if weeks % 20 == 0:
            common.log(f"  … {len(sheets) - len(pending)} feuilles sur {len(sheets)} liquidées")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="garder les données pour la prochaine fois")
    args = parser.parse_args()
    common.setup(urlconf="bench.urls")

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from accounts.models import User
    from reimbursements.models import CareAct

    user = User.objects.filter(email=EMAIL).first()
    have = CareAct.objects.filter(sheet__insured__user=user).count() if user else 0
    if have != args.lines:
        if user:
            common.teardown(keep=False)
        common.log(f"création de {args.lines} lignes de soins (liquidées et payées chaque vendredi)…")
        make_data(args.lines)
        user = User.objects.get(email=EMAIL)
    else:
        common.log(f"{have} lignes de soins déjà là (--keep)")

    if connection.vendor == "postgresql":
        # Fresh rows, no statistics yet: the planner would guess (autovacuum analyzes a live database).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    client = Client()
    client.force_login(user)
    pages = {"page nue (base.html)": reverse("bench_bare")}
    try:
        pages["Mes paiements"] = reverse("reimbursements:payments")
    except NoReverseMatch:
        print("« Mes paiements » : l'URL 'reimbursements:payments' n'existe pas encore : non mesurée.")
    try:
        pages["export CSV (toutes les lignes filtrées)"] = reverse("reimbursements:payments_csv")
    except NoReverseMatch:
        pass

    print(f"{args.lines} lignes de soins, {args.runs} requêtes par page, base {connection.vendor}")
    results = {}
    for label, url in pages.items():
        response = client.get(url)
        if response.status_code != 200:
            print(f"{label} : réponse {response.status_code}, non mesurée")
            continue
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        count = len(queries)  # read now: the log is emptied at each later request
        median, times = common.median_ms(lambda url=url: client.get(url), runs=args.runs)
        results[label] = median
        print(f"{label:42} médiane {median:7.1f} ms  (min {min(times):.1f}, max {max(times):.1f})"
              f"  {count} requêtes SQL  {len(response.content) // 1024} Kio")
    bare, page = results.get("page nue (base.html)"), results.get("Mes paiements")
    if bare and page:
        ratio = page / bare
        verdict = "objectif atteint" if ratio <= 2.0 else "AU-DESSUS de l'objectif"
        print(f"ratio Mes paiements / page nue : {ratio:.2f}x (objectif <= 2.0x : {verdict})")
    common.teardown(keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

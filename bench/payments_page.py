"""« Mes paiements » for insured people with 2,000 and 20,000 care lines, against a bare page.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ameli_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench.payments_page [--lines 2000,20000] [--runs 30] [--keep] [--explain]

Prints the median server time of each page (django.test.Client, force_login,
in-process: no network, no static files; the bare page and each person's « Mes
paiements » requested in turn, interleaved), their ratios (goal <= 2.0x) and the
number of SQL queries of each, « Mes paiements » twice for each person: as it
usually is, its counters and chart from the cache, and right after a write to the
person's payments (cold cache). Also what a write's adjustment of the person's kept
figures costs (aggregates.figures_apply, untimed in the page), beside the full recompute
each write paid before (aggregates.figures_refresh, now the rebuild's). Without REDIS_URL
the cache is Django's in-process LocMemCache (it says which). Nothing is asserted.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from bench import common

EMAIL = "banc.paiements@exemple.test"  # the person with 2,000 lines (bench.http's)
D = Decimal


def email_for(lines: int) -> str:
    return EMAIL if lines == 2000 else f"banc.paiements.{lines}@exemple.test"


def make_data(lines: int) -> None:
    """One insured person with ``lines`` posted care lines over 26 months, paid every Friday."""
    from django.db import transaction
    from django.utils import timezone

    from reimbursements.models import CareAct, CareSheet
    from reimbursements.services.payments import payments_run
    from reimbursements.services.posting_batch import ACT_COLUMNS, SheetToPost, care_sheets_post_batch
    from tests.factories import BeneficiaryFactory, ProfessionalFactory, UserFactory

    rng = random.Random(2000)
    user = UserFactory(email=email_for(lines), insured__email=email_for(lines))
    insured = user.insured
    kids = [
        BeneficiaryFactory(insured=insured, first_names=n, birth_date=b)
        for n, b in (("Lou", date(2016, 3, 1)), ("Noé", date(2020, 9, 14)))
    ]
    pros = {
        kind: ProfessionalFactory(
            rpps=rpps, name=name, kind=kind, specialty="general_practice" if kind == "doctor" else ""
        )
        for kind, rpps, name in (
            ("doctor", "19900000001", "Dr Banc"),
            ("medicine", "999000001", "Pharmacie du Banc"),
            ("lab", "999000002", "Laboratoire du Banc"),
            ("auxiliary", "19900000002", "Kiné du Banc"),
        )
    }
    today = timezone.localdate()
    day = today - timedelta(days=790)
    made, sheets, visits = 0, [], 0
    # About 2,000 lines fill the 26 months at one visit every day or two; more lines, more
    # visits a day (rather than piling the rest up on today, unpaid).
    per_day = max(1, lines // 2000)
    while made < lines:
        patient = rng.choice([None, None, None, *kids])
        visit = CareSheet(insured=insured, beneficiary=patient, professional=pros["doctor"], received_on=day)
        fee = D("30.00") if day >= date(2024, 12, 22) else D("26.50")
        sheets.append(
            (visit, [CareAct(act_code="G", label="Consultation", care_date=day, kind="doctor", charged=fee)])
        )
        made += 1
        boxes = min(rng.randint(1, 3), lines - made)
        if boxes:
            pharmacy = CareSheet(
                insured=insured,
                beneficiary=patient,
                professional=pros["medicine"],
                received_on=day,
                tiers_payant=rng.random() < 0.7,
            )
            sheets.append(
                (
                    pharmacy,
                    [
                        CareAct(
                            act_code="PH7",
                            label=f"Médicament {i + 1}",
                            care_date=day,
                            kind="medicine",
                            charged=D("3.40"),
                            base=D("3.40"),
                            medicine_rate=D("0.65"),
                        )
                        for i in range(boxes)
                    ],
                )
            )
            made += boxes
        if made < lines and rng.random() < 0.3:
            lab = CareSheet(
                insured=insured,
                beneficiary=patient,
                professional=pros["lab"],
                received_on=min(day + timedelta(days=1), today),
            )
            sheets.append(
                (
                    lab,
                    [
                        CareAct(
                            act_code="B",
                            label="Bilan",
                            care_date=day,
                            kind="lab",
                            charged=D("18.90"),
                            coefficient=D("70"),
                        )
                    ],
                )
            )
            made += 1
        visits += 1
        if visits % per_day == 0:
            day = min(day + timedelta(days=rng.choice((1, 1, 2))), today)
    # Posted week by week through the import's set-based path (reimbursements/services/posting_batch.py, the
    # same figures as care_sheet_post: tests/reimbursements/test_import_equivalence.py), each
    # week's sheets before that Friday's payment run: 20,000 lines in minutes, not hours.
    by_week: dict[date, list] = {}
    for sheet, acts in sheets:
        friday = sheet.received_on + timedelta(days=(4 - sheet.received_on.weekday()) % 7)
        by_week.setdefault(friday, []).append(
            SheetToPost(
                sheet={
                    "insured_id": insured.pk,
                    "beneficiary_id": sheet.beneficiary_id,
                    "professional_id": sheet.professional_id,
                    "received_on": sheet.received_on,
                    "tiers_payant": sheet.tiers_payant,
                },
                acts=[{c: getattr(act, c) for c in ACT_COLUMNS[1:]} for act in acts],
            )
        )
    done = 0
    for weeks, friday in enumerate(sorted(by_week), 1):
        with transaction.atomic():
            done += care_sheets_post_batch(sheets=by_week[friday], actor=None)
        if friday <= today:
            payments_run(day=friday)
        if weeks % 20 == 0:
            common.log(f"  … {done} feuilles sur {len(sheets)} liquidées")


def _interleaved_ms(pages: dict, *, runs: int, warmup: int = 3) -> dict[str, tuple[float, list[float]]]:
    """Median ms of each page, run after run in turn, so that a burst of load from another
    process hits each page alike: the ratio is what the goal is about.

    ``pages``: label -> (what to do first, untimed, or None; the request, timed)."""
    times = {label: [] for label in pages}
    for run in range(warmup + runs):
        for label, (before, request) in pages.items():
            if before:
                before()
            t0 = time.perf_counter()
            request()
            if run >= warmup:
                times[label].append((time.perf_counter() - t0) * 1000)
    return {label: (statistics.median(ts), ts) for label, ts in times.items()}


PENDING_INDEX = "settlement_pending_idx"


def _explain_pending(request) -> None:
    """EXPLAIN ANALYZE of the page's « en cours de paiement » query (taken from the page's own
    queries), with the partial index of unpaid lines, then without it (dropped in a transaction
    rolled back at once: the data and the index stay as they were)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        request()
    sql = next(
        (
            q["sql"]
            for q in queries.captured_queries
            if "payment_id IS NULL" in q["sql"] and "COUNT(*) OVER" in q["sql"]
        ),
        None,
    )
    if sql is None:
        print("requête « en cours de paiement » introuvable parmi celles de la page : pas de plan")
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE payment_id IS NULL) FROM reimbursements_settlement"
        )
        lines, pending = cursor.fetchone()
    print(f"plan de « en cours de paiement » ({lines} décomptes dont {pending} non payés) :")
    for label, drop in (("avec l'index partiel", False), ("sans l'index partiel", True)):
        with transaction.atomic(), connection.cursor() as cursor:
            if drop:
                cursor.execute(f"DROP INDEX IF EXISTS {PENDING_INDEX}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        print(f"--- {label}")
        for line in plan:
            print("    " + line)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"charge {one:.1f} (1 min), {five:.1f} (5 min) sur {os.cpu_count()} cœurs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lines", default="2000,20000", help="lignes de soins de chaque personne, séparées par des virgules"
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="garder les données pour la prochaine fois")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="montrer le plan de la requête « en cours de paiement », avec et sans "
        "l'index partiel des lignes non payées",
    )
    args = parser.parse_args()
    common.setup(urlconf="bench.urls")

    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from accounts.models import User
    from reimbursements.aggregates import FiguresChange, figures_apply, figures_refresh
    from reimbursements.models import Settlement

    sizes_asked = [int(n) for n in str(args.lines).split(",")]
    users = {n: User.objects.filter(email=email_for(n)).first() for n in sizes_asked}
    have = {n: Settlement.objects.filter(insured__user=u).count() if u else 0 for n, u in users.items()}
    if any(have[n] != n for n in sizes_asked):
        if any(users.values()):
            common.teardown(keep=False)
        for n in sizes_asked:
            common.log(f"création de {n} lignes de soins (liquidées et payées chaque vendredi)…")
            make_data(n)
        users = {n: User.objects.get(email=email_for(n)) for n in sizes_asked}
    else:
        common.log(f"{', '.join(map(str, sizes_asked))} lignes de soins déjà là (--keep)")

    if connection.vendor == "postgresql":
        # Fresh rows, no statistics yet: the planner would guess (autovacuum analyzes a live database).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    clients = {}
    for n, user in users.items():
        clients[n] = Client()
        clients[n].force_login(user)
    client, user = clients[sizes_asked[0]], users[sizes_asked[0]]

    def get(name, c=None):
        url = reverse(name)
        c = c or client
        return lambda: c.get(url)

    def a_write(n):
        # What every write to the person's settlements, reversals or payments does in its
        # transaction (untimed before the cold page): the kept rows of the months it touched
        # adjusted by what it wrote, a new version, so that the next page reads and renders
        # its counters and chart. Here the figures of one of the person's latest paid lines
        # with a participation or a franchise, taken away and given back in turn (as its
        # reversal would, then its posting and payment): its month of care, its month of
        # payment and the row of all months; the same rows every other time.
        line = (
            Settlement.objects.filter(insured=users[n].insured_id, payment__isnull=False)
            .exclude(participation_due=0, franchise_due=0)
            .select_related("payment")
            .latest("care_date", "id")
        )
        signs = iter([-1, 1] * 10_000)

        def write():
            change, sign = FiguresChange(), next(signs)
            patient = {"insured_id": line.insured_id, "beneficiary_id": line.beneficiary_id}
            change.line(line, **patient, care_date=line.care_date, sign=sign)
            change.paid(line, paid_on=line.payment.paid_on, sign=sign)
            with transaction.atomic():  # the writer's transaction: one commit
                figures_apply(change)

        return write

    def a_recompute(n):
        # What every write did before (and the rebuild does): the whole history read again.
        def write():
            with transaction.atomic():
                figures_refresh(insured_ids=[users[n].insured_id])

        return write

    pages = {"page nue (base.html)": (None, get("bench_bare"))}
    try:
        for n in sizes_asked:
            pages[f"Mes paiements, {n} lignes"] = (None, get("reimbursements:payments", clients[n]))
            pages[f"Mes paiements à froid, {n} lignes"] = (
                a_write(n),
                get("reimbursements:payments", clients[n]),
            )
    except NoReverseMatch:
        print("« Mes paiements » : l'URL 'reimbursements:payments' n'existe pas encore : non mesurée.")
    try:
        csv_url = reverse("reimbursements:payments_csv")

        def csv_export():
            # Streamed: the time and the size are those of the whole file, read to its end.
            response = client.get(csv_url)
            response.body = b"".join(response.streaming_content) if response.streaming else response.content
            return response
    except NoReverseMatch:
        csv_export = None

    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"{args.lines} lignes de soins, {args.runs} requêtes par page, base {connection.vendor}, "
        f"cache {cache}, {_load()}"
    )
    sizes, counts = {}, {}
    for label, (before, request) in pages.items():
        request()  # the first request of a session also creates its record (allauth's user sessions)
        if before:
            before()
        with CaptureQueriesContext(connection) as queries:
            response = request()
        if response.status_code != 200:
            print(f"{label} : réponse {response.status_code}, non mesurée")
            return 1
        sizes[label], counts[label] = len(response.content), len(queries)
    if args.explain and connection.vendor == "postgresql":
        _explain_pending(get("reimbursements:payments", clients[sizes_asked[-1]]))
    results = _interleaved_ms(pages, runs=args.runs)
    for n in sizes_asked:
        for label, write in (
            (f"une écriture : figures_apply, {n} lignes (hors page)", a_write(n)),
            (f"avant : figures_refresh (tout), {n} lignes (hors page)", a_recompute(n)),
        ):
            write()
            with CaptureQueriesContext(connection) as queries:
                write()
            results[label] = common.median_ms(write, runs=args.runs)
            sizes[label], counts[label] = 0, len(queries)
    if csv_export:
        csv_export()
        with CaptureQueriesContext(connection) as queries:
            response = csv_export()
        label = "export CSV (toutes les lignes filtrées)"
        sizes[label], counts[label] = len(response.body), len(queries)
        results[label] = common.median_ms(csv_export, runs=args.runs)
    for label, (median, times) in results.items():
        print(
            f"{label:56} médiane {median:7.1f} ms  (min {min(times):.1f}, max {max(times):.1f})"
            f"  {counts[label]} requêtes SQL  {sizes[label] // 1024} Kio"
        )
    rows_ms = _rows_render_ms(user, runs=args.runs * 10)
    warm_first = f"Mes paiements, {sizes_asked[0]} lignes"
    if rows_ms is not None and warm_first in results:
        share = rows_ms / results[warm_first][0] * 100
        print(
            f"rangées des deux tableaux (gabarits partials/payment_rows et pending_rows) : médiane "
            f"{rows_ms:.2f} ms, {share:.0f} % de « Mes paiements »"
        )
    bare = results["page nue (base.html)"][0]
    for label in [label for label in pages if label.startswith("Mes paiements")]:
        if label in results:
            ratio = results[label][0] / bare
            verdict = "objectif atteint" if ratio <= 2.0 else "AU-DESSUS de l'objectif"
            print(f"ratio {label} / page nue : {ratio:.2f}x (objectif <= 2.0x : {verdict})")
    print(f"à la fin : {_load()}")
    common.teardown(keep=args.keep)
    return 0


def _rows_render_ms(user, *, runs: int) -> float | None:
    """What rendering the rows of the page's two tables costs, from the page's own rows: the
    figure that says whether caching the rendered fragment would matter."""
    from django.template.loader import render_to_string
    from django.utils import timezone

    from reimbursements import queries
    from reimbursements.forms import PaymentsFilterForm
    from reimbursements.views import PAYMENTS_PER_PAGE

    insured = user.insured
    beneficiaries = list(insured.beneficiaries.all())
    form = PaymentsFilterForm(None, insured=insured, beneficiaries=beneficiaries, today=timezone.localdate())
    page = queries.payments_page(insured, form.filters(), 1, per_page=PAYMENTS_PER_PAGE)
    for row in page.object_list:
        row.detail_url = f"/remboursements/paiements/{row.public_id}/"
    pending, _ = queries.pending_lines(insured, form.filters(), beneficiaries)
    if not page.object_list:
        return None

    def render():
        render_to_string("reimbursements/partials/payment_rows.html", {"payments": page.object_list})
        render_to_string("reimbursements/partials/pending_rows.html", {"pending": pending})

    return common.median_ms(render, runs=runs)[0]


if __name__ == "__main__":
    sys.exit(main())

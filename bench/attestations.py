"""Attestations: PDF render cost, and monthly statements through Celery with 2 worker processes.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ameli_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -W ignore -m bench.attestations [--statements 1000] [--runs 20] [--keep]

1. The attestation de droits (its context from the database, then the PDF/A) against
   WeasyPrint rendering a one-page A4 HTML with the same fonts and the same PDF variant,
   medians of ``--runs`` renders each, in one run. Goal: <= 1.5x.
2. ``--statements`` insured people paid last month, in ``--rounds`` rounds; each round, a
   single-process bare render rate (``document_render`` in this process on ``--sample``
   relevés, no Celery), then the monthly beat job's work for the round's share of the
   people (``monthly_statements_plan``'s batch jobs, one render job per statement) through
   Redis to a Celery worker with 2 processes. Prints each round's throughput as a ratio to
   twice the same round's bare rate (goal >= 80 %) and the growth of the worker processes'
   resident memory from the first tenth of the documents to the last (goal < 10 %).

Nothing is asserted. The worker consumes its own queue on the bench database; PDFs go to a
temporary folder.
"""

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench import common

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "bench-attestations"

BASELINE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Témoin</title>
<style>@page { size: A4; margin: 15mm 18mm 22mm 20mm; }
html { font: 9.5pt/1.4 "DejaVu Sans", sans-serif; } h1 { font-size: 16pt; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-weight: bold; }
table { width: 100%%; border-collapse: collapse; } td, th { text-align: left; padding: 1.2mm 2mm; }</style>
</head><body><p><b>Caisse primaire de démonstration</b><br>1 rue de l'Exemple<br>75000 Paris</p>
<h1>Document témoin d'une page</h1><p>Établi le 1er juin 2026</p>
<table>%s</table><p class="mono">ABCD-EFGH-JKMN</p>
<p>Un texte de longueur comparable à celle d'une attestation de droits, avec les mêmes polices.</p>
</body></html>"""


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return 0
    return 0


def worker_children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def render_ratio(runs: int) -> None:
    from django.utils import timezone
    from pypdf import PdfReader
    from weasyprint import HTML

    from accounts.models import Exemption
    from attestations import content
    from attestations.models import Document
    from tests.factories import BeneficiaryFactory, InsuredFactory

    document = Document.objects.filter(kind=Document.Kind.RIGHTS, content_key="banc").first()
    if document is None:  # else kept by an earlier run (--keep)
        insured = InsuredFactory(
            first_names="Camille Anne", last_name="Banc", medecin_traitant="Dr Anne Martin"
        )
        BeneficiaryFactory(insured=insured, first_names="Lou")
        BeneficiaryFactory(insured=insured, first_names="Noé", birth_date=date(2020, 7, 9))
        Exemption.objects.create(insured=insured, kind=Exemption.Kind.CSS, start=date(2020, 1, 1))
        document = Document.objects.create(owner=insured, kind=Document.Kind.RIGHTS, content_key="banc")
    day = timezone.localdate()

    def rights():
        return content.document_pdf(document, day)

    rows = "".join(f"<tr><th>Rubrique {i}</th><td>Valeur de la rubrique {i}</td></tr>" for i in range(14))
    html = BASELINE % rows

    def baseline():
        return HTML(string=html).write_pdf(pdf_variant="pdf/a-3a")

    pages = len(PdfReader(io.BytesIO(rights())).pages)
    # Interleaved, so that a burst of load from another process hits both alike.
    times = {baseline: [], rights: []}
    for fn in (baseline, rights, baseline, rights):  # warm-up
        fn()
    for _ in range(runs):
        for fn in times:
            t0 = time.perf_counter()
            fn()
            times[fn].append((time.perf_counter() - t0) * 1000)
    base_ms, rights_ms = (statistics.median(times[fn]) for fn in (baseline, rights))
    print(f"\n1. Attestation de droits ({pages} page), médiane de {runs} rendus, PDF/A-3a")
    print(f"   WeasyPrint, page A4 témoin (mêmes polices) : {base_ms:7.1f} ms")
    print(f"   attestation de droits (contexte + PDF)     : {rights_ms:7.1f} ms")
    print(f"   rapport                                    : {rights_ms / base_ms:7.2f}x   (objectif <= 1.5x)")


def make_people(n: int, month_first: date) -> None:
    from reimbursements.services.payments import payments_run
    from reimbursements.services.posting import care_sheet_post
    from tests.factories import CareActFactory, CareSheetFactory, InsuredFactory, ProfessionalFactory

    gp = ProfessionalFactory(rpps="19900000777", name="Dr Banc Mensuel")
    day = month_first + timedelta(days=3)
    t0 = time.perf_counter()
    for i in range(n):
        insured = InsuredFactory(last_name=f"Mensuel{i}")
        sheet = CareSheetFactory(insured=insured, professional=gp, received_on=day)
        CareActFactory(sheet=sheet, care_date=day, label="Consultation")
        CareActFactory(
            sheet=sheet,
            care_date=day,
            act_code="PH7",
            kind="medicine",
            label="Médicament",
            charged=Decimal("10.00"),
            base=Decimal("10.00"),
            medicine_rate=Decimal("0.65"),
        )
        care_sheet_post(sheet=sheet, actor=None)
        if (i + 1) % 200 == 0:
            common.log(f"  {i + 1} assurés…")
    payments_run(day=day + timedelta(days=3))
    common.log(f"  {n} assurés payés en {month_first:%m/%Y} ({time.perf_counter() - t0:.0f} s)")


def monthly(n: int, sample: int, files: str, rounds: int) -> None:
    """The bare render rate and the Celery rate measured in turn, ``rounds`` times, so that both
    see the machine as it is in the same minutes (the ratio is what the goal is about)."""
    from django.conf import settings
    from django.db import connection, transaction

    from ameli_portal.celery import app
    from ameli_portal.outbox import enqueue
    from attestations import selectors, services
    from attestations.models import Document, MonthlyStatement
    from attestations.tasks import monthly_statements_batch_job
    from reimbursements.models import Settlement

    month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    if Settlement.objects.filter(payment__paid_on__gte=month).values("insured").distinct().count() < n:
        common.log(f"création de {n} assurés payés le mois dernier…")
        make_people(n, month)
    owners = selectors.monthly_statement_owners(month)[:n]
    bounds = selectors.month_bounds(month)
    # A relevé kept by an earlier run (--keep) would be reused, not rendered again.
    MonthlyStatement.objects.filter(month=month).delete()
    Document.objects.filter(kind=Document.Kind.STATEMENT, period_start=bounds[0]).delete()

    def bare_rate(count: int, offset: int) -> float:
        """The render job's work, in this process, one relevé after the other (no broker, no outbox)."""
        ids = [
            Document.objects.create(
                owner_id=pk,
                kind=Document.Kind.STATEMENT,
                period_start=bounds[0],
                period_end=bounds[1],
                content_key="banc-nu",
            ).pk
            for pk in (owners * 2)[offset : offset + count]
        ]
        t0 = time.perf_counter()
        for pk in ids:
            services.document_render(document_id=pk)
        rate = len(ids) / (time.perf_counter() - t0)
        Document.objects.filter(pk__in=ids).update(content_key="banc-nu-fait")
        return rate

    bare_rate(1, 0)  # warm-up (templates, fonts)
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_QUEUE": QUEUE,
        "PORTAL_VAR_DIR": files,
        "DEBUG": "0",
        "CONN_MAX_AGE": "60",  # the default
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "banc-" + "x" * 50),
        "ALLOWED_HOSTS": "localhost",
    }
    log = Path(files) / "worker.log"
    app.conf.task_always_eager = False
    app.control.purge()
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ameli_portal",
                "worker",
                "-Q",
                QUEUE,
                "--pool=prefork",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    ready = Document.objects.filter(
        kind=Document.Kind.STATEMENT, period_start=bounds[0], status=Document.Status.READY
    ).exclude(content_key__startswith="banc-nu")
    bares, celeries, warm_rss, end_rss, done, elapsed = [], [], None, None, 0, 0.0

    def plan(people: list[int]) -> None:
        # What services.monthly_statements_plan does for the month, for these people:
        # batch jobs of MONTHLY_BATCH_SIZE through the outbox, one render job per relevé.
        with transaction.atomic():
            for i in range(0, len(people), services.MONTHLY_BATCH_SIZE):
                enqueue(
                    monthly_statements_batch_job,
                    month=month.isoformat(),
                    insured_ids=people[i : i + services.MONTHLY_BATCH_SIZE],
                )

    def wait_until(count: int, deadline: float) -> None:
        nonlocal warm_rss
        while ready.count() < count and time.monotonic() < deadline:
            time.sleep(0.2)
            if warm_rss is None and ready.count() >= 4 + len(owners) // 10:
                warm_rss = sum(rss_kb(p) for p in worker_children(worker.pid))

    try:
        time.sleep(8)  # the worker's start is not measured
        if worker.poll() is not None:
            print(log.read_text()[-3000:])
            return
        # Untimed: a few relevés through the worker first, so that its two processes have
        # loaded their templates and fonts before the first timed round.
        warm, owners = owners[-4:], owners[:-4]
        per_round = -(-len(owners) // rounds)
        plan(warm)
        wait_until(len(warm), time.monotonic() + 300)
        for r in range(rounds):
            bares.append(bare_rate(sample, r * sample))
            part = owners[r * per_round : (r + 1) * per_round]
            if not part:
                break
            before = ready.count()
            t0 = time.perf_counter()
            plan(part)
            wait_until(before + len(part), time.monotonic() + max(600, len(part) * 2))
            took = time.perf_counter() - t0
            got = ready.count() - before
            celeries.append(got / took)
            done, elapsed = done + got, elapsed + took
            common.log(
                f"  tour {r + 1} : rendu nu {bares[-1]:.2f}/s, Celery {celeries[-1]:.2f}/s ({got} relevés)"
            )
        end_rss = sum(rss_kb(p) for p in worker_children(worker.pid))
        connection.close()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.conf.task_always_eager = True
    ratios = [c / (2 * b) for b, c in zip(bares, celeries, strict=False)]
    print(
        f"\n2. Relevés mensuels : {done}/{len(owners)} documents prêts en {elapsed:.1f} s, "
        f"{len(celeries)} tours (rendu nu puis Celery à chaque tour)"
    )
    print(
        f"   rendu nu, un processus ({sample} par tour) : {' / '.join(f'{b:.2f}' for b in bares)} documents/s"
    )
    print(
        f"   Celery, worker à 2 processus (lots, outbox, jobs) : "
        f"{' / '.join(f'{c:.2f}' for c in celeries)} documents/s"
    )
    print(
        f"   rapport à deux fois le rendu nu du même tour : {' / '.join(f'{x:.0%}' for x in ratios)}, "
        f"médiane {statistics.median(ratios):.0%}   (objectif >= 80 %)"
    )
    if warm_rss and end_rss:
        print(
            f"   mémoire des 2 processus du worker : {warm_rss / 1024:.0f} Mo après le premier dixième, "
            f"{end_rss / 1024:.0f} Mo à la fin : {100 * (end_rss - warm_rss) / warm_rss:+.1f} %"
            "   (objectif < 10 %)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=10, help="documents du rendu nu, par tour")
    parser.add_argument("--rounds", type=int, default=4, help="tours : rendu nu, puis Celery")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="garder les données pour la prochaine fois")
    args = parser.parse_args()
    os.environ["CELERY_QUEUE"] = QUEUE  # this process publishes to the bench worker's queue
    common.setup()
    from django.conf import settings

    if not settings.REDIS_URL:
        print("REDIS_URL est requis (le worker Celery passe par Redis).")
        return 2
    files = tempfile.mkdtemp(prefix="banc-attestations-")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(Path(files) / "private"), "base_url": None},
        },
    }
    print(f"charge de la machine : {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cœurs")
    try:
        render_ratio(args.runs)
        monthly(args.statements, args.sample, files, args.rounds)
    finally:
        shutil.rmtree(files, ignore_errors=True)
        common.teardown(keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

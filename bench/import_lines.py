"""The care-sheet import against its fair limit: COPY of exactly the rows it wrote.

    ./run bench import_lines [--rows 10000] [--rounds 3] [--history 100000] [--profile]

Registers people and professionals, then, in ``--rounds`` rounds, on a nearly empty
ledger, then again once the ledger holds ``--history`` lines over three years
(``--history 1000000`` for the issue's figure):

- imports ``--rows`` fresh lines (``reimbursements.services.importing.import_care_sheets``,
  posting, batches of ``--batch-size``) in one worker process;
- COPYs exactly the rows that import wrote (sheets, acts, settlements, journals,
  ledger entries) into the same tables, with their constraints, indexes and
  triggers, batch by batch (one transaction each, as the import), for a parallel
  set of people (so that the import's counters never see the copies);
- imports ``--rows`` other fresh lines split by insured over 2 worker processes
  (``part=(k, 2)``, as the upload job's tasks do).

Prints each round's lines per second, the import / COPY ratio (goal >= 70 %), the
rate with history / without (goal: within 10 %), 2 processes / 1, and the COPY of
the file into a bare table for information. Nothing is asserted.
"""

import argparse
import cProfile
import csv
import multiprocessing
import os
import pstats
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

from bench import common

HEADER = (
    "sheet_ref;nir;beneficiary_birth_date;rpps;received_on;act_code;label;care_date;end_date;"
    "kind;charged;quantity;coefficient;base;medicine_rate;tiers_payant;coordinated_path;"
    "ald_related"
).split(";")
BARE_TABLE = """
CREATE TABLE bench_bare_care_lines (
    sheet_ref varchar(40), nir varchar(15), beneficiary_birth_date date, rpps varchar(11),
    received_on date, act_code varchar(12), label varchar(120), care_date date, end_date date,
    kind varchar(12), charged numeric(12, 2), quantity integer, coefficient numeric(6, 2),
    base numeric(12, 2), medicine_rate numeric(3, 2), tiers_payant boolean,
    coordinated_path boolean, ald_related boolean
)"""
DEPARTMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20]
MEDICINES = [
    ("Paracétamol 1 g", "2.18", "0.65"),
    ("Amoxicilline 1 g", "3.31", "0.65"),
    ("Sirop contre la toux", "2.71", "0.30"),
    ("Veinotonique", "4.84", "0.15"),
]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def register(people: int) -> tuple[list[str], dict[str, list[str]]]:
    """``people`` insured persons (and as many for the COPY's rows) and a few professionals
    of each kind; the first ones' NIRs and the RPPS."""
    from accounts.models import Caisse, Insured
    from accounts.nir import generate_nir
    from reimbursements.models import Professional

    caisse, _ = Caisse.objects.get_or_create(
        code="999", defaults={"name": "Caisse du banc", "address": "1 rue du Banc"}
    )
    nirs, insured = [], []
    for i in range(2 * people):
        order, rest = 1 + i % 999, i // 999
        department, month = DEPARTMENTS[rest % len(DEPARTMENTS)], 1 + rest // len(DEPARTMENTS) % 12
        year = 1940 + i % 60
        nir = generate_nir(
            sex=1 + i % 2, year=year, month=month, department=department, commune="101", order=order
        )
        if i < people:
            nirs.append(nir.full)
        insured.append(
            Insured(
                caisse=caisse,
                nir=nir.number,
                last_name=f"Banc{i}",
                first_names="Claude",
                birth_date=date(year, month, 15),
                sex=str(1 + i % 2),
                address_line1="1 rue du Banc",
                postal_code="75010",
                city="Paris",
            )
        )
    Insured.objects.bulk_create(insured, batch_size=2000, ignore_conflicts=True)
    pros: dict[str, list[str]] = {}
    rows = []
    for kind, count, prefix, specialty in (
        ("doctor", 20, "1990000", "general_practice"),
        ("medicine", 10, "99900", ""),
        ("lab", 5, "99910", ""),
        ("auxiliary", 5, "1991000", ""),
    ):
        for n in range(count):
            rpps = f"{prefix}{n:04d}"
            pros.setdefault(kind, []).append(rpps)
            rows.append(Professional(rpps=rpps, name=f"Banc {kind} {n}", kind=kind, specialty=specialty))
    Professional.objects.bulk_create(rows, ignore_conflicts=True)
    return nirs, pros


def write_csv(
    path: str,
    rows: int,
    nirs: list[str],
    pros: dict[str, list[str]],
    *,
    prefix: str,
    days: int = 360,
    seed: int = 1_000_000,
    by_person: bool = False,
) -> None:
    """Sheets of 1 to 4 lines: GP visits, pharmacy boxes, lab tests, nursing, over the last
    ``days`` days; sheet references ``<prefix><n>``. ``by_person``: each person's sheets
    together, the people in turn (as many lines each), instead of drawn at random."""
    rng = random.Random(seed)
    today = date.today()
    written, sheet = 0, 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, delimiter=";", lineterminator="\n")
        out.writerow(HEADER)
        while written < rows:
            sheet += 1
            nir = nirs[written * len(nirs) // rows] if by_person else rng.choice(nirs)
            day = today - timedelta(days=rng.randint(4, days))
            received = (day + timedelta(days=rng.randint(0, 3))).isoformat()
            kind = rng.choices(("doctor", "medicine", "lab", "auxiliary"), (5, 4, 2, 1))[0]
            rpps = rng.choice(pros[kind])
            ref = f"{prefix}{sheet:09d}"
            tiers = "1" if kind == "medicine" and rng.random() < 0.8 else "0"
            head = [ref, nir, "", rpps, received]
            flags = [tiers, "1", "0"]
            if kind == "doctor":
                lines = [["G", "Consultation", day.isoformat(), "", kind, "30.00", "1", "", "", ""]]
            elif kind == "medicine":
                lines = []
                for label, price, rate in rng.sample(MEDICINES, rng.randint(1, 4)):
                    boxes = rng.choice((1, 1, 2))
                    lines.append(
                        [
                            "PH7",
                            label,
                            day.isoformat(),
                            "",
                            kind,
                            str(Decimal(price) * boxes),
                            str(boxes),
                            "",
                            price,
                            rate,
                        ]
                    )
            elif kind == "lab":
                lines = [["B", "Bilan sanguin", day.isoformat(), "", kind, "18.90", "1", "70", "", ""]]
            else:
                lines = [
                    [
                        "AMI",
                        "Soin infirmier",
                        (day + timedelta(days=k)).isoformat(),
                        "",
                        kind,
                        "3.15",
                        "1",
                        "1",
                        "",
                        "",
                    ]
                    for k in range(rng.randint(1, 4))
                ]
            for line in lines[: rows - written]:
                out.writerow(head + line + flags)
                written += 1


# --- The import, in worker processes --------------------------------------------------


_REFRESH = [0.0]  # seconds spent in aggregates.figures_apply by this worker's import


def _timed_refresh(refresh):
    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return refresh(*args, **kwargs)
        finally:
            _REFRESH[0] += time.perf_counter() - t0

    return timed


def _import(path: str, batch_size: int, part, profile: str | None = None) -> tuple[int, int, str, float]:
    """In a worker process: import a file (or its part); (lines imported, rejected, tag,
    seconds of it in `aggregates.figures_apply`, timed apart: it is not this import's code)."""
    from reimbursements.services import posting_batch as posting
    from reimbursements.services.importing import import_care_sheets

    if not hasattr(posting.figures_apply, "__wrapped_refresh__"):
        posting.figures_apply = _timed_refresh(posting.figures_apply)
        posting.figures_apply.__wrapped_refresh__ = True
    _REFRESH[0] = 0.0
    profiler = cProfile.Profile() if profile else None
    with open(path, encoding="utf-8", newline="") as f:
        if profiler:
            profiler.enable()
        report = import_care_sheets(f, actor=None, batch_size=batch_size, post=True, part=part)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
    if report.error or report.failed_batches:
        common.log(f"import : {report.error or ''} {report.failed_batches} lot(s) en échec")
    return report.rows_imported, report.rows_rejected, report.tag, _REFRESH[0]


def timed_import(pool, path: str, batch_size: int, processes: int, profile: str | None = None):
    """Lines per second of importing ``path`` with ``processes`` parts side by side, the tags,
    and the share of the time spent in `figures_apply` (the first part's)."""
    parts = [None] if processes == 1 else [(k, processes) for k in range(processes)]
    t0 = time.perf_counter()
    results = pool.starmap(_import, [(path, batch_size, part, profile) for part in parts])
    elapsed = time.perf_counter() - t0
    imported = sum(r[0] for r in results)
    if any(r[1] for r in results):
        common.log(f"import : {sum(r[1] for r in results)} ligne(s) refusée(s)")
    return imported / elapsed, [r[2] for r in results], results[0][3] / elapsed


# --- The fair limit: COPY of the rows the import wrote --------------------------------


def written_batches(tag: str, shadow: dict[int, int]) -> list[dict[str, list[tuple]]]:
    """The rows an import wrote, batch by batch, made into new rows for the COPY: new ids,
    public ids and references, the same values, for the parallel people (``shadow``)."""
    from django.db import connection

    from reimbursements.services.posting_batch import (
        ACT_COLUMNS,
        ENTRY_COLUMNS,
        JOURNAL_COLUMNS,
        SETTLEMENT_COLUMNS,
        SHEET_COLUMNS,
    )

    def select(cursor, table, columns, where, params):
        cursor.execute(f"SELECT id, {', '.join(columns)} FROM {table} WHERE {where} ORDER BY id", params)  # noqa: S608
        return cursor.fetchall()

    def ids(cursor, table, n):
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n]
        )
        return [pk for (pk,) in cursor.fetchall()]

    batches = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT import_batch FROM reimbursements_caresheet WHERE import_batch LIKE %s",
            [f"{tag}-%"],
        )
        for (label,) in sorted(cursor.fetchall()):
            sheets = select(cursor, "reimbursements_caresheet", SHEET_COLUMNS, "import_batch = %s", [label])
            sheet_ids = [row[0] for row in sheets]
            acts = select(cursor, "reimbursements_careact", ACT_COLUMNS, "sheet_id = ANY(%s)", [sheet_ids])
            settlements = select(
                cursor,
                "reimbursements_settlement",
                SETTLEMENT_COLUMNS,
                "act_id = ANY(%s)",
                [[row[0] for row in acts]],
            )
            journals = select(
                cursor,
                "reimbursements_journal",
                JOURNAL_COLUMNS,
                "settlement_id = ANY(%s)",
                [[row[0] for row in settlements]],
            )
            entries = select(
                cursor,
                "reimbursements_ledgerentry",
                ENTRY_COLUMNS,
                "journal_id = ANY(%s)",
                [[row[0] for row in journals]],
            )
            new = {}
            for name, table, rows in (
                ("sheet", "reimbursements_caresheet", sheets),
                ("act", "reimbursements_careact", acts),
                ("settlement", "reimbursements_settlement", settlements),
                ("journal", "reimbursements_journal", journals),
                ("entry", "reimbursements_ledgerentry", entries),
            ):
                new[name] = dict(zip((row[0] for row in rows), ids(cursor, table, len(rows)), strict=True))
            copy = {
                "reimbursements_caresheet": [
                    (new["sheet"][r[0]], uuid.uuid4(), shadow[r[2]], *r[3:12], "copie", f"C{r[13]}")
                    for r in sheets
                ],
                "reimbursements_careact": [(new["act"][r[0]], new["sheet"][r[1]], *r[2:]) for r in acts],
                "reimbursements_settlement": [
                    (new["settlement"][r[0]], new["act"][r[1]], shadow[r[2]], *r[3:]) for r in settlements
                ],
                "reimbursements_journal": [
                    (new["journal"][r[0]], r[1], new["settlement"][r[2]], *r[3:]) for r in journals
                ],
                "reimbursements_ledgerentry": [
                    (new["entry"][r[0]], new["journal"][r[1]], r[2], shadow.get(r[3]), r[4], r[5])
                    for r in entries
                ],
            }
            batches.append(copy)
    columns = {
        "reimbursements_caresheet": SHEET_COLUMNS,
        "reimbursements_careact": ACT_COLUMNS,
        "reimbursements_settlement": SETTLEMENT_COLUMNS,
        "reimbursements_journal": JOURNAL_COLUMNS,
        "reimbursements_ledgerentry": ENTRY_COLUMNS,
    }
    return [{table: (columns[table], rows) for table, rows in batch.items()} for batch in batches]


def timed_fair_copy(batches) -> tuple[float, int, float]:
    """Seconds to COPY the batches into the real tables, one transaction a batch; rows copied;
    seconds of it spent at the commits (the deferred foreign-key checks)."""
    from django.db import connection, transaction
    from psycopg import sql

    t0, count, at_commit = time.perf_counter(), 0, 0.0
    for batch in batches:
        with transaction.atomic(), connection.cursor() as cursor:
            for table, (columns, rows) in batch.items():
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in ("id", *columns))
                )
                with cursor.cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
                count += len(rows)
            before_commit = time.perf_counter()
        at_commit += time.perf_counter() - before_commit
    return time.perf_counter() - t0, count, at_commit


def copy_into_bare_table(path: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_care_lines")
        cursor.execute(BARE_TABLE)
        t0 = time.perf_counter()
        with (
            open(path, encoding="utf-8") as f,
            cursor.cursor.copy(
                "COPY bench_bare_care_lines FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)"
            ) as copy,
        ):
            while data := f.read(1 << 20):
                copy.write(data)
        elapsed = time.perf_counter() - t0
        cursor.execute("SELECT count(*) FROM bench_bare_care_lines")
        loaded = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_bare_care_lines")
    common.log(f"COPY : {loaded} lignes chargées")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="lignes importées par mesure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--history", type=int, default=100_000, help="lignes d'historique (1000000)")
    parser.add_argument("--people", type=int, default=0, help="assurés (défaut : historique / 50)")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="profil (cProfile) d'un import par phase")
    parser.add_argument("--keep", action="store_true", help="garder les données")
    args = parser.parse_args()
    common.setup()

    from django.db import connection, connections

    from accounts.models import Insured

    if connection.vendor != "postgresql":
        print("Ce banc compare avec COPY de PostgreSQL : donnez DATABASE_URL=postgres://…")
        return 1
    common.teardown(keep=False)  # a clean register: the counters of earlier runs would weigh in
    people = args.people or max(args.history // 50, 2000)
    t0 = time.perf_counter()
    nirs, pros = register(people)
    ids = list(
        Insured.objects.filter(last_name__startswith="Banc").order_by("id").values_list("id", flat=True)
    )
    shadow = dict(zip(ids[:people], ids[people:], strict=True))
    common.log(
        f"registre : {people} assurés (et autant pour les copies), "
        f"{sum(map(len, pros.values()))} professionnels ({time.perf_counter() - t0:.1f} s)"
    )
    folder = tempfile.mkdtemp(prefix="banc-import-")  # private (0700), never a shared fixed path
    serial = iter(range(1, 1000))

    def fresh_file(rows: int, *, days: int = 360, by_person: bool = False) -> str:
        n = next(serial)
        path = os.path.join(folder, f"lines-{n}.csv")
        write_csv(path, rows, nirs, pros, prefix=f"B{n:03d}-", days=days, seed=n, by_person=by_person)
        return path

    connections.close_all()  # the workers open their own
    pool = multiprocessing.get_context("fork").Pool(2)
    pool.starmap(time.sleep, [(0.1,), (0.1,)])  # both started before anything is timed
    figures = {}
    try:
        for phase in ("vide", "historique"):
            if phase == "historique":
                t0 = time.perf_counter()
                # Each person's lines together: a batch touches few people and few months.
                path = fresh_file(args.history, days=3 * 365, by_person=True)
                rate, _, _ = timed_import(pool, path, args.batch_size, 2)
                os.remove(path)
                common.log(
                    f"historique : {args.history} lignes sur trois ans importées en "
                    f"{time.perf_counter() - t0:.0f} s ({rate:.0f} lignes/s, 2 processus)"
                )
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # as autovacuum would have, on a live database
            rounds = []
            for k in range(args.rounds):
                profile = os.path.join(folder, f"profil-{phase}") if args.profile and k == 0 else None
                import_rate, [tag], refresh = timed_import(
                    pool, fresh_file(args.rows), args.batch_size, 1, profile
                )
                batches = written_batches(tag, shadow)
                copy_s, copied, at_commit = timed_fair_copy(batches)
                two_rate, _, _ = timed_import(pool, fresh_file(args.rows), args.batch_size, 2)
                copy_rate = args.rows / copy_s
                rounds.append((import_rate, copy_rate, two_rate, import_rate / (1 - refresh), refresh))
                print(
                    f"[{phase}, tour {k + 1}] import 1 processus {import_rate:7.0f} lignes/s ; COPY des "
                    f"{copied} lignes qu'il a écrites {copy_rate:7.0f} lignes/s "
                    f"(dont {at_commit / copy_s:.0%} au commit) ; ratio "
                    f"{import_rate / copy_rate:6.1%} ; import 2 processus {two_rate:7.0f} lignes/s "
                    f"({two_rate / import_rate:.2f} x) ; figures_apply {refresh:.0%} de l'import "
                    f"(hors lui : {import_rate / (1 - refresh):7.0f} lignes/s, ratio "
                    f"{import_rate / (1 - refresh) / copy_rate:6.1%}) ; load avg {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                if profile:
                    print(f"  profil du tour 1 ({phase}), 25 premières fonctions en temps cumulé :")
                    pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
            figures[phase] = rounds
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM reimbursements_careact")
            lines = cursor.fetchone()[0]
        path = fresh_file(args.rows)
        bare_rate = args.rows / copy_into_bare_table(path)
    finally:
        pool.close()
        pool.join()

    def median(phase, i):
        return statistics.median(r[i] for r in figures[phase])

    def median_ratio(phase, i, j):
        return statistics.median(r[i] / r[j] for r in figures[phase])

    print(
        f"\n{args.rows} lignes par mesure, {args.rounds} tours par phase, lots de {args.batch_size}, "
        f"{people} assurés, {os.cpu_count()} processeurs, load avg {os.getloadavg()[0]:.1f} à la fin ; "
        f"{lines} actes dans la base à la fin"
    )
    for phase in figures:
        verdict = "atteint" if median_ratio(phase, 0, 1) >= 0.70 else "NON atteint"
        print(
            f"{phase:>10} : import {median(phase, 0):7.0f} lignes/s, COPY des mêmes lignes "
            f"{median(phase, 1):7.0f} lignes/s, ratio médian {median_ratio(phase, 0, 1):.1%} "
            f"(objectif >= 70 % : {verdict}) ; 2 processus / 1 : {median_ratio(phase, 2, 0):.2f} x ; "
            f"figures_apply {median(phase, 4):.0%} de l'import, hors lui {median(phase, 3):7.0f} "
            f"lignes/s, ratio {median_ratio(phase, 3, 1):.1%}"
        )
    change = median("historique", 0) / median("vide", 0) - 1
    print(
        f"avec {args.history} lignes d'historique / base presque vide : {change:+.1%} "
        f"(objectif : à 10 % près : {'atteint' if abs(change) <= 0.10 else 'NON atteint'}) ; "
        f"hors figures_apply : {median('historique', 3) / median('vide', 3) - 1:+.1%}"
    )
    print(f"pour information, COPY du fichier dans une table nue : {bare_rate:.0f} lignes/s")
    print(f"RSS de pointe du banc : {peak_rss_mib():.0f} Mio")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    common.teardown(keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

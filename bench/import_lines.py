"""Care-sheet CSV import against PostgreSQL COPY of the same file into a bare table.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ameli_bench \\
        .venv/bin/python -m bench.import_lines [--rows 1000000] [--batch-size 2000] [--no-post]

Writes a CSV of ``--rows`` care lines in the import format (docs/care-sheets-csv.md)
for people and professionals it registers first, imports it with
``reimbursements.importing.import_care_sheets`` (posting each sheet, as the
``import_care_sheets`` command does, unless ``--no-post``), then loads the same
file with COPY into a bare typed table. Prints lines per second of each, their
ratio (goal >= 30 %) and the peak RSS of the process. Nothing is asserted.
"""

import argparse
import csv
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal

from bench import common

HEADER = ("sheet_ref;nir;beneficiary_birth_date;rpps;received_on;act_code;label;care_date;end_date;"
          "kind;charged;quantity;coefficient;base;medicine_rate;tiers_payant;coordinated_path;"
          "ald_related").split(";")
BARE_TABLE = """
CREATE TABLE bench_bare_care_lines (
    sheet_ref varchar(40), nir varchar(15), beneficiary_birth_date date, rpps varchar(11),
    received_on date, act_code varchar(12), label varchar(120), care_date date, end_date date,
    kind varchar(12), charged numeric(12, 2), quantity integer, coefficient numeric(6, 2),
    base numeric(12, 2), medicine_rate numeric(3, 2), tiers_payant boolean,
    coordinated_path boolean, ald_related boolean
)"""
DEPARTMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20]
MEDICINES = [("Paracétamol 1 g", "2.18", "0.65"), ("Amoxicilline 1 g", "3.31", "0.65"),
             ("Sirop contre la toux", "2.71", "0.30"), ("Veinotonique", "4.84", "0.15")]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def register(people: int) -> tuple[list[str], dict[str, list[str]]]:
    """``people`` insured persons and a few professionals of each kind; their NIRs and RPPS."""
    from accounts.models import Caisse, Insured
    from accounts.nir import generate_nir
    from reimbursements.models import Professional

    caisse, _ = Caisse.objects.get_or_create(code="999", defaults={"name": "Caisse du banc",
                                                                   "address": "1 rue du Banc"})
    nirs, insured = [], []
    for i in range(people):
        order, rest = 1 + i % 999, i // 999
        department, month = DEPARTMENTS[rest % len(DEPARTMENTS)], 1 + rest // len(DEPARTMENTS) % 12
        year = 1940 + i % 60
        nir = generate_nir(sex=1 + i % 2, year=year, month=month, department=department,
                           commune="101", order=order)
        nirs.append(nir.full)
        insured.append(Insured(caisse=caisse, nir=nir.number, last_name=f"Banc{i}", first_names="Claude",
                               birth_date=date(year, month, 15), sex=str(1 + i % 2),
                               address_line1="1 rue du Banc", postal_code="75010", city="Paris"))
    Insured.objects.bulk_create(insured, batch_size=2000, ignore_conflicts=True)
    pros: dict[str, list[str]] = {}
    rows = []
    for kind, count, prefix, specialty in (("doctor", 20, "1990000", "general_practice"),
                                           ("medicine", 10, "99900", ""), ("lab", 5, "99910", ""),
                                           ("auxiliary", 5, "1991000", "")):
        for n in range(count):
            rpps = f"{prefix}{n:04d}"
            pros.setdefault(kind, []).append(rpps)
            rows.append(Professional(rpps=rpps, name=f"Banc {kind} {n}", kind=kind, specialty=specialty))
    Professional.objects.bulk_create(rows, ignore_conflicts=True)
    return nirs, pros


def write_csv(path: str, rows: int, nirs: list[str], pros: dict[str, list[str]]) -> None:
    """Sheets of 1 to 4 lines: GP visits, pharmacy boxes, lab tests, nursing, over the last year."""
    rng = random.Random(1_000_000)
    today = date.today()
    written, sheet = 0, 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, delimiter=";", lineterminator="\n")
        out.writerow(HEADER)
        while written < rows:
            sheet += 1
            nir = rng.choice(nirs)
            day = today - timedelta(days=rng.randint(1, 360))
            received = (day + timedelta(days=rng.randint(0, 3))).isoformat()
            kind = rng.choices(("doctor", "medicine", "lab", "auxiliary"), (5, 4, 2, 1))[0]
            rpps = rng.choice(pros[kind])
            ref = f"B{sheet:09d}"
            tiers = "1" if kind == "medicine" and rng.random() < 0.8 else "0"
            head = [ref, nir, "", rpps, received]
            flags = [tiers, "1", "0"]
            if kind == "doctor":
                lines = [["G", "Consultation", day.isoformat(), "", kind, "30.00", "1", "", "", ""]]
            elif kind == "medicine":
                lines = []
                for label, price, rate in rng.sample(MEDICINES, rng.randint(1, 4)):
                    boxes = rng.choice((1, 1, 2))
                    lines.append(["PH7", label, day.isoformat(), "", kind,
                                  str(Decimal(price) * boxes), str(boxes), "", price, rate])
            elif kind == "lab":
                lines = [["B", "Bilan sanguin", day.isoformat(), "", kind, "18.90", "1", "70", "", ""]]
            else:
                lines = [["AMI", "Soin infirmier", (day + timedelta(days=k)).isoformat(), "", kind, "3.15",
                          "1", "1", "", ""] for k in range(rng.randint(1, 4))]
            for line in lines[:rows - written]:
                out.writerow(head + line + flags)
                written += 1


def copy_into_bare_table(path: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_care_lines")
        cursor.execute(BARE_TABLE)
        t0 = time.perf_counter()
        with open(path, encoding="utf-8") as f, cursor.cursor.copy(
                "COPY bench_bare_care_lines FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)"
        ) as copy:
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
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--no-post", action="store_true", help="importer sans liquider (post=False)")
    parser.add_argument("--keep", action="store_true", help="garder les données et le CSV")
    args = parser.parse_args()
    common.setup()

    from django.db import connection

    from reimbursements.importing import import_care_sheets

    if connection.vendor != "postgresql":
        print("Ce banc compare avec COPY de PostgreSQL : donnez DATABASE_URL=postgres://…")
        return 1
    common.teardown(keep=False)  # a clean register: the counters of earlier runs would weigh in
    people = min(max(args.rows // 50, 200), 50_000)
    t0 = time.perf_counter()
    nirs, pros = register(people)
    common.log(f"registre : {people} assurés, {sum(map(len, pros.values()))} professionnels "
               f"({time.perf_counter() - t0:.1f} s)")
    folder = tempfile.mkdtemp(prefix="banc-import-")  # private (0700), never a shared fixed path
    path = os.path.join(folder, f"care-lines-{args.rows}.csv")
    t0 = time.perf_counter()
    write_csv(path, args.rows, nirs, pros)
    size = os.path.getsize(path) / 2**20
    common.log(f"CSV : {path}, {size:.1f} Mio, écrit en {time.perf_counter() - t0:.1f} s")

    rss_before = peak_rss_mib()
    t0 = time.perf_counter()
    with open(path, encoding="utf-8", newline="") as f:
        report = import_care_sheets(f, actor=None, batch_size=args.batch_size, post=not args.no_post)
    import_s = time.perf_counter() - t0
    rss_after = peak_rss_mib()
    copy_s = copy_into_bare_table(path)

    mode = "sans liquidation (post=False)" if args.no_post else "avec liquidation (post=True, défaut)"
    import_rate, copy_rate = args.rows / import_s, args.rows / copy_s
    print(f"{args.rows} lignes, {size:.1f} Mio, lots de {args.batch_size}, load avg "
          f"{os.getloadavg()[0]:.1f} sur {os.cpu_count()} processeurs")
    print(f"import {mode} : {import_s:8.1f} s  {import_rate:9.0f} lignes/s  "
          f"({report.rows_imported} importées, {report.rows_rejected} refusées, "
          f"{report.failed_batches} lots en échec{', ' + report.error if report.error else ''})")
    if report.rejected:
        print(f"  premier refus : ligne {report.rejected[0].line} : {report.rejected[0].reason}")
    print(f"COPY dans une table nue          : {copy_s:8.1f} s  {copy_rate:9.0f} lignes/s")
    ratio = import_rate / copy_rate
    verdict = "objectif atteint" if ratio >= 0.30 else "EN DESSOUS de l'objectif"
    print(f"ratio import / COPY : {ratio:.2%} (objectif >= 30 % : {verdict})")
    print(f"RSS de pointe : {rss_after:.0f} Mio (avant l'import : {rss_before:.0f} Mio)")
    if args.rows != 1_000_000:
        print(f"extrapolé à 1 000 000 lignes : import ≈ {1_000_000 / import_rate / 60:.0f} min, "
              f"COPY ≈ {1_000_000 / copy_rate:.1f} s (linéaire ; la mémoire ne devrait pas croître : "
              "un lot à la fois)")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    common.teardown(keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

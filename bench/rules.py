"""The rules engine alone: lines per second of ``compute_settlements`` on a realistic mix.

    .venv/bin/python -m bench.rules [--people 2000] [--lines 25] [--runs 5] [--seed 1]

Pure Python, like the engine: no Django, no database. Builds ``--people`` histories of
``--lines`` care lines each (GP and specialist visits, pharmacy boxes, lab tests, nursing and
physiotherapy, transports, imaging, a few hospital stays (some over 30 days), emergency visits and
hearing aids, dates from 2023 to 2026,
some in tiers payant, some children, ALD, CSS), then settles each person's lines in one call,
as posting does, ``--runs`` times. Prints the median and the best lines per second (goal:
50,000 lines/s or more), wall-clock and in the process's CPU time. Nothing is asserted.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from reimbursements.rules import CareKind, CareLine, Situation, Specialty, Withheld, compute_settlements

D = Decimal
START = date(2023, 1, 2)
DAYS = (date(2026, 11, 30) - START).days


def _line(rng: random.Random, situation: Situation, person: int) -> CareLine:
    day = START + timedelta(days=rng.randrange(DAYS))
    common = {
        "care_date": day,
        "situation": situation,
        "tiers_payant": rng.random() < 0.3,
        "ald_related": rng.random() < 0.1,
    }
    pick = rng.random()
    if pick < 0.30:
        return CareLine(
            "G",
            charged=D("30.00"),
            kind=CareKind.DOCTOR,
            professional_id=f"gp-{person % 50}",
            specialty=Specialty.GENERAL_PRACTICE,
            **common,
        )
    if pick < 0.38:
        return CareLine(
            "CS",
            charged=D("60.00"),
            kind=CareKind.DOCTOR,
            professional_id=f"sp-{person % 20}",
            specialty=Specialty.OTHER,
            sector=rng.choice(["1", "2"]),
            **common,
        )
    if pick < 0.68:
        boxes = rng.randint(1, 3)
        price, rate = rng.choice([("2.18", "0.65"), ("3.31", "0.65"), ("2.71", "0.30"), ("4.84", "0.15")])
        return CareLine(
            "CIP3400930000000",
            charged=D(price) * boxes,
            kind=CareKind.MEDICINE,
            professional_id="ph-1",
            medicine_rate=D(rate),
            base=D(price),
            quantity=boxes,
            **common,
        )
    if pick < 0.80:
        coefficient = D(rng.choice(["30", "50", "80"]))
        return CareLine(
            "B",
            charged=(D("0.27") * coefficient).quantize(D("0.01")),
            kind=CareKind.LAB,
            professional_id="lab-1",
            coefficient=coefficient,
            **common,
        )
    if pick < 0.92:
        code, value, coefficient = rng.choice([("AMI", "3.15", "1"), ("AMK", "2.15", "7.5")])
        charged = (D(value) * D(coefficient)).quantize(D("0.01"))
        return CareLine(
            code,
            charged=charged,
            kind=CareKind.AUXILIARY,
            professional_id=f"aux-{person % 30}",
            coefficient=D(coefficient),
            **common,
        )
    if pick < 0.96:
        return CareLine(
            "TRANSPORT",
            charged=D("45.00"),
            kind=CareKind.TRANSPORT,
            professional_id="taxi-1",
            base=D("45.00"),
            **common,
        )
    if pick < 0.98:
        return CareLine(
            "IMAGING",
            charged=D("150.00"),
            kind=CareKind.IMAGING,
            professional_id="rx-1",
            base=D("150.00"),
            **common,
        )
    if pick < 0.99:
        return CareLine(
            "GHS",
            charged=D("900.00"),
            kind=CareKind.HOSPITAL,
            professional_id="hosp-1",
            base=D("900.00"),
            end_date=day + timedelta(days=rng.randint(0, 40)),
            **common,
        )
    if pick < 0.995:
        return CareLine(
            "URG",
            charged=D("150.00"),
            kind=CareKind.EMERGENCY,
            professional_id="hosp-1",
            base=D("150.00"),
            **common,
        )
    return CareLine(
        "APPAREIL",
        charged=D("950.00"),
        kind=CareKind.AUDIOLOGY,
        professional_id="audio-1",
        base=D("400.00"),
        **common,
    )


def histories(people: int, lines: int, seed: int) -> list[list[CareLine]]:
    rng = random.Random(seed)
    out = []
    for person in range(people):
        age = rng.choice([3, 12, 30, 45, 70])
        situation = Situation(birth_date=date(2022 - age, rng.randint(1, 12), 1), css=rng.random() < 0.05)
        out.append([_line(rng, situation, person) for _ in range(lines)])
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=25, help="lines per person, settled in one call")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    data = histories(args.people, args.lines, args.seed)
    total = args.people * args.lines
    rates, cpu_rates = [], []
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        for lines in data:
            compute_settlements(lines, withheld=Withheld())
        rates.append(total / (time.perf_counter() - t0))
        cpu_rates.append(total / (time.process_time() - c0))
    load = os.getloadavg()[0]
    print(
        f"compute_settlements, {args.people} personnes x {args.lines} lignes, {args.runs} passages "
        f"(charge {load:.2f})",
        file=sys.stderr,
    )
    print(
        f"lignes/s : médiane {statistics.median(rates):,.0f}, meilleure {max(rates):,.0f} "
        f"({1e6 / statistics.median(rates):.1f} µs par ligne) ; objectif >= 50,000"
    )
    # CPU time of this process: less moved by other processes on the same cores.
    print(f"lignes/s en temps CPU du processus : médiane {statistics.median(cpu_rates):,.0f}")


if __name__ == "__main__":
    main()

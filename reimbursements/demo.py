"""Demo care: professionals, then two years of care for some demo people, posted and paid.

Deterministic for a given day (``random.Random(2026)``) and idempotent: once
demo sheets exist (``import_batch="demo"``) nothing is written again. The care
is posted and paid week by week in date order, as the caisse would have done,
so that deductions carried over from tiers payant and yearly caps fall where
they would have. Timestamps are then moved back to the day each thing would
have happened, so that the back office reads like a real history.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Subquery
from django.utils import timezone

from accounts.demo import CHILDREN, PEOPLE
from accounts.models import Beneficiary, Insured
from accounts.nir import generate_nir

from .models import CareAct, CareSheet, Journal, Payment, Professional, Settlement
from .services.payments import payments_run
from .services.posting import care_sheet_post

BATCH = "demo"
YEARS = 2
D = Decimal

# key, RPPS (11 digits, a person) or FINESS (9 digits, an establishment), name, kind, specialty,
# sector, OPTAM, city
PROFESSIONALS = [
    ("traitant", "10003456781", "Dr Claire Médecin", "doctor", "general_practice", "1", False, "Paris"),
    # Secteur 2 OPTAM, with a moderate dépassement; also the Paris GP seen outside the path.
    ("gp:Paris", "10003456799", "Dr Hélène Vasseur", "doctor", "general_practice", "2", True, "Paris"),
    ("gp:Lyon", "10003456807", "Dr Paul Girard", "doctor", "general_practice", "1", False, "Lyon"),
    ("gp:Toulouse", "10003456815", "Dr Karim Benali", "doctor", "general_practice", "1", False, "Toulouse"),
    ("gp:Rennes", "10003456823", "Dr Sophie Marchand", "doctor", "general_practice", "1", False, "Rennes"),
    ("gp:Bordeaux", "10003456831", "Dr Anne Lefort", "doctor", "general_practice", "1", False, "Bordeaux"),
    ("gp:Marseille", "10003456849", "Dr Marc Antoni", "doctor", "general_practice", "1", False, "Marseille"),
    (
        "gp:Pointe-à-Pitre",
        "10003456856",
        "Dr Josué Célestine",
        "doctor",
        "general_practice",
        "1",
        False,
        "Pointe-à-Pitre",
    ),
    ("cardiologist", "10003456864", "Dr Jean Castel (cardiologue)", "doctor", "other", "2", False, "Lyon"),
    (
        "dermatologist",
        "10003456872",
        "Dr Laure Fabre (dermatologue)",
        "doctor",
        "other",
        "1",
        False,
        "Toulouse",
    ),
    ("paediatrician", "10003456880", "Dr Nadia Haddad (pédiatre)", "doctor", "other", "1", False, "Rennes"),
    ("gynaecologist", "10003456898", "Dr Isabelle Roche", "doctor", "gynaecology", "2", True, "Bordeaux"),
    ("ophthalmologist", "10003456906", "Dr Thierry Nguyen", "doctor", "ophthalmology", "1", False, "Paris"),
    ("dentist", "10003456914", "Dr Émilie Garnier (chirurgien-dentiste)", "dentist", "", "1", False, "Paris"),
    ("nurse", "10003456922", "Julie Perrin (infirmière)", "auxiliary", "", "1", False, "Lyon"),
    (
        "physio",
        "10003456930",
        "Mathieu Roussel (masseur-kinésithérapeute)",
        "auxiliary",
        "",
        "1",
        False,
        "Toulouse",
    ),
    ("lab:Paris", "750012345", "Laboratoire BioParis Nation", "lab", "", "1", False, "Paris"),
    ("lab:Lyon", "690012346", "Laboratoire Bio Lyon Part-Dieu", "lab", "", "1", False, "Lyon"),
    ("imaging", "750012347", "Cabinet de radiologie République", "imaging", "", "1", False, "Paris"),
    ("pharmacy:Paris", "750012348", "Pharmacie de la Bastille", "medicine", "", "1", False, "Paris"),
    ("pharmacy:Lyon", "690012349", "Pharmacie des Halles", "medicine", "", "1", False, "Lyon"),
    ("pharmacy:Toulouse", "310012340", "Pharmacie du Capitole", "medicine", "", "1", False, "Toulouse"),
    ("pharmacy:Marseille", "130012341", "Pharmacie du Vieux-Port", "medicine", "", "1", False, "Marseille"),
    ("pharmacy:Rennes", "350012342", "Pharmacie des Lices", "medicine", "", "1", False, "Rennes"),
    ("pharmacy:Bordeaux", "330012343", "Pharmacie des Chartrons", "medicine", "", "1", False, "Bordeaux"),
    (
        "pharmacy:Pointe-à-Pitre",
        "971012344",
        "Pharmacie de la Darse",
        "medicine",
        "",
        "1",
        False,
        "Pointe-à-Pitre",
    ),
    ("hospital", "310012345", "Centre hospitalier de Démonstration", "hospital", "", "1", False, "Toulouse"),
    ("transport", "310012346", "Taxi conventionné Allo Santé", "transport", "", "1", False, "Toulouse"),
]

# People whose care is made up: every demo account, and these without one.
WITHOUT_ACCOUNT = ("Bernard", "Moreau", "Dubois", "Robert")
HOSPITAL_PATIENT = "Richard"  # a knee operation, the taxi home, then physiotherapy

# label, unit price, rate (medicines are priced per box; the box price is the base)
MEDICINES = [
    ("Paracétamol 1 g, 8 comprimés", D("2.18"), D("0.65")),
    ("Amoxicilline 1 g, 6 comprimés", D("3.31"), D("0.65")),
    ("Ibuprofène 400 mg, 12 comprimés", D("1.96"), D("0.65")),
    ("Oméprazole 20 mg, 14 gélules", D("3.24"), D("0.65")),
    ("Sirop contre la toux, 150 ml", D("2.71"), D("0.30")),
    ("Collyre antiallergique, 10 ml", D("3.05"), D("0.30")),
    ("Veinotonique, 30 comprimés", D("4.84"), D("0.15")),
]
ALD_MEDICINES = [
    ("Metformine 1000 mg, 60 comprimés", D("4.43"), D("0.65")),
    ("Insuline glargine, 5 stylos", D("54.13"), D("0.65")),
    ("Bandelettes glycémie, 50", D("15.77"), D("0.65")),
]


@dataclass
class Line:
    act_code: str
    label: str
    care_date: date
    kind: str
    charged: Decimal
    quantity: int = 1
    coefficient: Decimal | None = None
    base: Decimal | None = None
    medicine_rate: Decimal | None = None
    end_date: date | None = None


@dataclass
class Sheet:
    insured: Insured
    professional: Professional
    received_on: date
    lines: list[Line] = field(default_factory=list)
    beneficiary: Beneficiary | None = None
    tiers_payant: bool = False
    coordinated_path: bool = True
    ald_related: bool = False


def _gp_fee(day: date) -> Decimal:
    return D("30.00") if day >= date(2024, 12, 22) else D("26.50")


class _Planner:
    """Makes up the care of one person at a time; every draw comes from one seeded generator."""

    def __init__(self, rng: random.Random, pros: dict[str, Professional], start: date, today: date):
        self.rng, self.pros, self.start, self.today = rng, pros, start, today
        self.sheets: list[Sheet] = []

    def pro(self, role: str, city: str) -> Professional:
        return self.pros.get(f"{role}:{city}") or self.pros[f"{role}:Paris"]

    def received(self, care_date: date, *, paper: bool = False) -> date:
        # Most sheets are teletransmitted the same day or so; paper ones take a week or two.
        delay = self.rng.randint(7, 18) if paper else self.rng.randint(0, 2)
        return min(care_date + timedelta(days=delay), self.today)

    def add(self, insured, professional, care_date, lines, *, paper=False, **flags) -> Sheet:
        sheet = Sheet(
            insured=insured,
            professional=professional,
            received_on=self.received(care_date, paper=paper),
            lines=lines,
            **flags,
        )
        self.sheets.append(sheet)
        return sheet

    def medicines(self, insured, day, city, *, beneficiary=None, ald=False, tiers_payant=None):
        """The pharmacy, usually right after the visit and usually in tiers payant."""
        choices = ALD_MEDICINES if ald else MEDICINES
        lines = []
        for label, price, rate in self.rng.sample(choices, self.rng.randint(1, min(3, len(choices)))):
            boxes = self.rng.choice((1, 1, 1, 2, 3))
            code = {D("0.65"): "PH7", D("0.30"): "PH4", D("0.15"): "PH2", D("1.00"): "PH1"}[rate]
            lines.append(
                Line(
                    code,
                    label,
                    day,
                    "medicine",
                    price * boxes,
                    quantity=boxes,
                    base=price,
                    medicine_rate=rate,
                )
            )
        if tiers_payant is None:
            tiers_payant = self.rng.random() < 0.8
        self.add(
            insured,
            self.pro("pharmacy", city),
            day,
            lines,
            beneficiary=beneficiary,
            tiers_payant=tiers_payant,
            ald_related=ald,
        )

    def lab(self, insured, day, city, *, coefficient, label, ald=False, tiers_payant=False):
        lines = [
            Line(
                "B", label, day, "lab", (D("0.27") * coefficient).quantize(D("0.01")), coefficient=coefficient
            )
        ]
        self.add(insured, self.pro("lab", city), day, lines, ald_related=ald, tiers_payant=tiers_payant)

    def person(self, insured: Insured, situation: str | None, children: list[Beneficiary]) -> None:
        rng, city = self.rng, insured.city
        tiers_payant_all = situation in ("css", "ame")  # CSS and AME: tiers payant everywhere
        ald = situation == "ald"
        day = self.start + timedelta(days=rng.randint(0, 40))
        while day <= self.today:
            # The médecin traitant, sometimes by teleconsultation; now and then another GP,
            # seen without being referred (outside the coordinated path).
            roll = rng.random()
            if roll < 0.1:
                gp, path, charged = self.pro("gp", city), False, _gp_fee(day)
            elif roll < 0.2:
                gp, path, charged = self.pros["gp:Paris"], True, _gp_fee(day) + D("8.00")
            else:
                gp, path, charged = self.pros["traitant"], True, _gp_fee(day)
            code = "TCG" if rng.random() < 0.15 else "G"
            label = "Téléconsultation" if code == "TCG" else "Consultation"
            visit_ald = ald and rng.random() < 0.7
            self.add(
                insured,
                gp,
                day,
                [Line(code, label, day, "doctor", charged)],
                coordinated_path=path,
                ald_related=visit_ald,
                tiers_payant=tiers_payant_all or visit_ald,
            )
            if rng.random() < 0.6:
                self.medicines(
                    insured,
                    day + timedelta(days=rng.choice((0, 0, 1))),
                    city,
                    ald=visit_ald,
                    tiers_payant=True if tiers_payant_all else None,
                )
            if rng.random() < 0.2 or (visit_ald and rng.random() < 0.5):
                self.lab(
                    insured,
                    day + timedelta(days=rng.randint(1, 6)),
                    city,
                    coefficient=D(rng.choice(("30", "52", "70", "120"))),
                    label="Bilan sanguin",
                    ald=visit_ald,
                    tiers_payant=tiers_payant_all,
                )
            day += timedelta(days=rng.randint(30, 90) if not ald else rng.randint(25, 45))

        self.specialists(insured, situation, tiers_payant_all)
        self.dentist(insured, tiers_payant_all)
        if ald:
            self.ald_nursing(insured)
        if situation == "maternity":
            self.maternity(insured)
        if insured.last_name == HOSPITAL_PATIENT:
            self.hospital_stay(insured)
        for child in children:
            self.child(insured, child)

    def specialists(self, insured, situation, tiers_payant):
        rng = self.rng
        day = self.start + timedelta(days=rng.randint(20, 200))
        # Direct access: the ophthalmologist (and the gynaecologist for women) need no referral.
        self.add(
            insured,
            self.pros["ophthalmologist"],
            day,
            [Line("CS", "Consultation d'ophtalmologie", day, "doctor", D("30.00"))],
            coordinated_path=False,
            tiers_payant=tiers_payant,
            paper=True,
        )
        if insured.sex == "2" and situation != "maternity":
            day2 = day + timedelta(days=rng.randint(150, 300))
            if day2 <= self.today:
                self.add(
                    insured,
                    self.pros["gynaecologist"],
                    day2,
                    [Line("CS", "Consultation de gynécologie", day2, "doctor", D("40.00"))],
                    coordinated_path=False,
                    tiers_payant=tiers_payant,
                )
        # A cardiologist in secteur 2 outside OPTAM with a dépassement, referred by the GP.
        day3 = self.start + timedelta(days=rng.randint(250, 500))
        if rng.random() < 0.6 and day3 <= self.today:
            self.add(
                insured,
                self.pros["cardiologist"],
                day3,
                [Line("CS", "Consultation de cardiologie", day3, "doctor", D("60.00"))],
                tiers_payant=tiers_payant,
                paper=True,
            )
        # A dermatologist seen without referral: outside the coordinated path.
        day4 = self.start + timedelta(days=rng.randint(100, 600))
        if rng.random() < 0.5 and day4 <= self.today:
            self.add(
                insured,
                self.pros["dermatologist"],
                day4,
                [Line("CS", "Consultation de dermatologie", day4, "doctor", D("30.00"))],
                coordinated_path=False,
                tiers_payant=tiers_payant,
            )
        # An X-ray now and then.
        if rng.random() < 0.4:
            day5 = self.start + timedelta(days=rng.randint(30, 650))
            if day5 <= self.today:
                self.add(
                    insured,
                    self.pros["imaging"],
                    day5,
                    [Line("ZBQK002", "Radiographie du thorax", day5, "imaging", D("21.28"), base=D("21.28"))],
                    tiers_payant=tiers_payant,
                )

    def dentist(self, insured, tiers_payant):
        rng = self.rng
        day = self.start + timedelta(days=rng.randint(10, 120))
        while day <= self.today:
            lines = [Line("C", "Consultation dentaire", day, "dentist", D("23.00"))]
            if rng.random() < 0.6:
                lines.append(Line("HBJD001", "Détartrage", day, "dentist", D("28.92"), base=D("28.92")))
            self.add(insured, self.pros["dentist"], day, lines, tiers_payant=tiers_payant)
            day += timedelta(days=rng.randint(240, 400))

    def ald_nursing(self, insured):
        """Weekly nurse visits for an insulin-treated diabetes, billed monthly, all for the ALD."""
        day = self.start + timedelta(days=3)
        while day <= self.today:
            visits = [d for d in (day + timedelta(days=7 * week) for week in range(4)) if d <= self.today]
            lines = [
                Line(
                    "AMI", "Injection sous-cutanée d'insuline", d, "auxiliary", D("3.15"), coefficient=D("1")
                )
                for d in visits
            ]
            self.add(insured, self.pros["nurse"], visits[-1], lines, ald_related=True, tiers_payant=True)
            day += timedelta(days=28)

    def maternity(self, insured):
        """Monthly follow-up from the 6th month: paid at 100 %, no deductions."""
        day = self.today - timedelta(days=55)
        for step in range(2):
            visit = day + timedelta(days=30 * step)
            if visit > self.today:
                break
            self.add(
                insured,
                self.pros["gynaecologist"],
                visit,
                [Line("CS", "Consultation de suivi de grossesse", visit, "doctor", D("40.00"))],
            )
            self.add(
                insured,
                self.pros["imaging"],
                visit + timedelta(days=2),
                [
                    Line(
                        "JQQM018",
                        "Échographie obstétricale",
                        visit + timedelta(days=2),
                        "imaging",
                        D("46.50"),
                        base=D("46.50"),
                    )
                ],
            )

    def hospital_stay(self, insured):
        rng = self.rng
        admitted = self.start + timedelta(days=rng.randint(200, 300))
        discharged = admitted + timedelta(days=3)
        self.add(
            insured,
            self.pros["hospital"],
            discharged,
            [
                Line(
                    "GHS",
                    "Séjour en chirurgie orthopédique",
                    admitted,
                    "hospital",
                    D("3867.42"),
                    base=D("3867.42"),
                    end_date=discharged,
                )
            ],
            tiers_payant=True,
        )
        self.add(
            insured,
            self.pros["transport"],
            discharged,
            [
                Line(
                    "TAX",
                    "Transport assis, retour à domicile",
                    discharged,
                    "transport",
                    D("48.60"),
                    base=D("48.60"),
                )
            ],
            tiers_payant=True,
        )
        # Physiotherapy: 20 sessions twice a week, billed every five sessions.
        sessions = [discharged + timedelta(days=7 + 3 * i + (i // 2)) for i in range(20)]
        for first in range(0, 20, 5):
            dates = [d for d in sessions[first : first + 5] if d <= self.today]
            if dates:
                self.add(
                    insured,
                    self.pros["physio"],
                    dates[-1],
                    [
                        Line("AMK", "Rééducation du genou", d, "auxiliary", D("16.13"), coefficient=D("7.5"))
                        for d in dates
                    ],
                )

    def child(self, insured, child):
        rng = self.rng
        day = self.start + timedelta(days=rng.randint(0, 90))
        while day <= self.today:
            if rng.random() < 0.5:
                doctor, code, label = self.pros["traitant"], "G", "Consultation"
                charged = _gp_fee(day)
            else:
                doctor, code, label = self.pros["paediatrician"], "CS", "Consultation de pédiatrie"
                charged = D("30.00")
            self.add(insured, doctor, day, [Line(code, label, day, "doctor", charged)], beneficiary=child)
            if rng.random() < 0.7:
                self.medicines(insured, day, insured.city, beneficiary=child)
            day += timedelta(days=rng.randint(60, 150))


def _professionals() -> dict[str, Professional]:
    pros = {}
    for key, rpps, name, kind, specialty, sector, optam, city in PROFESSIONALS:
        pros[key], _ = Professional.objects.update_or_create(
            rpps=rpps,
            defaults={
                "name": name,
                "kind": kind,
                "specialty": specialty,
                "sector": sector,
                "optam": optam,
                "city": city,
            },
        )
    return pros


def _people() -> list[tuple[Insured, str | None]]:
    situations = {}
    for _last, _first, sex, born, dept, commune, order, *_rest, situation in PEOPLE:
        nir = generate_nir(
            sex=sex, year=born.year, month=born.month, department=dept, commune=commune, order=order
        )
        situations[nir.number] = situation
    found = Insured.objects.filter(nir__in=situations).select_related("user").order_by("nir")
    return [
        (i, situations[i.nir])
        for i in found
        if getattr(i, "user", None) is not None or i.last_name in WITHOUT_ACCOUNT
    ]


def _create(sheets: list[Sheet]) -> list[CareSheet]:
    rows = CareSheet.objects.bulk_create(
        [
            CareSheet(
                insured=s.insured,
                beneficiary=s.beneficiary,
                professional=s.professional,
                received_on=s.received_on,
                tiers_payant=s.tiers_payant,
                coordinated_path=s.coordinated_path,
                ald_related=s.ald_related,
                import_batch=BATCH,
            )
            for s in sheets
        ]
    )
    CareAct.objects.bulk_create(
        [
            CareAct(
                sheet=row,
                act_code=line.act_code,
                label=line.label,
                care_date=line.care_date,
                end_date=line.end_date,
                kind=line.kind,
                charged=line.charged,
                quantity=line.quantity,
                coefficient=line.coefficient,
                base=line.base,
                medicine_rate=line.medicine_rate,
            )
            for row, sheet in zip(rows, sheets, strict=True)
            for line in sheet.lines
        ]
    )
    return rows


def _backdate() -> None:
    """Posting and paying happened today: move the timestamps to the day they stand for."""
    noon = timedelta(hours=12)
    # What happened today keeps its real time rather than a noon still to come.
    sheets = CareSheet.objects.filter(import_batch=BATCH, received_on__lt=timezone.localdate())
    sheets.update(posted_at=ExpressionWrapper(F("received_on") + noon, output_field=DateTimeField()))
    settlements = Settlement.objects.filter(act__sheet__import_batch=BATCH)
    settlements.update(
        posted_at=Subquery(CareAct.objects.filter(pk=OuterRef("act_id")).values("sheet__posted_at")[:1])
    )
    Journal.objects.filter(settlement__in=settlements).update(
        posted_at=Subquery(Settlement.objects.filter(pk=OuterRef("settlement_id")).values("posted_at")[:1])
    )
    payments = Payment.objects.filter(settlements__in=settlements, paid_on__lt=timezone.localdate())
    Payment.objects.filter(pk__in=payments).update(
        created_at=ExpressionWrapper(F("paid_on") + noon, output_field=DateTimeField())
    )
    Journal.objects.filter(payment__in=payments).update(
        posted_at=Subquery(Payment.objects.filter(pk=OuterRef("payment_id")).values("created_at")[:1])
    )


def _summary() -> str:
    sheets = CareSheet.objects.filter(import_batch=BATCH)
    payments = Payment.objects.filter(settlements__act__sheet__import_batch=BATCH).distinct()
    return f"remboursements : {sheets.count()} feuilles de soins, {payments.count()} paiements"


def seed() -> list[str]:
    """Called by ``manage.py seed_demo``: the care and payments, then IJ and vaccinations."""
    from . import demo_allowances_vaccinations

    return [_seed_care(), *demo_allowances_vaccinations.seed()]


def _seed_care() -> str:
    if CareSheet.objects.filter(import_batch=BATCH).exists():
        return _summary()
    pros = _professionals()
    today = timezone.localdate()
    start = today - timedelta(days=365 * YEARS)
    planner = _Planner(random.Random(2026), pros, start, today)
    for insured, situation in _people():
        children = (
            list(insured.beneficiaries.order_by("birth_date")) if CHILDREN.get(insured.last_name) else []
        )
        planner.person(insured, situation, children)

    plan = sorted(planner.sheets, key=lambda s: (s.received_on, min(li.care_date for li in s.lines)))
    rows = _create(plan)
    # Post what arrived each week, then run that Friday's payments, in date order.
    pending = list(rows)
    friday = start + timedelta(days=(4 - start.weekday()) % 7)
    while friday <= today:
        while pending and pending[0].received_on <= friday:
            care_sheet_post(sheet=pending.pop(0), actor=None)
        payments_run(day=friday)
        friday += timedelta(days=7)
    for sheet in pending:  # arrived since the last payment run: posted, not yet paid
        care_sheet_post(sheet=sheet, actor=None)
    _backdate()
    return _summary()

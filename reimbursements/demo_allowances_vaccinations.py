"""Demo indemnités journalières and vaccinations, for the demo people with an account.

Idempotent: a person who already has IJ or vaccinations on record is left as is.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Insured

from .models import DailyAllowance, Vaccination
from .services.allowances import daily_allowance_pay

# Last names in accounts/demo.py's PEOPLE: the demo account, a maternity, a family (the
# last two without an account: staff see them in the back office).
DEMO_PEOPLE = ("Martin", "Dubois", "Moreau")


def _friday_after(day: date) -> date:
    return day + timedelta(days=(4 - day.weekday()) % 7 or 7)


def seed_allowances_vaccinations(insured: Insured, *, today: date | None = None) -> None:
    today = today or timezone.localdate()
    if not DailyAllowance.objects.filter(insured=insured).exists():
        _allowances(insured, today)
    if not Vaccination.objects.filter(insured=insured).exists():
        _vaccinations(insured, today)


def _allowances(insured: Insured, today: date) -> None:
    employer = "Société Exemple SARL"
    # A sick leave last year, paid in two parts, and a shorter one this year.
    last_year = date(today.year - 1, 3, 4)
    for start, end in (
        (last_year, last_year + timedelta(days=13)),
        (last_year + timedelta(days=14), last_year + timedelta(days=27)),
    ):
        daily_allowance_pay(
            insured=insured,
            kind=DailyAllowance.Kind.SICKNESS,
            period_start=start,
            period_end=end,
            daily_gross=Decimal("41.47"),
            employer=employer,
            paid_on=_friday_after(end),
        )
    expecting = insured.sex == "2" and insured.exemptions.filter(kind="maternite").exists()
    start = max(date(today.year, 1, 6), today - timedelta(days=60))
    end = start + timedelta(days=6)
    if not expecting and _friday_after(end) <= today:
        daily_allowance_pay(
            insured=insured,
            kind=DailyAllowance.Kind.SICKNESS,
            period_start=start,
            period_end=end,
            daily_gross=Decimal("43.10"),
            employer=employer,
            paid_on=_friday_after(end),
        )
    if expecting:
        # Maternity leave: the prenatal part, paid every two weeks.
        first = today - timedelta(days=90)
        for n in range(3):
            start = first + timedelta(days=14 * n)
            end = start + timedelta(days=13)
            if _friday_after(end) > today:
                break
            daily_allowance_pay(
                insured=insured,
                kind=DailyAllowance.Kind.MATERNITY,
                period_start=start,
                period_end=end,
                daily_gross=Decimal("89.03"),
                employer=employer,
                paid_on=_friday_after(end),
            )


def _vaccinations(insured: Insured, today: date) -> None:
    rows = [
        (None, "Comirnaty", "COVID-19", 1, date(2021, 5, 12), "FD7958", "Centre de vaccination"),
        (None, "Comirnaty", "COVID-19", 2, date(2021, 6, 16), "FE2090", "Centre de vaccination"),
        (
            None,
            "Comirnaty Omicron XBB.1.5",
            "COVID-19",
            3,
            date(2023, 10, 20),
            "HH0321",
            "Pharmacie du Centre",
        ),
        (
            None,
            "Repevax",
            "Diphtérie, tétanos, poliomyélite, coqueluche",
            1,
            date(max(insured.birth_date.year + 25, 2015), 4, 9),
            "X3A41",
            "Dr Anne Martin",
        ),
        (
            None,
            "Efluelda",
            "Grippe saisonnière",
            1,
            date(today.year - 1, 10, 21),
            "V7K12",
            "Pharmacie du Centre",
        ),
    ]
    for child in insured.beneficiaries.order_by("birth_date"):
        born = child.birth_date
        rows += [
            (
                child,
                "Priorix",
                "Rougeole, oreillons, rubéole (ROR)",
                1,
                born + timedelta(days=365),
                "A71CB",
                "Dr Paul Leroy, pédiatre",
            ),
            (
                child,
                "Priorix",
                "Rougeole, oreillons, rubéole (ROR)",
                2,
                born + timedelta(days=500),
                "A71CC",
                "Dr Paul Leroy, pédiatre",
            ),
        ]
    Vaccination.objects.bulk_create(
        [
            Vaccination(
                insured=insured,
                beneficiary=who,
                vaccine=vaccine,
                disease=disease,
                dose=dose,
                vaccinated_on=day,
                batch_number=batch,
                vaccinator=by,
            )
            for who, vaccine, disease, dose, day, batch, by in rows
            if day <= today
        ]
    )


def seed() -> list[str]:
    people = Insured.objects.filter(last_name__in=DEMO_PEOPLE)
    for insured in people:
        seed_allowances_vaccinations(insured)
    return [
        f"santé : {DailyAllowance.objects.count()} indemnités journalières, "
        f"{Vaccination.objects.count()} vaccinations"
    ]

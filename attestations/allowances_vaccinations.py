"""What the IJ attestation, the relevé fiscal and the attestation de vaccination say.

Each kind has a ``*_data`` function (the facts whose hash is the document's content key:
a new payment or vaccination on record changes it) and a ``*_context`` function (what its
PDF template shows).
"""

from datetime import date
from decimal import Decimal

from accounts.models import Insured
from ameli_portal.formats import euros, french_date
from reimbursements.models import ZERO, DailyAllowance, Vaccination

SELF = "assure"  # Document.person for the insured person alone


def allowances_paid(insured: Insured, start: date, end: date) -> list[DailyAllowance]:
    return list(
        DailyAllowance.objects.filter(insured=insured, paid_on__range=(start, end)).order_by(
            "paid_on", "period_start", "pk"
        )
    )


def _allowance_rows(allowances) -> list[list]:
    return [
        [
            a.pk,
            a.kind,
            a.period_start.isoformat(),
            a.period_end.isoformat(),
            a.days,
            str(a.daily_gross),
            str(a.gross),
            str(a.csg_crds),
            str(a.net),
            str(a.taxable),
            a.paid_on.isoformat(),
            a.employer,
        ]
        for a in allowances
    ]


def allowances_data(insured: Insured, start: date, end: date) -> dict:
    return {
        "period": [start.isoformat(), end.isoformat()],
        "names": [insured.last_name, insured.first_names],
        "rows": _allowance_rows(allowances_paid(insured, start, end)),
    }


def _sum(allowances, name: str) -> Decimal:
    return sum((getattr(a, name) for a in allowances), ZERO)


def allowances_context(document, day: date) -> dict:
    allowances = allowances_paid(document.owner, document.period_start, document.period_end)
    return {
        "period_start": french_date(document.period_start),
        "period_end": french_date(document.period_end),
        "allowances": allowances,
        "totals": {name: euros(_sum(allowances, name)) for name in ("gross", "csg_crds", "net")},
        "total_days": sum(a.days for a in allowances),
        "employers": sorted({a.employer for a in allowances if a.employer}),
    }


def tax_context(document, day: date) -> dict:
    allowances = allowances_paid(document.owner, document.period_start, document.period_end)
    by_kind: dict[str, list] = {}
    for a in allowances:
        by_kind.setdefault(a.get_kind_display(), []).append(a)
    return {
        "year": document.period_start.year,
        "allowances": allowances,
        "by_kind": [
            {"label": label, "taxable": euros(_sum(rows, "taxable")), "net": euros(_sum(rows, "net"))}
            for label, rows in sorted(by_kind.items())
        ],
        "taxable": euros(_sum(allowances, "taxable")),
        "net": euros(_sum(allowances, "net")),
        "non_taxable": any(a.taxable == ZERO for a in allowances),
    }


def vaccination_people(insured: Insured, person: str = "") -> list[tuple[str, object]]:
    """[(display name, beneficiary or None for the insured)] the attestation covers."""
    people = [(f"{insured.first_names} {insured.last_name}", None)]
    people += [
        (f"{b.first_names} {b.last_name}", b) for b in insured.beneficiaries.order_by("birth_date", "pk")
    ]
    if person == SELF:
        return people[:1]
    if person:
        return [(name, b) for name, b in people if b is not None and b.public_id.hex == person]
    return people


def _vaccinations(insured: Insured, person: str) -> list[tuple[str, object, list[Vaccination]]]:
    records = list(Vaccination.objects.filter(insured=insured).order_by("vaccinated_on", "pk"))
    return [
        (name, who, [v for v in records if v.beneficiary_id == (who.pk if who else None)])
        for name, who in vaccination_people(insured, person)
    ]


def vaccination_data(insured: Insured, person: str) -> dict:
    return {
        "person": person,
        "people": [
            [
                name,
                who.birth_date.isoformat() if who else insured.birth_date.isoformat(),
                [
                    [
                        v.pk,
                        v.vaccine,
                        v.disease,
                        v.dose,
                        v.vaccinated_on.isoformat(),
                        v.batch_number,
                        v.vaccinator,
                    ]
                    for v in records
                ],
            ]
            for name, who, records in _vaccinations(insured, person)
        ],
    }


def vaccination_context(document, day: date) -> dict:
    insured = document.owner
    return {
        "people": [
            {
                "name": name,
                "birth_date": french_date(who.birth_date if who else insured.birth_date),
                "born": (who or insured).born,
                "vaccinations": records,
            }
            for name, who, records in _vaccinations(insured, document.person)
        ]
    }

"""Demo register: a caisse, staff, and ~20 insured people in varied situations.

Deterministic and idempotent: running it twice gives the same register.
"""

import random
from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from schwifty import IBAN

from .models import (
    Beneficiary,
    Caisse,
    CoveragePeriod,
    Exemption,
    HealthCard,
    HealthCardEvent,
    Insured,
    TermsAcceptance,
    User,
    age_on,
)
from .nir import generate_nir
from .roles import roles_sync
from .services.login import staff_address_confirm
from .terms import terms_accept

INSURED_PASSWORD = "Demo-Assure-2026"
STAFF = [
    # username, password, group, superuser
    ("conseiller", "Demo-Conseiller-2026", "Conseiller", False),
    ("superviseur", "Demo-Superviseur-2026", "Superviseur", False),
    ("courrier", "Demo-Courrier-2026", "Agent courrier", False),
    ("admin", "Demo-Admin-2026", None, True),
]

# last name, first names, sex, birth date, dept, commune, order, postal code, city, situation
PEOPLE = [
    ("Martin", "Camille Anne", 2, date(1986, 4, 12), "75", "115", 201, "75011", "Paris", "account"),
    ("Bernard", "Lucas", 1, date(1979, 9, 3), "69", "123", 45, "69003", "Lyon", "ald"),
    ("Dubois", "Léa Marie", 2, date(1994, 2, 27), "33", "063", 310, "33000", "Bordeaux", "maternity"),
    ("Thomas", "Hugo", 1, date(2009, 6, 18), "59", "350", 12, "59000", "Lille", "minor"),
    ("Robert", "Chloé", 2, date(1990, 11, 5), "13", "055", 77, "13001", "Marseille", "css"),
    ("Richard", "Nathan Paul", 1, date(1972, 1, 30), "31", "555", 88, "31000", "Toulouse", "account"),
    ("Petit", "Manon", 2, date(1968, 7, 14), "44", "109", 150, "44000", "Nantes", "ald"),
    ("Durand", "Louis", 1, date(1958, 3, 22), "67", "482", 19, "67000", "Strasbourg", None),
    ("Leroy", "Emma", 2, date(2001, 12, 1), "34", "172", 230, "34000", "Montpellier", None),
    ("Moreau", "Gabriel", 1, date(1983, 5, 9), "35", "238", 61, "35000", "Rennes", "children"),
    ("Simon", "Inès", 2, date(1997, 8, 25), "2A", "004", 5, "20000", "Ajaccio", None),
    ("Laurent", "Jules", 1, date(1975, 10, 16), "2B", "033", 8, "20200", "Bastia", "children"),
    ("Lefebvre", "Sarah", 2, date(1989, 4, 3), "971", "20", 41, "97110", "Pointe-à-Pitre", "account"),
    ("Michel", "Adam", 1, date(1992, 1, 19), "99", "350", 120, "92100", "Boulogne-Billancourt", "ame"),
    ("Garcia", "Lina", 2, date(1980, 6, 30), "06", "088", 99, "06000", "Nice", "children"),
    ("David", "Raphaël", 1, date(1965, 2, 11), "21", "231", 14, "21000", "Dijon", "closed"),
    ("Bertrand", "Zoé", 2, date(2003, 9, 9), "37", "261", 66, "37000", "Tours", None),
    ("Roux", "Arthur", 1, date(1950, 12, 24), "63", "113", 3, "63000", "Clermont-Ferrand", "ald"),
    ("Vincent", "Jade", 2, date(1999, 3, 15), "29", "019", 210, "29200", "Brest", "no_iban"),
    ("Fournier", "Noah", 7, date(1995, 5, 5), "75", "120", 400, "75020", "Paris", "temporary"),
]

CHILDREN = {
    "Moreau": [("Léo", 1, date(2015, 3, 2)), ("Alice", 2, date(2019, 7, 21))],
    "Laurent": [("Maël", 1, date(2008, 1, 11))],
    "Garcia": [("Rose", 2, date(2012, 10, 4)), ("Tom", 1, date(2021, 5, 17))],
    "Martin": [("Lou", 2, date(2018, 9, 30))],
    "Dubois": [],
}


def seed_staff() -> list[str]:
    roles_sync()
    lines = []
    for username, password, group, is_superuser in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": True,
                "is_superuser": is_superuser,
                "email": f"{username}@caisse-demo.example",
            },
        )
        if created:
            user.set_password(password)
            user.save()
        if group:
            user.groups.add(Group.objects.get(name=group))
        # Ready on first sign-in: a verified address (allauth asks one before an app can be
        # set up), no sign-up step; the back office's sign-in does the same for any agent.
        staff_address_confirm(user=user)
        lines.append(f"back-office  {username} / {password}")
    return lines


# Each story adds a past to the card in service (see _seed_cards).
CARD_STORIES = {"Martin": "malfunction", "Richard": "theft", "Lefebvre": "renewal"}
FAMILY = {
    "Martin": ("pacse", date(2019, 6, 22)),
    "Moreau": ("marie", date(2012, 9, 8)),
    "Garcia": ("divorce", date(2023, 2, 1)),
    "Laurent": ("marie", date(2006, 5, 13)),
    "Roux": ("veuf", date(2020, 11, 3)),
    "Leroy": ("celibataire", date(2001, 12, 1)),
}


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _card(
    insured,
    beneficiary,
    n,
    *,
    status,
    reason,
    ordered,
    valid_from=None,
    valid_until=None,
    opposed=None,
    kind="vitale",
) -> HealthCard:
    # Deterministic serials: a second seeding gives the same register.
    rng = random.Random(f"{insured.nir}:{beneficiary.first_names if beneficiary else ''}:{n}")
    card = HealthCard.objects.create(
        insured=insured,
        beneficiary=beneficiary,
        kind=kind,
        status=status,
        serial_number=f"{rng.randrange(10**11, 10**12)}",
        order_reason=reason,
        ordered_at=_at(ordered),
        valid_from=valid_from,
        valid_until=valid_until,
        opposed_at=_at(opposed, 18) if opposed else None,
        opposition_reason="theft" if opposed else "",
    )
    label = HealthCard.OrderReason(reason).label
    steps = [(ordered, "ordered", f"Commande ({label}).")]
    if valid_from:
        steps.append((valid_from, "valid", "Carte fabriquée et envoyée à l'adresse postale."))
    if opposed:
        steps.append((opposed, "opposed", "Mise en opposition (vol) : la carte ne peut plus être utilisée."))
    elif status == "replaced":
        steps.append((valid_until, "replaced", "Remplacée par une nouvelle carte."))
    for day, step, note in steps:
        HealthCardEvent.objects.create(
            card=card, at=_at(day, 18 if step == "opposed" else 10), status=step, note=note
        )
    return card


def _seed_cards(insured: Insured, today: date) -> None:
    """A carte Vitale in service for each person of 16 or more, and a little history."""
    if insured.health_cards.exists():
        # Seeded already; démarches may have added cards since (a CEAM delivered).
        return
    story = CARD_STORIES.get(insured.last_name)
    people = [(None, insured.birth_date)] + [
        (b, b.birth_date) for b in insured.beneficiaries.all() if age_on(b.birth_date, today) >= 16
    ]
    for beneficiary, born in people:
        at_16 = date(born.year + 16, born.month, min(born.day, 28))
        since = max(date(2016, 3, 1), at_16)
        if beneficiary is None and story == "malfunction":
            _card(
                insured,
                None,
                0,
                status="replaced",
                reason="first",
                ordered=date(2012, 4, 20),
                valid_from=date(2012, 5, 10),
                valid_until=date(2021, 3, 15),
            )
            since = date(2021, 3, 15)
            _card(
                insured,
                None,
                1,
                status="valid",
                reason="malfunction",
                ordered=date(2021, 3, 2),
                valid_from=since,
            )
            _card(
                insured,
                None,
                2,
                kind="ceam",
                status="valid",
                reason="first",
                ordered=date(2025, 5, 20),
                valid_from=date(2025, 6, 1),
                valid_until=date(2027, 6, 1),
            )
        elif beneficiary is None and story == "theft":
            _card(
                insured,
                None,
                0,
                status="opposed",
                reason="first",
                ordered=date(2016, 2, 10),
                valid_from=date(2016, 3, 1),
                opposed=date(2024, 10, 2),
            )
            _card(
                insured,
                None,
                1,
                status="valid",
                reason="theft",
                ordered=date(2024, 10, 2),
                valid_from=date(2024, 10, 16),
            )
        else:
            _card(
                insured,
                beneficiary,
                0,
                status="valid",
                reason="first",
                ordered=since - timedelta(days=15),
                valid_from=since,
            )
            if beneficiary is None and story == "renewal":
                _card(insured, None, 1, status="ordered", reason="renewal", ordered=today - timedelta(days=5))


def _iban(order: int) -> str:
    return IBAN.generate("FR", bank_code="30004", branch_code="00550", account_code=f"{order:011d}").compact


def seed() -> list[str]:
    branding = settings.BRANDING
    caisse, _ = Caisse.objects.update_or_create(
        code="999",
        defaults={
            "name": branding["caisse_name"],
            "address": branding["address"],
            "phone": branding["phone"],
            "hours": branding["hours"],
        },
    )
    lines = seed_staff()
    today = timezone.localdate()
    for last, first, sex, born, dept, commune, order, postal, city, situation in PEOPLE:
        nir = generate_nir(
            sex=sex, year=born.year, month=born.month, department=dept, commune=commune, order=order
        )
        insured, _ = Insured.objects.update_or_create(
            nir=nir.number,
            defaults={
                "caisse": caisse,
                "last_name": last,
                "first_names": first,
                "birth_date": born,
                "sex": "2" if sex % 2 == 0 else "1",
                "address_line1": f"{order} avenue de la Démonstration",
                "postal_code": postal,
                "city": city,
                "email": f"{first.split()[0].lower()}.{last.lower()}@exemple.test",
                "iban": "" if situation in ("no_iban", "temporary") else _iban(order),
                "medecin_traitant": "" if situation == "minor" else "Dr Claire Médecin",
                "medecin_traitant_since": None if situation == "minor" else date(2020, 1, 15),
            },
        )
        insured.coverage_periods.all().delete()
        end = today - timedelta(days=200) if situation == "closed" else None
        CoveragePeriod.objects.create(insured=insured, regime="general", start=date(2015, 1, 1), end=end)
        insured.exemptions.all().delete()
        kinds = {"ald": "ald", "css": "css", "ame": "ame", "maternity": "maternite"}
        if situation in kinds:
            start = today - timedelta(days=60) if situation == "maternity" else date(2023, 1, 1)
            end = today + timedelta(days=120) if situation == "maternity" else None
            Exemption.objects.create(insured=insured, kind=kinds[situation], start=start, end=end)
        for child_first, child_sex, child_born in CHILDREN.get(last, []):
            Beneficiary.objects.update_or_create(
                insured=insured,
                first_names=child_first,
                defaults={
                    "relationship": "enfant",
                    "last_name": last,
                    "birth_date": child_born,
                    "sex": str(child_sex),
                },
            )
        situation_since = FAMILY.get(last)
        insured.family_situation = situation_since[0] if situation_since else ""
        insured.family_situation_since = situation_since[1] if situation_since else None
        insured.save(update_fields=["family_situation", "family_situation_since"])
        if situation not in ("closed", "temporary"):
            _seed_cards(insured, today)
        if situation == "account":
            user, created = User.objects.get_or_create(
                username=nir.number,
                defaults={
                    "insured": insured,
                    "email": insured.email,
                    "first_name": first.split()[0],
                    "last_name": last,
                },
            )
            if created:
                user.set_password(INSURED_PASSWORD)
                user.save()
                terms_accept(insured=insured, user=user, context=TermsAcceptance.Context.SIGNUP)
            EmailAddress.objects.update_or_create(
                user=user, email=insured.email, defaults={"verified": True, "primary": True}
            )
            lines.append(f"assuré       {nir.number} / {INSURED_PASSWORD}  ({first.split()[0]} {last})")
    without = Insured.objects.filter(user__isnull=True, coverage_periods__end__isnull=True)
    example = without.exclude(iban="").order_by("last_name").first()
    if example:
        lines.append(
            f"sans compte  {example.nir} · {example.last_name} · {example.born} le "
            f"{example.birth_date:%d/%m/%Y} · {example.postal_code} "
            f"· IBAN se terminant par {example.iban[-7:]}"
        )
    return lines

"""The accounts app's reads that pages and the API share (no write here).

What « Ma carte Vitale » shows: each person of the household with their cards.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from ameli_portal.formats import first_name

from .models import Beneficiary, HealthCard, HealthCardEvent, Insured

Kind = HealthCard.Kind
Status = HealthCard.Status

# A child appears on a parent's carte Vitale; from 12 they may have their own,
# at 16 they get it anyway.
OWN_VITALE_AUTOMATIC_AGE = 16


@dataclass
class PersonCards:
    """One person's cards, newest first, with the ones that matter picked out."""

    name: str
    beneficiary: Beneficiary | None
    age: int
    cards: list[HealthCard] = field(default_factory=list)

    def _first(self, kind: str, *statuses: str) -> HealthCard | None:
        return next((c for c in self.cards if c.kind == kind and c.status in statuses), None)

    @property
    def vitale(self) -> HealthCard | None:
        """The card in service, else the last one the person had (opposed, replaced...)."""
        return self._first(Kind.VITALE, Status.VALID) or self._first(
            Kind.VITALE, Status.OPPOSED, Status.REPLACED, Status.EXPIRED
        )

    @property
    def vitale_ordered(self) -> HealthCard | None:
        return self._first(Kind.VITALE, Status.ORDERED)

    @property
    def ceam(self) -> HealthCard | None:
        return self._first(Kind.CEAM, Status.ORDERED, Status.VALID)

    @property
    def on_parents_card(self) -> bool:
        return (
            self.beneficiary is not None
            and self.age < OWN_VITALE_AUTOMATIC_AGE
            and not any(c.kind == Kind.VITALE for c in self.cards)
        )


def cards_by_person(insured: Insured) -> list[PersonCards]:
    """The insured person then each beneficiary, with their cards and their histories.

    Three queries whatever the number of people or cards.
    """
    today = timezone.localdate()
    people: dict[int | None, PersonCards] = {
        None: PersonCards(name=insured.full_name, beneficiary=None, age=insured.age_on(today))
    }
    for beneficiary in insured.beneficiaries.order_by("birth_date", "pk"):
        people[beneficiary.pk] = PersonCards(
            name=f"{first_name(beneficiary.first_names)} {beneficiary.last_name}",
            beneficiary=beneficiary,
            age=beneficiary.age_on(today),
        )
    cards = (
        HealthCard.objects.filter(insured=insured)
        .prefetch_related(Prefetch("events", HealthCardEvent.objects.order_by("-at", "-pk")))
        .order_by("-ordered_at", "-pk")
    )
    for card in cards:
        person = people.get(card.beneficiary_id)
        if person is not None:
            person.cards.append(card)
    return list(people.values())

"""The only code that orders, delivers and opposes health cards (carte Vitale, CEAM).

Each service runs in one transaction, locks the insured person's row (two requests for
the same person are applied one after the other), writes a :class:`HealthCardEvent`
and, when the actor is staff, an audit row. The database refuses a second valid or a
second ordered card of a kind for the same person whatever the code does.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from ameli_portal.audit import audit
from ameli_portal.domain import DomainError
from ameli_portal.formats import first_name

from ..models import Beneficiary, HealthCard, HealthCardEvent, Insured

Kind = HealthCard.Kind
Status = HealthCard.Status

# A child appears on a parent's carte Vitale; from 12 they may have their own,
# at 16 they get it anyway.
OWN_VITALE_MIN_AGE = 12
CEAM_YEARS = 2


class CardRefused(DomainError):
    """The card cannot be ordered for this person; the message is for people (French)."""


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _actor(actor):
    return actor if actor is not None and getattr(actor, "pk", None) else None


def _lock(insured: Insured) -> Insured:
    return Insured.objects.select_for_update().get(pk=insured.pk)


def _check_beneficiary(insured: Insured, beneficiary: Beneficiary | None) -> None:
    if beneficiary is not None and beneficiary.insured_id != insured.pk:
        raise CardRefused("Cette personne n'est pas un ayant droit de cet assuré.")


def _person_cards(insured: Insured, beneficiary: Beneficiary | None, kind: str):
    cards = HealthCard.objects.filter(insured=insured, kind=kind)
    if beneficiary is None:
        return cards.filter(beneficiary__isnull=True)
    return cards.filter(beneficiary=beneficiary)


def _event(card: HealthCard, *, note: str, actor=None) -> HealthCardEvent:
    return HealthCardEvent.objects.create(card=card, status=card.status, note=note[:200], actor=_actor(actor))


def _audit(actor, action: str, card: HealthCard, summary: str) -> None:
    # The audit trail is the staff's; an insured person's own step is in the card's history.
    if _actor(actor) is not None and actor.is_staff:
        audit(actor=actor, action=action, obj=card, summary=f"{card} – {summary}")


def _oppose(card: HealthCard, *, reason: str, actor) -> HealthCard:
    card.status = Status.OPPOSED
    card.opposed_at = timezone.now()
    card.opposition_reason = reason
    card.save(update_fields=["status", "opposed_at", "opposition_reason"])
    label = HealthCard.OppositionReason(reason).label
    _event(card, note=f"Mise en opposition ({label}) : la carte ne peut plus être utilisée.", actor=actor)
    _audit(actor, "health_card_oppose", card, label)
    return card


def vitale_card_oppose(
    *, insured: Insured, beneficiary: Beneficiary | None = None, reason: str, actor=None
) -> HealthCard | None:
    """Put the person's carte Vitale in service into opposition at once (loss or theft).

    Returns the opposed card, or None when the person had no card in service.
    """
    if reason not in HealthCard.OppositionReason.values:
        raise ValueError(f"motif d'opposition inconnu : {reason!r}")
    _check_beneficiary(insured, beneficiary)
    with transaction.atomic():
        _lock(insured)
        card = _person_cards(insured, beneficiary, Kind.VITALE).filter(status=Status.VALID).first()
        if card is None:
            return None
        return _oppose(card, reason=reason, actor=actor)


def _order(*, insured, beneficiary, kind, reason, actor, departure_on=None) -> HealthCard:
    pending = _person_cards(insured, beneficiary, kind).filter(status=Status.ORDERED).first()
    if pending is not None:
        # One order at a time: a second request joins the card already on its way.
        label = HealthCard.OrderReason(reason).label
        _event(
            pending, note=f"Nouvelle demande ({label}) : la carte déjà commandée est maintenue.", actor=actor
        )
        return pending
    card = HealthCard.objects.create(
        insured=insured,
        beneficiary=beneficiary,
        kind=kind,
        status=Status.ORDERED,
        order_reason=reason,
        departure_on=departure_on,
    )
    _event(card, note=f"Commande ({card.get_order_reason_display()}).", actor=actor)
    _audit(actor, "health_card_order", card, card.get_order_reason_display())
    return card


def vitale_card_order(
    *, insured: Insured, beneficiary: Beneficiary | None = None, reason: str, actor=None
) -> HealthCard:
    """Order a new carte Vitale (status ORDERED).

    For a renewal or a faulty card, the current card stays valid until the new one is
    delivered; after a loss or a theft, a card still in service is opposed first. If a card
    is already ordered for the person, that card is returned (with a note in its history).
    """
    if reason not in HealthCard.OrderReason.values:
        raise ValueError(f"motif de commande inconnu : {reason!r}")
    _check_beneficiary(insured, beneficiary)
    if beneficiary is not None and beneficiary.age_on(timezone.localdate()) < OWN_VITALE_MIN_AGE:
        raise CardRefused(
            f"{first_name(beneficiary.first_names)} a moins de {OWN_VITALE_MIN_AGE} ans : "
            "un enfant de cet âge figure sur la carte Vitale de ses parents."
        )
    with transaction.atomic():
        _lock(insured)
        if reason in HealthCard.OppositionReason.values:
            current = _person_cards(insured, beneficiary, Kind.VITALE).filter(status=Status.VALID).first()
            if current is not None:
                _oppose(current, reason=reason, actor=actor)
        return _order(insured=insured, beneficiary=beneficiary, kind=Kind.VITALE, reason=reason, actor=actor)


def ceam_order(
    *, insured: Insured, beneficiary: Beneficiary | None = None, departure_on: date, actor=None
) -> HealthCard:
    """Order a carte européenne d'assurance maladie, valid two years from its delivery."""
    _check_beneficiary(insured, beneficiary)
    with transaction.atomic():
        _lock(insured)
        had_one = _person_cards(insured, beneficiary, Kind.CEAM).exclude(status=Status.ORDERED).exists()
        return _order(
            insured=insured,
            beneficiary=beneficiary,
            kind=Kind.CEAM,
            reason=HealthCard.OrderReason.RENEWAL if had_one else HealthCard.OrderReason.FIRST,
            actor=actor,
            departure_on=departure_on,
        )


def health_card_deliver(*, card: HealthCard, actor=None) -> HealthCard:
    """The ordered card is produced and sent: it becomes the person's valid card.

    Any other valid card of the same kind for the same person is replaced.
    """
    with transaction.atomic():
        _lock(card.insured)
        card = HealthCard.objects.select_for_update().get(pk=card.pk)
        if card.status != Status.ORDERED:
            raise CardRefused(
                f"Seule une carte commandée peut être remise (celle-ci est {card.get_status_display()})."
            )
        today = timezone.localdate()
        for old in (
            _person_cards(card.insured, card.beneficiary, card.kind)
            .filter(status=Status.VALID)
            .exclude(pk=card.pk)
        ):
            old.status = Status.REPLACED
            if old.valid_until is None or old.valid_until > today:
                old.valid_until = max(today, old.valid_from)
            old.save(update_fields=["status", "valid_until"])
            _event(
                old, note=f"Remplacée par la carte se terminant par {card.serial_number[-4:]}.", actor=actor
            )
        card.status = Status.VALID
        card.valid_from = today
        card.valid_until = _add_years(today, CEAM_YEARS) if card.kind == Kind.CEAM else None
        card.save(update_fields=["status", "valid_from", "valid_until"])
        _event(card, note="Carte fabriquée et envoyée à l'adresse postale.", actor=actor)
        _audit(actor, "health_card_deliver", card, "remise")
    return card


def health_cards_expire(*, today: date | None = None) -> int:
    """Mark as expired the valid cards past their end date (CEAM); return how many."""
    today = today or timezone.localdate()
    count = 0
    with transaction.atomic():
        for card in HealthCard.objects.select_for_update().filter(status=Status.VALID, valid_until__lt=today):
            card.status = Status.EXPIRED
            card.save(update_fields=["status"])
            _event(card, note=f"Arrivée à échéance le {card.valid_until:%d/%m/%Y}.")
            count += 1
    return count

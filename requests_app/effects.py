"""What an accepted request changes, kind by kind, through the owning app's services.

Each effect runs inside the transition's transaction: if it fails, nothing of
the acceptance is kept. The register's services write their own history and
emails (the RIB change tells both addresses of record).
"""

from collections.abc import Callable
from datetime import date

from accounts.services.cards import ceam_order, vitale_card_order
from accounts.services.register import (
    beneficiary_attach,
    insured_change_family_situation,
    insured_change_iban,
)
from ameli_portal.domain import DomainError

from .models import Kind


class EffectError(DomainError):
    """The effect cannot be applied; the message is for the conseiller.

    The register's services raise DomainError (CardRefused, RegisterRefused) with a French
    message: the transition turns any of them into a refusal shown to the conseiller.
    """


def _vitale(request, *, actor):
    vitale_card_order(
        insured=request.insured, beneficiary=request.beneficiary, reason=request.data["reason"], actor=actor
    )


def _ceam(request, *, actor):
    ceam_order(
        insured=request.insured,
        beneficiary=request.beneficiary,
        departure_on=date.fromisoformat(request.data["departure_on"]),
        actor=actor,
    )


def _rib(request, *, actor):
    insured_change_iban(insured=request.insured, iban=request.data["iban"], actor=actor)


def _family(request, *, actor):
    insured_change_family_situation(
        insured=request.insured,
        situation=request.data["situation"],
        since=date.fromisoformat(request.data["since"]),
        actor=actor,
    )


def _child(request, *, actor):
    data = request.data
    request.beneficiary = beneficiary_attach(
        insured=request.insured,
        last_name=data["last_name"],
        first_names=data["first_names"],
        birth_date=date.fromisoformat(data["birth_date"]),
        sex=data["sex"],
        relationship="enfant",
        actor=actor,
    )


def _decision_only(request, *, actor):
    """Prestation, payment delay: the decision (amount, months) is recorded on the request."""


EFFECTS: dict[str, Callable] = {
    Kind.VITALE: _vitale,
    Kind.CEAM: _ceam,
    Kind.RIB: _rib,
    Kind.FAMILY: _family,
    Kind.CHILD: _child,
    Kind.PRESTATION: _decision_only,
    Kind.COTISATION: _decision_only,
}

"""The reimbursement simulator for apps: the public page's engine, as a POST that changes
nothing.

The answers go through the page's form (`SimulatorForm`: the same checks, the same French
messages) and the same `simulate()` (rules.py for the Assurance Maladie, complementary.py for
the complémentaire). Public as the page is (reimbursements.views.simulator): no sign-in,
nothing read of anyone, nothing written.
"""

from ninja import Router
from ninja.errors import ValidationError

from reimbursements.forms import SimulatorForm
from reimbursements.rules import RulesError
from reimbursements.simulator import simulate
from reimbursements.templatetags.money import percent

from . import simulator_schemas as schemas
from .schemas import Problem

router = Router(tags=["Simulateur"])

NO_EFFECT = {
    # Read by tests/api/test_api.py: the operation is public because this page is, and it
    # writes nothing (a POST only because its question is a body).
    "x-web-page": "reimbursements:simulator",
    "x-no-side-effects": True,
}


def _refused(form: SimulatorForm) -> ValidationError:
    return ValidationError(
        [
            {"loc": ("body",) if name == "__all__" else ("body", name), "msg": message}
            for name, messages in form.errors.items()
            for message in messages
        ]
    )


@router.post(
    "",
    auth=None,
    response={200: schemas.SimulationResult, 400: Problem, 422: Problem},
    summary="Simuler un remboursement (sans effet)",
    openapi_extra=NO_EFFECT,
    description=(
        "Un calcul, sans connexion et sans effet : rien n'est enregistré ni envoyé, et "
        "la même question donne toujours la même réponse (aucune clé d'idempotence "
        "n'est utile). Le moteur et les contrôles sont ceux du simulateur du site. Le "
        "calcul applique les barèmes en vigueur à la date des soins et suppose que les "
        "plafonds annuels de la participation forfaitaire et des franchises (50 € "
        "chacun) ne sont pas atteints."
    ),
)
def simulation(request, question: schemas.Simulation):
    form = SimulatorForm(question.form_data())
    if not form.is_valid():
        raise _refused(form)
    try:
        result = simulate(form.cleaned_data)
    except RulesError as exc:
        form.add_error(None, str(exc))
        raise _refused(form) from exc
    complementary = result.complementary
    return {
        "care_label": result.care.label,
        "charged": result.charged,
        "base": result.base,
        "rate": result.rate,
        "rate_label": percent(result.rate),
        "amo": result.amo,
        "participation": result.participation,
        "franchise": result.franchise,
        "paid": result.paid,
        "carried_forward": result.carried_forward,
        "amo_net": result.amo_net,
        "ticket_moderateur": result.ticket_moderateur,
        "depassement": result.depassement,
        "hospital_daily_charge": result.hospital_daily_charge,
        "total_charged": result.total_charged,
        "out_of_pocket": result.out_of_pocket,
        "payer_label": result.payer_label,
        "complementary": {
            "ticket_moderateur": complementary.ticket_moderateur,
            "depassement": complementary.depassement,
            "hospital_daily_charge": complementary.hospital_daily_charge,
            "total": complementary.total,
        },
        "left": {
            "ticket_moderateur": result.ticket_moderateur_left,
            "depassement": result.depassement_left,
            "hospital_daily_charge": result.hospital_daily_charge_left,
            "participation": result.participation,
            "franchise": result.franchise,
            "total": result.remaining,
        },
        "remaining": result.remaining,
        "advance": result.advance,
        "tiers_payant": result.tiers_payant,
        "notes": result.limit_notes,
    }

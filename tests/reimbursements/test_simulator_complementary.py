"""The simulator's « tableau de remboursement »: the complémentaire's share through the page.

The AMO figures are the engine's; the complémentaire's are `reimbursements.complementary`'s,
whose rules and hand-computed cases are in test_complementary.py.
"""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from reimbursements.complementary import Care, complementary_share
from reimbursements.forms import SimulatorForm
from reimbursements.rules import (
    CareKind,
    CareLine,
    Sector,
    Situation,
    Specialty,
    Withheld,
    compute_settlements,
)
from reimbursements.simulator import (
    CARES,
    birth_date_for_age,
    simulate,
)
from reimbursements.templatetags.money import euros
from tests.reimbursements.test_simulator import (
    DAY,
    GP_ADULT,
    _EstimateTable,
    estimate,
    fr,
    simulate_page,
)

pytestmark = pytest.mark.django_db

D = Decimal


SHARE_COLUMNS = ("Montant", "Assurance Maladie", "Complémentaire", "Reste à charge")
PF_ROW = "Participation forfaitaire (jamais remboursée par une complémentaire)"
FRANCHISE_ROW = "Franchise médicale (jamais remboursée par une complémentaire)"


def shares(response) -> dict[str, dict[str, str]]:
    """The « tableau de remboursement »: row -> {column: amount}, the payer column as
    "Complémentaire" whatever its header says."""
    parser = _EstimateTable("share-table")
    parser.feed(response.content.decode())
    return {
        row: dict(zip(SHARE_COLUMNS, cells, strict=True))
        for row, cells in parser.cells.items()
        if row != "Part du prix"
    }


# --- The complémentaire: the « tableau de remboursement » ------------------------------


def row(amount, amo, complementary, left):
    return {
        "Montant": amount,
        "Assurance Maladie": amo,
        "Complémentaire": complementary,
        "Reste à charge": left,
    }


def test_without_complementaire_the_table_leaves_the_engine_reste_a_charge(client):
    table = shares(simulate_page(client))

    assert table == {
        "Base de remboursement": row(fr("30.00"), fr("21.00"), fr("0.00"), fr("9.00")),
        "Dépassement d'honoraires": row(fr("0.00"), fr("0.00"), fr("0.00"), fr("0.00")),
        PF_ROW: row("–retenue", fr("-2.00"), fr("0.00"), fr("2.00")),
        FRANCHISE_ROW: row("–retenue", fr("0.00"), fr("0.00"), fr("0.00")),
        "Total": row(fr("30.00"), fr("19.00"), fr("0.00"), fr("11.00")),
    }


def test_a_200_percent_contract_with_an_optam_doctor(client):
    # BR 30, AMO 21, TM 9, dépassement 20: 200 % BR = 60 covers TM + 20. Left: PF 2.
    response = simulate_page(
        client, sector="2_optam", price="50", cover="percent", percent="200 %", responsible="yes"
    )
    table = shares(response)

    assert table["Base de remboursement"] == row(fr("30.00"), fr("21.00"), fr("9.00"), fr("0.00"))
    assert table["Dépassement d'honoraires"] == row(fr("20.00"), fr("0.00"), fr("20.00"), fr("0.00"))
    assert table[PF_ROW]["Complémentaire"] == fr("0.00")
    assert table["Total"] == row(fr("50.00"), fr("19.00"), fr("29.00"), fr("2.00"))
    body = response.content.decode()
    assert f"environ <strong>{fr('29.00')}</strong>" in body
    assert f"il reste <strong>{fr('2.00')}</strong> à votre charge" in body
    assert '<th scope="col" class="amount">Votre complémentaire</th>' in body


@pytest.mark.parametrize("typed", ["200", "200 %", "200 % BR", "200%br", "200,00", " 200\u00a0% "])
def test_the_level_is_read_as_contracts_write_it(client, typed):
    table = shares(
        simulate_page(client, sector="2_optam", price="50", cover="percent", percent=typed, responsible="yes")
    )
    assert table["Total"]["Complémentaire"] == fr("29.00")


def test_a_non_optam_doctor_is_capped_by_the_contrat_responsable_rules(client):
    # BR 23, AMO 16.10, TM 6.90, D 37. 200 % BR: dépassement min(23, 23 - 4.60) = 18.40.
    response = simulate_page(
        client,
        care="specialist",
        sector="2",
        price="60",
        cover="percent",
        percent="200",
        responsible="unknown",
    )
    table = shares(response)

    assert table["Dépassement d'honoraires"]["Complémentaire"] == fr("18.40")
    assert table["Total"]["Reste à charge"] == fr("20.60")
    assert "n'adhère pas à l'OPTAM" in html.unescape(response.content.decode())

    # Not responsable: the level only, 46 - 16.10 = 29.90 = TM 6.90 + 23.00.
    other = shares(
        simulate_page(
            client,
            care="specialist",
            sector="2",
            price="60",
            cover="percent",
            percent="200",
            responsible="no",
        )
    )
    assert other["Dépassement d'honoraires"]["Complémentaire"] == fr("23.00")


def test_a_forfait_typed_the_french_way(client):
    # OPTAM doctor at 1 250 EUR (an act the table prices as a G, for the arithmetic):
    # TM 9, D 1 220; a forfait of 1 000,50 pays TM 9 + 991.50 of dépassement.
    table = shares(
        simulate_page(
            client,
            sector="2_optam",
            price="1 250,00 €",
            cover="forfait",
            forfait="1\u202f000,50",
            responsible="yes",
        )
    )

    assert table["Total"]["Montant"] == fr("1\u202f250.00")
    assert table["Total"]["Complémentaire"] == fr("1\u202f000.50")
    assert table["Total"]["Reste à charge"] == fr("230.50")  # 1 250 - 21 - 1 000.50 + PF 2


def test_outside_the_path_the_majoration_stays_to_pay(client):
    response = simulate_page(client, coordinated_path="no", cover="percent", percent="100", responsible="yes")
    table = shares(response)

    # AMO 9 (30 %), TM 21 of which 9 in the path; the 12 of majoration and the PF stay.
    assert table["Base de remboursement"] == row(fr("30.00"), fr("9.00"), fr("9.00"), fr("12.00"))
    assert table["Total"]["Reste à charge"] == fr("14.00")
    assert "Hors parcours de soins coordonnés" in response.content.decode()


def test_css_is_the_complementaire_and_pays_everything_at_the_tariff(client):
    response = simulate_page(client, cover="css", tiers_payant="none")
    table = shares(response)
    body = html.unescape(response.content.decode())

    assert table["Total"] == row(fr("30.00"), fr("21.00"), fr("9.00"), fr("0.00"))
    assert '<th scope="col" class="amount">Complémentaire santé solidaire</th>' in body
    # CSS means tiers payant intégral: nothing paid on the day.
    assert f"vous payez <strong>{fr('0.00')}</strong>" in body


def test_ame_leaves_nothing_of_the_base(client):
    response = simulate_page(client, cover="ame")
    table = shares(response)

    total = table["Total"]
    assert total["Montant"] == fr("30.00")
    assert total["Reste à charge"] == fr("0.00")
    assert table[PF_ROW]["Assurance Maladie"] == fr("0.00")  # AME: no PF
    assert '<th scope="col" class="amount">Aide médicale de l' in response.content.decode()


@pytest.mark.parametrize(
    ("mode", "advance"),
    [("none", "50.00"), ("amo", "29.00"), ("full", "0.00")],  # 50; 50 - 21; 50 - 21 - 29
)
def test_tiers_payant_changes_what_is_paid_on_the_day_not_the_reste_a_charge(client, mode, advance):
    response = simulate_page(
        client,
        sector="2_optam",
        price="50",
        cover="percent",
        percent="200",
        responsible="yes",
        tiers_payant=mode,
    )

    body = response.content.decode()
    assert f"vous payez <strong>{fr(advance)}</strong>" in body
    assert shares(response)["Total"]["Reste à charge"] == fr("2.00")
    if mode != "none":  # the PF cannot be withheld from a payment made to the doctor
        assert f"{fr('2.00')} de participation forfaitaire ou de franchise seront retenus" in body


COVER_ERRORS = {
    "percent missing": (
        {"cover": "percent", "responsible": "yes"},
        "percent",
        "Indiquez le niveau de remboursement de votre contrat",
    ),
    "percent not a number": (
        {"cover": "percent", "percent": "deux cents", "responsible": "yes"},
        "percent",
        "Indiquez le niveau avec des chiffres",
    ),
    "percent too high": (
        {"cover": "percent", "percent": "1500", "responsible": "yes"},
        "percent",
        "Le niveau doit être compris entre 0 et 1 000 %.",
    ),
    "forfait missing": (
        {"cover": "forfait", "responsible": "yes"},
        "forfait",
        "Indiquez le forfait de votre contrat pour ce soin.",
    ),
    "forfait negative": (
        {"cover": "forfait", "forfait": "-3", "responsible": "yes"},
        "forfait",
        "Le forfait ne peut pas être négatif.",
    ),
    "responsible missing": (
        {"cover": "percent", "percent": "150"},
        "responsible_0",
        "Indiquez si votre contrat est responsable.",
    ),
    "unknown cover": ({"cover": "mutuelle"}, "cover_0", "Choisissez l'une des réponses proposées."),
}


@pytest.mark.parametrize(("changes", "anchor", "message"), COVER_ERRORS.values(), ids=COVER_ERRORS.keys())
def test_cover_errors_are_french_and_lead_to_their_field(client, changes, anchor, message):
    response = simulate_page(client, **changes)

    body = html.unescape(response.content.decode())
    assert message in body
    assert f'href="#id_{anchor}"' in body
    assert "Votre tableau de remboursement" not in body
    for name, value in changes.items():  # nothing typed is lost
        if name in ("percent", "forfait"):
            assert f'name="{name}" value="{value}"' in body


def test_the_page_agrees_with_the_complementary_module(client):
    """The page shows the module's figures, on the engine's settlement."""
    query = {
        **GP_ADULT,
        "care": "specialist",
        "sector": "2",
        "price": "80",
        "cover": "percent",
        "percent": "250",
        "responsible": "yes",
    }
    form = SimulatorForm(query)
    assert form.is_valid(), form.errors
    result = simulate(form.cleaned_data)
    line = CareLine(
        act_code="CS",
        care_date=DAY,
        charged=D("80"),
        kind=CareKind.DOCTOR,
        professional_id="ailleurs",
        specialty=Specialty.OTHER,
        sector=Sector.SECTOR_2,
        situation=Situation(birth_date=birth_date_for_age(40, DAY)),
    )
    settlement = compute_settlements([line], withheld=Withheld()).settlements[0]
    share = complementary_share(Care.from_settlement(settlement), result.cover)

    table = shares(simulate_page(client, **query))
    assert table["Total"] == row(
        euros(D("80")),
        euros(settlement.amo - settlement.participation_due),
        euros(share.total),
        euros(settlement.out_of_pocket - share.total),
    )


def test_a_hospital_stay_with_its_forfait_journalier(client):
    # Stay from 10 to 12 March 2025 at 2 000: BR 2 000, AMO 80 % = 1 600, TM 400, no PF;
    # forfait journalier 3 days x 20 = 60. A 100 % BR contrat responsable pays the TM and
    # the forfait journalier: nothing left. Without a complémentaire: 460.
    stay = {"care": "hospital", "price": "2 000", "discharge_date": "2025-03-12"}
    response = simulate_page(client, **stay, cover="percent", percent="100", responsible="yes")
    table = shares(response)

    assert table["Base de remboursement"] == row(
        fr("2\u202f000.00"), fr("1\u202f600.00"), fr("400.00"), fr("0.00")
    )
    assert table["Forfait journalier hospitalier"] == row(fr("60.00"), fr("0.00"), fr("60.00"), fr("0.00"))
    assert table["Total"]["Montant"] == fr("2\u202f060.00")
    assert table["Total"]["Reste à charge"] == fr("0.00")
    assert estimate(response)["Forfait journalier hospitalier"] == fr("60.00")

    alone = shares(simulate_page(client, **stay))
    assert alone["Total"]["Reste à charge"] == fr("460.00")
    # A contract that is not responsable: its cover of the forfait is not counted, and said so.
    other = simulate_page(client, **stay, cover="percent", percent="100", responsible="no")
    assert shares(other)["Total"]["Reste à charge"] == fr("60.00")
    assert "forfait journalier : il n'est pas compté ici" in html.unescape(other.content.decode())


@pytest.mark.parametrize(
    ("discharge", "message"),
    [
        (None, "Indiquez la date de sortie de l'hôpital."),
        ("2025-03-09", "La date de sortie ne peut pas précéder la date des soins"),
        ("2026-06-01", "Le simulateur couvre les séjours de 365 jours au plus."),
    ],
)
def test_a_stay_needs_a_discharge_day_after_the_admission(client, discharge, message):
    body = html.unescape(
        simulate_page(client, care="hospital", price="2000", discharge_date=discharge).content.decode()
    )
    assert message in body
    assert 'href="#id_discharge_date"' in body


# --- 100 % Santé equipment ------------------------------------------------------------
# Lines priced on the BR of their quote, in the basket the person gives.


def test_a_100_sante_crown_leaves_nothing_under_a_contrat_responsable(client):
    # Crown at 500, BR 120 on the quote, AMO 60 % = 72: the contract pays 48 + 380.
    crown = {
        "care": "dental_prosthesis",
        "price": "500",
        "base": "120",
        "basket": "100_sante",
        "cover": "percent",
        "percent": "100",
        "responsible": "yes",
    }
    table = shares(simulate_page(client, **crown))

    assert table["Base de remboursement"] == row(fr("120.00"), fr("72.00"), fr("48.00"), fr("0.00"))
    assert table["Total"]["Reste à charge"] == fr("0.00")
    # Tarifs libres: the level only (120 - 72 = 48), the dépassement stays.
    free = shares(simulate_page(client, **{**crown, "basket": "free"}))
    assert free["Total"]["Reste à charge"] == fr("380.00")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"base": None}, "base", "Indiquez la base de remboursement indiquée sur le devis."),
        ({"basket": None}, "basket_0", "Choisissez le panier de l'équipement"),
        ({"base": "cent"}, "base", "Indiquez la base en euros avec des chiffres"),
    ],
)
def test_equipment_needs_its_base_and_basket(client, changes, field, message):
    query = {"care": "dental_prosthesis", "price": "500", "base": "120", "basket": "free", **changes}
    body = html.unescape(simulate_page(client, **query).content.decode())

    assert message in body
    assert f'href="#id_{field}"' in body


def test_equipment_fields_are_offered(client):
    body = client.get(reverse("reimbursements:simulator")).content.decode()
    assert 'name="basket"' in body and 'value="audiology"' in body


@pytest.mark.parametrize("care", ["optics", "dental_prosthesis", "audiology"])
def test_real_100_sante_equipment_leaves_nothing(client, care):
    table = shares(
        simulate_page(
            client,
            care=care,
            price="300",
            base="100",
            basket="100_sante",
            cover="percent",
            percent="100",
            responsible="yes",
        )
    )
    assert table["Total"]["Reste à charge"] == fr("0.00")


def test_the_moderate_basket_is_for_dental_prosthesis_only(client):
    body = html.unescape(
        simulate_page(client, care="optics", price="300", base="100", basket="moderate").content.decode()
    )
    assert "Ce panier n'existe que pour les prothèses dentaires." in body


# --- Properties of the table, through the form and the engine --------------------------

SIMPLE_CARES = [key for key, care in CARES.items() if not care.is_equipment]


@settings(max_examples=60, deadline=None)
@given(
    care=st.sampled_from(SIMPLE_CARES),
    price=st.integers(0, 300_00).map(lambda c: f"{c // 100},{c % 100:02d}"),
    sector=st.sampled_from(["1", "2_optam", "2"]),
    path=st.sampled_from(["yes", "no"]),
    age=st.integers(0, 90),
    rate=st.sampled_from(["65", "30", "15", "100"]),
    cover=st.sampled_from(["none", "percent", "forfait", "css", "ame"]),
    level=st.integers(0, 400),
    responsible=st.sampled_from(["yes", "no", "unknown"]),
    tiers_payant=st.sampled_from(["none", "amo", "full"]),
    ald=st.booleans(),
)
def test_every_simulation_splits_the_price_and_never_covers_the_deductions(
    care, price, sector, path, age, rate, cover, level, responsible, tiers_payant, ald
):
    form = SimulatorForm(
        {
            **GP_ADULT,
            "care": care,
            "price": price,
            "sector": sector,
            "coordinated_path": path,
            "age": str(age),
            "medicine_rate": rate,
            "cover": cover,
            "percent": str(level),
            "forfait": str(level),
            "responsible": responsible,
            "tiers_payant": tiers_payant,
            "discharge_date": "2025-03-13",
            **({"ald": "on"} if ald else {}),
        }
    )
    assert form.is_valid(), form.errors
    result = simulate(form.cleaned_data)
    share = result.complementary

    # Each row splits between the three columns, and so does the total.
    assert result.amo + share.ticket_moderateur + result.ticket_moderateur_left == result.base
    assert share.depassement + result.depassement_left == result.depassement
    assert result.amo_net + share.total + result.remaining == result.total_charged
    # Nothing negative; the participation forfaitaire and the franchise always stay to pay.
    assert (
        min(
            share.ticket_moderateur,
            share.depassement,
            result.ticket_moderateur_left,
            result.depassement_left,
            result.hospital_daily_charge_left,
        )
        >= 0
    )
    assert result.remaining >= result.participation + result.franchise
    assert D("0") <= result.advance <= result.total_charged
    if cover in ("css", "ame"):
        assert result.participation == result.franchise == D("0")
        # Tiers payant intégral: what is paid on the day is what is left to pay.
        assert result.advance == result.remaining
    if cover in ("percent", "forfait") and responsible != "no":
        assert result.hospital_daily_charge_left == D("0")

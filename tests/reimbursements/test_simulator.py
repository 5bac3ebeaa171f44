"""The public simulator page: published cases end to end, bad input, agreement with the engine."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

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
from reimbursements.simulator import CARES, SimulatedCare, birth_date_for_age, simulate
from reimbursements.templatetags.money import euros, percent

pytestmark = pytest.mark.django_db

D = Decimal
NBSP = "\u00a0"
DAY = date(2025, 3, 10)  # after the 2 EUR participation forfaitaire and the G at 30 EUR
_LAYOUT_SPACE = re.compile(r"[ \t\r\n]+")
GP_ADULT = {
    "care": "gp",
    "medicine_rate": "65",
    "price": "30",
    "care_date": DAY.isoformat(),
    "sector": "1",
    "coordinated_path": "yes",
    "age": "40",
    "cover": "none",
    "tiers_payant": "none",
}


def simulate_page(client, **changes):
    query = {**GP_ADULT, **changes}
    query = {key: value for key, value in query.items() if value is not None}
    return client.get(reverse("reimbursements:simulator"), query)


def fr(amount: str) -> str:
    """"19.00" -> "19,00 €" as the page writes it (no-break space before the sign)."""
    return f"{amount.replace('.', ',')}{NBSP}€"


class _EstimateTable(HTMLParser):
    """Row header -> amount cell of the "Votre estimation" table (all cells in `cells`)."""

    def __init__(self, table_class="estimate-table"):
        super().__init__()
        self.table_class = table_class
        self.rows: dict[str, str] = {}
        self.cells: dict[str, list[str]] = {}
        self._in_table = False
        self._cell: str | None = None
        self._text: list[str] = []
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table" and self.table_class in (dict(attrs).get("class") or "").split():
            self._in_table = True
        elif self._in_table and tag in ("th", "td"):
            self._cell, self._text = tag, []

    def handle_endtag(self, tag):
        if not self._in_table:
            return
        if tag in ("th", "td") and self._cell:
            # Collapse layout whitespace only: the no-break spaces are part of the amounts.
            self._row.append(_LAYOUT_SPACE.sub(" ", "".join(self._text)).strip())
            self._cell = None
        elif tag == "tr":
            if len(self._row) >= 2:
                self.rows[self._row[0]] = self._row[1]
                self.cells[self._row[0]] = self._row[1:]
            self._row = []
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data):
        if self._cell:
            self._text.append(data)


def estimate(response) -> dict[str, str]:
    parser = _EstimateTable()
    parser.feed(response.content.decode())
    return parser.rows


SHARE_COLUMNS = ("Montant", "Assurance Maladie", "Complémentaire", "Reste à charge")
PF_ROW = "Participation forfaitaire (jamais remboursée par une complémentaire)"
FRANCHISE_ROW = "Franchise médicale (jamais remboursée par une complémentaire)"


def shares(response) -> dict[str, dict[str, str]]:
    """The « tableau de remboursement »: row -> {column: amount}, the payer column as
    "Complémentaire" whatever its header says."""
    parser = _EstimateTable("share-table")
    parser.feed(response.content.decode())
    return {row: dict(zip(SHARE_COLUMNS, cells, strict=True))
            for row, cells in parser.cells.items() if row != "Part du prix"}


# --- The page -------------------------------------------------------------------


def test_anonymous_visitor_sees_the_empty_form(client):
    response = client.get(reverse("reimbursements:simulator"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Simulateur de remboursement</h1>" in body
    assert 'name="care"' in body
    assert "Votre estimation" not in body
    assert 'role="alert"' not in body
    # The date defaults to today.
    assert f'value="{timezone.localdate().isoformat()}"' in body


def test_the_simulator_reads_and_writes_nothing_in_the_database(
    client, django_assert_num_queries
):
    # No query: no session is opened for an anonymous visitor, and no history is read.
    with django_assert_num_queries(0):
        response = simulate_page(client)
    assert response.status_code == 200
    assert "simulator.css" in response.content.decode()


PUBLISHED_CASES = {
    "GP, médecin traitant, adult": ({}, "19.00", "9.00"),
    "same, outside the coordinated path": ({"coordinated_path": "no"}, "7.00", "21.00"),
    "same, patient aged 12": ({"age": "12"}, "21.00", "9.00"),
    "medicine box 10 EUR at 65 %": (
        {"care": "medicine", "price": "10", "medicine_rate": "65"},
        "5.50",
        "3.50",
    ),
}


@pytest.mark.parametrize(
    ("changes", "paid", "ticket_moderateur"),
    PUBLISHED_CASES.values(),
    ids=PUBLISHED_CASES.keys(),
)
def test_published_cases_through_the_page(client, changes, paid, ticket_moderateur):
    response = simulate_page(client, **changes)

    assert response.status_code == 200
    rows = estimate(response)
    assert rows["Remboursement de l'Assurance Maladie"] == fr(paid)
    assert rows["Ticket modérateur"] == fr(ticket_moderateur)
    assert f"rembourse <strong>{fr(paid)}</strong>" in response.content.decode()


def test_gp_case_shows_every_line(client):
    rows = estimate(simulate_page(client))

    assert rows == {
        "Élément": "Montant",
        "Prix payé": fr("30.00"),
        "Base de remboursement": fr("30.00"),
        "Taux de remboursement": f"70{NBSP}%",
        "Part de l'Assurance Maladie avant déductions": fr("21.00"),
        "Participation forfaitaire": fr("2.00"),
        "Franchise médicale": fr("0.00"),
        "Remboursement de l'Assurance Maladie": fr("19.00"),
        "Ticket modérateur": fr("9.00"),
        "Dépassement d'honoraires": fr("0.00"),
        "Reste à charge avant mutuelle": fr("11.00"),
    }


def test_secteur_2_non_optam_gp_with_a_depassement_is_reimbursed_on_the_lower_base(client):
    rows = estimate(simulate_page(client, sector="2", price="50"))

    assert rows["Base de remboursement"] == fr("23.00")
    assert rows["Dépassement d'honoraires"] == fr("27.00")
    assert rows["Remboursement de l'Assurance Maladie"] == fr("14.10")  # 23 x 70 % - 2
    assert rows["Reste à charge avant mutuelle"] == fr("35.90")


def test_secteur_2_optam_keeps_the_standard_base(client):
    rows = estimate(simulate_page(client, sector="2_optam", price="50"))

    assert rows["Base de remboursement"] == fr("30.00")
    assert rows["Dépassement d'honoraires"] == fr("20.00")


def test_price_with_a_french_comma_and_euro_sign(client):
    rows = estimate(simulate_page(client, price=" 30,50 € "))

    assert rows["Prix payé"] == fr("30.50")
    assert rows["Dépassement d'honoraires"] == fr("0.50")


def test_situations_ald_css_maternity(client):
    ald = estimate(simulate_page(client, ald="on", coordinated_path="no"))
    assert ald["Taux de remboursement"] == f"100{NBSP}%"
    assert ald["Participation forfaitaire"] == fr("2.00")  # ALD is not exempt
    assert ald["Remboursement de l'Assurance Maladie"] == fr("28.00")

    css = estimate(simulate_page(client, cover="css"))
    assert css["Participation forfaitaire"] == fr("0.00")
    assert css["Remboursement de l'Assurance Maladie"] == fr("21.00")

    maternity = estimate(simulate_page(client, maternity="on"))
    assert maternity["Taux de remboursement"] == f"100{NBSP}%"
    assert maternity["Remboursement de l'Assurance Maladie"] == fr("30.00")


def test_results_link_to_the_glossary_and_say_it_is_an_estimate(client):
    body = simulate_page(client).content.decode()

    glossary = reverse("public:glossary")
    for slug in (
        "base-de-remboursement",
        "ticket-moderateur",
        "participation-forfaitaire",
        "franchise-medicale",
        "depassement-d-honoraires",
        "parcours-de-soins-coordonnes",
    ):
        assert f'href="{glossary}#{slug}"' in body
    assert "<caption>Votre estimation</caption>" in body
    assert "Une estimation, pas un décompte" in body
    assert "50 € par an" in html.unescape(body)


# --- Bad input ------------------------------------------------------------------

BAD_INPUT = {
    "negative price": ("price", "-5", "Le prix ne peut pas être négatif."),
    "price is not a number": (
        "price",
        "abc",
        "Indiquez le prix en euros avec des chiffres, par exemple 30 ou 30,50.",
    ),
    "price above the maximum": ("price", "10000,01", "Le prix ne peut pas dépasser 10 000 €."),
    "price below the cent": ("price", "30,505", "Indiquez le prix au centime près"),
    "age 150": ("age", "150", "L'âge doit être compris entre 0 et 120 ans."),
    "age is not a number": ("age", "quarante", "Indiquez l'âge en années avec des chiffres"),
    "future date": (
        "care_date",
        (timezone.localdate() + timedelta(days=1)).isoformat(),
        "La date des soins ne peut pas être dans le futur.",
    ),
    "date before the tables": (
        "care_date",
        "2016-12-31",
        "Le simulateur couvre les soins à partir du 01/01/2017.",
    ),
    "not a date": ("care_date", "31/02/2025", "Indiquez une date valide"),
    "unknown care": ("care", "acupuncture", "Choisissez un soin dans la liste."),
}


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_shows_a_french_message_and_keeps_the_values(client, field, value, message):
    kept = {"age": "40", "price": "31,50"}
    kept.pop(field, None)
    response = simulate_page(client, **{**kept, field: value})

    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert message in body
    assert "Votre estimation" not in body
    assert "<title>Erreur – Simulateur de remboursement" in body
    # The error summary links to the field, and the field points to its message.
    assert 'role="alert"' in body
    assert f'href="#id_{field}"' in body
    assert f'id="id_{field}_error"' in body
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in body
    assert 'aria-invalid="true"' in body
    # Nothing typed is lost.
    assert f'value="{value}"' in body or field == "care"
    for name, kept_value in kept.items():
        assert f'name="{name}" value="{kept_value}"' in body
    if field != "care":
        assert '<option value="gp" selected>' in body
    assert 'value="no" required id="id_coordinated_path_1"' in body
    assert 'value="yes" required id="id_coordinated_path_0" checked' in body


def test_missing_medicine_rate_is_asked_for_medicines_only(client):
    body = html.unescape(
        simulate_page(client, care="medicine", medicine_rate=None).content.decode()
    )
    assert "Choisissez le taux de remboursement du médicament." in body
    assert 'href="#id_medicine_rate_0"' in body

    rows = estimate(simulate_page(client, medicine_rate=None))
    assert rows["Remboursement de l'Assurance Maladie"] == fr("19.00")


def test_empty_submission_lists_every_required_field(client):
    response = client.get(reverse("reimbursements:simulator"), {"care": ""})

    body = html.unescape(response.content.decode())
    for message in (
        "Choisissez le soin à simuler.",
        "Indiquez le prix payé.",
        "Indiquez la date des soins.",
        "Choisissez le secteur du médecin.",
        "Indiquez si vous respectez le parcours de soins coordonnés.",
        "Indiquez l'âge du patient.",
        "Indiquez votre complémentaire santé, ou que vous n'en avez pas.",
        "Indiquez si vous bénéficiez du tiers payant.",
    ):
        assert message in body
    assert "Le formulaire contient 8 erreurs" in body


def test_a_care_the_rules_refuse_shows_the_rules_message(client, monkeypatch):
    # A midwife consultation has no tariff before 2024: the engine refuses it.
    monkeypatch.setitem(CARES, "gp", SimulatedCare("Sage-femme", "C", CareKind.MIDWIFE))

    response = simulate_page(client, care_date="2020-01-15")

    body = html.unescape(response.content.decode())
    assert 'role="alert"' in body
    assert "sans tarif en vigueur à cette date" in body
    assert "Votre estimation" not in body


# --- Agreement with the engine ---------------------------------------------------

ENGINE_CASES = {
    "GP in 2023, 25 EUR, PF 1 EUR": (
        {"care_date": "2023-06-01", "price": "25"},
        dict(act_code="G", kind=CareKind.DOCTOR, specialty=Specialty.GENERAL_PRACTICE),
    ),
    "teleconsultation outside the path": (
        {"care": "gp_teleconsultation", "coordinated_path": "no"},
        dict(
            act_code="TCG",
            kind=CareKind.DOCTOR,
            specialty=Specialty.GENERAL_PRACTICE,
            coordinated_path=False,
        ),
    ),
    "specialist secteur 2 non-OPTAM 60 EUR": (
        {"care": "specialist", "sector": "2", "price": "60"},
        dict(act_code="CS", kind=CareKind.DOCTOR, specialty=Specialty.OTHER,
             sector=Sector.SECTOR_2),
    ),
    "gynaecologist outside the path, direct access": (
        {"care": "gynaecologist", "coordinated_path": "no", "price": "30"},
        dict(act_code="CS", kind=CareKind.DOCTOR, specialty=Specialty.GYNAECOLOGY,
             coordinated_path=False),
    ),
    "dentist": (
        {"care": "dentist", "price": "23"},
        dict(act_code="C", kind=CareKind.DENTIST),
    ),
    "physiotherapy AMK 7.5 (cent rounding)": (
        {"care": "physiotherapy", "price": "16,13"},
        dict(act_code="AMK", kind=CareKind.AUXILIARY, coefficient=D("7.5")),
    ),
    "nursing AMI 1": (
        {"care": "nursing", "price": "3,15"},
        dict(act_code="AMI", kind=CareKind.AUXILIARY, coefficient=D("1")),
    ),
    "lab B 50, child": (
        {"care": "lab", "price": "13,50", "age": "8"},
        dict(act_code="B", kind=CareKind.LAB, coefficient=D("50")),
    ),
    "medicine 15 % 7.99 EUR": (
        {"care": "medicine", "price": "7,99", "medicine_rate": "15"},
        dict(act_code="MEDICAMENT", kind=CareKind.MEDICINE, medicine_rate=D("0.15"),
             base=D("7.99")),
    ),
}


@pytest.mark.parametrize(("changes", "line"), ENGINE_CASES.values(), ids=ENGINE_CASES.keys())
def test_page_agrees_with_the_engine(client, changes, line):
    query = {**GP_ADULT, **changes}
    care_date = date.fromisoformat(query["care_date"])
    charged = D(query["price"].replace(",", "."))
    settlement = compute_settlements(
        [
            CareLine(
                care_date=care_date,
                charged=charged,
                professional_id="ailleurs",
                situation=Situation(birth_date=birth_date_for_age(int(query["age"]), care_date)),
                **line,
            )
        ],
        withheld=Withheld(),
    ).settlements[0]

    rows = estimate(simulate_page(client, **changes))

    assert rows["Prix payé"] == euros(charged)
    assert rows["Base de remboursement"] == euros(settlement.base)
    assert rows["Taux de remboursement"] == percent(settlement.rate)
    assert rows["Part de l'Assurance Maladie avant déductions"] == euros(settlement.amo)
    assert rows["Participation forfaitaire"] == euros(settlement.participation_due)
    assert rows["Franchise médicale"] == euros(settlement.franchise_due)
    assert rows["Remboursement de l'Assurance Maladie"] == euros(settlement.paid)
    assert rows["Ticket modérateur"] == euros(settlement.ticket_moderateur)
    assert rows["Dépassement d'honoraires"] == euros(settlement.depassement)
    assert rows["Reste à charge avant mutuelle"] == euros(settlement.out_of_pocket)
    assert settlement.out_of_pocket == charged - settlement.paid


def test_deductions_larger_than_the_reimbursement_are_carried_forward(client):
    # 1 EUR charged for a G: BR 1, AMO 0.70, the 2 EUR PF exceeds it.
    response = simulate_page(client, price="1")

    rows = estimate(response)
    assert rows["Remboursement de l'Assurance Maladie"] == fr("0.00")
    assert rows["Reste à charge avant mutuelle"] == fr("2.30")
    assert f"{fr('1.30')} seront retenus sur un prochain remboursement" in (
        response.content.decode()
    )


# --- Helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("19"), f"19,00{NBSP}€"),
        (D("0"), f"0,00{NBSP}€"),
        (D("1234.56"), f"1\u202f234,56{NBSP}€"),
        (D("1234567.8"), f"1\u202f234\u202f567,80{NBSP}€"),
        (D("0.005"), f"0,01{NBSP}€"),  # half a cent goes up
        (D("-2"), f"-2,00{NBSP}€"),
        ("12.5", f"12,50{NBSP}€"),
        (None, ""),
        ("", ""),
        ("abc", ""),
    ],
)
def test_euros_filter(value, text):
    assert euros(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("0.70"), f"70{NBSP}%"), (D("1.00"), f"100{NBSP}%"), (D("0.125"), f"12,5{NBSP}%")],
)
def test_percent_filter(value, text):
    assert percent(value) == text


@pytest.mark.parametrize(
    ("age", "on", "born"),
    [
        (40, date(2025, 3, 10), date(1985, 3, 10)),
        (0, date(2025, 3, 10), date(2025, 3, 10)),
        (1, date(2024, 2, 29), date(2023, 2, 28)),
    ],
)
def test_birth_date_for_age(age, on, born):
    assert birth_date_for_age(age, on) == born


# --- The complémentaire: the « tableau de remboursement » ------------------------------


def row(amount, amo, complementary, left):
    return {"Montant": amount, "Assurance Maladie": amo, "Complémentaire": complementary,
            "Reste à charge": left}


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
    response = simulate_page(client, sector="2_optam", price="50", cover="percent",
                             percent="200 %", responsible="yes")
    table = shares(response)

    assert table["Base de remboursement"] == row(fr("30.00"), fr("21.00"), fr("9.00"), fr("0.00"))
    assert table["Dépassement d'honoraires"] == row(fr("20.00"), fr("0.00"), fr("20.00"),
                                                     fr("0.00"))
    assert table[PF_ROW]["Complémentaire"] == fr("0.00")
    assert table["Total"] == row(fr("50.00"), fr("19.00"), fr("29.00"), fr("2.00"))
    body = response.content.decode()
    assert f"environ <strong>{fr('29.00')}</strong>" in body
    assert f"il reste <strong>{fr('2.00')}</strong> à votre charge" in body
    assert "<th scope=\"col\" class=\"amount\">Votre complémentaire</th>" in body


def test_a_non_optam_doctor_is_capped_by_the_contrat_responsable_rules(client):
    # BR 23, AMO 16.10, TM 6.90, D 37. 200 % BR: dépassement min(23, 23 - 4.60) = 18.40.
    response = simulate_page(client, care="specialist", sector="2", price="60",
                             cover="percent", percent="200", responsible="unknown")
    table = shares(response)

    assert table["Dépassement d'honoraires"]["Complémentaire"] == fr("18.40")
    assert table["Total"]["Reste à charge"] == fr("20.60")
    assert "n'adhère pas à l'OPTAM" in html.unescape(response.content.decode())

    # Not responsable: the level only, 46 - 16.10 = 29.90 = TM 6.90 + 23.00.
    other = shares(simulate_page(client, care="specialist", sector="2", price="60",
                                 cover="percent", percent="200", responsible="no"))
    assert other["Dépassement d'honoraires"]["Complémentaire"] == fr("23.00")


def test_a_forfait_typed_the_french_way(client):
    # OPTAM doctor at 1 250 EUR (an act the table prices as a G, for the arithmetic):
    # TM 9, D 1 220; a forfait of 1 000,50 pays TM 9 + 991.50 of dépassement.
    table = shares(simulate_page(client, sector="2_optam", price="1 250,00 €", cover="forfait",
                                 forfait="1\u202f000,50", responsible="yes"))

    assert table["Total"]["Montant"] == fr("1\u202f250.00")
    assert table["Total"]["Complémentaire"] == fr("1\u202f000.50")
    assert table["Total"]["Reste à charge"] == fr("230.50")  # 1 250 - 21 - 1 000.50 + PF 2


def test_outside_the_path_the_majoration_stays_to_pay(client):
    response = simulate_page(client, coordinated_path="no", cover="percent", percent="100",
                             responsible="yes")
    table = shares(response)

    # AMO 9 (30 %), TM 21 of which 9 in the path; the 12 of majoration and the PF stay.
    assert table["Base de remboursement"] == row(fr("30.00"), fr("9.00"), fr("9.00"),
                                                 fr("12.00"))
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
def test_tiers_payant_changes_what_is_paid_on_the_day_not_the_reste_a_charge(
    client, mode, advance
):
    response = simulate_page(client, sector="2_optam", price="50", cover="percent",
                             percent="200", responsible="yes", tiers_payant=mode)

    body = response.content.decode()
    assert f"vous payez <strong>{fr(advance)}</strong>" in body
    assert shares(response)["Total"]["Reste à charge"] == fr("2.00")
    if mode != "none":  # the PF cannot be withheld from a payment made to the doctor
        assert f"{fr('2.00')} de participation forfaitaire ou de franchise seront retenus" in body


COVER_ERRORS = {
    "percent missing": ({"cover": "percent", "responsible": "yes"}, "percent",
                        "Indiquez le niveau de remboursement de votre contrat"),
    "percent not a number": ({"cover": "percent", "percent": "deux cents", "responsible": "yes"},
                             "percent", "Indiquez le niveau avec des chiffres"),
    "percent too high": ({"cover": "percent", "percent": "1500", "responsible": "yes"},
                         "percent", "Le niveau doit être compris entre 0 et 1 000 %."),
    "forfait missing": ({"cover": "forfait", "responsible": "yes"}, "forfait",
                        "Indiquez le forfait de votre contrat pour ce soin."),
    "forfait negative": ({"cover": "forfait", "forfait": "-3", "responsible": "yes"},
                         "forfait", "Le forfait ne peut pas être négatif."),
    "responsible missing": ({"cover": "percent", "percent": "150"}, "responsible_0",
                            "Indiquez si votre contrat est responsable."),
    "unknown cover": ({"cover": "mutuelle"}, "cover_0", "Choisissez l'une des réponses proposées."),
}


@pytest.mark.parametrize(("changes", "anchor", "message"), COVER_ERRORS.values(),
                         ids=COVER_ERRORS.keys())
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
    query = {**GP_ADULT, "care": "specialist", "sector": "2", "price": "80",
             "cover": "percent", "percent": "250", "responsible": "yes"}
    form = SimulatorForm(query)
    assert form.is_valid(), form.errors
    result = simulate(form.cleaned_data)
    line = CareLine(act_code="CS", care_date=DAY, charged=D("80"), kind=CareKind.DOCTOR,
                    professional_id="ailleurs", specialty=Specialty.OTHER,
                    sector=Sector.SECTOR_2,
                    situation=Situation(birth_date=birth_date_for_age(40, DAY)))
    settlement = compute_settlements([line], withheld=Withheld()).settlements[0]
    share = complementary_share(Care.from_settlement(settlement), result.cover)

    table = shares(simulate_page(client, **query))
    assert table["Total"] == row(euros(D("80")), euros(settlement.amo - settlement.participation_due),
                                 euros(share.total), euros(settlement.out_of_pocket - share.total))


def test_a_hospital_stay_with_its_forfait_journalier(client):
    # Stay from 10 to 12 March 2025 at 2 000: BR 2 000, AMO 80 % = 1 600, TM 400, no PF;
    # forfait journalier 3 days x 20 = 60. A 100 % BR contrat responsable pays the TM and
    # the forfait journalier: nothing left. Without a complémentaire: 460.
    stay = {"care": "hospital", "price": "2 000", "discharge_date": "2025-03-12"}
    response = simulate_page(client, **stay, cover="percent", percent="100", responsible="yes")
    table = shares(response)

    assert table["Base de remboursement"] == row(fr("2\u202f000.00"), fr("1\u202f600.00"),
                                                 fr("400.00"), fr("0.00"))
    assert table["Forfait journalier hospitalier"] == row(fr("60.00"), fr("0.00"), fr("60.00"),
                                                         fr("0.00"))
    assert table["Total"]["Montant"] == fr("2\u202f060.00")
    assert table["Total"]["Reste à charge"] == fr("0.00")
    assert estimate(response)["Forfait journalier hospitalier"] == fr("60.00")

    alone = shares(simulate_page(client, **stay))
    assert alone["Total"]["Reste à charge"] == fr("460.00")
    # A contract that is not responsable: its cover of the forfait is not counted, and said so.
    other = simulate_page(client, **stay, cover="percent", percent="100", responsible="no")
    assert shares(other)["Total"]["Reste à charge"] == fr("60.00")
    assert "forfait journalier : il n'est pas compté ici" in html.unescape(
        other.content.decode())


@pytest.mark.parametrize(
    ("discharge", "message"),
    [(None, "Indiquez la date de sortie de l'hôpital."),
     ("2025-03-09", "La date de sortie ne peut pas précéder la date des soins"),
     ("2026-06-01", "Le simulateur couvre les séjours de 365 jours au plus.")],
)
def test_a_stay_needs_a_discharge_day_after_the_admission(client, discharge, message):
    body = html.unescape(simulate_page(client, care="hospital", price="2000",
                                       discharge_date=discharge).content.decode())
    assert message in body
    assert 'href="#id_discharge_date"' in body

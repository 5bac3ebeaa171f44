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
    SimulatedCare,
    birth_date_for_age,
)
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
    """ "19.00" -> "19,00 €" as the page writes it (no-break space before the sign)."""
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


def test_the_simulator_reads_and_writes_nothing_in_the_database(client, django_assert_num_queries):
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
        "Quantité": "1",
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
    assert '<caption id="estimate-caption">Votre estimation</caption>' in body
    assert "Une estimation, pas un décompte" in body
    assert "50\u00a0€ par an" in html.unescape(body)


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
    body = html.unescape(simulate_page(client, care="medicine", medicine_rate=None).content.decode())
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
        dict(act_code="CS", kind=CareKind.DOCTOR, specialty=Specialty.OTHER, sector=Sector.SECTOR_2),
    ),
    "gynaecologist outside the path, direct access": (
        {"care": "gynaecologist", "coordinated_path": "no", "price": "30"},
        dict(act_code="CS", kind=CareKind.DOCTOR, specialty=Specialty.GYNAECOLOGY, coordinated_path=False),
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
        dict(act_code="MEDICAMENT", kind=CareKind.MEDICINE, medicine_rate=D("0.15"), base=D("7.99")),
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
    assert f"{fr('1.30')} seront retenus sur un prochain remboursement" in (response.content.decode())


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


# --- Quantities -------------------------------------------------------------------------


def test_three_boxes_are_reimbursed_on_three_times_their_price_less_three_franchises(client):
    """3 boxes at 10 EUR, 65 %: base 30.00, AMO 19.50, franchise 1 EUR a box: 16.50 paid."""
    response = simulate_page(client, care="medicine", price="10", medicine_rate="65", quantity="3")
    rows = estimate(response)
    assert (rows["Prix payé"], rows["Quantité"], rows["Base de remboursement"]) == (
        fr("30.00"),
        "3",
        fr("30.00"),
    )
    assert rows["Part de l'Assurance Maladie avant déductions"] == fr("19.50")
    assert rows["Franchise médicale"] == fr("3.00")
    assert rows["Remboursement de l'Assurance Maladie"] == fr("16.50")
    body = html.unescape(response.content.decode())
    assert "3 × Boîte de médicament" in body
    assert f"à {fr('10.00')} l'unité, soit {fr('30.00')}" in body


def test_an_empty_quantity_is_one(client):
    rows = estimate(simulate_page(client, quantity=""))
    assert rows["Quantité"] == "1" and rows["Remboursement de l'Assurance Maladie"] == fr("19.00")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "La quantité est au moins 1."),
        ("trois", "Indiquez la quantité avec des chiffres, par exemple 3."),
        ("100", "Le simulateur compte 99 unités au plus."),
    ],
)
def test_a_bad_quantity_is_refused_in_french_and_kept(client, value, message):
    body = html.unescape(simulate_page(client, care="medicine", price="10", quantity=value).content.decode())
    assert message in body and 'id="estimation"' not in body
    assert f'name="quantity" value="{value}"' in body


def test_a_stay_is_simulated_one_at_a_time(client):
    body = html.unescape(
        simulate_page(
            client,
            care="hospital",
            price="800",
            quantity="2",
            discharge_date=(DAY + timedelta(days=2)).isoformat(),
        ).content.decode()
    )
    assert "Un séjour à l'hôpital se simule à l'unité (quantité 1)" in body and 'id="estimation"' not in body

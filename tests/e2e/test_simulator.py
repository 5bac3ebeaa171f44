"""A visitor estimates a GP consultation, then corrects a mistyped price."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_axe_violations, assert_no_csp_violations, screenshot

pytestmark = pytest.mark.browser


def row(page, header):
    """The estimate's row headed `header`; a row's own name runs over all its cells."""
    table = page.get_by_role("table", name="Votre estimation")
    return table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=header, exact=True)
    )


def test_visitor_simulates_a_gp_consultation_then_fixes_a_bad_price(page, live_server):
    page.goto(live_server.url + reverse("reimbursements:simulator"))

    page.get_by_label("Soin", exact=True).select_option(
        label="Consultation chez le médecin généraliste (G)"
    )
    page.get_by_label("Prix payé (en euros)").fill("30")
    page.get_by_label("Date des soins").fill("2025-03-10")
    page.get_by_label("Secteur 1 (tarifs de la Sécurité sociale)").check()
    page.get_by_label("Oui : je consulte mon médecin traitant").check()
    page.get_by_label("Âge du patient le jour des soins").fill("40")
    page.get_by_role("button", name="Estimer le remboursement").click()

    table = page.get_by_role("table", name="Votre estimation")
    expect(table).to_be_visible()
    expect(row(page, "Remboursement de l'Assurance Maladie")).to_contain_text("19,00\u00a0€")
    expect(row(page, "Ticket modérateur")).to_contain_text("9,00\u00a0€")
    assert page.url.endswith("#estimation")
    screenshot(page, "simulateur")
    assert_no_axe_violations(page)
    assert_no_csp_violations(page)

    page.get_by_label("Prix payé (en euros)").fill("abc")
    page.get_by_role("button", name="Estimer le remboursement").click()

    summary = page.get_by_role("alert").filter(has_text="Le formulaire contient 1 erreur")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Erreur – Simulateur de remboursement")
    expect(page.get_by_role("table", name="Votre estimation")).to_have_count(0)
    # The values typed are still there, and the summary leads to the field.
    expect(page.get_by_label("Âge du patient le jour des soins")).to_have_value("40")
    summary.get_by_role("link", name="Prix payé (en euros)").click()
    expect(page.get_by_label("Prix payé (en euros)")).to_be_focused()
    expect(page.get_by_label("Prix payé (en euros)")).to_have_value("abc")
    screenshot(page, "simulateur-erreur")
    assert_no_axe_violations(page)
    assert_no_csp_violations(page)

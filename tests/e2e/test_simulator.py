"""A visitor estimates a GP consultation, then corrects a mistyped price; a person with a
complémentaire reads their « tableau de remboursement » for a secteur 2 specialist."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DESKTOP,
    MOBILE,
    assert_no_axe_violations,
    assert_no_csp_violations,
    screenshot,
)

pytestmark = pytest.mark.browser


def row(page, header, table="Votre estimation"):
    """The table's row headed `header`; a row's own name runs over all its cells."""
    table = page.get_by_role("table", name=table)
    return table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=header, exact=True))


def test_visitor_simulates_a_gp_consultation_then_fixes_a_bad_price(page, live_server):
    page.goto(live_server.url + reverse("reimbursements:simulator"))

    page.get_by_label("Soin", exact=True).select_option(label="Consultation chez le médecin généraliste (G)")
    page.get_by_label("Prix payé (en euros)").fill("30")
    page.get_by_label("Date des soins").fill("2025-03-10")
    page.get_by_label("Secteur 1 (tarifs de la Sécurité sociale)").check()
    page.get_by_label("Oui : je consulte mon médecin traitant").check()
    page.get_by_label("Âge du patient le jour des soins").fill("40")
    page.get_by_label("Je n'ai pas de complémentaire santé").check()
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


def share_row(page, header):
    return row(page, header, table="Votre tableau de remboursement")


def test_person_with_a_200_percent_contract_sees_what_is_left_to_pay(page, live_server):
    page.goto(live_server.url + reverse("reimbursements:simulator"))
    page.get_by_label("Soin", exact=True).select_option(label="Consultation d'un spécialiste (CS)")
    page.get_by_label("Prix payé (en euros)").fill("50")
    page.get_by_label("Date des soins").fill("2025-03-10")
    page.get_by_label("Secteur 2, adhérent OPTAM").check()
    page.get_by_label("Âge du patient le jour des soins").fill("40")
    # The contract: « 200 % BR » on its tableau de remboursement, a contrat responsable.
    page.get_by_label("Mon contrat rembourse un pourcentage").check()
    page.get_by_label("Niveau de remboursement de votre contrat").fill("200 %")
    expect(page.get_by_label("Oui", exact=True)).to_be_checked()  # the usual answer is ready
    page.get_by_label("Oui, pour la part de l'Assurance Maladie", exact=True).check()
    page.get_by_role("button", name="Estimer le remboursement").click()

    # BR 31.50 (CS 26.50 + MCS 5 in the coordinated path, convention 2024): AMO 22.05 (less
    # the 2 EUR PF), the contract 9.45 + 18.50 of dépassement, 2 left.
    expect(page.get_by_role("table", name="Votre tableau de remboursement")).to_be_visible()
    expect(share_row(page, "Total")).to_contain_text("27,95\u00a0€")
    expect(share_row(page, "Total")).to_contain_text("2,00\u00a0€")
    expect(
        share_row(page, "Participation forfaitaire (jamais remboursée par une complémentaire)")
    ).to_contain_text("-2,00\u00a0€")
    summary = page.locator(".estimate__summary")
    expect(summary).to_contain_text("il reste 2,00\u00a0€ à votre charge")
    expect(page.get_by_text("Le jour des soins, vous payez 27,95\u00a0€")).to_be_visible()
    screenshot(page, "simulateur-complementaire")
    assert_no_axe_violations(page)
    assert_no_csp_violations(page)
    # On a phone the five columns stay readable (the table scrolls within its frame).
    page.set_viewport_size(MOBILE)
    expect(share_row(page, "Total")).to_be_visible()
    screenshot(page, "simulateur-complementaire-mobile")
    assert_no_axe_violations(page)
    page.set_viewport_size(DESKTOP)

    # The same visit with a non-OPTAM doctor at 60 EUR: BR 23, the contract's dépassement
    # share capped at 200 % - 20 % of the BR (18.40): 20.60 left.
    page.get_by_label("Secteur 2, non adhérent OPTAM").check()
    page.get_by_label("Prix payé (en euros)").fill("60")
    page.get_by_role("button", name="Estimer le remboursement").click()
    expect(share_row(page, "Dépassement d'honoraires")).to_contain_text("18,40\u00a0€")
    expect(summary).to_contain_text("il reste 20,60\u00a0€ à votre charge")
    expect(page.get_by_text("n'adhère pas à l'OPTAM")).to_be_visible()

    # A level typed in words: the summary says so and leads to the field; nothing is lost.
    page.get_by_label("Niveau de remboursement de votre contrat").fill("deux cents")
    page.get_by_role("button", name="Estimer le remboursement").click()
    alert = page.get_by_role("alert").filter(has_text="Le formulaire contient 1 erreur")
    expect(alert).to_be_focused()
    alert.get_by_role("link", name="Niveau de remboursement de votre contrat").click()
    expect(page.get_by_label("Niveau de remboursement de votre contrat")).to_be_focused()
    expect(page.get_by_label("Niveau de remboursement de votre contrat")).to_have_value("deux cents")
    expect(page.get_by_label("Mon contrat rembourse un pourcentage")).to_be_checked()
    assert_no_axe_violations(page)
    assert_no_csp_violations(page)

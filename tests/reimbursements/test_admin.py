"""The care back office: preview, posting, reversal, beneficiaries, read-only ledger."""

import html
from datetime import date
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.urls import reverse

from ameli_portal.models import AuditEvent
from reimbursements.models import CareSheet, Journal, LedgerEntry, Payment, Reversal, Settlement
from reimbursements.queries import ledger_balance
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.factories import BeneficiaryFactory, CareActFactory, CareSheetFactory, StaffFactory

pytestmark = pytest.mark.django_db

CARE_PERMS = [
    "view_caresheet",
    "add_caresheet",
    "change_caresheet",
    "post_caresheet",
    "reverse_caresheet",
    "view_professional",
    "view_payment",
    "view_journal",
    "view_ledgerentry",
]


def grant(user, codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reimbursements", codename__in=codenames)
    )
    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})


@pytest.fixture
def agent(staff):
    grant(staff, CARE_PERMS)
    return staff


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def gp_sheet(insured):
    return CareActFactory(sheet=CareSheetFactory(insured=insured)).sheet


def text(response) -> str:
    """The page, its amounts' no-break spaces (« 1 234,56 € », one money format) read as spaces."""
    return html.unescape(response.content.decode()).replace("\u00a0", " ").replace("\u202f", " ")


def change_url(sheet):
    return reverse("admin:reimbursements_caresheet_change", args=[sheet.pk])


def post_url(sheet):
    return reverse("admin:reimbursements_caresheet_post", args=[sheet.pk])


def test_draft_sheet_page_shows_the_preview_with_the_figures(agent_client, gp_sheet):
    response = agent_client.get(change_url(gp_sheet))
    assert response.status_code == 200
    html = text(response)
    assert "Calcul du remboursement" in html and "Liquider la feuille" in html
    [line] = response.context["preview_lines"]
    assert (line["s"].base, line["s"].amo, line["s"].participation_withheld, line["s"].paid) == (
        Decimal("30.00"),
        Decimal("21.00"),
        Decimal("2.00"),
        Decimal("19.00"),
    )
    assert line["rate"] == "70 %" and line["payee"] == "Assuré"
    assert "19,00 €" in html and "9,00 €" in html  # versé, ticket modérateur
    assert not Settlement.objects.exists()  # the preview writes nothing


def test_a_rules_error_shows_its_french_message_instead_of_the_preview(agent_client, insured):
    act = CareActFactory(
        sheet=CareSheetFactory(insured=insured), kind="medicine", act_code="PH", medicine_rate=None
    )
    response = agent_client.get(change_url(act.sheet))
    assert "taux de remboursement du médicament manquant" in text(response)
    assert "Liquider la feuille" not in text(response)


def test_posting_through_the_button_settles_balances_and_audits(agent_client, agent, gp_sheet):
    response = agent_client.post(post_url(gp_sheet), follow=True)
    assert response.status_code == 200
    assert "Feuille liquidée : 1 acte(s), 19,00 € à verser." in text(response)
    gp_sheet.refresh_from_db()
    assert gp_sheet.status == CareSheet.Status.POSTED and gp_sheet.posted_by == agent
    [s] = Settlement.objects.filter(act__sheet=gp_sheet)
    assert s.paid == Decimal("19.00")
    assert Journal.objects.filter(settlement=s).count() == 1
    assert ledger_balance() == 0 and ledger_balance(journal__settlement=s) == 0
    assert AuditEvent.objects.filter(actor=agent, action="post", object_id=str(gp_sheet.pk)).exists()
    # A posted sheet shows what was posted, read-only, with the way to reverse each act.
    page = agent_client.get(change_url(gp_sheet)).content.decode()
    assert "Décomptes liquidés" in page and "Liquider la feuille" not in page
    assert reverse("admin:reimbursements_caresheet_reverse", args=[s.pk]) in page


def test_a_second_click_does_not_post_twice(agent_client, gp_sheet):
    agent_client.post(post_url(gp_sheet))
    response = agent_client.post(post_url(gp_sheet), follow=True)
    assert "déjà liquidée" in text(response)
    assert Settlement.objects.count() == 1 and Journal.objects.count() == 1


def test_posting_needs_post_and_the_change_permission(client, gp_sheet):
    viewer = StaffFactory()
    grant(viewer, ["view_caresheet"])
    client.force_login(viewer)
    assert client.post(post_url(gp_sheet)).status_code == 403
    assert client.get(post_url(gp_sheet)).status_code in (403, 405)
    assert not Settlement.objects.exists()


def test_posting_is_csrf_protected(agent, gp_sheet):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post(post_url(gp_sheet)).status_code == 403
    assert not Settlement.objects.exists()


def test_acts_of_a_posted_sheet_are_read_only(agent_client, agent, gp_sheet):
    care_sheet_post(sheet=gp_sheet, actor=agent)
    response = agent_client.get(change_url(gp_sheet))
    assert response.context["has_change_permission"] is False
    [inline] = response.context["inline_admin_formsets"]
    assert not inline.has_change_permission and not inline.has_add_permission
    assert agent_client.post(change_url(gp_sheet), {}).status_code == 403


def test_reversing_requires_a_reason(agent_client, agent, gp_sheet):
    [s] = care_sheet_post(sheet=gp_sheet, actor=agent)
    url = reverse("admin:reimbursements_caresheet_reverse", args=[s.pk])
    assert agent_client.get(url).status_code == 200
    for reason in ("", "   "):
        response = agent_client.post(url, {"reason": reason})
        assert response.status_code == 200
        assert "Le motif de l'annulation est obligatoire." in text(response)
    assert not Reversal.objects.exists()
    response = agent_client.post(url, {"reason": "Acte saisi deux fois"}, follow=True)
    assert "annulé" in text(response)
    assert Reversal.objects.get().reason == "Acte saisi deux fois"
    assert ledger_balance() == 0
    assert AuditEvent.objects.filter(actor=agent, action="reverse").exists()
    # Reversing again shows the service's message, and changes nothing.
    response = agent_client.post(url, {"reason": "encore"})
    assert "déjà annulé" in text(response)
    assert Reversal.objects.count() == 1


def add_sheet_data(insured, professional, **extra):
    data = {
        "insured": insured.pk,
        "professional": professional.pk,
        "received_on": "12/03/2026",
        "coordinated_path": "on",
        "acts-TOTAL_FORMS": "1",
        "acts-INITIAL_FORMS": "0",
        "acts-MIN_NUM_FORMS": "0",
        "acts-MAX_NUM_FORMS": "1000",
        "acts-0-act_code": "G",
        "acts-0-care_date": "10/03/2026",
        "acts-0-kind": "doctor",
        "acts-0-charged": "30,00",
        "acts-0-quantity": "1",
    }
    return data | extra


def test_a_beneficiary_of_another_insured_is_refused(agent_client, insured, other_insured):
    from tests.factories import ProfessionalFactory

    stranger_child = BeneficiaryFactory(insured=other_insured)
    url = reverse("admin:reimbursements_caresheet_add")
    response = agent_client.post(
        url, add_sheet_data(insured, ProfessionalFactory(), beneficiary=stranger_child.pk)
    )
    assert response.status_code == 200
    assert "Cet ayant droit n'est pas rattaché à l'assuré de la feuille" in text(response)
    assert not CareSheet.objects.exists()
    own_child = BeneficiaryFactory(insured=insured)
    response = agent_client.post(
        url, add_sheet_data(insured, ProfessionalFactory(), beneficiary=own_child.pk)
    )
    assert response.status_code == 302
    sheet = CareSheet.objects.get()
    assert sheet.beneficiary == own_child and sheet.acts.count() == 1
    assert AuditEvent.objects.filter(action="create", object_id=str(sheet.pk)).exists()
    assert AuditEvent.objects.filter(
        action="change", object_id=str(sheet.pk), summary__startswith="actes : 1 ajouté"
    ).exists()


def test_ledger_and_payments_admins_are_read_only(agent_client, agent, gp_sheet):
    care_sheet_post(sheet=gp_sheet, actor=agent)
    entry = LedgerEntry.objects.first()
    journal = entry.journal
    for name, obj in (("ledgerentry", entry), ("journal", journal)):
        assert agent_client.get(reverse(f"admin:reimbursements_{name}_changelist")).status_code == 200
        page = agent_client.get(reverse(f"admin:reimbursements_{name}_change", args=[obj.pk]))
        assert page.status_code == 200 and page.context["has_change_permission"] is False
        assert page.context["has_delete_permission"] is False
        assert agent_client.get(reverse(f"admin:reimbursements_{name}_add")).status_code == 403
        delete_url = reverse(f"admin:reimbursements_{name}_delete", args=[obj.pk])
        assert agent_client.get(delete_url).status_code == 403
        assert (
            agent_client.post(reverse(f"admin:reimbursements_{name}_change", args=[obj.pk]), {}).status_code
            == 403
        )


def test_even_a_superuser_cannot_change_the_ledger_from_the_admin(admin_client, admin_user, agent, gp_sheet):
    grant(admin_user, [])
    care_sheet_post(sheet=gp_sheet, actor=agent)
    entry = LedgerEntry.objects.first()
    for name, obj in (("ledgerentry", entry), ("journal", entry.journal)):
        page = admin_client.get(reverse(f"admin:reimbursements_{name}_change", args=[obj.pk]))
        assert page.context["has_change_permission"] is False
        assert page.context["has_delete_permission"] is False
        assert page.context["has_add_permission"] is False


def test_payment_admin_masks_the_iban_and_lists_its_settlements(agent_client, agent, gp_sheet):
    gp_sheet.insured.iban = "FR7630006000011234567890189"
    gp_sheet.insured.save()
    care_sheet_post(sheet=gp_sheet, actor=agent)
    [payment] = payments_run(day=date(2026, 3, 20))
    listing = agent_client.get(reverse("admin:reimbursements_payment_changelist")).content.decode()
    assert "FR76 •••• •••• 0189" in listing and "FR7630006000011234567890189" not in listing
    detail = agent_client.get(reverse("admin:reimbursements_payment_change", args=[payment.pk]))
    page = text(detail)
    assert detail.status_code == 200 and "G du 10/03/2026" in page
    assert "FR7630006000011234567890189" not in page
    assert agent_client.get(reverse("admin:reimbursements_payment_add")).status_code == 403
    assert Payment.objects.count() == 1


def test_the_payments_list_writes_amounts_as_every_other_screen(agent_client, insured):
    """« 1 234,56 € », not Django's « 1234,56 »: the thousands space and the sign."""
    for amount, day in (("87.10", 20), ("1234.56", 21)):
        Payment.objects.create(
            insured=insured,
            amount=Decimal(amount),
            iban="FR7630006000011234567890189",
            paid_on=date(2026, 3, day),
        )
    url = reverse("admin:reimbursements_payment_changelist")
    page = agent_client.get(url)
    listing = page.content.decode()
    assert "1\u202f234,56\u00a0€" in listing and "1234,56" not in listing
    assert [p.amount for p in page.context["cl"].result_list] == [Decimal("1234.56"), Decimal("87.10")]
    # Still sorted on the amount by its column's header (?o= is the column's index).
    columns = [getattr(c, "__name__", c) for c in page.context["cl"].list_display]
    ordered = agent_client.get(f"{url}?o={columns.index('amount')}").context["cl"].result_list
    assert [p.amount for p in ordered] == [Decimal("87.10"), Decimal("1234.56")]


def test_changelist_links_to_the_import_page(agent_client):
    html = agent_client.get(reverse("admin:reimbursements_caresheet_changelist")).content.decode()
    assert reverse("admin:reimbursements_caresheet_import") in html


# --- Dedicated permissions: "liquider" and "annuler" -------------------------------------

EDITOR_PERMS = ["view_caresheet", "add_caresheet", "change_caresheet"]


def test_an_agent_who_may_edit_but_not_post_sees_the_preview_without_the_button(client, gp_sheet):
    editor = StaffFactory()
    grant(editor, EDITOR_PERMS)
    client.force_login(editor)
    page = text(client.get(change_url(gp_sheet)))
    assert "Calcul du remboursement" in page and "19,00 €" in page
    assert "Liquider la feuille" not in page
    assert "Vous n'avez pas la permission de liquider une feuille de soins" in page
    assert client.post(post_url(gp_sheet)).status_code == 403
    gp_sheet.refresh_from_db()
    assert gp_sheet.status == CareSheet.Status.DRAFT and not Settlement.objects.exists()


def test_the_post_permission_alone_lets_an_agent_post_but_not_reverse(client, gp_sheet):
    liquidator = StaffFactory()
    grant(liquidator, [*EDITOR_PERMS, "post_caresheet"])
    client.force_login(liquidator)
    response = client.post(post_url(gp_sheet), follow=True)
    assert "Feuille liquidée : 1 acte(s), 19,00 € à verser." in text(response)
    [s] = Settlement.objects.all()
    reverse_url = reverse("admin:reimbursements_caresheet_reverse", args=[s.pk])
    page = text(client.get(change_url(gp_sheet)))
    assert "Décomptes liquidés" in page and reverse_url not in page and "Annuler cet acte" not in page
    assert client.get(reverse_url).status_code == 403
    assert client.post(reverse_url, {"reason": "Erreur de saisie"}).status_code == 403
    assert not Reversal.objects.exists()


def test_the_reverse_permission_alone_lets_an_agent_reverse_but_not_post(client, insured, gp_sheet):
    care_sheet_post(sheet=gp_sheet, actor=None)
    [s] = Settlement.objects.all()
    draft = CareActFactory(sheet=CareSheetFactory(insured=insured)).sheet
    supervisor = StaffFactory()
    grant(supervisor, ["view_caresheet", "reverse_caresheet"])
    client.force_login(supervisor)
    reverse_url = reverse("admin:reimbursements_caresheet_reverse", args=[s.pk])
    assert reverse_url in text(client.get(change_url(gp_sheet)))
    response = client.post(reverse_url, {"reason": "Doublon"}, follow=True)
    assert response.status_code == 200 and Reversal.objects.get().actor == supervisor
    assert "Liquider la feuille" not in text(client.get(change_url(draft)))
    assert client.post(post_url(draft)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == CareSheet.Status.DRAFT


def test_the_two_permissions_have_french_names():
    names = dict(
        Permission.objects.filter(
            content_type__app_label="reimbursements", codename__in=["post_caresheet", "reverse_caresheet"]
        ).values_list("codename", "name")
    )
    assert names == {
        "post_caresheet": "Peut liquider une feuille de soins",
        "reverse_caresheet": "Peut annuler une ligne liquidée",
    }


def test_staff_see_and_enter_the_quantity_of_a_line(agent_client, insured):
    """Three boxes on one line: the inline shows the quantity to edit, the computation shows it
    beside the line, and a quantity typed in the form is what the engine settles."""
    sheet = CareSheetFactory(insured=insured, professional__kind="medicine", professional__specialty="")
    act = CareActFactory(
        sheet=sheet,
        act_code="PH7",
        kind="medicine",
        charged=Decimal("30.00"),
        base=Decimal("10.00"),
        medicine_rate=Decimal("0.65"),
        quantity=3,
    )
    response = agent_client.get(change_url(sheet))
    page = response.content.decode()
    assert 'name="acts-0-quantity" value="3"' in page
    [line] = response.context["preview_lines"]
    assert (line["s"].base, line["s"].franchise_due) == (Decimal("30.00"), Decimal("3.00"))
    table = page.split('id="decomptes"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="col">Quantité</th>' in table and "<td>3</td>" in table

    data = {
        "insured": sheet.insured_id,
        "professional": sheet.professional_id,
        "received_on": "10/03/2025",
        "coordinated_path": "on",
        "acts-TOTAL_FORMS": "1",
        "acts-INITIAL_FORMS": "1",
        "acts-MIN_NUM_FORMS": "0",
        "acts-MAX_NUM_FORMS": "1000",
        "acts-0-id": act.pk,
        "acts-0-sheet": sheet.pk,
        "acts-0-act_code": "PH7",
        "acts-0-care_date": act.care_date.strftime("%d/%m/%Y"),
        "acts-0-kind": "medicine",
        "acts-0-charged": "20,00",
        "acts-0-quantity": "2",
        "acts-0-base": "10,00",
        "acts-0-medicine_rate": "0.65",
    }
    response = agent_client.post(change_url(sheet), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    act.refresh_from_db()
    assert act.quantity == 2
    [line] = agent_client.get(change_url(sheet)).context["preview_lines"]
    assert (line["s"].base, line["s"].franchise_due) == (Decimal("20.00"), Decimal("2.00"))

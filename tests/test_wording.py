"""Words a person reads: durations, the register's sex, amounts, the letter's buttons, the
footer's accessibility claim and its statement, the public carte Vitale pages."""

import html
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import FamilySituation, family_situation_label
from ameli_portal.legal import ACCESSIBILITY_STATUS
from ameli_portal.templatetags.durations import days_until
from reimbursements.templatetags.money import amount_text, euros
from tests.factories import BeneficiaryFactory, DemarcheFactory

pytestmark = pytest.mark.django_db
NNBSP, NBSP = "\u202f", "\u00a0"


def text(response) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(plain.replace(NBSP, " ").replace(NNBSP, " ").split())


# --- durations ------------------------------------------------------------------------------


def test_thirty_days_are_thirty_days():
    start = datetime(2026, 3, 1, 12, 0)
    assert days_until(start + timedelta(days=30), start) == f"30{NBSP}jours"
    assert days_until(start + timedelta(days=1), start) == f"1{NBSP}jour"
    assert days_until(None, start) == ""


def test_the_trust_page_offers_thirty_days(client, insured, settings):
    template = render_to_string(
        "mfa/trust.html",
        {
            "trust_from": datetime(2026, 3, 1),
            "trust_until": datetime(2026, 3, 1) + timedelta(seconds=settings.MFA_TRUST_COOKIE_AGE),
            "form": None,
        },
    )
    plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", template)).replace(NBSP, " ").split())
    assert "Faire confiance pendant 30 jours" in plain
    assert "semaine" not in plain


# --- the register's sex ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "sex, situation, word",
    [
        ("1", FamilySituation.PACS, "Pacsé"),
        ("2", FamilySituation.PACS, "Pacsée"),
        ("1", FamilySituation.WIDOWED, "Veuf"),
        ("2", FamilySituation.WIDOWED, "Veuve"),
        ("2", FamilySituation.MARRIED, "Mariée"),
        ("1", FamilySituation.SINGLE, "Célibataire"),
        ("", FamilySituation.PACS, "Pacsé·e"),
    ],
)
def test_the_situation_is_said_of_the_person(sex, situation, word):
    assert family_situation_label(situation, sex) == word


def test_the_profile_says_nee_and_pacsee_for_a_woman(client, insured):
    insured.sex, insured.birth_name = "2", "Martin"
    insured.family_situation, insured.family_situation_since = "pacse", date(2020, 6, 1)
    insured.save()
    BeneficiaryFactory(insured=insured, sex="1", first_names="Léo")
    client.force_login(insured.user)
    page = text(client.get(reverse("accounts:profile")))
    assert "(née Martin)" in page
    assert "Pacsée depuis le 01/06/2020" in page
    assert re.search(r"Léo \S+, né le", page)
    assert "·e" not in page


def test_the_family_form_offers_the_situations_in_the_person_s_gender(client, insured):
    insured.sex = "1"
    insured.save()
    client.force_login(insured.user)
    page = text(client.get(reverse("requests_app:create", args=["situation_familiale"])))
    assert "Pacsé " in page and "Veuf" in page and "Pacsé·e" not in page


def test_no_template_or_message_writes_ne_e_of_a_person_the_register_knows():
    """« né(e) », « connecté(e) »: every person the portal writes about has a sex in the register
    (``Insured.born``, ``family_situation_label``). Read from every template and module; the
    model's « Pacsé·e » choices stay, for the rare record whose sex is not known."""
    from django.conf import settings as django_settings

    root = django_settings.BASE_DIR
    files = [
        p
        for p in root.glob("**/*")
        if p.suffix in (".html", ".txt", ".py")
        and not {".venv", "node_modules", "tests", "migrations", "var"} & set(p.relative_to(root).parts)
    ]
    assert len(files) > 100
    found = [
        f"{p.relative_to(root)}:{n}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"é\(e\)" if p.suffix == ".py" else r"é\(e\)|é·e", line)
    ]
    assert not found, found


# --- amounts --------------------------------------------------------------------------------


def test_one_money_format_with_the_thousands_space():
    assert euros(Decimal("1250")) == f"1{NNBSP}250,00{NBSP}€"
    assert amount_text(Decimal("-1250.5")) == f"-1{NNBSP}250,50"


def test_no_template_writes_an_ordinary_space_before_the_euro_sign():
    """Every template of every app, today's and tomorrow's: « 12,00 € » may break across lines
    (and a mail client does) unless the space before the sign is a no-break one."""
    from pathlib import Path

    from django.apps import apps
    from django.conf import settings

    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    roots += [
        Path(app.path) / "templates"
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(settings.BASE_DIR) and ".venv" not in Path(app.path).parts
    ]
    found = [
        f"{path}: {line.strip()}"
        for root in roots
        if root.is_dir()
        for path in root.rglob("*")
        if path.suffix in (".html", ".txt")
        for line in path.read_text().splitlines()
        if re.search(r"(\}\}|\d) €", line)
    ]
    assert found == []


def test_the_payment_email_keeps_the_amount_and_its_sign_together():
    from ameli_portal.emails import build_email

    message = build_email(
        template="new-payment",
        to=["a@example.org"],
        context={
            "first_name": "Marie",
            "amount": amount_text(Decimal("1234.56")),
            "paid_on": "02/12/2026",
            "for_lines": amount_text(Decimal("1240.56")),
            "recovered": amount_text(Decimal("6")),
            "taken_back": "",
            "refunded": "",
        },
    )
    html_body = message.alternatives[0][0]
    for body in (message.body, html_body):
        assert f"1{NNBSP}234,56{NBSP}€" in body
        assert f"6,00{NBSP}€ de reprise" in body


def test_a_demarche_shows_its_amount_with_the_thousands_space(client, insured):
    filed = DemarcheFactory(
        insured=insured,
        data={"equipment": "Fauteuil", "amount": "1250.00", "comment": ""},
        status="acceptee",
        decided_at=datetime(2026, 3, 1, 10, 0),
        decided_amount=Decimal("1100"),
    )
    client.force_login(insured.user)
    page = client.get(reverse("requests_app:detail", args=[filed.public_id])).content.decode()
    assert f"1{NNBSP}250,00{NBSP}€" in page
    assert f"1{NNBSP}100,00{NBSP}€" in page
    assert "1250,00" not in page


# --- the letter names buttons the pages have ------------------------------------------------


def test_every_button_the_code_letter_names_is_on_the_pages(client):
    letter = render_to_string(
        "accounts/letters/provisional_code.html",
        {
            "caisse": {"name": "Caisse", "address_lines": [], "phone": "36 46"},
            "recipient_lines": [],
            "portal_name": "Portail",
            "site_url": "http://testserver/",
            "code": "ABCD-1234",
            "expires_on": "31/03/2026",
            "max_attempts": 5,
            "salutation": "Madame",
            "today": "1er mars 2026",
            "reference": "X",
        },
    )
    steps = letter[letter.index("Pour créer votre compte") :]
    steps = steps[: steps.index("</ol>")]
    named = re.findall(r"« ([^»]+?) »", html.unescape(steps))
    assert named, "la lettre ne nomme aucun bouton ?"
    pages = " ".join(
        client.get(reverse(name)).content.decode() for name in ("public:home", "accounts:signup_identity")
    )
    controls = {
        html.unescape(" ".join(re.sub(r"<[^>]+>", "", label).split()))
        for label in re.findall(r"<(?:a|button)\b[^>]*>(.*?)</(?:a|button)>", pages, re.S)
    }
    for name in named:
        assert name in controls, f"« {name} » : aucun lien ni bouton de ce nom"


# --- the accessibility claim ----------------------------------------------------------------


def test_the_footer_states_the_accessibility_and_links_to_the_statement(client):
    response = client.get(reverse("public:home"))
    page = response.content.decode()
    assert "Accessibilité&nbsp;: conforme" not in page
    assert (
        f'<a href="{reverse("public:accessibility")}">Accessibilité&nbsp;: {ACCESSIBILITY_STATUS}</a>' in page
    )
    assert ACCESSIBILITY_STATUS in ("non conforme", "partiellement conforme", "totalement conforme")


def test_the_statement_has_the_sections_of_the_rgaa_model(client):
    page = text(client.get(reverse("public:accessibility")))
    for section in (
        "Déclaration d'accessibilité",
        "article 47 de la loi n° 2005-102",
        "État de conformité",
        f"est {ACCESSIBILITY_STATUS} avec le référentiel",
        "RGAA), version 4.1.2",
        "Contenus non accessibles",
        "Non-conformités connues",
        "Dérogations pour charge disproportionnée",
        "Établissement de cette déclaration",
        "Technologies utilisées",
        "Environnement de test",
        "axe-core",
        "Chromium",
        "clavier",
        "Ce qui a été vérifié",
        "Retour d'information et contact",
        "Voies de recours",
        "Défenseur des droits",
    ):
        assert section in page, section


# --- the public carte Vitale pages ----------------------------------------------------------


@pytest.mark.parametrize(
    "template", ["requests_app/public_vitale_done.html", "requests_app/public_vitale_confirm.html"]
)
def test_the_public_vitale_pages_tell_an_account_holder_to_sign_in(rf, template):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    page = render_to_string(template, {"form": None}, request=request)
    assert f'href="{reverse("account_login")}">connectez-vous à votre compte</a>' in page
    assert "créez votre compte" not in page

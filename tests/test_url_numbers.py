"""Numbers read from a URL or a query string never make a 500.

A page number, a year, an id or an amount typed into the address bar is anything a person
(or a robot) likes: 2**63, a negative, a 5,000-digit string, "1e3", Arabic-Indic digits. Each
gives the last page (a page past the end), the first (not a number), the form's own error, or
a 404 (an id that names nothing), never a database overflow.
"""

import re
from datetime import date, timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.urls import reverse

from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.factories import CareActFactory, CareSheetFactory, StaffFactory, ThreadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # One account per test: the real hasher's cost is not what is checked here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


BIGINT_MAX = "9223372036854775807"
WEIRD_NUMBERS = [
    BIGINT_MAX,
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 30,
    "9" * 5000,
    "0",
    "-1",
    "1e3",
    "2.5",
    "0x10",
    "",
    "deux",
    "\u0663",  # ARABIC-INDIC DIGIT THREE
    "1_000",
    " 2 ",
    "²",
]
PAST_THE_END = [BIGINT_MAX, "9223372036854775808", "9" * 30, "1_000"]


@pytest.fixture
def logged(client, insured):
    client.force_login(insured.user)
    return client


def _payments(insured, count):
    for n in range(count):
        act = CareActFactory(
            sheet=CareSheetFactory(insured=insured, received_on=date.today() - timedelta(days=40 + n)),
            care_date=date.today() - timedelta(days=40 + n),
        )
        care_sheet_post(sheet=act.sheet, actor=None)
        payments_run(day=date.today() - timedelta(days=39 + n))


@pytest.mark.parametrize("number", WEIRD_NUMBERS)
def test_payments_page_number_gives_a_page_never_an_error(logged, insured, number, monkeypatch):
    monkeypatch.setattr("reimbursements.views.PAYMENTS_PER_PAGE", 1)  # 3 pages from 3 payments
    _payments(insured, 3)
    response = logged.get(reverse("reimbursements:payments"), {"page": number})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>3 paiements</strong>" in html
    if number in PAST_THE_END:
        assert "Page 3 sur 3" in html  # past the end: the last page
    else:
        assert re.search(r"Page [123] sur 3", html)


@pytest.mark.parametrize("number", WEIRD_NUMBERS)
def test_inbox_page_number_gives_a_page_never_an_error(logged, insured, number):
    for n in range(2):
        ThreadFactory(insured=insured, subject=f"Question {n}")
    response = logged.get(reverse("messaging:inbox"), {"page": number})
    assert response.status_code == 200
    assert "Question 1" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"period": BIGINT_MAX},
        {"period": "-3"},
        {"start": "99999-01-01"},
        {"end": "0000-01-01"},
        {"start": "2026-13-45"},
        {"person": BIGINT_MAX},
        {"kind": BIGINT_MAX},
        {"page": "9" * 30},
    ],
)
@pytest.mark.parametrize("name", ["reimbursements:payments", "reimbursements:payments_csv"])
def test_payments_filters_from_the_query_string_never_error(logged, name, params):
    assert logged.get(reverse(name), params).status_code == 200


@pytest.mark.parametrize("year", [BIGINT_MAX, "9" * 30, "-2025", "2025.0", "1e3", ""])
def test_tax_statement_year_is_refused_by_the_form(logged, year):
    response = logged.post(reverse("attestations:request_tax"), {"year": year})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode() or "Sélectionnez" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"care": "physiotherapy", "age": BIGINT_MAX, "price": "30", "care_date": "2026-01-10"},
        {"care": "physiotherapy", "age": "25", "price": "9" * 30, "care_date": "2026-01-10"},
        {"care": "physiotherapy", "age": "25", "price": "30", "care_date": "99999-01-10"},
        {"care": BIGINT_MAX},
    ],
)
def test_simulator_numbers_are_bounded(client, params):
    assert client.get(reverse("reimbursements:simulator"), params).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/remboursements/paiements/9223372036854775808/",
        "/attestations/9223372036854775808/telecharger/",
        "/demarches/9223372036854775808/",
        "/demarches/nouvelle/9223372036854775808/",
        "/messagerie/9223372036854775808/",
        "/demarches/pieces/9223372036854775808/",
    ],
)
def test_an_id_in_the_path_that_names_nothing_is_a_404(logged, path):
    assert logged.get(path).status_code == 404


# --- the back office -------------------------------------------------------------------


@pytest.fixture
def chief(client):
    user = StaffFactory(is_superuser=True)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(user)
    return client


ADMIN_MODELS = sorted(f"{m._meta.app_label}_{m._meta.model_name}" for m in admin.site._registry)


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_back_office_lists_and_objects_with_huge_numbers_never_error(chief, model):
    changelist = reverse(f"admin:{model}_changelist")
    for page in (BIGINT_MAX, "9" * 30, "-1", "deux"):
        assert chief.get(changelist, {"p": page}).status_code in (200, 302)
    for object_id in (BIGINT_MAX, "9223372036854775808", "9" * 30, "-9223372036854775809"):
        response = chief.get(reverse(f"admin:{model}_change", args=[object_id]))
        assert response.status_code in (302, 404), response.status_code


@pytest.mark.parametrize("insured_id", [BIGINT_MAX, "9" * 30, "²", "\u0663"])
def test_back_office_notice_form_with_a_huge_insured_id(chief, insured_id):
    response = chief.get(reverse("admin:messaging_thread_notice"), {"insured": insured_id})
    assert response.status_code == 200

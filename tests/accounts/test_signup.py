"""Creating an account: identity check, proof by IBAN or mailed code, credentials."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import PostalLetter, User
from accounts.nir import compute_key, generate_nir
from tests.accounts.helpers import last_code, letter_code
from tests.factories import InsuredFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Bleu-Horizon-42"


def identity(insured, **overrides):
    data = {
        "nir": f"{insured.nir[:1]} {insured.nir[1:3]} {insured.nir[3:]}",
        "last_name": insured.last_name.upper(),
        "birth_date": insured.birth_date.strftime("%d/%m/%Y"),
        "postal_code": insured.postal_code,
    }
    data.update(overrides)
    return data


@pytest.fixture
def person(db):
    return InsuredFactory(
        last_name="Lefèvre-Dupré",
        iban="FR7630004000010001234567830",
        birth_date=date(1984, 3, 9),
        first_names="Noémie",
    )


def test_identity_matches_ignoring_case_accents_and_hyphens(client, person):
    response = client.post(reverse("accounts:signup_identity"), identity(person, last_name="lefevre dupre"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup_proof")


@pytest.mark.parametrize(
    "field,value",
    [
        ("last_name", "Martin"),
        ("birth_date", "10/03/1984"),
        ("postal_code", "75011"),
        ("nir", "1 84 03 75 999 999"),
    ],
)
def test_any_mismatch_gives_one_and_the_same_message(client, person, field, value):
    response = client.post(reverse("accounts:signup_identity"), identity(person, **{field: value}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nous n&#x27;avons pas pu vérifier votre identité" in page
    assert "signup_identity" not in client.session


def test_a_temporary_nir_is_told_it_cannot_open_an_account(client):
    nir = generate_nir(sex=7, year=1990, month=5, department="75", commune="101", order=5)
    response = client.post(
        reverse("accounts:signup_identity"),
        {"nir": nir.number, "last_name": "X", "birth_date": "01/05/1990", "postal_code": "75001"},
    )
    assert "numéro provisoire" in response.content.decode()


def test_insured_without_open_rights_is_told_so(client, person):
    person.coverage_periods.update(end=date(2020, 1, 1))
    page = client.post(reverse("accounts:signup_identity"), identity(person)).content.decode()
    assert "Vos droits ne sont pas ouverts" in page


def test_insured_with_an_account_is_sent_to_login_or_reset(client):
    user = UserFactory()
    page = client.post(reverse("accounts:signup_identity"), identity(user.insured)).content.decode()
    assert "Vous avez déjà un compte" in page
    assert reverse("account_reset_password") in page


def test_identity_attempts_are_limited_per_nir(client, person):
    for _ in range(5):
        client.post(reverse("accounts:signup_identity"), identity(person, postal_code="00000"))
    page = client.post(reverse("accounts:signup_identity"), identity(person)).content.decode()
    assert "Trop de tentatives" in page


def test_signup_form_is_closed_without_a_proven_identity(client, person):
    response = client.get(reverse("account_signup"))
    assert "Vérifier mon identité" in response.content.decode()
    client.post(reverse("accounts:signup_identity"), identity(person))
    # identity checked but not yet proven by IBAN or code: still closed
    assert "Vérifier mon identité" in client.get(reverse("account_signup")).content.decode()


def test_wrong_iban_digits_are_refused(client, person):
    client.post(reverse("accounts:signup_identity"), identity(person))
    response = client.post(reverse("accounts:signup_proof"), {"last_seven": "1234567"})
    assert "ne correspondent pas" in response.content.decode()


def test_iban_characters_with_accents_are_refused_not_an_error(client, person):
    # Found by tests/security/test_form_fuzz.py: hmac.compare_digest refuses non-ASCII str.
    client.post(reverse("accounts:signup_identity"), identity(person))
    response = client.post(reverse("accounts:signup_proof"), {"last_seven": "12345É7"})
    assert response.status_code == 200
    assert "ne correspondent pas" in response.content.decode()


def _create_credentials(client, email, password=PASSWORD, **boxes):
    data = {
        "email": email,
        "password1": password,
        "password2": password,
        "accept_terms": "on",
        "accept_privacy": "on",
    } | boxes
    return client.post(reverse("account_signup"), {k: v for k, v in data.items() if v})


def test_creation_by_iban_then_email_confirmation(client, person):
    client.post(reverse("accounts:signup_identity"), identity(person))
    response = client.post(reverse("accounts:signup_proof"), {"last_seven": person.iban[-7:]})
    assert response["Location"] == reverse("account_signup")

    response = _create_credentials(client, "noemie@exemple.test")
    assert response.status_code == 302
    user = User.objects.get(insured=person)
    assert user.username == person.nir
    assert not user.emailaddress_set.get().verified
    # not usable before the email is confirmed
    assert client.get(reverse("accounts:home")).status_code == 302

    code = last_code("noemie@exemple.test")
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert user.emailaddress_set.get().verified
    assert client.get(reverse("accounts:home")).status_code == 200
    subjects = [m.subject for m in mail.outbox]
    assert any("Bienvenue" in s for s in subjects)
    assert all(person.nir not in m.body for m in mail.outbox)


def test_creation_with_a_code_mailed_by_post(client, person):
    client.post(reverse("accounts:signup_identity"), identity(person))
    page = client.post(reverse("accounts:signup_request_letter")).content.decode()
    assert "est en route" in page
    letter = PostalLetter.objects.get(insured=person)
    assert letter.status == PostalLetter.Status.TO_PRINT
    code = letter_code(letter)

    nir15 = person.nir + compute_key(person.nir)
    response = client.post(reverse("accounts:signup_code"), {"nir": nir15, "code": code})
    assert response["Location"] == reverse("account_signup")
    _create_credentials(client, "noemie@exemple.test")
    user = User.objects.get(insured=person)
    assert person.provisional_codes.get().used_at is not None
    # a spent code does not open a second door
    client.logout()
    again = client.post(reverse("accounts:signup_code"), {"nir": person.nir, "code": code})
    assert "incorrect" in again.content.decode()
    assert user.pk


def test_a_wrong_code_and_an_unknown_nir_read_the_same(client, person):
    client.post(reverse("accounts:signup_identity"), identity(person))
    client.post(reverse("accounts:signup_request_letter"))
    wrong = client.post(reverse("accounts:signup_code"), {"nir": person.nir, "code": "00000000"})
    other = generate_nir(sex=1, year=1970, month=1, department="13", commune="055", order=9)
    unknown = client.post(reverse("accounts:signup_code"), {"nir": other.number, "code": "12345678"})
    message = "Le numéro de sécurité sociale ou le code provisoire est incorrect"
    assert message in wrong.content.decode() and message in unknown.content.decode()


def test_an_expired_or_blocked_code_reads_like_a_wrong_code_or_an_unknown_nir(client, person):
    """« Expiré » or « bloqué » would tell a stranger that this NIR has a letter on its way."""
    from accounts.models import ProvisionalCode

    def error_of(response):
        page = response.content.decode()
        start = page.index("Le numéro de sécurité sociale ou le code provisoire")
        return page[start : page.index("<", start)]

    client.post(reverse("accounts:signup_identity"), identity(person))
    client.post(reverse("accounts:signup_request_letter"))
    answers = [
        error_of(client.post(reverse("accounts:signup_code"), {"nir": person.nir, "code": "00000000"}))
    ]
    assert ProvisionalCode.objects.filter(insured=person).update(failed_attempts=5) == 1
    answers.append(
        error_of(client.post(reverse("accounts:signup_code"), {"nir": person.nir, "code": "00000000"}))
    )
    assert (
        ProvisionalCode.objects.filter(insured=person).update(
            failed_attempts=0, expires_at="2000-01-01T00:00:00Z"
        )
        == 1
    )
    answers.append(
        error_of(client.post(reverse("accounts:signup_code"), {"nir": person.nir, "code": "00000000"}))
    )
    other = generate_nir(sex=1, year=1970, month=1, department="13", commune="055", order=9)
    answers.append(
        error_of(client.post(reverse("accounts:signup_code"), {"nir": other.number, "code": "12345678"}))
    )
    assert len(set(answers)) == 1 and "refaites la vérification d&#x27;identité" in answers[0]


@pytest.mark.parametrize(
    "password,message",
    [
        ("court1A", "trop court"),
        ("toutminuscule1", "une lettre majuscule"),
        ("Sansaucunchiffre", "un chiffre"),
        ("Noemie-Secret-77", "votre nom ou votre prénom"),
        ("Bleu-09031984", "date ou année de naissance"),
        ("Password123", "trop courant"),
        ("A" * 60 + "b1" + "x" * 70, "128 caractères"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule(client, person, password, message):
    client.post(reverse("accounts:signup_identity"), identity(person))
    client.post(reverse("accounts:signup_proof"), {"last_seven": person.iban[-7:]})
    response = _create_credentials(client, "n@exemple.test", password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(insured=person).exists()


def test_password_containing_part_of_the_nir_is_refused(client, person):
    client.post(reverse("accounts:signup_identity"), identity(person))
    client.post(reverse("accounts:signup_proof"), {"last_seven": person.iban[-7:]})
    response = _create_credentials(client, "n@exemple.test", f"Abc-{person.nir[5:12]}")
    assert "numéro de sécurité sociale" in response.content.decode()


def test_password_rules_are_shown_before_submitting(client, person):
    client.post(reverse("accounts:signup_identity"), identity(person))
    client.post(reverse("accounts:signup_proof"), {"last_seven": person.iban[-7:]})
    page = client.get(reverse("account_signup")).content.decode()
    for rule in ("8 caractères", "une lettre majuscule", "128 caractères", "date de naissance"):
        assert rule in page

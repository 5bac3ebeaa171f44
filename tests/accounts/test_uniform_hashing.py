"""No timing oracle: each public step costs the same password-hashing work whatever it answers.

A password hash (PBKDF2) takes hundreds of milliseconds, the rest of a request a few: a path
that hashes once more than another tells, by its timing alone, that a NIR is in the register,
has an account, or is locked. So, for each step a stranger can reach (account creation,
login, forgotten password), every way it can answer must hash the same number of times.

The test counts the hasher's derivations, not the clock: a counting subclass of Django's
PBKDF2 hasher is installed through ``settings.PASSWORD_HASHERS``. Its ``verify`` derives
through ``encode`` (as PBKDF2's does), so ``make_password`` and ``check_password`` each count
one: the same work. Jobs (the letter's PDF, emails) run after the request in the worker; the
test database's transaction never commits, so they stay out of the count, as in production.
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse
from django.utils import timezone

from accounts.models import ProvisionalCode, User
from accounts.nir import generate_nir
from accounts.services.codes import provisional_code_draw, provisional_code_issue
from tests.accounts.helpers import last_code
from tests.factories import PASSWORD, InsuredFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
WRONG_PASSWORD = "Motdepasse-Faux-1"
STRANGER = generate_nir(sex=1, year=1970, month=1, department="13", commune="055", order=9).number


class CountingHasher(PBKDF2PasswordHasher):
    """PBKDF2 with few iterations (speed) that counts its derivations."""

    algorithm = "counting_pbkdf2"
    iterations = 2
    derivations = 0

    def encode(self, password, salt, iterations=None):
        type(self).derivations += 1
        return super().encode(password, salt, iterations)


@pytest.fixture(autouse=True)
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    settings.STAFF_MFA_REQUIRED = False


def _identity(insured, **overrides):
    return {
        "nir": insured.nir,
        "last_name": insured.last_name,
        "birth_date": insured.birth_date.strftime("%d/%m/%Y"),
        "postal_code": insured.postal_code,
        **overrides,
    }


def _person(**kwargs):
    return InsuredFactory(iban="FR7630004000010001234567830", **kwargs)


def _page(response, text):
    assert text in response.content.decode(), response.content.decode()[-2000:]


# Each scenario prepares its case (hashing as it likes) and returns the request to measure,
# which checks it reached the answer it is named after.


def identity_unknown_nir(client):
    stranger = InsuredFactory.build(nir=STRANGER)
    return lambda: _page(
        client.post(reverse("accounts:signup_identity"), _identity(stranger)),
        "pas pu vérifier votre identité",
    )


def identity_wrong_name(client):
    person = _person()
    return lambda: _page(
        client.post(reverse("accounts:signup_identity"), _identity(person, last_name="Autre")),
        "pas pu vérifier votre identité",
    )


def identity_match(client):
    person = _person()
    return lambda: (
        client.post(reverse("accounts:signup_identity"), _identity(person))["Location"]
        == reverse("accounts:signup_proof")
    )


def identity_has_account(client):
    user = UserFactory()
    return lambda: _page(
        client.post(reverse("accounts:signup_identity"), _identity(user.insured)), "Vous avez déjà un compte"
    )


def identity_no_rights(client):
    person = _person()
    person.coverage_periods.update(end=date(2020, 1, 1))
    return lambda: _page(
        client.post(reverse("accounts:signup_identity"), _identity(person)), "Vos droits ne sont pas ouverts"
    )


def identity_temporary_nir(client):
    nir = generate_nir(sex=7, year=1990, month=5, department="75", commune="101", order=5).number
    return lambda: _page(
        client.post(
            reverse("accounts:signup_identity"),
            {"nir": nir, "last_name": "X", "birth_date": "01/05/1990", "postal_code": "75001"},
        ),
        "numéro provisoire",
    )


def identity_too_many(client):
    person = _person()
    for _ in range(5):
        client.post(reverse("accounts:signup_identity"), _identity(person, postal_code="00000"))
    return lambda: _page(
        client.post(reverse("accounts:signup_identity"), _identity(person)), "Trop de tentatives"
    )


def _identity_checked(client, **kwargs):
    person = _person(**kwargs)
    client.post(reverse("accounts:signup_identity"), _identity(person))
    return person


def iban_right(client):
    _identity_checked(client)
    return lambda: (
        client.post(reverse("accounts:signup_proof"), {"last_seven": "4567830"})["Location"]
        == reverse("account_signup")
    )


def iban_wrong(client):
    _identity_checked(client)
    return lambda: _page(
        client.post(reverse("accounts:signup_proof"), {"last_seven": "1234567"}), "ne correspondent pas"
    )


def iban_none_on_file(client):
    person = _identity_checked(client)
    person.iban = ""
    person.save(update_fields=["iban"])
    return lambda: client.post(reverse("accounts:signup_proof"), {"last_seven": "1234567"})


def letter_sent(client):
    _identity_checked(client)
    return lambda: _page(client.post(reverse("accounts:signup_request_letter")), "est en route")


def letter_refused_over_the_limit(client):
    person = _identity_checked(client)
    for _ in range(3):
        client.post(reverse("accounts:signup_request_letter"))
        client.post(reverse("accounts:signup_identity"), _identity(person))
    return lambda: (
        client.post(reverse("accounts:signup_request_letter"))["Location"] == reverse("accounts:signup_proof")
    )


def _with_code(insured) -> str:
    letter = provisional_code_issue(insured=insured)
    return provisional_code_draw(provisional_code=letter.provisional_code)


def _code_step(client, nir, code, text):
    return lambda: _page(client.post(reverse("accounts:signup_code"), {"nir": nir, "code": code}), text)


INCORRECT = "ou le code provisoire est incorrect"


def code_unknown_nir(client):
    return _code_step(client, STRANGER, "12345678", INCORRECT)


def code_account_already_open(client):
    user = UserFactory()
    _with_code(user.insured)
    return _code_step(client, user.username, "12345678", INCORRECT)


def code_none_issued(client):
    return _code_step(client, _person().nir, "12345678", INCORRECT)


def code_letter_not_rendered_yet(client):
    person = _person()
    provisional_code_issue(insured=person)
    return _code_step(client, person.nir, "12345678", INCORRECT)


def code_wrong(client):
    person = _person()
    code = _with_code(person)
    return _code_step(client, person.nir, f"{(int(code) + 1) % 10**8:08d}", INCORRECT)


def code_right(client):
    person = _person()
    code = _with_code(person)
    return lambda: (
        client.post(reverse("accounts:signup_code"), {"nir": person.nir, "code": code})["Location"]
        == reverse("account_signup")
    )


def code_expired(client):
    person = _person()
    code = _with_code(person)
    ProvisionalCode.objects.filter(insured=person).update(expires_at=timezone.now() - timedelta(days=1))
    return _code_step(client, person.nir, code, INCORRECT)


def code_blocked(client):
    person = _person()
    code = _with_code(person)
    ProvisionalCode.objects.filter(insured=person).update(failed_attempts=5)
    return _code_step(client, person.nir, code, INCORRECT)


def code_format_unknown_nir(client):
    return _code_step(client, STRANGER, "1234", "comporte 8 chiffres")


def code_format_registered(client):
    person = _person()
    _with_code(person)
    return _code_step(client, person.nir, "1234", "comporte 8 chiffres")


def _login(client, login, password):
    return client.post(reverse("account_login"), {"login": login, "password": password})


MISMATCH = "ou le mot de passe est incorrect"


def login_unknown_nir(client):
    return lambda: _page(_login(client, STRANGER, PASSWORD), MISMATCH)


def login_unknown_staff_name(client):
    return lambda: _page(_login(client, "agent-inconnu", PASSWORD), MISMATCH)


def login_wrong_password(client):
    user = UserFactory()
    return lambda: _page(_login(client, user.username, WRONG_PASSWORD), MISMATCH)


def login_right_password(client):
    user = UserFactory()
    return lambda: (
        _login(client, user.username, PASSWORD)["Location"] == reverse("account_confirm_login_code")
    )


def _locked():
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now(), failed_logins=5)
    return user


def login_locked_wrong_password(client):
    user = _locked()
    return lambda: _page(_login(client, user.username, WRONG_PASSWORD), MISMATCH)


def login_locked_right_password(client):
    user = _locked()
    return lambda: _page(_login(client, user.username, PASSWORD), MISMATCH)


SUSPENDED = "connexion à ce compte est suspendue"


def _five_failures(client, login):
    for _ in range(5):
        _login(client, login, WRONG_PASSWORD)


def login_suspended_unknown_nir(client):
    _five_failures(client, STRANGER)
    return lambda: _page(_login(client, STRANGER, PASSWORD), SUSPENDED)


def login_suspended_right_password(client):
    user = UserFactory()
    _five_failures(client, user.username)
    return lambda: _page(_login(client, user.username, PASSWORD), SUSPENDED)


def login_staff_at_the_insured_door(client):
    staff = StaffFactory()
    return lambda: _page(_login(client, staff.username, PASSWORD), MISMATCH)


def _staff_sign_in(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


STAFF_MISMATCH = "identifiant ou le mot de passe est incorrect"


def staff_right_password(client):
    staff = StaffFactory()
    return lambda: _staff_sign_in(client, staff.username, PASSWORD)["Location"] == reverse("admin:index")


def staff_wrong_password(client):
    staff = StaffFactory()
    return lambda: _page(_staff_sign_in(client, staff.username, WRONG_PASSWORD), STAFF_MISMATCH)


def staff_unknown_username(client):
    return lambda: _page(_staff_sign_in(client, "agent-inconnu", PASSWORD), STAFF_MISMATCH)


def staff_insured_account(client):
    user = UserFactory()
    return lambda: _page(_staff_sign_in(client, user.username, PASSWORD), STAFF_MISMATCH)


def staff_locked(client):
    staff = StaffFactory()
    for _ in range(5):
        _staff_sign_in(client, staff.username, WRONG_PASSWORD)
    return lambda: _page(_staff_sign_in(client, staff.username, PASSWORD), SUSPENDED)


def _login_code_asked(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _login(client, user.username, PASSWORD)
    return last_code(user.email)


def login_code_right(client, capture):
    code = _login_code_asked(client, capture)
    return lambda: (
        client.post(reverse("account_confirm_login_code"), {"code": code})["Location"]
        == (reverse("mfa_trust"))
    )


def login_code_wrong(client, capture):
    code = _login_code_asked(client, capture)
    return lambda: (
        client.post(
            reverse("account_confirm_login_code"), {"code": f"{(int(code) + 1) % 10**6:06d}"}
        ).status_code
        == 200
    )


def _reset(client, nir, email):
    return client.post(reverse("account_reset_password"), {"nir": nir, "email": email})


def reset_matching(client):
    user = UserFactory()
    return lambda: _reset(client, user.username, user.email).status_code == 302


def reset_wrong_email(client):
    user = UserFactory()
    return lambda: _reset(client, user.username, "autre@exemple.test").status_code == 302


def reset_unknown_nir(client):
    return lambda: _reset(client, STRANGER, "autre@exemple.test").status_code == 302


def reset_registered_without_account(client):
    person = _person()
    return lambda: _reset(client, person.nir, person.email).status_code == 302


def reset_locked(client):
    user = _locked()
    return lambda: _reset(client, user.username, user.email).status_code == 302


def _reset_code_asked(client, capture):
    user = UserFactory()
    with capture(execute=True):
        _reset(client, user.username, user.email)
    return last_code(user.email, digits=8)


def reset_code_right(client, capture):
    code = _reset_code_asked(client, capture)
    return lambda: (
        client.post(reverse("account_confirm_password_reset_code"), {"code": code}).status_code == 302
    )


def reset_code_wrong(client, capture):
    code = _reset_code_asked(client, capture)
    return lambda: (
        client.post(
            reverse("account_confirm_password_reset_code"), {"code": f"{(int(code) + 1) % 10**8:08d}"}
        ).status_code
        == 200
    )


# step -> (hashes each of its answers costs, the answers)
STEPS = {
    "identity check": (
        0,
        [
            identity_unknown_nir,
            identity_wrong_name,
            identity_match,
            identity_has_account,
            identity_no_rights,
            identity_temporary_nir,
            identity_too_many,
        ],
    ),
    "IBAN proof": (0, [iban_right, iban_wrong, iban_none_on_file]),
    "code letter request": (0, [letter_sent, letter_refused_over_the_limit]),
    "provisional code": (
        1,
        [
            code_unknown_nir,
            code_account_already_open,
            code_none_issued,
            code_letter_not_rendered_yet,
            code_wrong,
            code_right,
            code_expired,
            code_blocked,
        ],
    ),
    # a typo in the code is answered before anyone is looked up
    "provisional code, not 8 digits": (0, [code_format_unknown_nir, code_format_registered]),
    "login": (
        1,
        [
            login_unknown_nir,
            login_unknown_staff_name,
            login_wrong_password,
            login_right_password,
            login_locked_wrong_password,
            login_locked_right_password,
            login_suspended_unknown_nir,
            login_suspended_right_password,
            login_staff_at_the_insured_door,
        ],
    ),
    "back-office sign-in": (
        1,
        [
            staff_right_password,
            staff_wrong_password,
            staff_unknown_username,
            staff_insured_account,
            staff_locked,
        ],
    ),
    "emailed login code": (0, [login_code_right, login_code_wrong]),
    "forgotten password": (
        0,
        [
            reset_matching,
            reset_wrong_email,
            reset_unknown_nir,
            reset_registered_without_account,
            reset_locked,
        ],
    ),
    "password reset code": (0, [reset_code_right, reset_code_wrong]),
}
CASES = [
    pytest.param(step, expected, scenario, id=f"{step}: {scenario.__name__}")
    for step, (expected, scenarios) in STEPS.items()
    for scenario in scenarios
]


@pytest.mark.parametrize("step,expected,scenario", CASES)
def test_every_answer_of_a_step_costs_the_same_hashing(
    client, django_capture_on_commit_callbacks, step, expected, scenario
):
    needs_mail = scenario.__code__.co_argcount == 2
    act = scenario(client, django_capture_on_commit_callbacks) if needs_mail else scenario(client)
    CountingHasher.derivations = 0
    reached = act()
    assert reached is not False, f"{scenario.__name__} n'a pas atteint la réponse attendue"
    assert CountingHasher.derivations == expected, (
        f"{step} / {scenario.__name__}: {CountingHasher.derivations} hachage(s), "
        f"{expected} attendu(s) comme pour toutes les réponses de cette étape"
    )

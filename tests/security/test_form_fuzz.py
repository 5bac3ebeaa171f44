"""Family 3: every form of the portal, sent with values from hypothesis.

The forms are found, not listed: every URL pattern (outside the back office) is opened as an
anonymous visitor, as a signed-in insured person (pages with an identifier through the
household's own objects) and as a newcomer in the middle of the sign-up steps; each <form> is
read with html.parser, CSRF token included (the client enforces CSRF as a browser session
would). Each form is then sent (POST, or GET for the simulator, the filters and the code check)
with awkward values: unicode, NUL bytes, huge and negative numbers, impossible dates, very long
strings, nothing at all, mostly one or two of them among plausible values. No answer may be a
server error, and a form that answers with errors (or any GET form) has written nothing: every
table's row count is unchanged.
"""

import os
import string
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.forms import FORMS
from tests.requests_app.helpers import pdf_bytes

from .forms import page_forms
from .household import EXTRA_PAGES, IDENTIFIERS, NEWCOMER_IBAN
from .urlmap import all_routes

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = 10

# Forms not posted: ending the session would leave the other examples signed out.
NOT_POSTED = {"account_logout"}
# Tables a request may write whatever the form says: the session and allauth's record of it.
NOT_COUNTED = {"django_session", "usersessions_usersession"}

ROUTES = [r for r in all_routes() if not r.is_admin]
BY_NAME = {r.name: r for r in ROUTES}


def pages(household) -> list[tuple[str, str]]:
    """Every path worth opening: each pattern once, with the household's identifiers."""
    found = []
    for route in ROUTES:
        case = IDENTIFIERS.get(route.name)
        values = [case.kwargs(household)] if case else [{}]
        values += [make(household) for make in EXTRA_PAGES.get(route.name, [])]
        if route.name == "requests_app:create":
            values = [{"kind": kind} for kind in FORMS]
        found += [(route.name, route.path(**v)) for v in values]
    return found


ROLES = ("anonymous", "insured", "identified", "proven")
# The sign-up steps only exist for someone in the middle of them: those roles open only these.
SIGNUP_PAGES = {
    "accounts:signup_identity",
    "accounts:signup_proof",
    "accounts:signup_code",
    "accounts:signup_request_letter",
    "account_signup",
}


def submit(client, page: str, data: dict):
    """Post the page's own form as a browser would (its CSRF token included)."""
    [form] = [
        f
        for f in page_forms(client.get(page).content.decode(), page)
        if f.action == page and f.method == "post"
    ]
    response = client.post(page, {"csrfmiddlewaretoken": form.csrf_token, **data})
    assert response.status_code == 302, (page, response.status_code)
    return response


def client_for(role, household) -> Client:
    """A browser session: signed in, or a newcomer who passed the identity step ("identified")
    and then proved it with their IBAN ("proven"), through the real sign-up pages."""
    client = Client(enforce_csrf_checks=True)
    if role == "insured":
        client.force_login(household.user)
    elif role in ("identified", "proven"):
        newcomer = household.newcomer
        submit(
            client,
            reverse("accounts:signup_identity"),
            {
                "nir": newcomer.nir,
                "last_name": newcomer.last_name,
                "birth_date": f"{newcomer.birth_date:%d/%m/%Y}",
                "postal_code": newcomer.postal_code,
            },
        )
        if role == "proven":
            submit(client, reverse("accounts:signup_proof"), {"last_seven": NEWCOMER_IBAN[-7:]})
    return client


_DISCOVERED: dict = {}


def discovered(household) -> dict:
    """{(role, action's route name): [(page, form), ...]}, one entry per distinct form."""
    if _DISCOVERED.get("household") is household:
        return _DISCOVERED["forms"]
    from django.urls import resolve

    forms, seen = {}, set()
    for role in ROLES:
        client = client_for(role, household)
        for name, page in pages(household):
            if role in ("identified", "proven") and name not in SIGNUP_PAGES:
                continue
            response = client.get(page)
            assert response.status_code < 500, f"{page} ({role}) : {response.status_code}"
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in page_forms(response.content.decode(), page):
                name = resolve(form.action.split("?")[0]).route
                target = next(r.name for r in ROUTES if r.route == name)
                if target in NOT_POSTED or (role, form.signature) in seen:
                    continue
                seen.add((role, form.signature))
                forms.setdefault((role, target), []).append((page, form))
    _DISCOVERED.update(household=household, forms=forms)
    return forms


def row_counts() -> dict[str, int]:
    tables = sorted(set(connection.introspection.django_table_names(only_existing=True)) - NOT_COUNTED)
    qn = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {qn(t)}" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


# --- the values --------------------------------------------------------------------------

AWKWARD = [
    "",
    " ",
    "0",
    "-1",
    "-0.01",
    "00000000",
    "1e309",
    "NaN",
    "inf",
    "-99999999999999999999999999",
    "99999999999999999999999999999999999999",
    "2147483648",
    "9223372036854775808",
    "0,5",
    "12,345.67",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "31/12/9999",
    "1899-12-31",
    "2026-13-01",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "ÉÈÀÇŒ œ",
    "😀🏥",
    "١٢٣٤",
    "𝟙𝟚𝟛",
    "\u202eabc",
    "\r\n",
    "1 80 05 75 056 001 23",
    "FR7630006000011234567890189",
    "2A",
    "prestation",
    "true",
    "on",
]
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
dates = st.dates(min_value=date(1, 1, 1)).flatmap(
    lambda d: st.sampled_from([d.isoformat(), f"{d:%d/%m/%Y}", f"{d.day}/{d.month}/{d.year}"])
)
long_text = st.builds(
    lambda c, n: c * n,
    st.sampled_from(["a", "é", "9", "\x00", "😀", " "]),
    st.integers(min_value=300, max_value=20_000),
)
any_value = st.one_of(
    st.sampled_from(AWKWARD), text, numbers, dates, long_text, st.text(string.digits, min_size=1, max_size=20)
)
uploads = st.builds(
    # Django refuses "", "." and ".." as a file name before any view sees it.
    lambda name, data, kind: SimpleUploadedFile(
        name if name not in ("", ".", "..") else "x", data, content_type=kind
    ),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00/\\"), max_size=80),
    st.binary(max_size=2048) | st.just(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
    st.sampled_from(["application/pdf", "image/jpeg", "image/png", "text/html", "application/x-msdownload"]),
)


# A plausible value per field, so that most examples get past the first check and one or two
# awkward values reach the deeper code (a form of ten fields is never valid by chance).
PLAUSIBLE_BY_NAME = [
    ("iban", "FR7630006000011234567890189"),
    ("amount", "120.00"),
    ("postal_code", "75010"),
    ("birth_date", "1980-05-17"),
    ("since", "2026-01-15"),
    ("departure_on", "2030-07-01"),
    ("email", "fuzz@exemple.test"),
    ("phone", "0612345678"),
    ("code", "12345678"),
    ("last_seven", "7890189"),
    ("password", "Motdepasse-Test-9"),
    ("start", "2026-01-01"),
    ("end", "2026-01-31"),
    ("period", "2026-01"),
    ("year", "2025"),
    ("months", "3"),
]
PLAUSIBLE_BY_TYPE = {
    "date": "2026-01-15",
    "month": "2026-01",
    "number": "12",
    "email": "fuzz@exemple.test",
    "tel": "0612345678",
    "checkbox": "on",
    "password": "Motdepasse-Test-9",
}


def plausible(field, household):
    if field.name == "csrfmiddlewaretoken" or field.kind in ("hidden", "submit"):
        return field.value
    if field.kind == "file":
        return SimpleUploadedFile("piece.pdf", pdf_bytes(), content_type="application/pdf")
    if field.kind in ("select", "radio"):
        return next((o for o in field.options if o), field.value)
    if field.kind == "checkbox":
        return field.value or "on"
    if field.value:
        return field.value
    if field.name in ("nir", "login", "username"):
        return household.insured.nir
    if field.name == "last_name":
        return household.insured.last_name
    for part, value in PLAUSIBLE_BY_NAME:
        if part in field.name:
            return value
    return PLAUSIBLE_BY_TYPE.get(field.kind, "Texte de test")


def awkward(field):
    """What someone who is not a browser might send for this field (None: nothing)."""
    omit = st.none()
    if field.name == "csrfmiddlewaretoken":
        return st.just(field.value)
    if field.kind == "file":
        return st.one_of(omit, uploads)
    if field.kind in ("select", "radio", "checkbox"):
        return st.one_of(omit, any_value)
    return st.one_of(any_value, omit)


def fields_by_name(form):
    names = {}
    for f in form.fields:  # radios and checkboxes share a name: one entry per name
        if f.kind == "radio" and f.name in names:
            names[f.name].options.append(f.value)
            continue
        names.setdefault(f.name, f)
        if f.kind == "radio":
            f.options = f.options or [f.value]
    return names


@st.composite
def form_data(draw, form, household):
    """Either every field awkward, or plausible values with one or two awkward ones."""
    fields = fields_by_name(form)
    names = sorted(n for n in fields if n != "csrfmiddlewaretoken")
    if names and draw(st.booleans()):
        odd = set(names)
    else:
        odd = draw(st.sets(st.sampled_from(names), max_size=2)) if names else set()
    data = {}
    for name, field in fields.items():
        value = draw(awkward(field)) if name in odd else plausible(field, household)
        if value is not None:
            data[name] = value
    return data


def has_errors(response) -> bool:
    if 400 <= response.status_code < 500:
        return True
    for context in response.context or []:
        for value in context.flatten().values():
            if hasattr(value, "errors") and hasattr(value, "is_bound") and value.is_bound and value.errors:
                return True
    return False


def fuzz(role, household, page, form):
    """Post ``form`` with generated values, in a client of its own that opened ``page`` first
    (its CSRF cookie, and the token of that page's form)."""
    session = {}

    def open_page():
        session["client"] = client = client_for(role, household)
        response = client.get(page)
        session["form"] = next(
            f for f in page_forms(response.content.decode(), page) if f.signature == form.signature
        )

    open_page()

    # Random on a developer's machine (new cases each run); fixed examples in CI, so that a
    # submission is judged on what it changed, not on the draw.
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=form_data(form, household))
    def post(data):
        client, form = session["client"], session["form"]
        if "csrfmiddlewaretoken" in data:  # this session's token (the fields are the same)
            data = {**data, "csrfmiddlewaretoken": form.csrf_token}
        cache.clear()  # rate limits would otherwise answer the later examples in place of the form
        with transaction.atomic():
            before = row_counts()
            if form.method == "get":
                data = {k: v for k, v in data.items() if isinstance(v, str)}
            try:
                response = getattr(client, form.method)(form.action, data)
            except Exception as exc:  # the test client re-raises a view's exception: a 500
                raise AssertionError(f"{form.action} ({role}) : erreur serveur {exc!r}") from exc
            assert response.status_code < 500, f"{form.action} ({role}) : {response.status_code}"
            assert not (response.status_code == 403 and b"CSRF" in response.content), (
                f"{form.action} ({role}) : refusé par le contrôle CSRF (le formulaire n'a pas son jeton ?)"
            )
            if role == "insured" and response.status_code == 302:
                assert urlsplit(response["Location"]).path != reverse("account_login"), (
                    f"{form.action} : la session de l'assuré est perdue, l'essai ne teste plus rien"
                )
            if has_errors(response) or form.method == "get":  # a GET form never writes either
                after = row_counts()
                changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
                assert not changed, (
                    f"{form.action} ({role}) a répondu par des erreurs mais a écrit : {changed}"
                )
            transaction.set_rollback(True)
        if response.status_code in (301, 302, 303):
            open_page()  # the form did its job (or sent elsewhere): a fresh session for the next one

    post()


def test_forms_are_found(household, db):
    """The discovery finds the forms it should: a broken discovery would fuzz nothing."""
    forms = discovered(household)
    targets = {target for _, target in forms}
    for expected in (
        "account_login",
        "accounts:signup_identity",
        "requests_app:public_vitale",
        "accounts:profile",
        "messaging:new",
        "messaging:reply",
        "requests_app:create",
        "requests_app:detail",
        "attestations:request_statement",
        "accounts:signup_proof",
        "account_signup",
        "reimbursements:simulator",
        "reimbursements:payments",
        "attestations:verify",
    ):
        assert expected in targets, expected


@pytest.mark.parametrize("name", [r.name for r in ROUTES])
def test_every_form_posting_to(name, household, db):
    for (role, target), found in discovered(household).items():
        if target != name:
            continue
        for page, form in found:
            fuzz(role, household, page, form)

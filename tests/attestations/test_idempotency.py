"""A document asked twice with the same form (a double click, a reload, two requests at once)
is one document."""

import pytest
from django.urls import reverse

from attestations.models import Document
from tests.submissions import post_at_once, token_in

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("attestations:list")
FORMS = {  # kind: (url, the token's field id on "Mes attestations", the form's data)
    "droits": ("attestations:request", "id_droits_idempotency_key", {}),
    "releve": ("attestations:request_statement", "id_idempotency_key", {"mois": "1"}),
    "ij": ("attestations:request_allowances", "id_ij_idempotency_key", None),
    "fiscal": ("attestations:request_tax", "id_fiscal_idempotency_key", None),
    "vaccination": ("attestations:request_vaccination", "id_vaccination_idempotency_key", {"person": ""}),
}


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


@pytest.fixture
def logged(client, insured):
    client.force_login(insured.user)
    return client


def form_data(page, kind: str) -> tuple[str, dict]:
    name, field_id, data = FORMS[kind]
    if data is None:  # the form's own defaults, as shown
        form = page.context[{"ij": "allowance_form", "fiscal": "tax_form"}[kind]]
        data = {name: form[name].value() for name in form.fields if name != "idempotency_key"}
        data = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}
    return reverse(name), {**data, "idempotency_key": token_in(page, field_id)}


@pytest.mark.parametrize("kind", FORMS)
def test_each_document_form_sent_twice_asks_one_document(logged, insured, kind):
    url, data = form_data(logged.get(LIST), kind)
    assert logged.post(url, data).status_code == logged.post(url, data).status_code == 302
    assert Document.objects.filter(owner=insured, kind=kind).count() == 1


def test_the_same_form_is_one_document_even_if_the_data_changed_in_between(logged, insured):
    url, data = form_data(logged.get(LIST), "droits")
    logged.post(url, data)
    insured.medecin_traitant = "Dr Nouveau"  # the caisse updates the register between the two sends
    insured.save()
    logged.post(url, data)
    assert Document.objects.filter(owner=insured, kind="droits").count() == 1
    # The page shown after it is a new form: a deliberate new request gets today's data.
    logged.post(*form_data(logged.get(LIST), "droits"))
    assert Document.objects.filter(owner=insured, kind="droits").count() == 2


def test_the_same_form_sent_twice_at_once_asks_one_document(insured):
    responses = post_at_once(
        insured.user,
        reverse("attestations:request"),
        lambda: {"idempotency_key": "jeton-attestation-simultane-1"},
    )
    assert [r.status_code for r in responses] == [302, 302]
    assert Document.objects.filter(owner=insured).count() == 1

"""Every money field a person types in takes amounts the French way.

The forms are found, not listed: every Form class of the project's apps, and every form the
back office builds for a registered ModelAdmin and its inlines. Each DecimalField of them
must read « 1 250,00 », « 1250 € », « 1 250,5 », « 1250.00 » (and the no-break spaces a copy
from a page brings), and refuse what is not an amount with a French message.
"""

import importlib
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

from ameli_portal.forms import FrenchAmountField, parse_french_amount
from tests.factories import StaffFactory

PROJECT_APPS = ("accounts", "ameli_portal", "attestations", "messaging", "reimbursements", "requests_app")
D = Decimal

# (typed, read): with thousands for fields that allow them, small amounts for the others.
LARGE = [
    ("1 250,00", D("1250.00")),
    ("1250 €", D("1250")),
    ("1 250,5", D("1250.5")),
    ("1250.00", D("1250.00")),
    ("1\u202f250,00\u00a0€", D("1250.00")),
    ("1\u00a0250,00", D("1250.00")),
    ("1.250,00", D("1250.00")),
    (" 1250,00 € ", D("1250.00")),
]
SMALL = [
    ("12,50", D("12.50")),
    ("12.50", D("12.50")),
    ("12 €", D("12")),
    ("0,5", D("0.5")),
    ("12,50\u00a0€", D("12.50")),
]
NOT_AMOUNTS = ["douze", "12,50,3", "1 2a", "--3", "€"]


def _walk(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _walk(sub)


def project_forms() -> list[type[forms.BaseForm]]:
    """The plain forms (ModelForms are the admin's: they are checked as the admin builds them)."""
    for app in PROJECT_APPS:
        for module in ("forms", "views", "admin", "contact", "simulator"):
            try:
                importlib.import_module(f"{app}.{module}")
            except ModuleNotFoundError as error:
                if error.name != f"{app}.{module}":
                    raise
    found = {
        cls
        for cls in _walk(forms.BaseForm)
        if cls.__module__.split(".")[0] in PROJECT_APPS and not issubclass(cls, forms.BaseModelForm)
    }
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def admin_forms() -> list[tuple[str, type[forms.BaseForm]]]:
    """The change form of every registered ModelAdmin and of its inlines, as a superuser gets it."""
    request = RequestFactory().get("/back-office/")
    request.user = StaffFactory.build(is_superuser=True)
    built = []
    for model, model_admin in admin.site._registry.items():
        name = f"{model._meta.label} admin"
        built.append((name, model_admin.get_form(request)))
        for inline in model_admin.get_inline_instances(request):
            built.append((f"{name}, {type(inline).__name__}", inline.get_formset(request).form))
    return built


def money_fields(form_class):
    """Every decimal field is an amount unless it says otherwise (``is_money = False``: a rate)."""
    return [
        (name, field)
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.DecimalField) and getattr(field, "is_money", True)
    ]


def _cases(field) -> list[tuple[str, Decimal]]:
    fits = [
        (typed, read)
        for typed, read in LARGE + SMALL
        if (field.max_value is None or read <= field.max_value)
        and (field.min_value is None or read >= field.min_value)
        and (field.decimal_places is None or -read.as_tuple().exponent <= field.decimal_places)
    ]
    return fits


def all_money_fields():
    params = []
    for form_class in project_forms():
        for name, field in money_fields(form_class):
            params.append(pytest.param(field, id=f"{form_class.__module__}.{form_class.__qualname__}.{name}"))
    return params


def test_the_discovery_finds_the_money_fields():
    ids = {p.id for p in all_money_fields()}
    assert "requests_app.forms.PrestationForm.amount" in ids
    assert "requests_app.forms.DecisionForm.amount" in ids
    assert "reimbursements.forms.SimulatorForm.price" in ids


@pytest.mark.parametrize("field", all_money_fields())
def test_every_money_field_of_the_portal_reads_french_amounts(field):
    cases = _cases(field)
    assert cases, "aucune forme française ne tient dans les bornes du champ"
    for typed, read in cases:
        assert field.clean(typed) == read, typed
    for typed in NOT_AMOUNTS:
        with pytest.raises(forms.ValidationError) as refused:
            field.clean(typed)
        assert "Saisissez un nombre" not in str(refused.value)


@pytest.mark.django_db
def test_every_money_field_of_the_back_office_reads_french_amounts():
    checked = []
    for name, form_class in admin_forms():
        for field_name, field in money_fields(form_class):
            # Editable by someone: a read-only field is not in the form at all.
            assert isinstance(field, FrenchAmountField), f"{name}.{field_name}"
            for typed, read in _cases(field):
                assert field.clean(typed) == read, f"{name}.{field_name}: {typed}"
            checked.append(f"{name}.{field_name}")
    assert checked, "le back-office n'a aucun champ de montant ?"


def test_the_amount_is_shown_back_with_a_decimal_comma():
    class Form(forms.Form):
        amount = FrenchAmountField(decimal_places=2)

    html = str(Form(initial={"amount": D("1250.50")})["amount"])
    assert 'value="1250,50"' in html and 'inputmode="decimal"' in html and 'type="text"' in html


def test_a_form_with_a_wrong_amount_says_so_in_french():
    class Form(forms.Form):
        amount = FrenchAmountField()

    form = Form(data={"amount": "mille"})
    assert not form.is_valid()
    assert form.errors["amount"] == [
        "Indiquez un montant en euros avec des chiffres, par exemple 1 250,00 ou 30,50."
    ]


@pytest.mark.parametrize(
    "typed, plain", [("1,250.00", "1250.00"), ("1'250,00", "1250.00"), ("-12,5", "-12.5"), ("abc", "abc")]
)
def test_parse_french_amount(typed, plain):
    assert parse_french_amount(typed) == plain


def test_the_apps_are_the_installed_ones():
    installed = {config.name for config in apps.get_app_configs()}
    assert set(PROJECT_APPS) <= installed

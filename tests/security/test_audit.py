"""The audit trail: every staff list and page of the back office leaves a row, changes keep
their old and new values, and the database refuses to change or delete a row."""

from datetime import date

import pytest
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.urls import NoReverseMatch, reverse

from ameli_portal.audit import AuditedAdminMixin, audit
from ameli_portal.models import AuditEvent
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

REGISTERED = [model for model in apps.get_models() if admin.site.is_registered(model)]


def _ids(models):
    return [m._meta.label_lower for m in models]


@pytest.fixture
def superuser():
    return StaffFactory(username="root", is_superuser=True)


def test_every_model_admin_of_the_back_office_is_audited():
    for model in REGISTERED:
        assert isinstance(admin.site.get_model_admin(model), AuditedAdminMixin), model


def test_every_amount_of_every_change_list_is_written_the_french_way(rf, superuser):
    """Generated from the admin registry: each column of a list that is an amount (a
    DecimalField of two places) writes « 1 234,56 € », as the portal's screens do."""
    from decimal import Decimal

    from django.db.models import DecimalField

    request = rf.get("/")
    request.user = superuser
    checked = 0
    for model in REGISTERED:
        model_admin = admin.site.get_model_admin(model)
        money = {
            f.name for f in model._meta.get_fields() if isinstance(f, DecimalField) and f.decimal_places == 2
        }
        for column in model_admin.get_list_display(request):
            name = column if isinstance(column, str) else column.__name__
            if name in money:
                assert callable(column), (model, name)
                assert column(model(**{name: Decimal("1234.5")})) == "1\u202f234,50\u00a0€", (model, name)
                checked += 1
    assert checked  # payments, ledger entries, daily allowances


@pytest.mark.parametrize("model", REGISTERED, ids=_ids(REGISTERED))
def test_every_list_page_shown_to_staff_is_audited_with_the_rows_it_showed(client, superuser, insured, model):
    client.force_login(superuser)
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    except NoReverseMatch:
        pytest.skip("pas de liste")
    response = client.get(url)
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="list", object_type=model._meta.label_lower).get()
    assert event.actor == superuser
    shown = [str(row.pk) for row in response.context["cl"].result_list]  # the rows the page had
    assert event.changes["ids"] == shown


def test_user_pages_and_sessions_shown_to_staff_are_audited(client, superuser, insured):
    session = UserSession.objects.create(
        user=insured.user, ip="127.0.0.1", session_key="k" * 32, user_agent="test"
    )
    client.force_login(superuser)
    for name, obj in (("accounts_user", insured.user), ("usersessions_usersession", session)):
        assert client.get(reverse(f"admin:{name}_change", args=[obj.pk])).status_code == 200
        assert AuditEvent.objects.filter(
            action="view", object_id=str(obj.pk), object_type=obj._meta.label_lower
        ).exists(), name


def test_an_inline_change_is_audited_with_old_and_new_values(client, superuser, insured):
    from tests.accounts.test_register import _insured_form

    period = insured.coverage_periods.get()
    client.force_login(superuser)
    form = _insured_form(
        insured.caisse,
        nir=insured.nir,
        last_name=insured.last_name,
        first_names=insured.first_names,
        birth_date=insured.birth_date.isoformat(),
        address_line1=insured.address_line1,
        postal_code=insured.postal_code,
        city=insured.city,
    )
    form.update(
        {
            "coverage_periods-TOTAL_FORMS": "1",
            "coverage_periods-INITIAL_FORMS": "1",
            "coverage_periods-0-id": period.pk,
            "coverage_periods-0-insured": insured.pk,
            "coverage_periods-0-regime": period.regime,
            "coverage_periods-0-start": period.start.isoformat(),
            "coverage_periods-0-end": "2030-12-31",
        }
    )
    response = client.post(reverse("admin:accounts_insured_change", args=[insured.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="change", object_type="accounts.coverageperiod")
    assert event.changes == {"end": [None, str(date(2030, 12, 31))]}


def test_the_database_refuses_to_change_or_delete_an_audit_row_written_around_the_model(superuser):
    event = audit(actor=superuser, action="view", obj=superuser)
    table = AuditEvent._meta.db_table
    for statement in (
        f"UPDATE {table} SET action = 'rien' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="effacé")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action == "view" and event.summary == ""

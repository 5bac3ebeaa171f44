"""Staff roles: what each role may do on every back-office model, walked from the admin registry.

A model registered tomorrow is walked too: a role that gains a right on it without the
table below saying so fails the test.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory

from accounts.roles import CONSEILLER, COURRIER, FORBIDDEN, ROLES, SUPERVISEUR, roles_sync
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

# Registered model -> what the role may do there (v view, a add, c change, d delete); not
# listed: nothing. (Inlines, such as coverage periods inside the insured page, are not walked.)
_CONSEILLER_MODELS = {
    "accounts.beneficiary": "vac",
    "accounts.caisse": "v",
    "accounts.healthcard": "vc",
    "accounts.insured": "vc",
    "accounts.postalletter": "vc",
    "accounts.user": "v",
    "attestations.document": "vc",
    "attestations.monthlystatement": "v",
    "messaging.contactrequest": "vc",
    "messaging.thread": "vc",
    "reimbursements.caresheet": "vac",
    "reimbursements.dailyallowance": "va",
    "reimbursements.importrun": "v",
    "reimbursements.payment": "v",
    "reimbursements.professional": "vac",
    "reimbursements.vaccination": "vac",
    "requests_app.request": "vc",
}
EXPECTED = {
    CONSEILLER: _CONSEILLER_MODELS,
    SUPERVISEUR: {
        **_CONSEILLER_MODELS,
        "accounts.beneficiary": "vacd",
        "accounts.caisse": "vc",
        "accounts.insured": "vacd",
        "accounts.termsacceptance": "v",
        "accounts.dataexport": "v",
        "ameli_portal.auditevent": "v",
        "ameli_portal.outboxjob": "vc",
        "reimbursements.journal": "v",
        "reimbursements.ledgerentry": "v",
        "reimbursements.vaccination": "vacd",
    },
    COURRIER: {"accounts.postalletter": "vc"},
}


def _registered():
    return [
        (model, admin.site.get_model_admin(model))
        for model in apps.get_models()
        if admin.site.is_registered(model)
    ]


def _user_in(role):
    roles_sync()
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=role))
    return user


def _request(user):
    request = RequestFactory().get("/back-office/")
    request.user = user
    return request


def _rights(model_admin, request) -> str:
    checks = (
        ("v", model_admin.has_view_permission(request)),
        ("a", model_admin.has_add_permission(request)),
        ("c", model_admin.has_change_permission(request)),
        ("d", model_admin.has_delete_permission(request)),
    )
    return "".join(letter for letter, allowed in checks if allowed)


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_holds_exactly_the_rights_of_the_table_on_every_admin_model(role):
    request = _request(_user_in(role))
    actual = {}
    for model, model_admin in _registered():
        rights = _rights(model_admin, request)
        if rights:
            actual[model._meta.label_lower] = rights
    assert actual == EXPECTED[role]


@pytest.mark.parametrize("role", list(ROLES))
def test_no_role_may_touch_accounts_groups_or_permissions(role):
    user = _user_in(role)
    for (app_label, model), letters in FORBIDDEN.items():
        for letter in letters:
            verb = {"v": "view", "a": "add", "c": "change", "d": "delete"}[letter]
            assert not user.has_perm(f"{app_label}.{verb}_{model}"), (role, verb, model)
    request = _request(user)
    for model in (apps.get_model("accounts", "User"), Group, Permission):
        if admin.site.is_registered(model):
            model_admin = admin.site.get_model_admin(model)
            assert not model_admin.has_add_permission(request)
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_delete_permission(request)


@pytest.mark.parametrize("role", list(ROLES))
def test_the_actions_a_role_sees_are_the_ones_its_rights_allow(role):
    """Every admin action of every model, walked: an action shows only with its right."""
    request = _request(_user_in(role))
    for model, model_admin in _registered():
        for name, (func, _, _) in model_admin.get_actions(request).items():
            needed = getattr(func, "allowed_permissions", ())
            for permission in needed:
                assert getattr(model_admin, f"has_{permission}_permission")(request), (
                    role,
                    model._meta.label_lower,
                    name,
                )
            if name == "delete_selected":
                assert "d" in EXPECTED[role].get(model._meta.label_lower, ""), (role, model)


def test_roles_sync_takes_back_a_right_granted_by_hand():
    roles_sync()
    group = Group.objects.get(name=SUPERVISEUR)
    group.permissions.add(Permission.objects.get(codename="change_user"))
    roles_sync()
    assert not group.permissions.filter(codename="change_user").exists()


def test_the_roles_exist_after_migrate_without_any_seeding():
    # The test database was made by migrate alone: the data migration and post_migrate made them.
    for role in ROLES:
        assert Group.objects.get(name=role).permissions.exists(), role

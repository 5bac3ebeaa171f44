"""Staff roles as code: each back-office role and the permissions it really needs, in one place.

``roles_sync()`` makes the groups hold exactly these permissions (one more granted by hand
in the database is taken away). It runs after every ``migrate`` (see ``AccountsConfig``),
in the data migration that installs the roles, in ``seed_demo`` and in the tests.

No role may add, change or delete users, groups or permissions, nor set a password:
that is the superuser's alone, and a superuser is created with ``manage.py
createsuperuser``, never in the back office. Permissions are named by app label only:
the register does not import the apps above it.
"""

CONSEILLER = "Conseiller"
SUPERVISEUR = "Superviseur"
COURRIER = "Agent courrier"

_CODENAMES = {"v": "view", "c": "change", "a": "add", "d": "delete"}

# app label -> model -> letters (v view, c change, a add, d delete); "+" lists custom codenames.
_CONSEILLER = {
    "accounts": {
        "insured": "vc",
        "beneficiary": "vca",
        "coverageperiod": "vcad",
        "exemption": "vcad",
        "caisse": "v",
        "user": "v",
        "postalletter": "vc",
        "healthcard": "vc",
        "healthcardevent": "v",
        "ibanhistory": "v",
        "familysituationchange": "v",
        # A front-line agent unlocks the account of a person who called (audited).
        "+": ["unlock_user"],
    },
    "reimbursements": {
        "professional": "vca",
        "caresheet": "vca",
        "careact": "vcad",
        "settlement": "v",
        "reversal": "v",
        "payment": "v",
        "dailyallowance": "va",
        "vaccination": "vca",
        "importrun": "v",
        # The conseiller liquidates, the superviseur also reverses.
        "+": ["post_caresheet"],
    },
    "attestations": {"document": "vc", "monthlystatement": "v"},
    # contactrequest: the public contact form's queue (answer by email, close).
    "messaging": {"thread": "vc", "message": "va", "contactrequest": "vc"},
    "requests_app": {"request": "vc", "attachment": "v", "requestevent": "v"},
    # What the portal's emails say, with sample data: to answer a person about a mail.
    "ameli_portal": {"+": ["preview_emails"]},
}
_SUPERVISEUR_EXTRA = {
    "accounts": {
        "insured": "vcad",
        "beneficiary": "vcad",
        "caisse": "vc",
        "provisionalcode": "v",
        # what a person accepted, and the archives of their data asked for (not their content)
        "termsacceptance": "v",
        "dataexport": "v",
        # NIR, names, birth date and sex: with a reason, audited, the insured told.
        "+": ["change_identity"],
    },
    # change on the jobs: the operations page's « Relancer » (audited)
    "ameli_portal": {"auditevent": "v", "outboxjob": "vc"},
    "reimbursements": {"journal": "v", "ledgerentry": "v", "vaccination": "vcad", "+": ["reverse_caresheet"]},
}
# The mailroom clerk prints and posts the letters: the letter (with its address), nothing else.
_COURRIER = {"accounts": {"postalletter": "vc"}}


def _merge(*specs: dict) -> dict:
    merged: dict = {}
    for spec in specs:
        for app_label, models in spec.items():
            target = merged.setdefault(app_label, {})
            for model, letters in models.items():
                if model == "+":
                    target["+"] = sorted(set(target.get("+", [])) | set(letters))
                else:
                    target[model] = "".join(sorted(set(target.get(model, "")) | set(letters)))
    return merged


ROLES = {
    CONSEILLER: _CONSEILLER,
    SUPERVISEUR: _merge(_CONSEILLER, _SUPERVISEUR_EXTRA),
    COURRIER: _COURRIER,
}

# Nobody but a superuser touches these: holding them is holding every account.
FORBIDDEN = {("accounts", "user"): "acd", ("auth", "group"): "vacd", ("auth", "permission"): "vacd"}


def role_permissions(role: str) -> set[tuple[str, str]]:
    """(app label, codename) pairs the role holds."""
    pairs = set()
    for app_label, models in ROLES[role].items():
        for model, letters in models.items():
            if model == "+":
                pairs |= {(app_label, codename) for codename in letters}
            else:
                pairs |= {(app_label, f"{_CODENAMES[c]}_{model}") for c in letters}
    return pairs


def roles_sync(*, group_model=None, permission_model=None) -> dict[str, int]:
    """Make every role's group hold exactly its permissions; returns the count per role.

    The models may be a migration's historical ones. A permission not yet created (an app
    not migrated yet) is skipped; the next ``migrate`` adds it.
    """
    if group_model is None or permission_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission
    counts = {}
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = role_permissions(role)
        permissions = [
            permission
            for permission in permission_model.objects.select_related("content_type")
            if (permission.content_type.app_label, permission.codename) in wanted
        ]
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts

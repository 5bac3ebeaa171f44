"""Every form of the portal, sent empty, answers with its error summary at the top.

The forms are the ones test_form_fuzz.py finds (every URL pattern, as each role opens it).
Each is sent with nothing but its CSRF token and its hidden fields; when the answer shows the
form again with errors, the page has one error summary (focusable, marked for
static/js/error-summary.js, which focuses it on load) that comes before the form's fields,
and each error of a visible field links to that field. The browser side (the focus really
moves there, axe finds nothing) is tests/e2e/test_error_summary.py.
"""

import re

import pytest
from django.core.cache import cache

from .forms import page_forms
from .test_form_fuzz import ROUTES, client_for, discovered

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div class="form-errors error-summary"[^>]*\btabindex="-1"[^>]*>')


def form_with_errors(response) -> bool:
    return any(
        hasattr(value, "errors") and getattr(value, "is_bound", False) and value.errors
        for context in response.context or []
        for value in context.flatten().values()
    )


def empty_submission(form) -> dict:
    return {f.name: f.value for f in form.fields if f.kind == "hidden"}


def test_every_form_sent_empty_shows_its_summary_first(household):
    checked, seen = [], []
    for (role, target), found in discovered(household).items():
        for page, form in found:
            if form.method != "post":
                continue
            client = client_for(role, household)
            fresh = next(
                f
                for f in page_forms(client.get(page).content.decode(), page)
                if f.signature == form.signature
            )
            cache.clear()
            response = client.post(fresh.action, empty_submission(fresh))
            seen.append((role, target, response.status_code))
            # The portal answers a form with errors by 400 (Django's own forms by 200).
            if response.status_code not in (200, 400) or not form_with_errors(response):
                continue
            html = response.content.decode()
            summaries = SUMMARY.findall(html)
            assert len(summaries) >= 1, f"{fresh.action} ({role}) : erreurs sans récapitulatif"
            start = SUMMARY.search(html).start()
            first_error = html.find("field--error")
            assert first_error == -1 or start < first_error, (
                f"{fresh.action} ({role}) : le récapitulatif vient après les champs en erreur"
            )
            for anchor in re.findall(r'<li><a href="#([^"]+)">', html[start : html.index("</div>", start)]):
                assert f'id="{anchor}"' in html, f"{fresh.action} ({role}) : lien vers #{anchor} sans champ"
            checked.append((role, target))
    targets = {target for _, target in checked}
    for expected in (
        "accounts:profile",
        "messaging:new",
        "requests_app:create",
        "requests_app:public_vitale",
        "accounts:signup_identity",
        "public:contact",
        "attestations:request_statement",
    ):
        assert expected in targets, f"{expected} n'a pas été vérifié : {seen}"
    assert {r.name for r in ROUTES} >= targets

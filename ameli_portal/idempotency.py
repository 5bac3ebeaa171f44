"""One submission, one effect: the token that makes a form safe to send twice.

A form that changes something inherits ``IdempotentForm``: it carries a random token in a
hidden field, drawn each time the form is shown. The service that acts on the form stores
the token on what it makes, in an ``idempotency_key`` column (``key_field``) under a unique
constraint scoped to the owner (``unique_key_per``). A double click, a reload that sends the
form again, two requests at the same instant: the same token, so one thing, and it is the
database that decides between two requests running at once (``first_wins``).

A submission refused by validation made nothing: the form shown again carries the same
token, still good for the corrected submission. A missing or malformed token (an old page,
a hand-made request) protects nothing and refuses nothing.

Knows no app: the models keep their own column, the services say how to find what a token
made.
"""

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django import forms
from django.db import IntegrityError, models
from django.db.models import Q

FIELD = "idempotency_key"
MAX_LENGTH = 64
_VALID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_key() -> str:
    """32 URL-safe characters (192 random bits)."""
    return secrets.token_urlsafe(24)


def clean_key(value) -> str:
    """The token as sent, or "" (no protection) when it is missing or malformed."""
    value = value.strip() if isinstance(value, str) else ""
    return value if _VALID.fullmatch(value) else ""


def submitted_key(request) -> str:
    """The token of a POST, read before its form is validated."""
    return clean_key(request.POST.get(FIELD))


class IdempotentForm(forms.Form):
    """A form with its token; ``form.idempotency_key`` is the cleaned token ("" if none)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, initial=new_key)

    def clean_idempotency_key(self) -> str:
        return clean_key(self.cleaned_data.get(FIELD))

    @property
    def idempotency_key_value(self) -> str:
        if hasattr(self, "cleaned_data"):
            return self.cleaned_data.get(FIELD, "")
        return clean_key(self.data.get(FIELD)) if self.is_bound else ""


def key_field() -> models.CharField:
    """The model column; "" for what was made without a token (staff, jobs, demo data)."""
    return models.CharField(
        "clé d'envoi du formulaire", max_length=MAX_LENGTH, blank=True, default="", editable=False
    )


def unique_key_per(*scope: str, name: str) -> models.UniqueConstraint:
    """One row per token and owner (``scope``: the owner's fields); rows without a token are free."""
    return models.UniqueConstraint(fields=[*scope, FIELD], condition=~Q(**{FIELD: ""}), name=name)


class Race:
    """What ``first_wins`` tells after its block: ``found``, the row of the request that won."""

    found = None


@contextmanager
def first_wins(*, key: str, find: Callable[[], object | None]) -> Iterator[Race]:
    """Around the block (its own ``transaction.atomic()``) that writes ``key`` on a new row
    under ``unique_key_per``; the caller has already looked for that row with ``find``.

    Two requests at once both pass that look; the second insert waits for the first
    transaction and, once it has committed, fails on the constraint: the block rolls back
    (no second email, no second file) and ``race.found`` is the first request's row.
    """
    race = Race()
    try:
        yield race
    except IntegrityError:
        race.found = find() if key else None
        if race.found is None:
            raise

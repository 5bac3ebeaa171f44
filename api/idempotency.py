"""``Idempotency-Key`` on every write of the API: a retry is the same answer, never a second effect.

Every POST and PATCH of /api/v1/ declares the header (``IdempotencyKey``, a required header
parameter of the operation) and is wrapped by ``idempotent``:

- no key, or one that is not 16 to 64 characters among letters, digits, ``-`` and ``_``
  (the format of the web forms' tokens, ``ameli_portal.idempotency``): 400, nothing done;
- a key already used by this person for the same request (same method, path and body): the
  answer kept from the first time, with ``Idempotent-Replayed: true``, and nothing done again;
- a key already used for another request: 422, nothing done;
- a key in use by a request still running (two sent at once): the second waits for the first
  and gets its answer — the database decides, as for the web forms (``first_wins``).

Only answers that did something (2xx) are kept, for ``KEPT_FOR``: a request refused made
nothing, and its key stays good for the corrected one. The operations also hand the key to
the services, which store it on what they make, like a web form's token: the same key is
one démarche, one message, one document, whoever retries.
"""

import functools
import hashlib
import json
from datetime import timedelta
from typing import Annotated

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from ninja import Header

from ameli_portal.idempotency import clean_key

from . import problems
from .auth import TermsPending, session_token
from .models import IdempotentRequest

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
PATTERN = r"^[A-Za-z0-9_-]{16,64}$"

IdempotencyKey = Annotated[
    str,
    Header(
        alias=HEADER,
        pattern=PATTERN,
        min_length=16,
        max_length=64,
        description=(
            "Une clé tirée au hasard par l'application pour chaque écriture (16 à 64 "
            "caractères : lettres, chiffres, « - » et « _ », par exemple un UUID), et "
            "renvoyée telle quelle si l'écriture est répétée : la même clé avec la même "
            "requête rend la même réponse sans rien refaire ; avec une autre requête, 422. "
            f"Gardée {KEPT_FOR.total_seconds() / 3600:.0f} h."
        ),
    ),
]

MISSING = (
    "L'en-tête Idempotency-Key est obligatoire pour une écriture : une clé tirée au "
    "hasard (16 à 64 lettres, chiffres, « - » ou « _ »), la même si vous répétez la requête."
)
MALFORMED = (
    "L'en-tête Idempotency-Key ne convient pas : 16 à 64 caractères parmi les lettres, "
    "les chiffres, « - » et « _ »."
)
BUSY = "Une requête avec cette clé Idempotency-Key est en cours : réessayez dans un instant."
REUSED = (
    "Cette clé Idempotency-Key a déjà servi pour une autre requête : tirez une nouvelle "
    "clé pour chaque écriture."
)


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        fields = sorted((name, request.POST.getlist(name)) for name in request.POST)
        digest.update(json.dumps(fields, ensure_ascii=False).encode())
        for name in sorted(request.FILES):
            for uploaded in request.FILES.getlist(name):
                digest.update(f"\n{name}={uploaded.name}:".encode())
                for chunk in uploaded.chunks():
                    digest.update(chunk)
                uploaded.seek(0)
    else:
        try:
            body = json.dumps(json.loads(request.body or b"null"), sort_keys=True).encode()
        except ValueError:
            body = request.body
        digest.update(body)
    return digest.hexdigest()


def _replay(record: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


class _Refused(Exception):
    """The operation answered without doing anything: its key is not kept."""

    def __init__(self, response):
        self.response = response


def idempotent(api):
    """For the operations of ``api``: ``@decorate_view(idempotent(api))`` (the API is given,
    not imported, so that this module imports no module that uses it)."""
    return functools.partial(_idempotent, api)


def _idempotent(api, run):
    """Around an operation's ``run`` (``ninja.decorators.decorate_view``): before ninja signs
    the caller in and reads the body, so that a missing key is a 400 whatever the body."""

    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        try:
            user = session_token(request)
        except TermsPending:
            user = None
        if user is None:
            return run(request, *args, **kwargs)  # ninja answers 401, or 403 (the terms)
        sent = request.headers.get(HEADER)
        key = clean_key(sent)
        if not key:
            return problems.problem(api, request, 400, MALFORMED if sent else MISSING)
        fingerprint = _fingerprint(request)
        for _attempt in range(3):
            kept = IdempotentRequest.objects.filter(user=user, key=key).exclude(status__isnull=True).first()
            if kept is not None and kept.created_at < timezone.now() - KEPT_FOR:
                kept.delete()
                kept = None
            if kept is not None:
                if kept.fingerprint != fingerprint:
                    return problems.problem(api, request, 422, REUSED)
                return _replay(kept)
            try:
                with transaction.atomic():
                    try:
                        # The key's row first: a second request with this key waits here until
                        # the first has answered, then finds its answer (the loop).
                        with transaction.atomic():
                            record = IdempotentRequest.objects.create(
                                user=user, key=key, fingerprint=fingerprint
                            )
                    except IntegrityError:
                        continue
                    response = run(request, *args, **kwargs)
                    if not 200 <= response.status_code < 300:
                        raise _Refused(response)
                    record.status = response.status_code
                    record.content_type = response.get("Content-Type", "")
                    record.body = response.content
                    record.save(update_fields=["status", "content_type", "body"])
                    IdempotentRequest.objects.filter(
                        user=user, created_at__lt=timezone.now() - KEPT_FOR
                    ).delete()
                return response
            except _Refused as refused:
                return refused.response
        return problems.problem(api, request, 409, BUSY)

    return wrapper

"""One rate-limit helper on allauth's public API (``allauth.core.ratelimit``).

The limits are allauth's: ``ACCOUNT_RATE_LIMITS`` in the settings names each action and its
rate, kept in the cache like allauth's own (login, signup...).
"""

import copy

from allauth.core import ratelimit
from django.http import HttpRequest


def over_limit(request: HttpRequest, *, action: str, key: str | None = None) -> bool:
    """True when this attempt goes over the limit of ``action`` (by IP and, with ``key``, by key).

    allauth's public ``consume`` counts no GET (a page shown is not an attempt). An attempt
    made by a GET (the QR code of a document is a link) is counted as the POST it stands for:
    the same request, its method named POST, so the same IP, user and cache keys. ``key``
    must not be a NIR: pass a hash (accounts.security.fingerprint).
    """
    if request.method == "GET":
        request = copy.copy(request)
        request.method = "POST"
    return not ratelimit.consume(request, action=action, key=key)

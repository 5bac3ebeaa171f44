"""Security events: logged without a NIR or any secret (a keyed hash or an id)."""

import hashlib
import hmac
import logging

from django.conf import settings

logger = logging.getLogger("accounts.security")


def fingerprint(value: str) -> str:
    """A short keyed hash: lets an operator correlate events, reveals nothing."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]


def log_event(
    event: str, *, user_id=None, insured_id=None, login: str | None = None, ip: str | None = None, **fields
) -> None:
    parts = [event]
    if user_id is not None:
        parts.append(f"user={user_id}")
    if insured_id is not None:
        parts.append(f"insured={insured_id}")
    if login:
        parts.append(f"login#={fingerprint(login)}")
    if ip:
        parts.append(f"ip#={fingerprint(ip)}")
    parts += [f"{k}={v}" for k, v in sorted(fields.items())]
    logger.info(" ".join(parts))

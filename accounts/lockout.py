"""Failed logins counted per identifier typed, whether or not an account has it.

The account's own lock (``User.locked_at``, set after ``ACCOUNT_MAX_FAILED_LOGINS`` wrong
passwords, undone by a password reset or by staff) is what refuses the login. This counter
only decides what the page says: once an identifier has failed that many times, the answer
is « connexion suspendue » for every identifier alike, an unknown NIR as a locked account,
so the message tells what to do without telling a stranger that the NIR has an account.

The counter lives in the cache under a keyed hash of the identifier (never the NIR itself),
for ``ACCOUNT_LOCKOUT_MEMORY_SECONDS``; a success, a password reset or an unlock by staff
clears it. With Redis down it reads as empty: the page then says « incorrect », as before,
and the account's lock still holds.
"""

from django.conf import settings
from django.core.cache import cache

from .security import fingerprint

SUSPENDED_MESSAGE = (
    "Après plusieurs essais infructueux, la connexion à ce compte est suspendue. "
    "Si un compte existe pour ce numéro, un courriel explique comment le débloquer : "
    "choisissez « Mot de passe oublié » pour définir un nouveau mot de passe."
)
STAFF_SUSPENDED_MESSAGE = (
    "Après plusieurs essais infructueux, la connexion à ce compte est suspendue. "
    "Si ce compte existe, demandez à un superviseur ou à un administrateur du back-office "
    "de le débloquer."
)


def _key(login: str) -> str:
    return f"login-failures:{fingerprint(login.strip().lower())}"


def failures_count(login: str) -> int:
    return cache.get(_key(login)) or 0


def failure_record(login: str) -> int:
    """One more failure for this identifier; the new count."""
    key = _key(login)
    timeout = settings.ACCOUNT_LOCKOUT_MEMORY_SECONDS
    if cache.add(key, 1, timeout):
        return 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1
    cache.touch(key, timeout)
    return count or 0


def failures_clear(login: str) -> None:
    cache.delete(_key(login))


def is_suspended(login: str) -> bool:
    return failures_count(login) >= settings.ACCOUNT_MAX_FAILED_LOGINS

"""The environment as the settings read it: every bad value is one French line naming it.

``SettingsEnv`` offers the calls of django-environ's ``Env`` that ``settings.py`` uses
(``env.bool("DEBUG", default=False)``...), plus a few of its own kinds (``redis_url``,
``http_url``, ``origins``, ``choice``). A value that does not parse raises
``BadSetting`` (an ``ImproperlyConfigured``) whose message names the variable, says what is
wrong and gives the expected form; ``manage.py`` prints it as one line and exits non-zero.
An empty value counts as unset for the typed kinds (compose passes ``${X:-}``).

A launcher that fills a variable from another one (``./run test`` reads TEST_DATABASE_URL
into DATABASE_URL) says so in ``PORTAL_ENV_NAMES`` (``DATABASE_URL=TEST_DATABASE_URL,...``):
messages then name the variable the person set (``shown``; preflight uses it too).

Values are quoted in the message only for the kinds that cannot hold a secret (numbers,
booleans, levels, origins); URLs are never repeated, they may carry a password.
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

NOTSET = object()
TRUE = frozenset({"1", "true", "yes", "y", "on", "oui", "vrai"})
FALSE = frozenset({"0", "false", "no", "n", "off", "non", "faux"})


class BadSetting(ImproperlyConfigured):
    """A variable of the environment that does not parse; the message is the whole story."""


def _quote(raw: str) -> str:
    return f"« {raw[:40]}{'…' if len(raw) > 40 else ''} »"


def _named(method):
    """Messages name the variable the person set (see ``PORTAL_ENV_NAMES``)."""

    @functools.wraps(method)
    def read(self, name, *args, **kwargs):
        try:
            return method(self, name, *args, **kwargs)
        except BadSetting as exc:
            if self.shown(name) == name:
                raise
            raise BadSetting(re.sub(rf"\b{name}\b", self.shown(name), str(exc))) from None

    return read


class SettingsEnv:
    def __init__(self, environ_: dict | None = None):
        self.environ = os.environ if environ_ is None else environ_
        #: name -> kind of every variable read, in reading order (the tests look at it).
        self.reads: dict[str, str] = {}
        pairs = (item.partition("=") for item in self.environ.get("PORTAL_ENV_NAMES", "").split(","))
        self.names = {read.strip(): set_.strip() for read, _, set_ in pairs if read.strip() and set_.strip()}

    def shown(self, name: str) -> str:
        """The name of the variable the person set for ``name``."""
        return self.names.get(name, name)

    # --- helpers ----------------------------------------------------------------------------

    def _raw(self, name: str, kind: str, *, empty_is_unset: bool = True) -> str | None:
        self.reads.setdefault(name, kind)
        raw = self.environ.get(name)
        if raw is None or (empty_is_unset and raw.strip() == ""):
            return None
        return raw.strip() if empty_is_unset else raw

    @staticmethod
    def _default(name: str, default):
        if default is NOTSET:
            raise BadSetting(f"{name} est obligatoire et n'est pas défini.")
        return default

    # --- django-environ's calls -------------------------------------------------------------

    def __call__(self, name: str, cast=None, default=NOTSET):
        """``env("X", cast=int, default=1)``, as django-environ: the typed read of ``cast``."""
        kinds = {
            None: self.str,
            str: self.str,
            bool: self.bool,
            int: self.int,
            float: self.float,
            list: self.list,
        }
        if cast not in kinds:
            raise TypeError(f"env({name!r}, cast={cast!r}) : utilisez une méthode de SettingsEnv")
        return kinds[cast](name, default=default)

    @_named
    def str(self, name: str, default=NOTSET) -> str:
        raw = self._raw(name, "str", empty_is_unset=False)
        return self._default(name, default) if raw is None else raw

    @_named
    def bool(self, name: str, default=NOTSET) -> bool:
        raw = self._raw(name, "bool")
        if raw is None:
            return self._default(name, default)
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise BadSetting(
            f"{name} : {_quote(raw)} n'est ni vrai ni faux ; attendu {name}=1 ou {name}=0 "
            "(ou true/false, oui/non)."
        )

    @_named
    def int(self, name: str, default=NOTSET, *, minimum: int = 0) -> int:
        raw = self._raw(name, "int")
        if raw is None:
            return self._default(name, default)
        try:
            value = int(raw)
        except ValueError:
            raise BadSetting(
                f"{name} : {_quote(raw)} n'est pas un nombre entier ; attendu un entier "
                f"(par exemple {name}={default if default is not NOTSET else 1})."
            ) from None
        if value < minimum:
            raise BadSetting(
                f"{name} : {value} est trop petit ; attendu un entier supérieur ou égal à {minimum}."
            )
        return value

    @_named
    def float(self, name: str, default=NOTSET, *, minimum: float = 0) -> float:
        raw = self._raw(name, "float")
        if raw is None:
            return self._default(name, default)
        try:
            value = float(raw.replace(",", ".", 1) if raw.count(",") == 1 else raw)
        except ValueError:
            raise BadSetting(
                f"{name} : {_quote(raw)} n'est pas un nombre ; attendu un nombre, "
                f"avec un point pour les décimales (par exemple {name}="
                f"{default if default is not NOTSET else 1})."
            ) from None
        if not value >= minimum:  # also refuses nan
            raise BadSetting(
                f"{name} : {_quote(raw)} est trop petit ; attendu un nombre supérieur ou égal à {minimum}."
            )
        return value

    @_named
    def list(self, name: str, default=NOTSET) -> list[str]:
        raw = self._raw(name, "list")
        if raw is None:
            return self._default(name, default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    @_named
    def db_url(self, name: str = "DATABASE_URL", default=NOTSET) -> dict:
        raw = self._raw(name, "db_url")
        url = self._default(name, default) if raw is None else raw
        expected = "attendu postgres://utilisateur:motdepasse@hôte:5432/base ou sqlite:///chemin"
        scheme = url.partition("://")[0]
        if scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
            raise BadSetting(
                f"{name} : le schéma {_quote(scheme + '://')} n'est pas pris en charge ; {expected}."
            )
        try:
            config = environ.Env.db_url_config(url)
        except (ValueError, ImproperlyConfigured):
            raise BadSetting(f"{name} : adresse illisible (port ?) ; {expected}.") from None
        if scheme != "sqlite" and not config.get("NAME"):
            raise BadSetting(f"{name} : il manque le nom de la base ; {expected}.")
        return config

    @_named
    def email_url(self, name: str = "EMAIL_URL", default=NOTSET) -> dict:
        raw = self._raw(name, "email_url")
        url = self._default(name, default) if raw is None else raw
        try:
            return environ.Env.email_url_config(url)
        except (ValueError, ImproperlyConfigured):
            raise BadSetting(
                f"{name} : adresse de serveur de courriel illisible ; attendu "
                "smtp://hôte:1025 ou smtp+tls://utilisateur:motdepasse@hôte:587."
            ) from None

    # --- the portal's own kinds -------------------------------------------------------------

    @_named
    def redis_url(self, name: str, default: str = "") -> str:
        raw = self._raw(name, "redis_url")
        url = default if raw is None else raw
        if not url:
            return url
        expected = "attendu redis://hôte:6379/0 (ou rediss://, unix://)"
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise BadSetting(f"{name} : l'adresse ne commence pas par redis:// ; {expected}.")
        try:
            urlsplit(url).port  # noqa: B018 -- raises on a port that is not a number
        except ValueError:
            raise BadSetting(f"{name} : port illisible ; {expected}.") from None
        return url

    @_named
    def http_url(self, name: str, default=NOTSET) -> str:
        raw = self._raw(name, "http_url")
        url = self._default(name, default) if raw is None else raw
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadSetting(
                f"{name} : {_quote(url)} n'est pas une adresse web ; attendu "
                "https://hôte (ou http://hôte:port)."
            )
        return url.rstrip("/")

    @_named
    def origins(self, name: str, default=NOTSET) -> list[str]:
        raw = self._raw(name, "origins")
        if raw is None:
            return self._default(name, default)
        items = [item.strip() for item in raw.split(",") if item.strip()]
        for item in items:
            parts = urlsplit(item)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise BadSetting(
                    f"{name} : {_quote(item)} n'est pas une origine ; attendu une liste "
                    "séparée par des virgules de https://hôte (ou http://hôte:port)."
                )
        return items

    @_named
    def choice(self, name: str, choices: tuple[str, ...], default=NOTSET) -> str:
        raw = self._raw(name, "choice")
        if raw is None:
            return self._default(name, default)
        for choice in choices:
            if raw.lower() == choice.lower():
                return choice
        raise BadSetting(
            f"{name} : {_quote(raw)} n'est pas une valeur permise ; attendu l'une de : {', '.join(choices)}."
        )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

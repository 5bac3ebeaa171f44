"""NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale").

Pure parser and validator, no Django import at module level.

Layout: ``S AA MM LL OOO KKK CC``

* ``S``   sex digit: 1 or 2; 3, 4, 7, 8 are temporary or not yet certified
  numbers (7 and 8 cannot open an account);
* ``AA``  last two digits of the birth year;
* ``MM``  birth month: 01-12, or 20-42 / 50-99 when the month is unknown;
* ``LL``  birth département: 01-95 (00 and 96 do not exist), 2A / 2B for
  Corsica, 97 / 98 for overseas (the 3rd digit belongs to the département, so
  the commune has 2 digits), 99 for births abroad (followed by the country);
* ``OOO`` commune (or country code when born abroad), never 000;
* ``KKK`` order number, 001-999;
* ``CC``  key: ``97 - (number mod 97)`` where 2A counts as 19 and 2B as 18.

``stdnum.fr.nir`` computes the key but accepts impossible structures (sex 0,
month 13, commune 000) and refuses the 13-character login form; the
structural checks are therefore done here, and only the key computation is
delegated to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.fr import nir as _stdnum_nir

__all__ = [
    "Nir",
    "NirError",
    "compute_key",
    "generate_nir",
    "normalize_login",
    "parse_nir",
    "validate_nir",
]

_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# Separators accepted in user input: any whitespace (incl. non-breaking
# spaces), dots and dashes (hyphen-minus and the usual Unicode dashes).
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]")
_MAX_INPUT = 64  # refuse absurdly long input before doing any work

SEX_DIGITS = frozenset("123478")
TEMPORARY_SEX_DIGITS = frozenset("3478")
NO_ACCOUNT_SEX_DIGITS = frozenset("78")
OVERSEAS_DEPARTMENTS = frozenset({"97", "98"})
ABROAD = "99"

MSG_LENGTH = "Le numéro de sécurité sociale doit comporter 13 caractères, ou 15 avec la clé."
MSG_KEY_REQUIRED = "Saisissez le numéro de sécurité sociale complet : 15 caractères, clé comprise."
MSG_CHARACTERS = (
    "Le numéro de sécurité sociale ne doit contenir que des chiffres "
    "(et 2A ou 2B pour les personnes nées en Corse)."
)
MSG_SEX = "Le premier chiffre (sexe) doit être 1, 2, 3, 4, 7 ou 8."
MSG_MONTH = "Le mois de naissance « {month} » n'existe pas."
MSG_DEPARTMENT = "Le département de naissance « {department} » n'existe pas."
MSG_COMMUNE = "Le numéro de commune ne peut pas être {zeros}."
MSG_COUNTRY = "Le code du pays de naissance ne peut pas être 000."
MSG_ORDER = "Le numéro d'ordre ne peut pas être 000."
MSG_KEY = "La clé ne correspond pas au numéro."


class NirError(ValueError):
    """An invalid NIR. ``message`` is French and user-facing, ``code`` is a slug.

    Codes: ``length``, ``characters``, ``sex``, ``month``, ``department``,
    ``commune``, ``order``, ``key``.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _month_is_valid(month: int) -> bool:
    return 1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99


def _check_structure(number: str) -> None:
    """Check a cleaned, uppercase 13-character number (no key)."""
    if len(number) != 13:
        raise NirError(MSG_LENGTH, "length")
    if not all(c in _DIGITS for c in number[:5] + number[7:]):
        raise NirError(MSG_CHARACTERS, "characters")
    department = number[5:7]
    if not (all(c in _DIGITS for c in department) or department in ("2A", "2B")):
        raise NirError(MSG_DEPARTMENT.format(department=department), "department")

    if number[0] not in SEX_DIGITS:
        raise NirError(MSG_SEX, "sex")
    month = number[3:5]
    if not _month_is_valid(int(month)):
        raise NirError(MSG_MONTH.format(month=month), "month")
    if department in ("00", "96"):
        raise NirError(MSG_DEPARTMENT.format(department=department), "department")
    if department in OVERSEAS_DEPARTMENTS:
        # 97x / 98x: the 3rd digit belongs to the département, 2-digit commune.
        if number[8:10] == "00":
            raise NirError(MSG_COMMUNE.format(zeros="00"), "commune")
    elif department == ABROAD:
        if number[7:10] == "000":
            raise NirError(MSG_COUNTRY, "commune")
    elif number[7:10] == "000":
        raise NirError(MSG_COMMUNE.format(zeros="000"), "commune")
    if number[10:13] == "000":
        raise NirError(MSG_ORDER, "order")


def _clean(value: object) -> str:
    """Strip separators, check the characters, return uppercase."""
    if not isinstance(value, str):
        raise NirError(MSG_CHARACTERS, "characters")
    if len(value) > _MAX_INPUT:
        raise NirError(MSG_LENGTH, "length")
    compact = _SEPARATORS.sub("", value)
    # ASCII only: str.isdigit() would accept Arabic-Indic or full-width digits.
    if not all(c in _ALNUM for c in compact):
        raise NirError(MSG_CHARACTERS, "characters")
    compact = compact.upper()
    if len(compact) not in (13, 15):
        raise NirError(MSG_LENGTH, "length")
    return compact


def _key_of(number: str) -> str:
    # stdnum replaces 2A by 19 and 2B by 18 and returns '%02d' of 97 - (n % 97).
    return _stdnum_nir.calc_check_digits(number)


def compute_key(number13: str) -> str:
    """Return the 2-digit key of a 13-character NIR (separators allowed).

    Raises ``NirError`` when the number is not a structurally valid NIR.
    """
    number = _clean(number13)
    if len(number) != 13:
        raise NirError(MSG_LENGTH, "length")
    _check_structure(number)
    return _key_of(number)


@dataclass(frozen=True, repr=False)
class Nir:
    """A structurally valid NIR with a matching key.

    ``str()`` / ``repr()`` give the masked form so that a NIR never lands whole
    in a log by accident; use ``number`` (login form), ``full`` or
    ``formatted`` explicitly.
    """

    number: str  # 13 characters, uppercase, 2A / 2B kept
    key: str  # 2 digits

    def __post_init__(self) -> None:
        if not isinstance(self.number, str) or not isinstance(self.key, str):
            raise NirError(MSG_CHARACTERS, "characters")
        _check_structure(self.number)
        if len(self.key) != 2 or not all(c in _DIGITS for c in self.key):
            raise NirError(MSG_KEY, "key")
        if _key_of(self.number) != self.key:
            raise NirError(MSG_KEY, "key")

    def __repr__(self) -> str:
        return f"Nir({self.masked!r})"

    __str__ = __repr__

    @property
    def full(self) -> str:
        """15 characters: number followed by the key."""
        return self.number + self.key

    @property
    def sex(self) -> str:
        return self.number[0]

    @property
    def is_temporary(self) -> bool:
        return self.sex in TEMPORARY_SEX_DIGITS

    @property
    def can_open_account(self) -> bool:
        return self.sex not in NO_ACCOUNT_SEX_DIGITS

    @property
    def birth_year_2d(self) -> str:
        return self.number[1:3]

    @property
    def birth_month(self) -> int | None:
        """1-12, or None when the month is unknown (20-42, 50-99)."""
        month = int(self.number[3:5])
        return month if 1 <= month <= 12 else None

    @property
    def department(self) -> str:
        """'75', '2A', '971' (overseas, 3 characters) or '99' (born abroad)."""
        if self.number[5:7] in OVERSEAS_DEPARTMENTS:
            return self.number[5:8]
        return self.number[5:7]

    @property
    def commune(self) -> str:
        """Commune code (2 digits overseas), or country code when born abroad."""
        return self.number[5 + len(self.department) : 10]

    @property
    def born_abroad(self) -> bool:
        return self.number[5:7] == ABROAD

    @property
    def order(self) -> str:
        return self.number[10:13]

    @property
    def masked(self) -> str:
        """Display form showing only the sex digit and the birth year."""
        return f"{self.sex} {self.birth_year_2d} XX XX XXX XXX XX"

    @property
    def formatted(self) -> str:
        """'1 84 12 75 123 456 78'."""
        n = self.number
        return " ".join((n[0], n[1:3], n[3:5], n[5:7], n[7:10], n[10:13], self.key))


def parse_nir(value: str, *, require_key: bool = False) -> Nir:
    """Parse a NIR typed by a user.

    Accepts 13 characters (the key is then computed) or 15 (the key is
    checked); spaces, dots and dashes are ignored, 2a / 2b accepted.
    With ``require_key`` the 13-character form is refused.
    """
    compact = _clean(value)
    number, key = compact[:13], compact[13:]
    _check_structure(number)
    if not key:
        if require_key:
            raise NirError(MSG_KEY_REQUIRED, "length")
        key = _key_of(number)
    elif not all(c in _DIGITS for c in key):
        raise NirError(MSG_CHARACTERS, "characters")
    return Nir(number=number, key=key)


def normalize_login(value: str) -> str:
    """The canonical 13-character login identifier (accepts 13 or 15 characters)."""
    return parse_nir(value).number


def login_identifier(value: str) -> str:
    """What a person typed to sign in, as the account's username: a NIR (13 or 15
    characters, spaces allowed) becomes its 13 characters; anything else (a staff login)
    is kept as typed, and a wrong one fails like a wrong password."""
    value = value.strip()
    try:
        return normalize_login(value)
    except NirError:
        return value


def validate_nir(value: str) -> None:
    """Django validator: raises ``ValidationError(message, code=...)``."""
    from django.core.exceptions import ValidationError

    try:
        parse_nir(value)
    except NirError as exc:
        raise ValidationError(exc.message, code=exc.code) from exc


def generate_nir(*, sex: int, year: int, month: int, department: str, commune: str, order: int) -> Nir:
    """Build a valid NIR, key included (demo data and tests).

    ``year`` may be 2 or 4 digits; ``department`` is '75', '2A', '971' (with a
    2-digit ``commune``) or '99' (with a 3-digit country code as ``commune``).
    """
    department = str(department).upper()
    commune = str(commune)
    place_width = 5 - len(department)
    overseas = department[:2] in OVERSEAS_DEPARTMENTS
    if len(department) != (3 if overseas else 2):
        # Overseas départements take 3 characters ('971'), the others 2.
        raise NirError(MSG_DEPARTMENT.format(department=department), "department")
    if not commune.isascii() or not commune.isdigit():
        raise NirError(MSG_CHARACTERS, "characters")
    if len(commune) > place_width:
        raise NirError(MSG_LENGTH, "length")
    for part in (sex, year, month, order):
        if not isinstance(part, int) or isinstance(part, bool) or part < 0:
            raise NirError(MSG_CHARACTERS, "characters")
    if sex > 9 or month > 99 or order > 999:
        raise NirError(MSG_LENGTH, "length")
    number = f"{sex}{year % 100:02d}{month:02d}{department}{commune.zfill(place_width)}{order:03d}"
    _check_structure(number)
    return Nir(number=number, key=_key_of(number))

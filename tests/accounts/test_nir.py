"""NIR parser and validator (pure Python: runs without Django)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from accounts.nir import (
    Nir,
    NirError,
    compute_key,
    generate_nir,
    normalize_login,
    parse_nir,
    validate_nir,
)


def reference_key(number13: str) -> str:
    """Independent re-implementation of the key: 97 - (n mod 97), 2A=19, 2B=18."""
    digits = number13.replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


# (13 characters, expected key, comment). Keys worked out by hand:
# 1841275123456 mod 97 = 57 -> 97 - 57 = 40, etc.
VALID = [
    ("1841275123456", "40", "metropolitan, Paris"),
    ("2550814168025", "38", "the textbook example 2 55 08 14 168 025 38"),
    ("1840175001001", "02", "key below 10 is zero-padded"),
    ("180052A004012", "24", "Corsica 2A: 1800519004012 mod 97 = 73 -> 24"),
    ("292062A123007", "08", "Corsica 2A: 2920619123007 mod 97 = 89 -> 08"),
    ("292062B123007", "35", "Corsica 2B: 2920618123007 mod 97 = 62 -> 35"),
    ("2900597123012", "16", "overseas 971, commune 23"),
    ("2988098745067", "27", "overseas 987, commune 45"),
    ("1750399134045", "61", "born abroad, country 134"),
    ("2951099126111", "93", "born abroad, the stdnum example"),
    ("1842075123456", None, "unknown month 20"),
    ("1844275123456", "35", "unknown month 42"),
    ("1845075123456", "66", "unknown month 50"),
    ("1849975123456", "74", "unknown month 99"),
    ("3841275123456", "37", "temporary number, sex 3"),
    ("4841275123456", "84", "temporary number, sex 4"),
    ("7841275123456", "31", "temporary number, sex 7"),
    ("8841275123456", "78", "temporary number, sex 8"),
]


@pytest.mark.parametrize(("number", "key", "comment"), VALID, ids=[c for *_, c in VALID])
def test_valid_numbers(number, key, comment):
    expected = reference_key(number)
    if key is not None:
        assert expected == key  # the hand-worked key agrees with the formula
    assert stdnum_nir.calc_check_digits(number) == expected
    assert compute_key(number) == expected

    from_13 = parse_nir(number)
    from_15 = parse_nir(number + expected, require_key=True)
    assert from_13 == from_15 == Nir(number=number, key=expected)
    assert from_13.number == number
    assert from_13.full == number + expected
    assert stdnum_nir.is_valid(from_13.full)
    assert normalize_login(number) == normalize_login(number + expected) == number


def test_properties_metropolitan():
    nir = parse_nir("1 84 12 75 123 456 40")
    assert nir.sex == "1"
    assert nir.birth_year_2d == "84"
    assert nir.birth_month == 12
    assert nir.department == "75"
    assert nir.commune == "123"
    assert nir.order == "456"
    assert not nir.born_abroad
    assert not nir.is_temporary
    assert nir.can_open_account
    assert nir.formatted == "1 84 12 75 123 456 40"
    assert nir.masked == "1 84 XX XX XXX XXX XX"


def test_properties_overseas_and_abroad():
    overseas = parse_nir("2900597123012")
    assert (overseas.department, overseas.commune) == ("971", "23")
    abroad = parse_nir("1750399134045")
    assert (abroad.department, abroad.commune, abroad.born_abroad) == ("99", "134", True)
    corsica = parse_nir("1 80 05 2a 004 012 24")
    assert (corsica.department, corsica.commune) == ("2A", "004")
    assert corsica.number == "180052A004012"


@pytest.mark.parametrize("month", ["20", "30", "42", "50", "77", "99"])
def test_unknown_month_is_none(month):
    assert parse_nir(f"184{month}75123456").birth_month is None


@pytest.mark.parametrize(
    ("sex", "temporary", "can_open"),
    [
        ("1", False, True),
        ("2", False, True),
        ("3", True, True),
        ("4", True, True),
        ("7", True, False),
        ("8", True, False),
    ],
)
def test_sex_digit_flags(sex, temporary, can_open):
    nir = parse_nir(f"{sex}841275123456")
    assert nir.sex == sex
    assert nir.is_temporary is temporary
    assert nir.can_open_account is can_open


INVALID = [
    # (value, code, message fragment)
    ("0841275123456", "sex", "Le premier chiffre (sexe) doit être 1, 2, 3, 4, 7 ou 8."),
    ("5841275123456", "sex", None),
    ("6841275123456", "sex", None),
    ("9841275123456", "sex", None),
    ("1840075123456", "month", "Le mois de naissance « 00 » n'existe pas."),
    ("1841375123456", "month", "Le mois de naissance « 13 » n'existe pas."),
    ("1841975123456", "month", "« 19 »"),
    ("1844375123456", "month", "« 43 »"),
    ("1844975123456", "month", "« 49 »"),
    ("1841200123456", "department", "Le département de naissance « 00 » n'existe pas."),
    ("1841296123456", "department", "« 96 »"),
    ("184122C123456", "department", "« 2C »"),
    ("18412AB123456", "department", None),
    ("1841275000456", "commune", "Le numéro de commune ne peut pas être 000."),
    ("1841297100456", "commune", "Le numéro de commune ne peut pas être 00."),
    ("1841299000456", "commune", "pays"),
    ("1841275123000", "order", "Le numéro d'ordre ne peut pas être 000."),
    ("184127512345641", "key", "La clé ne correspond pas au numéro."),
    ("184127512345600", "key", None),
    ("184127512345699", "key", None),
    ("180052B00401224", "key", None),  # the 2A key on a 2B number
    ("", "length", "13 caractères, ou 15 avec la clé"),
    ("184127512345", "length", None),
    ("18412751234564", "length", None),
    ("1841275123456400", "length", None),
    ("1" * 200, "length", None),
    ("1841275123A56", "characters", None),
    ("X841275123456", "characters", None),
    ("18412751234564O", "characters", None),  # letter O instead of zero in the key
    ("1841275123456/40", "characters", None),
    ("１８４１２７５１２３４５６", "characters", None),  # full-width digits
    ("١٨٤١٢٧٥١٢٣٤٥٦", "characters", None),  # Arabic-Indic digits
]


@pytest.mark.parametrize(("value", "code", "message"), INVALID)
def test_invalid_numbers(value, code, message):
    with pytest.raises(NirError) as excinfo:
        parse_nir(value)
    assert excinfo.value.code == code
    assert str(excinfo.value) == excinfo.value.message
    if message is not None:
        assert message in excinfo.value.message
    with pytest.raises(NirError):
        normalize_login(value)


def test_key_error_does_not_reveal_expected_key():
    with pytest.raises(NirError) as excinfo:
        parse_nir("184127512345641")
    assert "40" not in excinfo.value.message


def test_stdnum_alone_would_accept_impossible_structures():
    # Why the structural checks exist: stdnum only checks the key.
    for number in ("0841275123456", "1841375123456", "1841275000456"):
        full = number + reference_key(number)
        assert stdnum_nir.is_valid(full)
        with pytest.raises(NirError):
            parse_nir(full)


@pytest.mark.parametrize(
    "value",
    [
        "1 84 12 75 123 456 40",
        "1.84.12.75.123.456.40",
        "1-84-12-75-123-456-40",
        " 1841275123456 ",
        "1 84 12 75 123 456",
        "1\u00a084\u00a012 75 123 456 40",
        "184127512345640",
    ],
)
def test_separators_are_ignored(value):
    assert parse_nir(value).full == "184127512345640"


def test_require_key_refuses_13_characters():
    with pytest.raises(NirError) as excinfo:
        parse_nir("1841275123456", require_key=True)
    assert excinfo.value.code == "length"
    assert parse_nir("184127512345640", require_key=True).key == "40"


def test_non_string_is_refused():
    with pytest.raises(NirError) as excinfo:
        parse_nir(1841275123456)  # type: ignore[arg-type]
    assert excinfo.value.code == "characters"


def test_compute_key_refuses_bad_structure_and_15_characters():
    with pytest.raises(NirError) as excinfo:
        compute_key("0841275123456")
    assert excinfo.value.code == "sex"
    with pytest.raises(NirError) as excinfo:
        compute_key("184127512345640")
    assert excinfo.value.code == "length"


def test_nir_constructor_checks_key_and_structure():
    assert Nir(number="1841275123456", key="40").full == "184127512345640"
    with pytest.raises(NirError) as excinfo:
        Nir(number="1841275123456", key="41")
    assert excinfo.value.code == "key"
    with pytest.raises(NirError) as excinfo:
        Nir(number="0841275123456", key=reference_key("0841275123456"))
    assert excinfo.value.code == "sex"


def test_repr_and_str_are_masked():
    nir = parse_nir("1841275123456")
    for text in (repr(nir), str(nir), f"{nir}"):
        assert "123" not in text and "456" not in text and "75" not in text


def test_masked_hides_commune_and_order():
    nir = parse_nir("2 92 06 2B 123 007 35")
    assert nir.masked == "2 92 XX XX XXX XXX XX"
    for part in ("2B", "123", "007", "35", "06"):
        assert part not in nir.masked


def test_generate_nir():
    assert (
        generate_nir(sex=1, year=1984, month=12, department="75", commune="123", order=456).full
        == "184127512345640"
    )
    assert (
        generate_nir(sex=2, year=90, month=5, department="971", commune="23", order=12).full
        == "290059712301216"
    )
    assert (
        generate_nir(sex=1, year=1980, month=5, department="2a", commune="4", order=12).formatted
        == "1 80 05 2A 004 012 24"
    )
    assert (
        generate_nir(sex=1, year=1975, month=3, department="99", commune="134", order=45).full
        == "175039913404561"
    )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"sex": 5}, "sex"),
        ({"month": 13}, "month"),
        ({"department": "96"}, "department"),
        ({"department": "97"}, "department"),  # overseas needs 3 characters
        ({"department": "123"}, "department"),
        ({"commune": "0"}, "commune"),
        ({"commune": "1234"}, "length"),
        ({"order": 0}, "order"),
        ({"order": 1000}, "length"),
    ],
)
def test_generate_nir_refuses_invalid_parts(kwargs, code):
    params = {
        "sex": 1,
        "year": 1984,
        "month": 12,
        "department": "75",
        "commune": "123",
        "order": 456,
    } | kwargs
    with pytest.raises(NirError) as excinfo:
        generate_nir(**params)
    assert excinfo.value.code == code


def test_validate_nir_raises_django_validation_error():
    pytest.importorskip("django")
    from django.core.exceptions import ValidationError

    validate_nir("1 84 12 75 123 456 40")
    with pytest.raises(ValidationError) as excinfo:
        validate_nir("1841375123456")
    assert excinfo.value.code == "month"
    assert excinfo.value.messages == ["Le mois de naissance « 13 » n'existe pas."]


def test_module_does_not_import_django():
    import subprocess
    import sys
    from pathlib import Path

    project = Path(__file__).resolve().parents[2]
    code = "import sys, accounts.nir; sys.exit('django' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=project, check=False)
    assert result.returncode == 0


# --- property tests -------------------------------------------------------------------

months = st.one_of(st.integers(1, 12), st.integers(20, 42), st.integers(50, 99))
birthplaces = st.one_of(
    st.tuples(
        st.integers(1, 95).filter(lambda d: d != 20).map(lambda d: f"{d:02d}"),
        st.integers(1, 999).map(lambda c: f"{c:03d}"),
    ),
    st.tuples(st.sampled_from(["2A", "2B"]), st.integers(1, 999).map(lambda c: f"{c:03d}")),
    st.tuples(st.integers(970, 989).map(str), st.integers(1, 99).map(lambda c: f"{c:02d}")),
    st.tuples(st.just("99"), st.integers(1, 999).map(lambda c: f"{c:03d}")),
)
components = st.builds(
    lambda sex, year, month, place, order: {
        "sex": sex,
        "year": year,
        "month": month,
        "department": place[0],
        "commune": place[1],
        "order": order,
    },
    st.sampled_from([1, 2, 3, 4, 7, 8]),
    st.integers(1900, 2099),
    months,
    birthplaces,
    st.integers(1, 999),
)


@given(components)
def test_property_13_and_15_forms_agree(parts):
    nir = generate_nir(**parts)
    assert len(nir.number) == 13 and len(nir.key) == 2
    assert nir.key == stdnum_nir.calc_check_digits(nir.number) == reference_key(nir.number)
    assert parse_nir(nir.formatted, require_key=True) == parse_nir(nir.number) == nir
    assert parse_nir(nir.full.lower()) == nir
    assert normalize_login(nir.formatted) == nir.number
    assert nir.department + nir.commune == nir.number[5:10]
    assert nir.masked == f"{parts['sex']} {parts['year'] % 100:02d} XX XX XXX XXX XX"


@given(components, st.data())
def test_property_any_single_digit_change_is_refused(parts, data):
    full = generate_nir(**parts).full
    digit_positions = [i for i, c in enumerate(full) if c.isdigit()]
    position = data.draw(st.sampled_from(digit_positions))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != full[position]]))
    altered = full[:position] + replacement + full[position + 1 :]
    with pytest.raises(NirError):
        parse_nir(altered)


@given(components)
def test_property_swapping_corsica_letter_is_refused(parts):
    full = generate_nir(**parts).full
    if full[5:7] in ("2A", "2B"):
        other = "2B" if full[5:7] == "2A" else "2A"
        with pytest.raises(NirError):
            parse_nir(full[:5] + other + full[7:])

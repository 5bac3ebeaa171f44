"""Errors as RFC 9457 problem details (``application/problem+json``), in French.

Every error the API gives has ``type``, ``title``, ``status`` and ``detail``; invalid input
adds ``errors`` (where, and what is wrong). Nothing in a problem names a person.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Introuvable",
    405: "Méthode non permise",
    409: "Conflit",
    422: "Données invalides",
    429: "Trop de requêtes",
    500: "Erreur interne",
}

# What django-ninja says in English, said in French.
LIBRARY_MESSAGES = {"Cannot parse request body": "Le corps de la requête n'est pas un JSON lisible."}


def problem(api, request, status: int, detail: str, **extra) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail,
        **extra,
    }
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = MEDIA_TYPE
    return response


def _where(error: dict) -> str:
    loc = list(error.get("loc", ()))
    if "type" in error and loc[:1] == ["body"] and len(loc) > 2:
        del loc[1]  # pydantic's: ("body", the operation's parameter, the field…)
    return ".".join(str(part) for part in loc if part not in ("body", "payload"))


def _plural(n, word: str) -> str:
    return f"{n} {word}{'s' if isinstance(n, int) and n > 1 else ''}"


# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/), in
# French; ``ctx`` gives the limits. A type not listed gets the generic message.
FRENCH = {
    "missing": lambda c: "Ce champ est obligatoire.",
    "string_too_short": lambda c: f"Au moins {_plural(c.get('min_length'), 'caractère')}.",
    "string_too_long": lambda c: f"Au plus {_plural(c.get('max_length'), 'caractère')}.",
    "string_pattern_mismatch": lambda c: "Le format ne convient pas.",
    "string_type": lambda c: "Une chaîne de caractères est attendue.",
    "string_unicode": lambda c: "Le texte n'est pas de l'UTF-8 valide.",
    "int_parsing": lambda c: "Un nombre entier est attendu.",
    "int_type": lambda c: "Un nombre entier est attendu.",
    "int_from_float": lambda c: "Un nombre entier est attendu (sans décimales).",
    "float_parsing": lambda c: "Un nombre est attendu.",
    "float_type": lambda c: "Un nombre est attendu.",
    "decimal_parsing": lambda c: "Un nombre décimal est attendu, par exemple 12.50.",
    "decimal_type": lambda c: "Un nombre décimal est attendu, par exemple 12.50.",
    "decimal_max_digits": lambda c: f"Au plus {_plural(c.get('max_digits'), 'chiffre')}.",
    "decimal_max_places": lambda c: f"Au plus {_plural(c.get('decimal_places'), 'décimale')}.",
    "decimal_whole_digits": lambda c: (
        f"Au plus {_plural(c.get('whole_digits'), 'chiffre')} avant la virgule."
    ),
    "bool_parsing": lambda c: "Une valeur vrai ou faux (true ou false) est attendue.",
    "bool_type": lambda c: "Une valeur vrai ou faux (true ou false) est attendue.",
    "uuid_parsing": lambda c: "Un identifiant (UUID) est attendu.",
    "uuid_type": lambda c: "Un identifiant (UUID) est attendu.",
    "date_parsing": lambda c: "Une date est attendue, au format AAAA-MM-JJ.",
    "date_from_datetime_parsing": lambda c: "Une date est attendue, au format AAAA-MM-JJ.",
    "date_from_datetime_inexact": lambda c: "Une date sans heure est attendue, au format AAAA-MM-JJ.",
    "date_type": lambda c: "Une date est attendue, au format AAAA-MM-JJ.",
    "datetime_parsing": lambda c: "Une date et une heure sont attendues (ISO 8601).",
    "datetime_from_date_parsing": lambda c: "Une date et une heure sont attendues (ISO 8601).",
    "datetime_type": lambda c: "Une date et une heure sont attendues (ISO 8601).",
    "literal_error": lambda c: f"Valeur inconnue : choisissez parmi {c.get('expected', '')}.",
    "enum": lambda c: f"Valeur inconnue : choisissez parmi {c.get('expected', '')}.",
    "greater_than": lambda c: f"La valeur doit être supérieure à {c.get('gt')}.",
    "greater_than_equal": lambda c: f"La valeur doit être au moins {c.get('ge')}.",
    "less_than": lambda c: f"La valeur doit être inférieure à {c.get('lt')}.",
    "less_than_equal": lambda c: f"La valeur doit être au plus {c.get('le')}.",
    "too_short": lambda c: f"Au moins {_plural(c.get('min_length'), 'élément')}.",
    "too_long": lambda c: f"Au plus {_plural(c.get('max_length'), 'élément')}.",
    "list_type": lambda c: "Une liste est attendue.",
    "dict_type": lambda c: "Un objet JSON est attendu.",
    "model_type": lambda c: "Un objet JSON est attendu.",
    "model_attributes_type": lambda c: "Un objet JSON est attendu.",
    "json_invalid": lambda c: "Le corps de la requête n'est pas un JSON lisible.",
    "json_type": lambda c: "Un JSON est attendu.",
    "extra_forbidden": lambda c: "Ce champ n'est pas attendu.",
    "none_required": lambda c: "Aucune valeur n'est attendue ici.",
}
GENERIC = "Cette valeur ne convient pas."


def french(error: dict) -> str:
    """An error of pydantic in French; one the portal wrote (a form's, no ``type``) as it is."""
    kind = error.get("type")
    if kind is None:
        return str(error.get("msg", "")) or GENERIC
    if kind == "value_error":  # a validator of the portal's schemas: its French text
        return str(error.get("msg", "")).removeprefix("Value error, ") or GENERIC
    translate = FRENCH.get(kind)
    return translate(error.get("ctx") or {}) if translate else GENERIC


def invalid_fields(errors: list[dict]) -> dict:
    """The 422 problem's ``detail`` (naming each field) and ``errors`` for a list of errors."""
    listed = [{"champ": _where(e), "message": french(e)} for e in errors]
    named = [f"{e['champ']} : {e['message']}" if e["champ"] else e["message"] for e in listed]
    detail = "Certaines données envoyées ne conviennent pas"
    detail += (" — " + " ; ".join(named)) if named else "."
    return {"detail": detail, "errors": listed}


def fields_refused(errors: dict, where: str = "body") -> ValidationError:
    """French messages by field (a form's ``errors``), as ninja's ValidationError."""
    return ValidationError(
        [
            {"loc": (where,) if name == "__all__" else (where, name), "msg": message}
            for name, messages in errors.items()
            for message in messages
        ]
    )


def form_refused(form, where: str = "body") -> ValidationError:
    """A Django form's French errors (one per message), as ninja's ValidationError."""
    return fields_refused(form.errors, where)


def install(api) -> None:
    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        found = invalid_fields(exc.errors)
        return problem(api, request, 422, found["detail"], errors=found["errors"])

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return problem(
            api, request, 401, "Connectez-vous : envoyez le jeton de session dans l'en-tête X-Session-Token."
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return problem(api, request, 404, "Cette ressource n'existe pas, ou n'est pas la vôtre.")

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return problem(api, request, 403, "Ce compte ne donne pas accès à cette ressource.")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return problem(api, request, exc.status_code, LIBRARY_MESSAGES.get(str(exc), str(exc)))

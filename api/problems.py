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
    return ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload"))


def install(api) -> None:
    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        errors = [{"champ": _where(e), "message": str(e.get("msg", ""))} for e in exc.errors]
        return problem(api, request, 422, "Certaines données envoyées ne conviennent pas.", errors=errors)

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

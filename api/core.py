"""The API object of version 1, its error answers and the responses every operation shares.

Its own module so that each group of operations (``v1``, ``demarches``…) imports it, and
``v1`` only gathers them: no circle inside the app.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import NinjaAPI

from ameli_portal.domain import DomainError

from . import problems, schemas
from .auth import TermsPending, session_token

TERMS_PENDING = (
    "Les conditions d'utilisation ont changé : acceptez la nouvelle version pour continuer "
    "(GET /api/v1/moi/conditions pour la lire, puis POST /api/v1/moi/conditions)."
)
ACCEPT_URL = "/api/v1/moi/conditions"
TERMS_PENDING_RESPONSE = {
    "description": "Les conditions d'utilisation en vigueur ne sont pas encore acceptées "
    "(ou le compte ne donne pas accès à la ressource).",
    "content": {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


class PortalAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Errors are documented as what they are: application/problem+json."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for item in schema["paths"].values():
            for operation in item.values():
                if operation.get("security"):  # any signed-in operation: the terms gate
                    operation.setdefault("responses", {})["403"] = TERMS_PENDING_RESPONSE
                # ninja keys the responses it infers by int and those of openapi_extra by str:
                # one key per status in the document, the explicit description winning.
                responses = operation.get("responses", {})
                merged = {str(k): v for k, v in responses.items() if not isinstance(k, str)}
                merged.update({k: v for k, v in responses.items() if isinstance(k, str)})
                operation["responses"] = merged
                for status, response in merged.items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[problems.MEDIA_TYPE] = content.pop("application/json")
        return schema


# Every operation may answer these; one that reads an object by its id adds 404, one that
# takes parameters adds 422.
SIGNED_IN = {401: schemas.Problem}
ONE = {**SIGNED_IN, 404: schemas.Problem, 422: schemas.Problem}
MANY = {**SIGNED_IN, 422: schemas.Problem}
# A write adds 400 (no Idempotency-Key, or a malformed one) and 409 (the same key in use by
# a request still running); 422 is also a key used for another request, or a refusal.
WRITE = {**SIGNED_IN, 400: schemas.Problem, 409: schemas.Problem, 422: schemas.Problem}

api = PortalAPI(
    title="API du compte santé",
    version="1",
    description=(
        "Ce qu'une personne connectée lit dans son compte, en JSON, pour une application.\n\n"
        "Connexion : l'API d'allauth pour les applications, sous `/api/auth/app/v1/` "
        "(`POST auth/login` avec le NIR et le mot de passe, puis `POST auth/code/confirm` avec le "
        "code reçu par courriel, ou l'étape TOTP). Elle rend un jeton de session à envoyer dans "
        "l'en-tête `X-Session-Token` de chaque opération ci-dessous. L'objet d'une autre "
        "personne est un 404, comme un objet qui n'existe pas. Les erreurs sont des détails de "
        "problème (RFC 9457), en français."
    ),
    urls_namespace="api-v1",
    auth=session_token,
)
problems.install(api)


@api.exception_handler(DomainError)
@api.exception_handler(DjangoValidationError)
def refused(request, exc):
    """A write a service refuses, for a reason the person can act on: its French message."""
    detail = " ".join(exc.messages) if isinstance(exc, DjangoValidationError) else str(exc)
    return problems.problem(api, request, 422, detail)


@api.exception_handler(TermsPending)
def terms_pending(request, exc):
    """The site sends to its acceptance page; the API says where to accept them."""
    return problems.problem(api, request, 403, TERMS_PENDING, accept_url=ACCEPT_URL)

"""Version 1 of the API for apps: what a signed-in person reads in the browser, as JSON.

Authentication is allauth's own API for apps (``allauth.headless``, mounted under
``/api/auth/``): the same NIR and password, emailed code or TOTP, lockout and rate limits as
the web, which hands back a session token. Every operation here takes that token in the
``X-Session-Token`` header and reaches objects through the same access helpers as the web
pages: another person's object is a 404, like one that does not exist.
"""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from accounts.access import get_insured_for_user, get_insured_id_for_user
from accounts.selectors import cards_by_person
from ameli_portal.domain import DomainError
from attestations.access import get_document_for_user
from attestations.models import Document
from messaging.access import get_thread_for_user
from messaging.queries import inbox_threads
from messaging.services import threads as messaging
from requests_app.access import get_request_for_user
from requests_app.models import Request

from . import payments, problems, schemas, simulator
from .auth import session_token
from .idempotency import IdempotencyKey, idempotent
from .pagination import Cursor


class PortalAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Errors are documented as what they are: application/problem+json."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for item in schema["paths"].values():
            for operation in item.values():
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

me = Router(tags=["Mon compte"])
documents = Router(tags=["Mes documents"])
demarches = Router(tags=["Mes démarches"])
messages = Router(tags=["Ma messagerie"])


@me.get("/profil", response={200: schemas.Profile, **SIGNED_IN}, summary="Mes informations")
def profile(request):
    insured = get_insured_for_user(request.user)
    return {
        "nir_masked": insured.nir_masked,
        "first_names": insured.first_names,
        "last_name": insured.last_name,
        "birth_date": insured.birth_date,
        "email": request.user.email,
        "postal_address": insured.postal_address,
    }


@me.get(
    "/cartes", response={200: list[schemas.PersonCards], **SIGNED_IN}, summary="Mes cartes Vitale et CEAM"
)
def cards(request):
    insured = get_insured_for_user(request.user)
    return [
        {
            "name": person.name,
            "is_beneficiary": person.beneficiary is not None,
            "on_parents_card": person.on_parents_card,
            "cards": person.cards,
        }
        for person in cards_by_person(insured)
    ]


@documents.get(
    "", response={200: list[schemas.Document], **MANY}, summary="Mes documents, les plus récents d'abord"
)
@paginate(Cursor, ordering=("-created_at", "-pk"), page_size=20)
def document_list(request):
    insured = get_insured_for_user(request.user)
    return Document.objects.filter(owner=insured).exclude(kind=Document.Kind.CODE_LETTER)


@documents.get(
    "/{uuid:document_id}", response={200: schemas.Document, **ONE}, summary="Un document et son état"
)
def document_detail(request, document_id):
    return get_document_for_user(request.user, document_id)


@documents.get(
    "/{uuid:document_id}/pdf",
    summary="Télécharger le PDF d'un document prêt",
    response={200: None, 409: schemas.Problem, **ONE},
    url_name="document_pdf",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Le PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def document_pdf(request, document_id):
    from attestations.views import pdf_response

    document = get_document_for_user(request.user, document_id)
    if document.status != Document.Status.READY:
        return problems.problem(
            api, request, 409, "Ce document n'est pas encore prêt : suivez son état, puis téléchargez-le."
        )
    return pdf_response(document)


@demarches.get(
    "", response={200: list[schemas.Demarche], **MANY}, summary="Mes démarches, les plus récentes d'abord"
)
@paginate(Cursor, ordering=("-filed_at", "-pk"), page_size=20)
def demarche_list(request):
    insured = get_insured_for_user(request.user)
    return Request.objects.filter(insured=insured)


@demarches.get(
    "/{uuid:demarche_id}", response={200: schemas.Demarche, **ONE}, summary="Une démarche et son état"
)
def demarche_detail(request, demarche_id):
    return get_request_for_user(request.user, demarche_id)


@messages.get("/fils", response={200: list[schemas.Thread], **MANY}, summary="Mes fils de messages")
@paginate(Cursor, ordering=("-last_message_at", "-pk"), page_size=20)
def thread_list(request):
    return inbox_threads(get_insured_id_for_user(request.user))


@messages.post(
    "/fils",
    response={201: schemas.Thread, **WRITE},
    summary="Écrire à la caisse : un nouveau fil",
)
@decorate_view(idempotent(api))
def thread_start(request, key: IdempotencyKey, message: schemas.ThreadStart):
    insured = get_insured_for_user(request.user)
    thread = messaging.thread_start(
        insured=insured,
        user=request.user,
        topic=message.topic,
        subject=message.subject,
        body=message.body,
        idempotency_key=key,
    )
    return Status(201, inbox_threads(insured.pk).get(pk=thread.pk))


@messages.post(
    "/fils/{uuid:thread_id}/messages",
    response={201: schemas.Message, **WRITE, 404: schemas.Problem},
    summary="Répondre dans un de mes fils",
)
@decorate_view(idempotent(api))
def message_reply(request, thread_id, key: IdempotencyKey, reply: schemas.Reply):
    thread = get_thread_for_user(request.user, thread_id)
    message = messaging.message_reply_by_insured(
        thread=thread, user=request.user, body=reply.body, idempotency_key=key
    )
    return Status(201, message)


@api.exception_handler(DomainError)
@api.exception_handler(DjangoValidationError)
def refused(request, exc):
    """A write a service refuses, for a reason the person can act on: its French message."""
    detail = " ".join(exc.messages) if isinstance(exc, DjangoValidationError) else str(exc)
    return problems.problem(api, request, 422, detail)


api.add_router("/moi", me)
api.add_router("/documents", documents)
api.add_router("/demarches", demarches)
api.add_router("/messagerie", messages)
api.add_router("/paiements", payments.router)
api.add_router("/simulateur", simulator.router)


def urlpatterns():
    """The API's URL patterns, open to the login-required middleware: the API answers 401
    itself (a redirect to the sign-in page means nothing to an app)."""
    patterns, app_name, namespace = api.urls
    patterns = [*patterns, re_path(r"^[\s\S]*$", _no_such_route)]
    for pattern in patterns:
        login_not_required(pattern.callback)
    return patterns, app_name, namespace


@csrf_exempt  # as ninja's own views: a POST to a wrong address is a 404, not the site's 403
def _no_such_route(request):
    """Any other address under /api/v1/: a problem in JSON, not the site's 404 page."""
    return problems.problem(
        api, request, 404, "Cette adresse ne correspond à aucune opération de l'API : voyez /api/v1/docs."
    )

"""Version 1 of the API for apps: what a signed-in person reads in the browser, as JSON.

Authentication is allauth's own API for apps (``allauth.headless``, mounted under
``/api/auth/``): the same NIR and password, emailed code or TOTP, lockout and rate limits as
the web, which hands back a session token. Every operation here takes that token in the
``X-Session-Token`` header and reaches objects through the same access helpers as the web
pages: another person's object is a 404, like one that does not exist.
"""

from django.contrib.auth.decorators import login_not_required
from ninja import NinjaAPI, Router
from ninja.pagination import CursorPagination, paginate

from accounts.cards import cards_by_person
from attestations.access import get_document_for_user, get_insured_for_user
from attestations.models import Document
from messaging.access import get_insured_id_for_user
from messaging.queries import inbox_threads
from requests_app.access import get_request_for_user
from requests_app.models import Request

from . import problems, schemas
from .auth import session_token

api = NinjaAPI(
    title="API du compte santé",
    version="1",
    description=__doc__,
    urls_namespace="api-v1",
    auth=session_token,
)
problems.install(api)

me = Router(tags=["Mon compte"])
documents = Router(tags=["Mes documents"])
demarches = Router(tags=["Mes démarches"])
messages = Router(tags=["Ma messagerie"])


@me.get("/profil", response=schemas.Profile, summary="Mes informations")
def profile(request):
    insured = get_insured_for_user(request.user)
    return {"nir_masked": insured.nir_masked, "first_names": insured.first_names,
            "last_name": insured.last_name, "birth_date": insured.birth_date,
            "email": request.user.email, "postal_address": insured.postal_address}


@me.get("/cartes", response=list[schemas.PersonCards], summary="Mes cartes Vitale et CEAM")
def cards(request):
    insured = get_insured_for_user(request.user)
    return [{"name": person.name, "is_beneficiary": person.beneficiary is not None,
             "cards": person.cards}
            for person in cards_by_person(insured)]


@documents.get("", response=list[schemas.Document], summary="Mes documents, les plus récents d'abord")
@paginate(CursorPagination, ordering=("-created_at", "-pk"), page_size=20)
def document_list(request):
    insured = get_insured_for_user(request.user)
    return (Document.objects.filter(owner=insured).exclude(kind=Document.Kind.CODE_LETTER))


@documents.get("/{uuid:document_id}", response=schemas.Document, summary="Un document et son état")
def document_detail(request, document_id):
    return get_document_for_user(request.user, document_id)


@documents.get("/{uuid:document_id}/pdf", summary="Télécharger le PDF d'un document prêt",
               response={200: None}, url_name="document_pdf")
def document_pdf(request, document_id):
    from attestations.views import pdf_response

    document = get_document_for_user(request.user, document_id)
    if document.status != Document.Status.READY:
        return problems.problem(api, request, 409, "Ce document n'est pas encore prêt : "
                                                   "suivez son état, puis téléchargez-le.")
    return pdf_response(document)


@demarches.get("", response=list[schemas.Demarche], summary="Mes démarches, les plus récentes d'abord")
@paginate(CursorPagination, ordering=("-filed_at", "-pk"), page_size=20)
def demarche_list(request):
    insured = get_insured_for_user(request.user)
    return Request.objects.filter(insured=insured)


@demarches.get("/{uuid:demarche_id}", response=schemas.Demarche, summary="Une démarche et son état")
def demarche_detail(request, demarche_id):
    return get_request_for_user(request.user, demarche_id)


@messages.get("/fils", response=list[schemas.Thread], summary="Mes fils de messages")
@paginate(CursorPagination, ordering=("-last_message_at", "-pk"), page_size=20)
def thread_list(request):
    return inbox_threads(get_insured_id_for_user(request.user))


api.add_router("/moi", me)
api.add_router("/documents", documents)
api.add_router("/demarches", demarches)
api.add_router("/messagerie", messages)


def urlpatterns():
    """The API's URL patterns, open to the login-required middleware: the API answers 401
    itself (a redirect to the sign-in page means nothing to an app)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        login_not_required(pattern.callback)
    return patterns, app_name, namespace

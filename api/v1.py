"""Version 1 of the API for apps: what a signed-in person reads in the browser, as JSON.

Authentication is allauth's own API for apps (``allauth.headless``, mounted under
``/api/auth/``): the same NIR and password, emailed code or TOTP, lockout and rate limits as
the web, which hands back a session token. Every operation here takes that token in the
``X-Session-Token`` header and reaches objects through the same access helpers as the web
pages: another person's object is a 404, like one that does not exist.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import re_path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from accounts.access import get_insured_for_user, get_insured_id_for_user
from accounts.forms import ContactForm
from accounts.selectors import cards_by_person
from accounts.services import register as account_services
from attestations import services as attestations
from attestations.access import get_document_for_user
from attestations.forms import (
    AllowanceForm,
    RightsForm,
    StatementForm,
    TaxForm,
    VaccinationForm,
    last_month,
)
from attestations.models import Document
from messaging.access import get_thread_for_user
from messaging.queries import inbox_threads
from messaging.services import threads as messaging

from . import account, demarches, payments, problems, schemas, simulator
from .core import MANY, ONE, SIGNED_IN, WRITE, api
from .idempotency import IdempotencyKey, idempotent
from .pagination import Cursor

me = Router(tags=["Mon compte"])
documents = Router(tags=["Mes documents"])
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


@me.get("/coordonnees", response={200: schemas.Contact, **SIGNED_IN}, summary="Mes coordonnées")
def contact(request):
    insured = get_insured_for_user(request.user)
    return {f: getattr(insured, f) for f in account_services.CONTACT_FIELDS}


@me.patch(
    "/coordonnees",
    response={200: schemas.Contact, **WRITE},
    summary="Changer mon téléphone ou mon adresse postale",
    description=(
        "Les mêmes contrôles que la page « Mes informations » ; un courriel confirme le "
        "changement. L'adresse électronique se change par l'API de connexion "
        "(`POST /api/auth/app/v1/account/email`, puis le code envoyé à la nouvelle adresse), "
        "comme sur le site."
    ),
)
@decorate_view(idempotent(api))
def contact_change(request, key: IdempotencyKey, change: schemas.ContactChange):
    insured = get_insured_for_user(request.user)
    current = {f: getattr(insured, f) for f in account_services.CONTACT_FIELDS}
    form = ContactForm({**current, **change.dict(exclude_none=True)})
    if not form.is_valid():
        raise problems.form_refused(form)
    account_services.insured_update_contact(insured=insured, user=request.user, **form.cleaned_data)
    return contact(request)


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


# The form of « Mes attestations » for each kind, and what the service takes from it.
ASKED = {
    Document.Kind.RIGHTS: (RightsForm, None),
    Document.Kind.STATEMENT: (StatementForm, "period"),
    Document.Kind.DAILY_ALLOWANCES: (AllowanceForm, "period"),
    Document.Kind.TAX: (TaxForm, "period"),
    Document.Kind.VACCINATION: (VaccinationForm, "person"),
}


@documents.post(
    "",
    response={201: schemas.Document, **WRITE},
    summary="Demander un document",
    description=(
        "Les mêmes contrôles que la page « Mes attestations ». Le document est préparé par une "
        "tâche : suivez son état (`GET /documents/{id}`), puis téléchargez-le (`download_url`). "
        "Un document du jour aux mêmes informations, prêt ou en préparation, est rendu au lieu "
        "d'un nouveau."
    ),
)
@decorate_view(idempotent(api))
def document_ask(request, key: IdempotencyKey, ask: schemas.DocumentAsk):
    insured = get_insured_for_user(request.user)
    form_class, parameter = ASKED[ask.kind]
    if ask.last_month:
        values = {"period": _last_month(ask)}
    else:
        data = {k: v for k, v in ask.dict(exclude={"kind", "last_month"}).items() if v is not None}
        form = form_class(data, **({"insured": insured} if form_class is VaccinationForm else {}))
        if not form.is_valid():
            raise problems.form_refused(form)
        values = {parameter: form.cleaned_data[parameter]} if parameter else {}
    document = attestations.document_request(insured=insured, kind=ask.kind, idempotency_key=key, **values)
    return Status(201, document)


def _last_month(ask: schemas.DocumentAsk):
    """The page's « Relevé du mois dernier » button: the relevé of the previous calendar month."""
    if ask.kind != Document.Kind.STATEMENT:
        raise problems.fields_refused(
            {"last_month": ["Seulement pour le relevé de remboursements (releve)."]}
        )
    if ask.start or ask.end:
        raise problems.fields_refused(
            {"last_month": ["Le mois dernier, ou une période (start, end) : pas les deux."]}
        )
    return last_month(timezone.localdate())


@documents.post(
    "/{uuid:document_id}/reessayer",
    response={200: schemas.Document, **WRITE, 404: schemas.Problem},
    summary="Relancer un document en échec",
    description=(
        "Comme « Réessayer » sur la page : un document en échec, ou en préparation depuis trop "
        "longtemps, repart en préparation ; un autre reste comme il est."
    ),
)
@decorate_view(idempotent(api))
def document_retry(request, document_id, key: IdempotencyKey):
    document = get_document_for_user(request.user, document_id)
    return attestations.document_retry(document=document)


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


@messages.get("/fils", response={200: list[schemas.Thread], **MANY}, summary="Mes fils de messages")
@paginate(Cursor, ordering=("-last_message_at", "-pk"), page_size=20)
def thread_list(request):
    return inbox_threads(get_insured_id_for_user(request.user))


@messages.get(
    "/fils/{uuid:thread_id}",
    response={200: schemas.ThreadDetail, **ONE},
    summary="Un de mes fils et ses messages (sans le marquer comme lu)",
)
def thread_detail(request, thread_id):
    thread = get_thread_for_user(request.user, thread_id)
    found = inbox_threads(thread.insured_id).get(pk=thread.pk)
    found.messages_in_order = list(thread.messages.all())
    return found


@messages.post(
    "/fils/{uuid:thread_id}/lu",
    response={200: schemas.Thread, **WRITE, 404: schemas.Problem},
    summary="Marquer un fil comme lu",
    description="Ce que la caisse y a écrit ne compte plus comme non lu, comme quand on ouvre "
    "le fil sur le site.",
)
@decorate_view(idempotent(api))
def thread_read(request, thread_id, key: IdempotencyKey):
    thread = get_thread_for_user(request.user, thread_id)
    messaging.thread_mark_read(thread=thread, reader=request.user)
    return inbox_threads(thread.insured_id).get(pk=thread.pk)


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


api.add_router("/moi", me)
api.add_router("/moi", account.router)
api.add_router("/documents", documents)
api.add_router("/demarches", demarches.router)
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

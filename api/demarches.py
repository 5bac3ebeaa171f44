"""« Mes démarches » for apps: the list, a démarche with its timeline and its documents,
filing one with its attachments, answering a complement, downloading an attachment.

Filing and the complement are multipart forms, read by the page's own forms
(``requests_app.forms``): the same fields, the same checks of each file by its content
(``requests_app.uploads``: PDF, JPEG or PNG, 5 MB, 5 files, the scanner), the same services.
The operation's ``Idempotency-Key`` is the form's token: the same key is one démarche, one
answer, whoever retries.
"""

import uuid

from django import forms
from ninja import Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from accounts.access import get_insured_for_user
from ameli_portal.idempotency import FIELD as FORM_TOKEN
from requests_app import services
from requests_app.access import get_attachment_for_user, get_request_for_user
from requests_app.forms import FORMS, ComplementForm, MultipleFileField
from requests_app.models import ActorKind, Request
from requests_app.models import Status as RequestStatus
from requests_app.uploads import HELP
from requests_app.views import attachment_response

from . import problems, schemas
from .core import MANY, ONE, WRITE, api
from .idempotency import IdempotencyKey, idempotent
from .pagination import Cursor

router = Router(tags=["Mes démarches"])

BINARY = {"type": "string", "format": "binary"}


def _field_schema(field) -> dict:
    if isinstance(field, MultipleFileField):
        return {"type": "array", "items": BINARY, "description": f"{field.label}. {HELP}"}
    if isinstance(field, forms.FileField):
        return {**BINARY, "description": f"{field.label}. {field.help_text}"}
    schema = {"type": "string", "description": str(field.label)}
    choices = getattr(field, "choices", None)
    if choices is not None and not hasattr(field, "queryset"):
        schema["description"] += " : " + ", ".join(f"{k} ({v})" for k, v in choices if k != "")
    if hasattr(field, "queryset"):
        schema["description"] += " : l'identifiant d'un de vos ayants droit, vide pour vous-même."
    return schema


def _filing_body() -> dict:
    """The multipart body of a filing: ``kind``, then each kind's fields, from the forms."""
    properties = {"kind": {"type": "string", "enum": list(FORMS), "description": "Le type de démarche."}}
    by_name: dict[str, list[tuple[str, dict]]] = {}
    for kind, form in FORMS.items():
        for name, field in form.base_fields.items():
            if name != FORM_TOKEN:
                by_name.setdefault(name, []).append((kind, _field_schema(field)))
    for name, uses in by_name.items():
        schema = dict(uses[0][1])
        if len(uses) < len(FORMS):
            if len({use["description"] for _, use in uses}) == 1:
                schema["description"] += f" (démarches : {', '.join(kind for kind, _ in uses)})"
            else:  # one name, a field of its own in each kind (« reason »)
                schema["description"] = " ; ".join(f"{kind} : {use['description']}" for kind, use in uses)
        properties[name] = schema
    content = {"schema": {"type": "object", "properties": properties, "required": ["kind"]}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": content}}}


def _complement_body() -> dict:
    properties = {name: _field_schema(field) for name, field in ComplementForm.base_fields.items()}
    properties.pop(FORM_TOKEN)
    content = {"schema": {"type": "object", "properties": properties, "required": ["documents"]}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": content}}}


def _by(filed: Request, event) -> str:
    # As the page's timeline says it (requests_app/detail.html).
    if event.actor_kind == ActorKind.INSURED:
        return "vous"
    if event.actor_kind == ActorKind.STAFF:
        return "votre caisse"
    if filed.filed_without_account and not event.from_status:
        return "depuis le formulaire sans compte"
    return "automatiquement"


def _detail(filed: Request) -> Request:
    events = list(filed.events.all())
    for event in events:
        event.by = _by(filed, event)
        # The page shows no reason under an acceptance (its effects are told by the notice).
        event.reason = "" if event.to_status == RequestStatus.ACCEPTED else event.reason
    filed.events_in_order = events
    filed.attachments_in_order = list(filed.attachments.all())
    return filed


@router.get(
    "", response={200: list[schemas.Demarche], **MANY}, summary="Mes démarches, les plus récentes d'abord"
)
@paginate(Cursor, ordering=("-filed_at", "-pk"), page_size=20)
def demarche_list(request):
    insured = get_insured_for_user(request.user)
    return Request.objects.filter(insured=insured)


@router.get(
    "/{uuid:demarche_id}",
    response={200: schemas.DemarcheDetail, **ONE},
    summary="Une démarche, son état, ses étapes et ses pièces",
)
def demarche_detail(request, demarche_id):
    return _detail(get_request_for_user(request.user, demarche_id))


@router.post(
    "",
    response={201: schemas.DemarcheDetail, **WRITE},
    summary="Déposer une démarche, avec ses pièces",
    description=(
        "Un formulaire `multipart/form-data` : `kind`, puis les champs de ce type de démarche, "
        "ceux de sa page sur le site (mêmes contrôles, mêmes messages). " + HELP + " Chaque "
        "fichier est vérifié par son contenu, pas par son nom."
    ),
    openapi_extra=_filing_body(),
)
@decorate_view(idempotent(api))
def demarche_file(request, key: IdempotencyKey):
    insured = get_insured_for_user(request.user)
    kind = request.POST.get("kind", "")
    form_class = FORMS.get(kind)
    if form_class is None:
        known = ", ".join(FORMS)
        message = "Ce champ est obligatoire." if not kind else f"Type de démarche inconnu ; parmi : {known}."
        raise problems.fields_refused({"kind": [message]})
    data = request.POST.copy()
    if data.get("beneficiary"):
        # The API names a beneficiary by its public id; the page's form, by its row.
        found = insured.beneficiaries.filter(public_id=_uuid_or_none(data["beneficiary"])).first()
        data["beneficiary"] = str(found.pk) if found else "inconnu"
    form = form_class(data, request.FILES, insured=insured)
    if not form.is_valid():
        raise problems.form_refused(form)
    filed = services.request_file(
        insured=insured,
        kind=kind,
        data=form.request_data(),
        uploads=form.uploads,
        beneficiary=form.beneficiary,
        actor=request.user,
        idempotency_key=key,
    )
    return Status(201, _detail(filed))


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@router.post(
    "/{uuid:demarche_id}/complement",
    response={201: schemas.DemarcheDetail, **WRITE, 404: schemas.Problem},
    summary="Répondre à une demande de complément, avec les documents demandés",
    description=(
        "Un formulaire `multipart/form-data` : `documents` (un ou plusieurs fichiers) et "
        "`message` (facultatif). " + HELP + " La démarche repasse en instruction. Sans "
        "complément demandé : 422."
    ),
    openapi_extra=_complement_body(),
)
@decorate_view(idempotent(api))
def demarche_complement(request, demarche_id, key: IdempotencyKey):
    filed = get_request_for_user(request.user, demarche_id)
    uploads, message = [], ""
    if filed.status == RequestStatus.COMPLEMENT:
        form = ComplementForm(request.POST, request.FILES, existing_files=filed.attachments.count())
        if not form.is_valid():
            raise problems.form_refused(form)
        uploads, message = form.uploads, form.cleaned_data["message"]
    # Without a complement asked, the service says so (TransitionNotAllowed: a 422).
    answered = services.request_answer_complement(
        request=filed, actor=request.user, uploads=uploads, message=message, idempotency_key=key
    )
    return Status(201, _detail(answered))


@router.get(
    "/pieces/{uuid:attachment_id}",
    summary="Télécharger une pièce d'une de mes démarches",
    response={200: None, **ONE},
    openapi_extra={
        "responses": {
            "200": {
                "description": "Le fichier, toujours en téléchargement",
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in ("application/pdf", "image/jpeg", "image/png")
                },
            }
        }
    },
)
def attachment_download(request, attachment_id):
    return attachment_response(get_attachment_for_user(request.user, attachment_id))

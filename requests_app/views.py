"""Mes démarches: the list, filing a request, its timeline, the complement, the attachments."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import get_insured_for_user
from accounts.models import TermsAcceptance, family_situation_label
from accounts.security import fingerprint, log_event
from accounts.services.codes import ProvisionalCodeResult, max_attempts
from accounts.services.identity import identity_verify
from accounts.terms import terms_accept
from ameli_portal.formats import euros
from ameli_portal.idempotency import submitted_key
from ameli_portal.ratelimit import over_limit

from . import services
from .access import get_attachment_for_user, get_request_for_user
from .forms import FORMS, ComplementForm, PublicCodeForm, PublicVitaleForm
from .models import Attachment, Kind, PublicConfirmation, Request, Status

MAX_LISTED = 50
COMPLEMENT_SENT = "Vos documents sont envoyés : votre démarche est de nouveau en instruction."


def _bound(request):
    """Form data for a POST (even an empty one, which must show its errors), else nothing."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


TOO_MANY = "Trop de tentatives. Réessayez dans quelques minutes."


@never_cache
def request_list(request):
    insured = get_insured_for_user(request.user)
    requests = list(Request.objects.filter(insured=insured).select_related("beneficiary")[:MAX_LISTED])
    return render(request, "requests_app/list.html", {"requests": requests})


def request_new(request):
    get_insured_for_user(request.user)
    kinds = [{"kind": f.kind, "title": f.title, "summary": f.summary} for f in FORMS.values()]
    return render(request, "requests_app/new.html", {"kinds": kinds})


@never_cache
def request_create(request, kind):
    insured = get_insured_for_user(request.user)
    form_class = FORMS.get(kind)
    if form_class is None:
        raise Http404
    if request.method == "POST" and (
        filed := services.request_filed_with(insured=insured, key=submitted_key(request))
    ):
        messages.info(
            request,
            f"Cette démarche est déjà déposée (référence {filed.reference}) : "
            "elle n'a été enregistrée qu'une fois.",
        )
        return redirect("requests_app:detail", filed.public_id)
    form = form_class(*_bound(request), insured=insured)
    if request.method == "POST" and form.is_valid():
        filed = services.request_file(
            insured=insured,
            kind=kind,
            data=form.request_data(),
            uploads=form.uploads,
            beneficiary=form.beneficiary,
            actor=request.user,
            idempotency_key=form.idempotency_key_value,
        )
        messages.success(request, _filed_message(filed))
        return redirect("requests_app:detail", filed.public_id)
    return render(request, "requests_app/form.html", {"form": form}, status=400 if form.errors else 200)


def _filed_message(filed: Request) -> str:
    text = f"Votre démarche « {filed.get_kind_display()} » est déposée (référence {filed.reference})."
    if filed.kind == Kind.VITALE and filed.data.get("reason") in ("loss", "theft"):
        text += " Votre ancienne carte Vitale est mise en opposition : elle ne peut plus être utilisée."
    return text


@never_cache
def request_detail(request, public_id):
    filed = get_request_for_user(request.user, public_id)
    if request.method == "POST" and services.complement_answered_with(
        request=filed, key=submitted_key(request)
    ):
        # The same complement form sent again: its answer is given, whatever the status now.
        messages.info(request, "Ces documents ont déjà été envoyés : ils n'ont été enregistrés qu'une fois.")
        return redirect("requests_app:detail", filed.public_id)
    attachments = list(filed.attachments.all())
    form = None
    if filed.status == Status.COMPLEMENT:
        form = ComplementForm(*_bound(request), existing_files=len(attachments))
        if request.method == "POST" and form.is_valid():
            try:
                services.request_answer_complement(
                    request=filed,
                    actor=request.user,
                    uploads=form.uploads,
                    message=form.cleaned_data["message"],
                    idempotency_key=form.idempotency_key_value,
                )
            except services.TransitionNotAllowed as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, COMPLEMENT_SENT)
            return redirect("requests_app:detail", filed.public_id)
    elif request.method == "POST":
        return redirect("requests_app:detail", filed.public_id)
    return render(
        request,
        "requests_app/detail.html",
        {
            "filed": filed,
            "events": filed.events.all(),
            "attachments": attachments,
            "form": form,
            "shown_data": shown_data(filed),
        },
        status=400 if form is not None and form.errors else 200,
    )


def shown_data(filed: Request, *, iban_masked: bool = True) -> list[tuple[str, str]]:
    """What the insured asked, in words: choices by their labels, dates « 01/03/2026 »,
    amounts « 1 250,00 € »; the IBAN masked (the agent who checks it reads it whole)."""
    form_class = FORMS[filed.kind]
    rows = []
    if filed.beneficiary:
        rows.append(("Pour", str(filed.beneficiary)))
    for name, field in form_class.base_fields.items():
        value = filed.data.get(name)
        if value in ("", None):
            continue
        if name == "iban" and iban_masked:
            value = f"{value[:4]} •••• •••• {value[-4:]}"
        elif name == "situation":
            value = family_situation_label(value, filed.insured.sex)
        elif hasattr(field, "choices") and name != "beneficiary":
            value = dict((str(k), v) for k, v in field.choices).get(str(value), value)
        elif name in ("since", "birth_date", "departure_on"):
            value = "/".join(reversed(value.split("-")))
        elif name == "amount":
            value = euros(value)
        rows.append((field.label, str(value)))
    return rows


def attachment_response(attachment: Attachment) -> FileResponse:
    """Always a download, never rendered by the browser (a PDF's scripts never run here)."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.download_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "sandbox"
    return response


@require_GET
def attachment_download(request, public_id):
    return attachment_response(get_attachment_for_user(request.user, public_id))


# --- the public form: a carte Vitale without an account ---------------------------------
#
# Anyone may fill it with someone else's identity: it answers the same whether or not the
# identity matches (no register oracle), and it never does anything irreversible. A matching
# request waits for the holder's emailed code or for a conseiller (services._await_confirmation).

CODE_REFUSED = (
    "Ce code n'est pas valable : il est erroné, a expiré ou a déjà servi. Après "
    f"{max_attempts()} essais erronés, il ne peut plus servir et la demande est vérifiée "
    "par un conseiller."
)
CODE_FORMAT = "Le code de confirmation comporte 8 chiffres."


def _limited(request, action: str, key: str) -> bool:
    """True when over the limit, by IP and by a hashed key (never a NIR in the cache)."""
    return over_limit(request, action=action, key=fingerprint(key))


@login_not_required
@never_cache
def public_vitale(request):
    form = PublicVitaleForm(*_bound(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _limited(request, "vitale_public", data["nir"]):
            form.add_error(None, TOO_MANY)
            return render(request, "requests_app/public_vitale.html", {"form": form}, status=429)
        result = identity_verify(
            nir=data["nir"],
            last_name=data["last_name"],
            birth_date=data["birth_date"],
            postal_code=data["postal_code"],
        )
        log_event("vitale_public", insured_id=getattr(result.insured, "pk", None), result=result.status.value)
        if result.insured is None:
            # A confirmation page like any other, for a request that does not exist.
            return redirect("requests_app:public_vitale_confirm", uuid.uuid4())
        with transaction.atomic():  # the request and the terms accepted with it, or neither
            filed = services.request_file(
                insured=result.insured,
                kind=Kind.VITALE,
                data={"reason": data["reason"]},
                uploads=form.uploads,
                filed_without_account=True,
            )
            terms_accept(
                insured=result.insured,
                context=TermsAcceptance.Context.VITALE_PUBLIC,
                reference=str(filed.public_id),
            )
        return redirect("requests_app:public_vitale_confirm", filed.public_confirmation.public_id)
    return render(
        request, "requests_app/public_vitale.html", {"form": form}, status=400 if form.errors else 200
    )


@login_not_required
@never_cache
def public_vitale_confirm(request, public_id):
    form = PublicCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _limited(request, "vitale_public_code", str(public_id)):
            form.add_error(None, TOO_MANY)
        else:
            result = services.public_confirmation_verify(public_id=public_id, code=form.cleaned_data["code"])
            if result is ProvisionalCodeResult.OK:
                confirmation = PublicConfirmation.objects.select_related("request").get(public_id=public_id)
                return render(
                    request, "requests_app/public_vitale_done.html", {"filed": confirmation.request}
                )
            form.add_error("code", CODE_FORMAT if result is ProvisionalCodeResult.FORMAT else CODE_REFUSED)
    hours = int(services.public_code_validity().total_seconds() // 3600)
    return render(
        request,
        "requests_app/public_vitale_confirm.html",
        {"form": form, "validity_hours": hours},
        status=400 if form.errors else 200,
    )

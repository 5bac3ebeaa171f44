"""Mes attestations, their download, and the public check of a printed code."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_insured_for_user
from ameli_portal.formats import first_name
from ameli_portal.idempotency import submitted_key
from ameli_portal.ratelimit import over_limit

from . import services
from .access import get_document_for_user
from .forms import AllowanceForm, RightsForm, StatementForm, TaxForm, VaccinationForm, last_month
from .models import Document, normalize_code
from .selectors import code_letter_is_live

MAX_LISTED = 20


@never_cache
def document_list(request):
    insured = get_insured_for_user(request.user)
    return _list_page(request, insured)


def _list_page(request, insured, status=200, **forms):
    documents = list(
        Document.objects.filter(owner=insured).exclude(kind=Document.Kind.CODE_LETTER)[:MAX_LISTED]
    )
    vaccination_form = forms.get("vaccination_form") or VaccinationForm(insured=insured)
    # Whom an attestation de vaccination is for, from the form's choices (no other query).
    people = {value: label for value, label in vaccination_form.fields["person"].choices if value}
    for document in documents:
        document.person_label = people.get(document.person, "")
    context = {
        "documents": documents,
        "rights_form": RightsForm(),
        "form": forms.get("form") or StatementForm(),
        "allowance_form": forms.get("allowance_form") or AllowanceForm(),
        "tax_form": forms.get("tax_form") or TaxForm(),
        "vaccination_form": vaccination_form,
    }
    return render(request, "attestations/list.html", context, status=status)


def _announce(request, document: Document) -> None:
    what = document.get_kind_display()
    what = what[0].lower() + what[1:]
    when = f" {document.period_display}" if document.has_period else ""
    e = "e" if document.is_feminine else ""
    if document.status == Document.Status.READY:
        messages.info(request, f"Votre {what}{when} est prêt{e} : les informations n'ont pas changé depuis.")
    else:
        messages.success(request, f"Votre {what}{when} est en préparation.")


@require_POST
def document_request_view(request):
    insured = get_insured_for_user(request.user)
    document = services.document_request(
        insured=insured, kind=Document.Kind.RIGHTS, idempotency_key=submitted_key(request)
    )
    if document.status == Document.Status.READY:
        messages.info(
            request,
            "Votre attestation de droits du jour est prête : vos informations n'ont pas changé depuis.",
        )
    else:
        messages.success(request, "Votre attestation de droits est en préparation.")
    return redirect("attestations:list")


@require_POST
def statement_request_view(request):
    insured = get_insured_for_user(request.user)
    form = StatementForm(request.POST)
    if "mois" in request.POST:
        period = last_month(form.today)
    elif form.is_valid():
        period = form.cleaned_data["period"]
    else:
        return _list_page(request, insured, form=form, status=400)
    document = services.document_request(
        insured=insured, kind=Document.Kind.STATEMENT, period=period, idempotency_key=submitted_key(request)
    )
    when = document.period_display
    if document.status == Document.Status.READY:
        messages.info(
            request, f"Votre relevé de remboursements {when} est prêt : aucun paiement n'a changé depuis."
        )
    else:
        messages.success(request, f"Votre relevé de remboursements {when} est en préparation.")
    return redirect("attestations:list")


def _ask(request, *, kind, form_class, form_name, parameter, for_household=False):
    """One document asked from its own form on "Mes attestations": the form again on error.

    ``for_household``: the form lists the insured person and their beneficiaries.
    """
    insured = get_insured_for_user(request.user)
    form = form_class(request.POST, **({"insured": insured} if for_household else {}))
    if not form.is_valid():
        return _list_page(request, insured, status=400, **{form_name: form})
    document = services.document_request(
        insured=insured,
        kind=kind,
        idempotency_key=form.cleaned_data["idempotency_key"],
        **{parameter: form.cleaned_data[parameter]},
    )
    _announce(request, document)
    return redirect("attestations:list")


@require_POST
def allowance_request_view(request):
    return _ask(
        request,
        kind=Document.Kind.DAILY_ALLOWANCES,
        form_class=AllowanceForm,
        form_name="allowance_form",
        parameter="period",
    )


@require_POST
def tax_request_view(request):
    return _ask(request, kind=Document.Kind.TAX, form_class=TaxForm, form_name="tax_form", parameter="period")


@require_POST
def vaccination_request_view(request):
    return _ask(
        request,
        kind=Document.Kind.VACCINATION,
        form_class=VaccinationForm,
        form_name="vaccination_form",
        parameter="person",
        for_household=True,
    )


@require_POST
def document_retry_view(request, public_id):
    document = get_document_for_user(request.user, public_id)
    services.document_retry(document=document)
    messages.success(request, "Nous préparons de nouveau votre document.")
    return redirect("attestations:list")


@never_cache
@require_GET
def document_status(request, public_id):
    document = get_document_for_user(request.user, public_id)
    ready = document.status == Document.Status.READY
    return JsonResponse(
        {
            "status": document.status,
            "label": document.get_status_display(),
            "download_url": reverse("attestations:download", args=[document.public_id]) if ready else None,
        }
    )


@require_GET
def document_download(request, public_id):
    document = get_document_for_user(request.user, public_id)
    if document.status != Document.Status.READY:
        return redirect("attestations:list")
    return pdf_response(document)


def pdf_response(document: Document) -> FileResponse:
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.download_name,
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@never_cache
@require_GET
def verify(request):
    code = normalize_code(request.GET.get("code", ""))
    context = {"code": request.GET.get("code", "")[:40], "checked": bool(code)}
    if code:
        # The QR link is a GET: over_limit counts it all the same.
        if over_limit(request, action="verify_document"):
            return render(request, "attestations/verify.html", {**context, "limited": True}, status=429)
        document = (
            Document.objects.filter(verification_code=code, status=Document.Status.READY)
            .select_related("owner", "letter__provisional_code")
            .first()
        )
        context["document"] = document
        if document is not None and document.is_letter:
            context["code_live"] = code_letter_is_live(document)
        if document is not None:
            owner = document.owner
            context["holder_initials"] = (
                ".".join(p[0].upper() for p in (first_name(owner.first_names), owner.last_name) if p) + "."
            )
            context["holder_birth_year"] = owner.birth_date.year
            context["holder_born"] = owner.born
    return render(request, "attestations/verify.html", context)

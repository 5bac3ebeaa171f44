from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ameli_portal.ratelimit import over_limit

from .access import get_data_export_for_user, get_insured_for_user
from .forms import CodeProofForm, ContactForm, IbanProofForm, IdentityForm
from .home import home_for, previous_login
from .models import Insured
from .nir import parse_nir
from .security import fingerprint, log_event
from .selectors import cards_by_person
from .services.identity import (
    IdentityStatus,
    iban_matches,
    identity_forget,
    identity_pending,
    identity_remember,
    identity_verify,
)
from .services.register import CONTACT_FIELDS, insured_update_contact

MISMATCH = (
    "Nous n'avons pas pu vérifier votre identité avec ces informations. Vérifiez chacune "
    "d'elles : elles doivent être celles que connaît votre caisse."
)
TOO_MANY = "Trop de tentatives. Réessayez dans quelques minutes."


@never_cache
def home(request):
    insured = request.user.insured
    summary = home_for(insured, previous_login(request)) if insured is not None else None
    return render(request, "accounts/home.html", {"insured": insured, "home": summary})


@never_cache
def profile(request):
    """Mes informations: identity from the register (read only) and contact details."""
    insured = get_insured_for_user(request.user)
    initial = {f: getattr(insured, f) for f in CONTACT_FIELDS}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if insured_update_contact(insured=insured, user=request.user, **form.cleaned_data):
            messages.success(request, "Vos coordonnées sont enregistrées. Un courriel vous le confirme.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "insured": insured,
            "form": form,
            "coverage": insured.coverage_periods.first(),
            "beneficiaries": insured.beneficiaries.all(),
        },
    )


@never_cache
def vitale_card(request):
    """Ma carte Vitale: each person's card, its state in plain words and its history."""
    insured = get_insured_for_user(request.user)
    return render(
        request,
        "accounts/vitale_card.html",
        {
            "insured": insured,
            "people": cards_by_person(insured),
        },
    )


def _limited(request, action: str, key: str) -> bool:
    """True when the attempt is over the limit (keys are hashed: never a NIR in the cache)."""
    return over_limit(request, action=action, key=fingerprint(key))


@login_not_required
@never_cache
def signup_identity(request):
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not parse_nir(data["nir"]).can_open_account:
            form.add_error(
                "nir",
                (
                    "Ce numéro est un numéro provisoire : il ne permet pas encore d'ouvrir un compte. "
                    "Votre caisse vous enverra votre numéro définitif ; vous pourrez alors créer votre "
                    "compte. En attendant, contactez-la au " + settings.BRANDING["phone"] + "."
                ),
            )
        elif _limited(request, "signup_identity", data["nir"]):
            form.add_error(None, TOO_MANY)
        else:
            result = identity_verify(**data)
            log_event(
                "signup_identity", insured_id=getattr(result.insured, "pk", None), result=result.status.value
            )
            if result.status is IdentityStatus.MATCH:
                identity_remember(request, insured=result.insured)
                return redirect("accounts:signup_proof")
            return render(
                request,
                "accounts/signup/identity.html",
                {
                    "form": form,
                    "status": result.status.value,
                    "mismatch": MISMATCH if result.status is IdentityStatus.MISMATCH else "",
                },
            )
    return render(request, "accounts/signup/identity.html", {"form": form})


@login_not_required
@never_cache
def signup_proof(request):
    insured = identity_pending(request)
    if insured is None:
        messages.info(request, "Votre session a expiré : recommencez la vérification d'identité.")
        return redirect("accounts:signup_identity")
    form = IbanProofForm(request.POST or None)
    if request.method == "POST" and insured.iban and form.is_valid():
        if _limited(request, "signup_iban", insured.nir):
            form.add_error(None, TOO_MANY)
        elif iban_matches(insured=insured, last_seven=form.cleaned_data["last_seven"]):
            identity_remember(request, insured=insured, proven_by="iban")
            log_event("signup_proof", insured_id=insured.pk, proof="iban")
            return redirect("account_signup")
        else:
            log_event("signup_proof_failed", insured_id=insured.pk, proof="iban")
            form.add_error("last_seven", "Ces caractères ne correspondent pas à l'IBAN que nous connaissons.")
    return render(
        request,
        "accounts/signup/proof.html",
        {
            "form": form,
            "has_iban": bool(insured.iban),
            "city": insured.city,
            "postal_code": insured.postal_code,
        },
    )


@login_not_required
@require_POST
def signup_request_letter(request):
    from .services.codes import provisional_code_issue

    insured = identity_pending(request)
    if insured is None:
        return redirect("accounts:signup_identity")
    if _limited(request, "code_letter", insured.nir):
        messages.error(
            request,
            "Un courrier est déjà en route. Vous pourrez en demander un "
            "autre demain si vous ne l'avez pas reçu.",
        )
        return redirect("accounts:signup_proof")
    provisional_code_issue(insured=insured)
    identity_forget(request)
    return render(
        request,
        "accounts/signup/letter_sent.html",
        {
            "city": insured.city,
            "postal_code": insured.postal_code,
        },
    )


# One answer whether the NIR is unknown, has no code, a wrong, expired or blocked one: "expired"
# or "blocked" would tell a stranger that this NIR is in the register with a live letter.
CODE_REFUSED = (
    "Le numéro de sécurité sociale ou le code provisoire est incorrect, ou ce code n'est plus "
    "valable (il expire au bout de {days} jours et se bloque après {attempts} essais erronés). "
    "Vérifiez votre saisie ; sinon, refaites la vérification d'identité pour recevoir un nouveau "
    "code par courrier."
)
CODE_FORMAT = "Le code provisoire comporte 8 chiffres."


@login_not_required
@never_cache
def signup_code(request):
    from .services.codes import ProvisionalCodeResult, provisional_code_verify

    form = CodeProofForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        nir = form.cleaned_data["nir"]
        if _limited(request, "signup_code", nir):
            form.add_error(None, TOO_MANY)
        else:
            # Nobody (unknown NIR, or an account already open) is verified too: same answer,
            # same work.
            insured = Insured.objects.filter(nir=nir, user__isnull=True).first()
            result = provisional_code_verify(insured=insured, code=form.cleaned_data["code"])
            log_event("signup_code", insured_id=getattr(insured, "pk", None), result=result.name)
            if result is ProvisionalCodeResult.OK:
                identity_remember(request, insured=insured, proven_by="code")
                return redirect("account_signup")
            form.add_error(
                "code",
                CODE_FORMAT
                if result is ProvisionalCodeResult.FORMAT
                else CODE_REFUSED.format(
                    days=settings.PROVISIONAL_CODE_VALIDITY_DAYS,
                    attempts=settings.PROVISIONAL_CODE_MAX_ATTEMPTS,
                ),
            )
    return render(
        request,
        "accounts/signup/code.html",
        {"form": form, "identity_url": reverse("accounts:signup_identity")},
    )


@never_cache
def accept_terms(request):
    """The terms changed since the person last accepted them: accept the new version to go on."""
    from django.utils.http import url_has_allowed_host_and_scheme

    from .models import TermsAcceptance
    from .terms import AcceptNewTermsForm, terms_accept, user_needs_new_terms

    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        nxt = reverse("accounts:home")
    if not user_needs_new_terms(request.user):
        return redirect(nxt)
    form = AcceptNewTermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        terms_accept(
            insured=request.user.insured, user=request.user, context=TermsAcceptance.Context.NEW_VERSION
        )
        messages.success(request, "Merci : les nouvelles conditions d'utilisation sont acceptées.")
        return redirect(nxt)
    return render(
        request,
        "accounts/accept_terms.html",
        {
            "form": form,
            "next": nxt,
            "version": settings.TERMS_VERSION,
            "previous": request.user.terms_version,
        },
        status=400 if form.errors else 200,
    )


@never_cache
def my_data(request):
    """Mes données personnelles: the archives asked for, and how to use one's rights."""
    from .models import DataExport

    get_insured_for_user(request.user)
    exports = DataExport.objects.filter(user=request.user)[:5]
    return render(request, "accounts/my_data.html", {"exports": exports, "days": settings.DATA_EXPORT_DAYS})


@require_POST
def my_data_request(request):
    from .data_export import data_export_ask

    get_insured_for_user(request.user)
    if data_export_ask(user=request.user)[1]:
        messages.success(
            request,
            "Votre archive est en préparation : rechargez cette page dans "
            "quelques instants pour la télécharger.",
        )
    else:
        messages.info(request, "Votre archive est déjà en préparation.")
    return redirect("accounts:my_data")


@never_cache
def my_data_download(request, public_id):
    return data_export_response(request.user, get_data_export_for_user(request.user, public_id))


def data_export_response(user, export):
    """The archive as a download, logged (the page's and the API's)."""
    from django.http import FileResponse

    log_event("data_export_downloaded", user_id=user.pk)
    response = FileResponse(
        export.file.open("rb"), as_attachment=True, filename=export.filename, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    return response

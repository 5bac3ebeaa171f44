"""« Mon espace » for apps: its summary, the terms of use to accept, « Mes données ».

Each operation calls what its page calls: ``accounts.home.home_for`` (and the panels each
app registers), ``accounts.terms`` (the form of the acceptance page and ``terms_accept``),
``accounts.data_export`` (``data_export_ask``: one archive in preparation at a time) and the
page's download (``accounts.views.data_export_response``, through
``get_data_export_for_user``: another person's archive, or an expired one, is a 404).
"""

from allauth.headless import app_settings as headless
from django.conf import settings
from django.urls import reverse
from ninja import Router, Status
from ninja.decorators import decorate_view

from accounts.access import get_data_export_for_user, get_insured_for_user
from accounts.data_export import data_export_ask
from accounts.home import home_for, previous_login
from accounts.models import DataExport, TermsAcceptance
from accounts.terms import AcceptNewTermsForm, terms_accept, user_needs_new_terms
from accounts.views import data_export_response
from messaging.queries import unread_count

from . import account_schemas as schemas
from . import problems
from .core import ONE, SIGNED_IN, WRITE, api
from .idempotency import IdempotencyKey, idempotent

router = Router(tags=["Mon compte"])


class _Session:
    """What ``previous_login`` reads: the session of the app's token (allauth keeps the
    sign-in before this one there, as for the browser's)."""

    def __init__(self, request):
        token = request.headers.get("X-Session-Token", "")
        self.session = headless.TOKEN_STRATEGY.lookup_session(token) or {}


@router.get(
    "/accueil",
    response={200: schemas.Home, **SIGNED_IN},
    summary="« Mon espace » : ce qui a changé, ce que la caisse attend, le dernier état",
    description="Ce que montre la page d'accueil du compte : depuis la connexion précédente, "
    "les paiements et messages nouveaux ; les démarches où la caisse attend un complément ; "
    "les derniers paiements ; les documents prêts ; la carte Vitale ; les messages non lus.",
)
def home(request):
    insured = get_insured_for_user(request.user)
    summary = home_for(insured, previous_login(_Session(request)))
    summary.unread_messages = unread_count(insured.pk)
    return summary


def _terms(user) -> dict:
    return {
        "version_in_force": settings.TERMS_VERSION,
        "accepted_version": user.terms_version or "",
        "accepted_at": user.terms_accepted_at,
        "pending": user_needs_new_terms(user),
        "terms_url": reverse("public:terms"),
        "privacy_url": reverse("public:privacy"),
    }


@router.get(
    "/conditions",
    response={200: schemas.Terms, **SIGNED_IN},
    summary="Les conditions d'utilisation : la version en vigueur et celle acceptée",
    url_name="terms",
)
def terms(request):
    return _terms(request.user)


@router.post(
    "/conditions",
    response={200: schemas.Terms, **WRITE},
    summary="Accepter les conditions d'utilisation en vigueur",
    description=(
        "Quand les conditions ont changé depuis votre dernière acceptation, toute autre "
        "opération répond 403 (comme le site renvoie vers la page d'acceptation) jusqu'à ce "
        "que vous les acceptiez ici : les deux cases de la page, `accept_terms` et "
        "`accept_privacy`, à `true`. Déjà acceptées : rien ne change."
    ),
)
@decorate_view(idempotent(api))
def terms_accept_op(request, key: IdempotencyKey, accepted: schemas.TermsAccept):
    if user_needs_new_terms(request.user):
        form = AcceptNewTermsForm({k: "on" for k, v in accepted.dict().items() if v})
        if not form.is_valid():
            raise problems.form_refused(form)
        terms_accept(
            insured=request.user.insured, user=request.user, context=TermsAcceptance.Context.NEW_VERSION
        )
    return _terms(request.user)


@router.get(
    "/donnees",
    response={200: list[schemas.DataExport], **SIGNED_IN},
    summary="« Mes données » : mes archives, les plus récentes d'abord",
    description=f"Les 5 dernières, comme la page ; une archive se télécharge "
    f"{settings.DATA_EXPORT_DAYS} jours.",
)
def data_exports(request):
    get_insured_for_user(request.user)
    return list(DataExport.objects.filter(user=request.user)[:5])


@router.post(
    "/donnees",
    response={201: schemas.DataExport, 200: schemas.DataExport, **WRITE},
    summary="Préparer l'archive de mes données",
    description="Comme « Préparer mon archive » : une tâche la prépare (201) ; suivez son état "
    "par la liste, puis téléchargez-la (`download_url`). Une archive déjà en préparation est "
    "rendue (200) au lieu d'une nouvelle.",
)
@decorate_view(idempotent(api))
def data_export_request(request, key: IdempotencyKey):
    get_insured_for_user(request.user)
    export, created = data_export_ask(user=request.user)
    return Status(201 if created else 200, export)


@router.get(
    "/donnees/{uuid:export_id}/zip",
    summary="Télécharger l'archive de mes données",
    response={200: None, **ONE},
    url_name="data_export_zip",
    openapi_extra={
        "responses": {
            "200": {
                "description": "L'archive (ZIP : mes-donnees.json et LISEZMOI.txt)",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def data_export_download(request, export_id):
    return data_export_response(request.user, get_data_export_for_user(request.user, export_id))

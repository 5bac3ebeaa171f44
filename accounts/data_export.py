"""« Télécharger mes données » (RGPD article 15 and 20): what the portal holds about a person,
as JSON in a ZIP, built by a job, downloadable by its owner only, for a few days.

Each app contributes its own part from an ``export.py`` module with ``export(insured) -> dict``
(found through INSTALLED_APPS, as ``seed_demo`` finds each ``demo.py``): the export reads every
app without this app importing any of them.
"""

import io
import json
import zipfile
from datetime import timedelta
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ameli_portal.outbox import enqueue

from .models import DataExport, User
from .security import log_event

# Staff accounts that handled a record are the caisse's business, not the person's data;
# secrets and internal markers are never exported.
NEVER_EXPORTED = {
    "assigned_to",
    "assigned_to_id",
    "actor",
    "actor_id",
    "author",
    "author_id",
    "posted_by",
    "posted_by_id",
    "changed_by",
    "changed_by_id",
    "revoked_by",
    "revoked_by_id",
    "sent_by",
    "sent_by_id",
    "launched_by_id",
    "code_hash",
    "content_key",
    "password",
}


def rows(queryset: QuerySet, *exclude: str) -> list[dict]:
    """The rows of ``queryset`` as plain dicts, without staff links, secrets nor ``exclude``."""
    fields = [
        f.attname
        for f in queryset.model._meta.concrete_fields
        if f.attname not in NEVER_EXPORTED
        and f.name not in NEVER_EXPORTED
        and f.name not in exclude
        and f.attname not in exclude
    ]
    return list(queryset.values(*fields))


def export_person(insured) -> dict:
    """Every app's part, in the order of INSTALLED_APPS."""
    data = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.export"
        if find_spec(module_name) is None:
            continue
        data.update(import_module(module_name).export(insured))
    return data


def data_export_request(*, user: User) -> DataExport:
    """Ask for a new archive: the job builds it after commit."""
    with transaction.atomic():
        export = DataExport.objects.create(
            user=user, expires_at=timezone.now() + timedelta(days=settings.DATA_EXPORT_DAYS)
        )
        enqueue("accounts.data_export_build", export_id=export.pk)
    return export


def data_export_ask(*, user: User) -> tuple[DataExport, bool]:
    """« Préparer mon archive »: the archive already being prepared, if any (not a second
    one), else a new one; ``True`` when it is new."""
    pending = DataExport.objects.filter(user=user, status=DataExport.Status.PENDING).first()
    if pending is not None:
        return pending, False
    export = data_export_request(user=user)
    log_event("data_export_requested", user_id=user.pk)
    return export, True


def data_export_build(*, export_id: int) -> DataExport:
    export = DataExport.objects.select_related("user__insured").get(pk=export_id)
    if export.status == DataExport.Status.READY:
        return export
    insured = export.user.insured
    payload = {
        "format": "ameli_portal-export-1",
        "generated_at": timezone.now(),
        "caisse": settings.BRANDING["caisse_name"],
        "terms_version_in_force": settings.TERMS_VERSION,
        **export_person(insured),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "mes-donnees.json", json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
        archive.writestr("LISEZMOI.txt", README_TEXT.format(**settings.BRANDING))
    content = buffer.getvalue()
    export.file.save(f"{export.public_id}.zip", ContentFile(content), save=False)
    export.size = len(content)
    export.status = DataExport.Status.READY
    export.ready_at = timezone.now()
    export.save(update_fields=["file", "size", "status", "ready_at"])
    return export


def data_exports_purge() -> int:
    """Delete the archives past their date (files included); return how many."""
    count = 0
    for export in DataExport.objects.filter(expires_at__lte=timezone.now()):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        count += 1
    return count


README_TEXT = """Vos données personnelles – {portal_name}
{caisse_name}

Le fichier mes-donnees.json contient, dans un format lisible par une machine (JSON, UTF-8),
les données que ce portail détient à votre sujet : identité et coordonnées issues du
registre de la caisse, droits, ayants droit, exonérations, cartes Vitale, actes de soins et
remboursements, paiements, liste de vos documents, démarches et leur historique, messages,
sessions de connexion et acceptations des conditions d'utilisation.

Pour faire rectifier une donnée ou vous opposer à un traitement, écrivez-nous depuis
la messagerie de votre compte (thème « Mes données personnelles »), ou au délégué à la
protection des données : {dpo_email}.
"""

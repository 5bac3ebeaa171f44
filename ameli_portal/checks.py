"""System checks of the settings that name code: a dotted path that does not import fails
``manage.py check`` (and ``migrate``, hence the container's start), not the first upload."""

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register()
def attachment_scanner_check(app_configs=None, **kwargs):
    path = getattr(settings, "ATTACHMENT_SCANNER", None)
    if not path:
        return []
    try:
        scanner = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"ATTACHMENT_SCANNER : « {path} » ne s'importe pas ({exc}).",
                hint="Attendu le chemin pointé d'une fonction scanner(data: bytes, *, name: str) -> bool, "
                "par exemple « monpaquet.antivirus.scanner » ; vide : pas d'analyse.",
                id="ameli_portal.E001",
            )
        ]
    if not callable(scanner):
        return [
            Error(
                f"ATTACHMENT_SCANNER : « {path} » n'est pas une fonction.",
                hint="Attendu une fonction scanner(data: bytes, *, name: str) -> bool.",
                id="ameli_portal.E002",
            )
        ]
    return []

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "ameli_portal"
    verbose_name = "Infrastructure du portail"
    default = True

    def ready(self):
        from ameli_portal import checks  # noqa: F401 -- registers the system checks


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the portal's site, which audits every ModelAdmin registered on it."""

    default = False  # named in INSTALLED_APPS; "ameli_portal" itself is PortalConfig
    default_site = "ameli_portal.audit.PortalAdminSite"

    def ready(self):
        # The back office takes amounts the French way too: every model DecimalField of every
        # ModelAdmin and inline is a FrenchAmountField (a field a form declares keeps its own).
        # Set before autodiscovery, which instantiates the ModelAdmins (they copy this table).
        from django.contrib.admin import options
        from django.db import models

        from .forms import FrenchAmountField

        options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DecimalField] = {"form_class": FrenchAmountField}
        super().ready()

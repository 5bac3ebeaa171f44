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

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ameli_portal"
    verbose_name = "Infrastructure du portail"

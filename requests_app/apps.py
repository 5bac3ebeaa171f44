from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Démarches"

    def ready(self):
        from accounts.home import home_panel

        from .access import home_waiting

        home_panel(home_waiting)  # « Mon espace »: the démarches waiting for the person

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messagerie"

    def ready(self):
        from accounts.home import home_panel

        from .queries import home_messages

        home_panel(home_messages)  # « Mon espace »: the caisse's messages since the last visit
        from . import receivers  # noqa: F401

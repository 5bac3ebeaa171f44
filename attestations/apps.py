from django.apps import AppConfig


class AttestationsConfig(AppConfig):
    name = "attestations"
    verbose_name = "Attestations"

    def ready(self):
        from accounts.home import home_panel

        from .access import home_documents

        home_panel(home_documents)  # « Mon espace »: the documents ready
        # accounts must not import attestations: the mailroom calls this hook instead.
        from accounts.services import letters

        from . import services

        letters.register_letter_issuer(services.code_letter_issue)

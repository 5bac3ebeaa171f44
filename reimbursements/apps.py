from django.apps import AppConfig


class ReimbursementsConfig(AppConfig):
    name = "reimbursements"
    verbose_name = "Remboursements"

    def ready(self):
        from accounts.home import home_panel

        from .queries import home_payments

        home_panel(home_payments)  # « Mon espace »: the new and the last payments

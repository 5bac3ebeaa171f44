from django.apps import AppConfig


class ReimbursementsConfig(AppConfig):
    name = "reimbursements"
    verbose_name = "Remboursements"

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    # Once per migrate, after the last app's permissions exist (they are made per app).
    if sender.label == list(apps.get_app_configs())[-1].label:
        from .roles import roles_sync

        roles_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Registre et comptes"

    def ready(self):
        from django.contrib import admin

        from . import signals  # noqa: F401
        from .staff_login import login_code_view, login_view

        # The back office's sign-in is the register's (accounts/staff_login.py).
        admin.site.use_staff_login(login_view, login_code_view)
        from .home import install_login_receiver

        install_login_receiver()

        post_migrate.connect(_sync_roles, dispatch_uid="accounts.roles_sync")

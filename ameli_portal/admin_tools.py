"""Permission mixins shared by the back office's ModelAdmins and inlines.

Records written by the services (histories, audit, generated documents) are
read in the back office and changed, when at all, through its actions. These
mixins say so once; put them before ``admin.ModelAdmin`` (or an inline) in the
bases. ``obj=None`` on ``has_add_permission`` serves both a ModelAdmin (called
with the request alone) and an inline (called with the parent object).
"""


class NoAddDeleteAdminMixin:
    """Created by the services, never by hand; never deleted from the back office."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin(NoAddDeleteAdminMixin):
    """Staff read; nobody adds, changes or deletes."""

    def has_change_permission(self, request, obj=None):
        return False

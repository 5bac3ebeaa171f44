"""The project's URLs and its error handlers, plus views that fail on purpose."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from ameli_portal.urls import handler400, handler403, handler404, handler500  # noqa: F401
from ameli_portal.urls import urlpatterns as portal_patterns


def _raise(exception):
    @login_not_required
    def view(request):
        raise exception

    return view


@login_not_required
def _fail(request):
    raise RuntimeError("panne voulue par le test")


urlpatterns = [
    path("essai/400/", _raise(SuspiciousOperation("essai"))),
    path("essai/403/", _raise(PermissionDenied("essai"))),
    path("essai/500/", _fail),
    *portal_patterns,
]

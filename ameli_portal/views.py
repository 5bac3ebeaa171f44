"""Public pages (no login) and the demo mailbox (demo mode only)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .email_catalog import mail_frame_csp
from .glossary import GLOSSARY
from .health import readiness
from .legal import (
    ACCESSIBILITY_KNOWN_ISSUES,
    ACCESSIBILITY_STATEMENT_DATE,
    ACCESSIBILITY_STATUS,
    ACCESSIBILITY_TESTED,
    PURPOSES,
    retention,
)
from .models import DemoMessage


@login_not_required
def home(request):
    return render(request, "public/home.html")


@login_not_required
def help_page(request):
    return render(request, "public/help.html")


@login_not_required
def glossary(request):
    return render(request, "public/glossary.html", {"terms": GLOSSARY})


@login_not_required
def terms(request):
    return render(request, "public/terms.html", {"version": settings.TERMS_VERSION})


@login_not_required
def privacy(request):
    return render(
        request,
        "public/privacy.html",
        {
            "version": settings.TERMS_VERSION,
            "purposes": PURPOSES,
            "retention": retention(export_days=settings.DATA_EXPORT_DAYS),
        },
    )


@login_not_required
def legal(request):
    return render(request, "public/legal.html")


@login_not_required
def accessibility(request):
    return render(
        request,
        "public/accessibility.html",
        {
            "status": ACCESSIBILITY_STATUS,
            "declared_on": ACCESSIBILITY_STATEMENT_DATE,
            "tested": ACCESSIBILITY_TESTED,
            "known_issues": ACCESSIBILITY_KNOWN_ISSUES,
        },
    )


def _demo_only():
    if not settings.DEMO_MODE:
        raise Http404


@login_not_required
@never_cache
def demo_mailbox(request):
    _demo_only()
    messages = DemoMessage.objects.defer("pdf", "body_html", "body_text")[:200]
    return render(request, "public/demo_mailbox.html", {"mails": messages})


@login_not_required
@never_cache
def demo_message(request, message_id):
    _demo_only()
    message = get_object_or_404(DemoMessage.objects.defer("pdf"), pk=message_id)
    return render(request, "public/demo_message.html", {"mail": message})


@login_not_required
@never_cache
@xframe_options_sameorigin
@mail_frame_csp
def demo_message_html(request, message_id):
    """An email's HTML body on its own address, with a CSP of its own: emails carry
    inline styles (mail clients need them) that the portal's CSP rightly refuses."""
    _demo_only()
    message = get_object_or_404(DemoMessage.objects.only("body_html"), pk=message_id)
    return HttpResponse(message.body_html, content_type="text/html; charset=utf-8")


@login_not_required
@never_cache
def demo_letter_pdf(request, message_id):
    _demo_only()
    message = get_object_or_404(DemoMessage, pk=message_id, kind=DemoMessage.Kind.LETTER)
    response = HttpResponse(bytes(message.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="courrier-{message.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@never_cache
def healthz(request):
    """Liveness: the process answers. No database, no Redis: a restart would not fix them."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
def readyz(request):
    """Readiness: database, Redis, a worker's heartbeat, the outbox's oldest waiting job.

    503 when any check fails; the figures are counts and ages, never a person or a job.
    """
    result = readiness()
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)

"""The back office's preview of every email template, with sample data (no real person).

Every template ``email_catalog`` finds is listed, the auth library's included; each opens
with its subject, its text and its HTML part (on an address of its own, with the CSP of
an email: inline styles, nothing else). Staff with ``ameli_portal.preview_emails`` only.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .email_catalog import email_template, email_templates, mail_frame_csp, render_email

PERMISSION = "ameli_portal.preview_emails"
FAMILIES = {"portal": "Courriels du portail", "allauth": "Courriels de connexion et de sécurité"}


def _allowed(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _template_or_404(key: str):
    template = email_template(key)
    if template is None:
        raise Http404("Aucun modèle de courriel de ce nom.")
    return template


def preview_urls(site) -> list:
    def index(request):
        _allowed(request)
        groups = {label: [] for label in FAMILIES.values()}
        for template in email_templates():
            groups[FAMILIES[template.family]].append((template, render_email(template).subject))
        return TemplateResponse(
            request,
            "admin/email_preview/index.html",
            {**site.each_context(request), "title": "Modèles de courriels", "groups": groups},
        )

    def detail(request, key):
        _allowed(request)
        template = _template_or_404(key)
        return TemplateResponse(
            request,
            "admin/email_preview/detail.html",
            {
                **site.each_context(request),
                "title": f"Modèle « {template.label} »",
                "template": template,
                "mail": render_email(template),
            },
        )

    @never_cache
    @xframe_options_sameorigin
    @mail_frame_csp
    def html(request, key):
        _allowed(request)
        mail = render_email(_template_or_404(key))
        return HttpResponse(mail.html, content_type="text/html; charset=utf-8")

    wrap = site.admin_view
    return [
        path("courriels/", wrap(index), name="email_previews"),
        path("courriels/<slug:key>/", wrap(detail), name="email_preview"),
        path("courriels/<slug:key>/contenu.html", wrap(html), name="email_preview_html"),
    ]


def index_entry(request) -> dict | None:
    """The admin index's line for the preview, for staff who may open it."""
    if not request.user.has_perm(PERMISSION):
        return None
    return {
        "name": "Modèles de courriels (aperçu)",
        "object_name": "EmailPreview",
        "admin_url": reverse("admin:email_previews"),
        "view_only": True,
        "perms": {"view": True},
        "add_url": None,
        "model": None,
    }

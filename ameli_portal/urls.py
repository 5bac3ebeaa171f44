from django.contrib import admin
from django.urls import include, path

from . import views

# The French error pages (DEBUG off); the 405 is a middleware's (ameli_portal.errors).
handler400 = "ameli_portal.errors.bad_request"
handler403 = "ameli_portal.errors.permission_denied"
handler404 = "ameli_portal.errors.page_not_found"
handler500 = "ameli_portal.errors.server_error"

public_patterns = (
    [
        path("", views.home, name="home"),
        path("aide/", views.help_page, name="help"),
        path("glossaire/", views.glossary, name="glossary"),
        path("conditions-d-utilisation/", views.terms, name="terms"),
        path("donnees-personnelles/", views.privacy, name="privacy"),
        path("mentions-legales/", views.legal, name="legal"),
        path("accessibilite/", views.accessibility, name="accessibility"),
        # The contact page and its form belong to messaging (the form lands in its queue).
        path("", include("messaging.contact_urls")),
        path("demo/boite-aux-lettres/", views.demo_mailbox, name="demo_mailbox"),
        path("demo/boite-aux-lettres/<uuid:message_id>/", views.demo_message, name="demo_message"),
        path(
            "demo/boite-aux-lettres/<uuid:message_id>/contenu.html",
            views.demo_message_html,
            name="demo_message_html",
        ),
        path(
            "demo/boite-aux-lettres/<uuid:message_id>/courrier.pdf",
            views.demo_letter_pdf,
            name="demo_letter_pdf",
        ),
    ],
    "public",
)

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("", include(public_patterns)),
    path("compte/", include("allauth.urls")),
    path("mon-espace/", include("accounts.urls")),
    path("remboursements/", include("reimbursements.urls")),
    path("attestations/", include("attestations.urls")),
    path("demarches/", include("requests_app.urls")),
    path("messagerie/", include("messaging.urls")),
    path("back-office/", admin.site.urls),
    path("api/auth/", include("allauth.headless.urls")),
    path("api/v1/", include("api.urls", namespace="api-v1")),
]

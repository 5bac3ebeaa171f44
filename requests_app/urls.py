from django.urls import path

from . import views

app_name = "requests_app"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("nouvelle/", views.request_new, name="new"),
    path("nouvelle/<slug:kind>/", views.request_create, name="create"),
    path("<uuid:public_id>/", views.request_detail, name="detail"),
    path("pieces/<uuid:public_id>/", views.attachment_download, name="attachment"),
    path("carte-vitale-sans-compte/", views.public_vitale, name="public_vitale"),
    path(
        "carte-vitale-sans-compte/confirmer/<uuid:public_id>/",
        views.public_vitale_confirm,
        name="public_vitale_confirm",
    ),
]

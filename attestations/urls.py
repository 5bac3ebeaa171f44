from django.urls import path

from . import views

app_name = "attestations"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("demander/", views.document_request_view, name="request"),
    path("demander-releve/", views.statement_request_view, name="request_statement"),
    path("demander-ij/", views.allowance_request_view, name="request_allowances"),
    path("demander-releve-fiscal/", views.tax_request_view, name="request_tax"),
    path("demander-vaccination/", views.vaccination_request_view, name="request_vaccination"),
    path("<uuid:public_id>/etat/", views.document_status, name="status"),
    path("<uuid:public_id>/telecharger/", views.document_download, name="download"),
    path("<uuid:public_id>/reessayer/", views.document_retry_view, name="retry"),
    path("verifier/", views.verify, name="verify"),
]

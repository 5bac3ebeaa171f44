from django.urls import path

from . import views

app_name = "reimbursements"

urlpatterns = [
    path("simulateur/", views.simulator, name="simulator"),
    path("paiements/", views.payments, name="payments"),
    path("paiements/export.csv", views.payments_csv, name="payments_csv"),
    path("paiements/<uuid:public_id>/", views.payment_detail, name="payment_detail"),
]

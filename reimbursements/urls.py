from django.urls import path

from . import views

app_name = "reimbursements"

urlpatterns = [
    path("simulateur/", views.simulator, name="simulator"),
]

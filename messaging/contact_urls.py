"""The public contact page, included by the project's URLconf among the public pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("contact/envoye/", views.contact_sent, name="contact_sent"),
]

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("informations/", views.profile, name="profile"),
    path("carte-vitale/", views.vitale_card, name="vitale_card"),
    path("conditions/", views.accept_terms, name="accept_terms"),
    path("mes-donnees/", views.my_data, name="my_data"),
    path("mes-donnees/preparer/", views.my_data_request, name="my_data_request"),
    path("mes-donnees/<uuid:public_id>/", views.my_data_download, name="my_data_download"),
    path("creation/", views.signup_identity, name="signup_identity"),
    path("creation/verification/", views.signup_proof, name="signup_proof"),
    path("creation/courrier/", views.signup_request_letter, name="signup_request_letter"),
    path("creation/code/", views.signup_code, name="signup_code"),
]

from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("nouveau/", views.thread_new, name="new"),
    path("<uuid:public_id>/", views.thread_detail, name="thread"),
    path("<uuid:public_id>/repondre/", views.thread_reply, name="reply"),
]

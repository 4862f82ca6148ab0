from django.urls import path

from helpdesk.csat import views

app_name = "csat"

urlpatterns = [
    path("<str:token>/", views.answer, name="answer"),
    path("<str:token>/comment/", views.comment, name="comment"),
]

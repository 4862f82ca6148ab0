from django.urls import path

from helpdesk.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_page, name="report"),
    path("digest/", views.digest_toggle, name="digest"),
]

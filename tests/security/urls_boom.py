from django.urls import include, path


def boom(request):
    raise RuntimeError("DATABASE_URL=postgres://user:hunter2@db/helpdesk")


urlpatterns = [path("boom/", boom), path("", include("helpdesk.urls"))]

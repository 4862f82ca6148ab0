from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from helpdesk.accounts import auth as accounts_auth
from helpdesk.demo_shop import demo_shop
from helpdesk.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox:ticket_list", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("demo/shop/", demo_shop, name="demo_shop"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", accounts_auth.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        accounts_auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("inbox/", include("helpdesk.inbox.urls")),
    path("orders/", include("orders_link.urls")),
    path("reports/", include("helpdesk.reports.urls")),
    path("help/", include("knowledge_base.urls")),
    path("", include("knowledge_base.workspace_urls")),
    path("csat/", include("helpdesk.csat.urls")),
    path("settings/bot/", include("chatbot.settings_urls")),
    path("settings/", include("helpdesk.workspace_settings.urls")),
    path("email/", include("channels_in.email.urls")),
    path("", include("channels_in.urls")),
]

from django.urls import path

from helpdesk.workspace_settings import views

app_name = "workspace_settings"

urlpatterns = [
    path("", views.index, name="index"),
    path("sla/", views.sla, name="sla"),
    path("sla/policies/new/", views.policy_edit, name="policy_new"),
    path("sla/policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("sla/calendars/new/", views.calendar_edit, name="calendar_new"),
    path("sla/calendars/<int:pk>/", views.calendar_edit, name="calendar_edit"),
    path("canned/", views.canned, name="canned"),
    path("canned/new/", views.canned_edit, name="canned_new"),
    path("canned/<int:pk>/", views.canned_edit, name="canned_edit"),
    path("canned/<int:pk>/delete/", views.canned_delete, name="canned_delete"),
    path("agents/", views.agents, name="agents"),
    path("agents/invite/", views.agent_invite_view, name="agent_invite"),
    path("agents/<int:pk>/", views.agent_edit, name="agent_edit"),
    path("inboxes/", views.inboxes, name="inboxes"),
    path("teams/new/", views.team_edit, name="team_new"),
    path("teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("inboxes/new/", views.inbox_new, name="inbox_new"),
    path("inboxes/new/<str:kind>/", views.inbox_edit, name="inbox_new_kind"),
    path("inboxes/<int:pk>/", views.inbox_edit, name="inbox_edit"),
    path("welcome/<uidb64>/<token>/", views.welcome, name="welcome"),
]

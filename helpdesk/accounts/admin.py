from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.accounts.models import AgentProfile, Team
from helpdesk.accounts.services import login_unlock


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False
    filter_horizontal = ["teams"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AgentUserAdmin(UserAdmin):
    inlines = [AgentProfileInline]
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "role")
    actions = ["unlock_login"]

    @admin.action(description=_("Unlock log-in (forget failed attempts)"))
    def unlock_login(self, request, queryset) -> None:
        names = list(queryset.values_list("username", flat=True))
        for name in names:
            login_unlock(username=name)
        self.message_user(
            request,
            ngettext(
                "%(count)d user may log in again.", "%(count)d users may log in again.", len(names)
            )
            % {"count": len(names)},
            messages.SUCCESS,
        )

    @admin.display(description="role")
    def role(self, obj) -> str:
        profile = getattr(obj, "agent_profile", None)
        return profile.get_role_display() if profile else "—"

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from helpdesk.accounts.models import AgentProfile, Team


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

    @admin.display(description="role")
    def role(self, obj) -> str:
        profile = getattr(obj, "agent_profile", None)
        return profile.get_role_display() if profile else "—"

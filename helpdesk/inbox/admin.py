from django.contrib import admin

from helpdesk.inbox.models import CannedResponse, SavedView


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "language"]
    list_filter = ["team", "language"]
    search_fields = ["name", "text"]


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "shared"]

from django.contrib import admin

from helpdesk.sla.models import BusinessCalendar, Holiday, OpeningPeriod, SlaPolicy


class OpeningPeriodInline(admin.TabularInline):
    model = OpeningPeriod
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    inlines = [OpeningPeriodInline, HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "position",
        "active",
        "priority",
        "channel",
        "first_response_minutes",
        "resolution_minutes",
        "calendar",
    ]
    list_editable = ["position", "active"]

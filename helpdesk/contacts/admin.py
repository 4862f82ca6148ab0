from django.contrib import admin

from helpdesk.contacts.models import Contact, ContactIdentity


class ContactIdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0
    fields = ["kind", "address", "display_name", "verified", "opted_out_at", "bounced_at"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "language", "created_at"]
    search_fields = ["name", "identities__address"]
    list_filter = ["language"]
    inlines = [ContactIdentityInline]
    raw_id_fields = ["merged_into"]


@admin.register(ContactIdentity)
class ContactIdentityAdmin(admin.ModelAdmin):
    list_display = ["address", "kind", "contact", "verified", "opted_out_at"]
    list_filter = ["kind", "verified"]
    search_fields = ["address", "display_name"]
    raw_id_fields = ["contact"]

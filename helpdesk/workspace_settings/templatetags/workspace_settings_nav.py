from django import template

from helpdesk.workspace_settings.sections import Section, registered_sections

register = template.Library()


@register.simple_tag
def feature_sections() -> list[Section]:
    """The sections optional features registered (``workspace_settings.sections``)."""
    return registered_sections()

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("A deactivated team is offered nowhere; its tickets and members stay."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """What makes a Django user a member of the support staff."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(
        Team, blank=True, related_name="members", verbose_name=_("teams")
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    # Blank: the workspace's TIME_ZONE. Dates in the workspace are shown in this zone.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    available = models.BooleanField(_("available for assignment"), default=True)
    max_open_tickets = models.PositiveIntegerField(_("maximum open tickets"), default=25)
    # Round-robin assignment picks the available agent who waited longest for a ticket.
    last_assigned_at = models.DateTimeField(_("last assigned a ticket"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_full_name() or self.user.get_username()

    @property
    def is_manager(self) -> bool:
        return self.role in {Role.MANAGER, Role.ADMIN}

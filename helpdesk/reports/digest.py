"""The weekly digest: last week's figures by email, every Monday, to managers who opted in."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from helpdesk.reports.models import DigestSubscription
from helpdesk.reports.selectors.filters import ReportFilter
from helpdesk.reports.selectors.metrics import report_build
from helpdesk.reports.tables import display, report_tables
from helpdesk.tickets.selectors import sees_everything

SEND_FROM_HOUR = 7  # local time on Monday


def last_week(now: datetime) -> ReportFilter:
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    return ReportFilter(start=monday - timedelta(days=7), end=monday - timedelta(days=1))


def digests_send(*, now: datetime | None = None, force: bool = False) -> int:
    """Send the digest to each subscriber who has not had this week's; on Mondays from 07:00
    in the shop's time zone, or at once with ``force``. Returns how many were sent."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    week_start = timezone.make_aware(
        datetime.combine(local.date() - timedelta(days=local.weekday()), time(0))
    )
    if not force and (local.weekday() != 0 or local.hour < SEND_FROM_HOUR):
        return 0
    filters = last_week(now)
    sent = 0
    subscriptions = DigestSubscription.objects.select_related("user__agent_profile").filter(
        user__is_active=True
    )
    report = None
    for subscription in subscriptions:
        user = subscription.user
        if not user.email or not sees_everything(user):
            continue
        if not force and subscription.last_sent_at and subscription.last_sent_at >= week_start:
            continue
        report = report or report_build(filters=filters, now=now)
        profile = getattr(user, "agent_profile", None)
        with translation.override(profile.language if profile else settings.LANGUAGE_CODE):
            tables = report_tables(report)
            context = {
                "report": report,
                "tables": [
                    {
                        "title": tables[n].title,
                        "header": tables[n].header,
                        "rows": [[display(v) for v in row] for row in tables[n].rows],
                    }
                    for n in ("times", "quality", "volume_channel", "commerce")
                ],
                "url": settings.PUBLIC_URL
                + reverse("reports:report")
                + f"?start={filters.start.isoformat()}&end={filters.end.isoformat()}",
            }
            subject = render_to_string("reports/digest_subject.txt", context).strip()
            body = render_to_string("reports/digest.txt", context)
        with transaction.atomic():
            locked = DigestSubscription.objects.select_for_update().get(pk=subscription.pk)
            if not force and locked.last_sent_at and locked.last_sent_at >= week_start:
                continue
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            locked.last_sent_at = now
            locked.save(update_fields=["last_sent_at"])
        sent += 1
    return sent

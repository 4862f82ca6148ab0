from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.reports.export import ticket_csv
from helpdesk.reports.forms import ReportFilterForm
from helpdesk.reports.models import DigestSubscription
from helpdesk.reports.selectors.metrics import report_build
from helpdesk.reports.tables import (
    TABLE_NAMES,
    TICKETS_TABLE,
    channel_label,
    csv_lines,
    display,
    report_tables,
)
from helpdesk.tickets.selectors import sees_everything


def manager_required(view):
    """Managers and administrators; agents get 403."""

    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sees_everything(request.user):
            raise PermissionDenied(_("Reports are for managers."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _user_id(request: HttpRequest) -> int:
    user_id = request.user.pk
    assert user_id is not None  # manager_required: signed in
    return int(user_id)


def _form(request: HttpRequest) -> ReportFilterForm:
    data = request.GET.copy()
    start, end = ReportFilterForm.default_range(timezone.localdate())
    data.setdefault("start", start.isoformat())
    data.setdefault("end", end.isoformat())
    return ReportFilterForm(data)


def _csv_response(name: str, rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@require_GET
@manager_required
def report_page(request: HttpRequest) -> HttpResponseBase:
    form = _form(request)
    wants_csv = request.GET.get("format") == "csv"
    if not form.is_valid():
        status = 400
        if wants_csv:
            return HttpResponse(
                " ".join(str(e) for errors in form.errors.values() for e in errors),
                status=status,
                content_type="text/plain; charset=utf-8",
            )
        return render(request, "reports/report.html", {"form": form}, status=status)
    filters = form.report_filter()
    if wants_csv:
        table_name = request.GET.get("table", "")
        if table_name not in TABLE_NAMES:
            return HttpResponse(
                _("Unknown table; choose one of: %(names)s") % {"names": ", ".join(TABLE_NAMES)},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        if table_name == TICKETS_TABLE:
            response = StreamingHttpResponse(
                ticket_csv(filters), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{TICKETS_TABLE}.csv"'
            return response
        report = report_build(filters=filters, now=timezone.now())
        table = report_tables(report)[table_name]
        return _csv_response(table_name, [table.header, *table.rows])
    report = report_build(filters=filters, now=timezone.now())
    tables = report_tables(report)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    charts = {
        "volume_day": {
            "labels": [row[0] for row in tables["volume_day"].rows],
            "series": [
                {"label": label, "data": [row[i + 1] for row in tables["volume_day"].rows]}
                for i, label in enumerate(tables["volume_day"].header[1:])
            ],
        },
        "volume_channel": {
            "labels": [row[0] for row in tables["volume_channel"].rows],
            "series": [
                {
                    "label": _("Tickets"),
                    "data": [row[1] for row in tables["volume_channel"].rows],
                }
            ],
        },
    }
    subscribed = DigestSubscription.objects.filter(user_id=_user_id(request)).exists()
    return render(
        request,
        "reports/report.html",
        {
            "form": form,
            "report": report,
            "tables": {
                name: {
                    "title": t.title,
                    "header": t.header,
                    "rows": [[display(v) for v in row] for row in t.rows],
                    "csv": f"?{query.urlencode()}&format=csv&table={name}",
                }
                for name, t in tables.items()
            },
            "tickets_csv": f"?{query.urlencode()}&format=csv&table={TICKETS_TABLE}",
            "charts": charts,
            "subscribed": subscribed,
            "channel_label": channel_label,
        },
    )


@require_POST
@manager_required
def digest_toggle(request: HttpRequest) -> HttpResponse:
    from django.shortcuts import redirect

    if request.POST.get("subscribe") == "1":
        DigestSubscription.objects.get_or_create(user_id=_user_id(request))
    else:
        DigestSubscription.objects.filter(user_id=_user_id(request)).delete()
    return redirect("reports:report")

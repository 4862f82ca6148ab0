from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from channels_in.base import InboundMessage, Sender
from helpdesk.tickets.models import DeliveryState, Message, Priority, Ticket, TicketStatus
from helpdesk.tickets.services import message_receive, outbound_requeue_stale
from orders_link.delays import delay_notice_send, delay_notices_send, shipments_delay_scan
from orders_link.models import DelayNotice, NoticeState, OrderStatus
from orders_link.selectors import shipment_delays
from tests.factories import InboxFactory, TicketFactory
from tests.orders_link.factories import NOW, TODAY, customer, shipment

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.ORDERS_TRANSIT_MIN_SAMPLES = 5
    settings.ORDERS_NO_SCAN_HOURS = 72
    settings.ORDERS_QUIET_HOURS = "21:00-08:00"


def learnt_route(carrier: str, days: float, count: int = 5, postcode: str = "75001"):
    for _ in range(count):
        shipment(
            carrier=carrier,
            status="delivered",
            shipped_at=NOW - dt.timedelta(days=20),
            delivered_at=NOW - dt.timedelta(days=20) + dt.timedelta(days=days),
            destination_postcode=postcode,
        )


def kinds(now=NOW) -> dict[int, tuple[str, dt.date, dt.date | None]]:
    return {
        d.shipment_id: (d.kind, d.promised_date, d.new_estimate) for d in shipment_delays(now=now)
    }


def test_each_kind_of_delay_is_found_and_on_time_parcels_are_not():
    learnt_route("Slowpost", days=5)
    learnt_route("Fastpost", days=1)
    reported = shipment(status="exception")
    failed = shipment(status="failed_attempt", estimated_delivery=TODAY + 4 * DAY)
    overdue = shipment(promised_date=TODAY - DAY)
    eta = shipment(estimated_delivery=TODAY + 5 * DAY)
    silent = shipment(last_scan_at=NOW - 4 * DAY, shipped_at=NOW - 5 * DAY)
    predicted = shipment(carrier="Slowpost", shipped_at=NOW - dt.timedelta(hours=2))
    on_time = shipment(carrier="Fastpost", shipped_at=NOW - dt.timedelta(hours=2))
    on_time_eta = shipment(estimated_delivery=TODAY + DAY)
    delivered_late = shipment(status="delivered", promised_date=TODAY - 3 * DAY)
    cancelled = shipment(promised_date=TODAY - DAY)
    cancelled.order.status = OrderStatus.CANCELLED
    cancelled.order.save()

    found = kinds()
    assert found[reported.pk] == ("reported", TODAY + 2 * DAY, None)
    assert found[failed.pk] == ("reported", TODAY + 2 * DAY, TODAY + 4 * DAY)
    assert found[overdue.pk] == ("overdue", TODAY - DAY, None)
    assert found[eta.pk] == ("carrier_eta", TODAY + 2 * DAY, TODAY + 5 * DAY)
    assert found[silent.pk][0] == "no_scan"
    kind, promised, estimate = found[predicted.pk]
    assert (kind, promised) == ("transit_stats", TODAY + 2 * DAY)
    assert estimate == dt.date(2026, 3, 15)  # shipped on the 10th + 5 days usual transit
    for shipment_ in (on_time, on_time_eta, delivered_late, cancelled):
        assert shipment_.pk not in found


def test_a_route_with_too_few_deliveries_predicts_nothing(settings):
    learnt_route("Slowpost", days=5, count=4)
    predicted = shipment(carrier="Slowpost", shipped_at=NOW - dt.timedelta(hours=2))
    assert predicted.pk not in kinds()
    settings.ORDERS_TRANSIT_MIN_SAMPLES = 4
    assert kinds()[predicted.pk][0] == "transit_stats"


def test_the_route_falls_back_to_the_country_when_the_postcode_prefix_is_unknown():
    learnt_route("Slowpost", days=5, postcode="13001")
    elsewhere = shipment(carrier="Slowpost", shipped_at=NOW, destination_postcode="69003")
    assert kinds()[elsewhere.pk][0] == "transit_stats"


@pytest.fixture
def email_channel(db):
    return InboxFactory(kind="email", name="Support email")


def test_dry_run_reports_and_changes_nothing(email_channel):
    shipment(customer(email="a@example.test"), promised_date=TODAY - DAY)
    out = StringIO()
    call_command("detect_delays", "--dry-run", f"--now={NOW.isoformat()}", stdout=out)
    assert "Promised date passed: 1 late" in out.getvalue()
    assert "Promised date passed: 1 late, 1 new notices" in out.getvalue()
    assert "Dry run: 1 delayed shipments; a real run would queue 1 new notices" in out.getvalue()
    assert not DelayNotice.objects.exists()


def test_dry_run_reports_exactly_what_the_real_run_then_does(
    email_channel, django_capture_on_commit_callbacks
):
    for i in range(5):
        shipment(customer(email=f"late{i}@example.test"), promised_date=TODAY - DAY)
    for i in range(3):
        shipment(customer(email=f"lost{i}@example.test"), status="exception")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("detect_delays", f"--now={(NOW - DAY).isoformat()}", stdout=StringIO())
    notified_before = DelayNotice.objects.count()
    assert notified_before > 0
    for i in range(4):
        shipment(customer(email=f"new{i}@example.test"), promised_date=TODAY - DAY)

    dry = StringIO()
    call_command("detect_delays", "--dry-run", f"--now={NOW.isoformat()}", stdout=dry)
    assert DelayNotice.objects.count() == notified_before
    real = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("detect_delays", f"--now={NOW.isoformat()}", stdout=real)

    created = DelayNotice.objects.count() - notified_before
    assert 0 < created < 12
    assert f"a real run would queue {created} new notices" in dry.getvalue()
    assert f"{created} new notices queued" in real.getvalue()
    per_kind = [line.split(",")[1] for line in dry.getvalue().splitlines() if " late, " in line]
    assert per_kind == [
        line.split(",")[1] for line in real.getvalue().splitlines() if " late, " in line
    ]


def test_bad_now_is_refused():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not an ISO-8601"):
        call_command("detect_delays", "--now=tomorrow")


def test_the_command_queues_sends_and_never_repeats(
    email_channel, django_capture_on_commit_callbacks
):
    parcel = shipment(customer(email="a@example.test"), promised_date=TODAY - DAY)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("detect_delays", f"--now={NOW.isoformat()}", stdout=out)
    assert "1 delayed shipments; 1 new notices queued" in out.getvalue()
    notice = DelayNotice.objects.get()
    assert notice.state == NoticeState.QUEUED
    assert notice.channel == "email"
    assert notice.message.delivery_state == DeliveryState.OUTBOX  # no SMTP host configured here
    assert notice.ticket.order == parcel.order
    assert notice.ticket.inbox == email_channel

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "detect_delays", f"--now={(NOW + dt.timedelta(hours=1)).isoformat()}", stdout=out
        )
    assert "1 delayed shipments; 0 new notices queued" in out.getvalue()
    assert DelayNotice.objects.count() == 1
    assert Message.objects.filter(metadata__delay_notice__isnull=False).count() == 1


def scan_and_send(now=NOW):
    result = shipments_delay_scan(now=now)
    delay_notices_send(notice_ids=result.notice_ids)
    return result


def test_a_slipped_date_gives_exactly_one_new_notice(email_channel):
    parcel = shipment(customer(email="a@example.test"), estimated_delivery=TODAY + 4 * DAY)
    assert scan_and_send().created_total == 1
    assert scan_and_send().created_total == 0
    parcel.refresh_from_db()
    assert parcel.notified_date == TODAY + 4 * DAY
    # The carrier's date slips again: one new notice, measured against the date we gave.
    parcel.estimated_delivery = TODAY + 6 * DAY
    parcel.save()
    assert scan_and_send().created_total == 1
    assert scan_and_send().created_total == 0
    notices = list(
        DelayNotice.objects.order_by("pk").values_list("kind", "promised_date", "new_estimate")
    )
    assert notices == [
        ("carrier_eta", TODAY + 2 * DAY, TODAY + 4 * DAY),
        ("carrier_eta", TODAY + 4 * DAY, TODAY + 6 * DAY),
    ]
    # Both notices went into the same ticket.
    assert DelayNotice.objects.values("ticket").distinct().count() == 1
    # And the new date passing unmet is one more notice.
    assert scan_and_send(now=NOW + 7 * DAY).created.get("overdue") == 1


def test_the_notice_speaks_the_customers_language_with_estimate_and_link(email_channel):
    contact = customer(language="fr", email="fr@example.test")
    shipment(contact, estimated_delivery=dt.date(2026, 3, 14), tracking_number="6A777")
    scan_and_send()
    message = DelayNotice.objects.get().message
    assert "risque d'arriver après le 12 mars 2026" in message.text
    assert "La nouvelle date de livraison estimée est le 14 mars 2026." in message.text
    assert "Numéro de suivi : 6A777" in message.text
    assert "https://track.example/parcel" in message.text
    assert message.ticket.subject.startswith("Votre commande #")
    assert message.author_type == "system"

    english = customer(language="en", email="en@example.test")
    shipment(english, promised_date=TODAY - DAY)
    scan_and_send()
    text = DelayNotice.objects.get(shipment__order__contact=english).message.text
    assert "did not arrive by 9 March 2026 as we promised" in text
    assert "We do not have a new delivery date yet" in text


def test_the_notice_ticket_gets_a_higher_priority(email_channel, settings):
    shipment(customer(email="a@example.test"), status="delayed")
    scan_and_send()
    assert DelayNotice.objects.get().ticket.priority == Priority.HIGH


def test_the_orders_open_ticket_carries_the_notice(email_channel):
    contact = customer(email="a@example.test")
    parcel = shipment(contact, status="exception")
    existing = TicketFactory(
        contact=contact, inbox=email_channel, order=parcel.order, status=TicketStatus.OPEN
    )
    scan_and_send()
    assert DelayNotice.objects.get().ticket == existing
    assert Ticket.objects.count() == 1


@pytest.fixture
def channels(db):
    return {
        "sms": InboxFactory(kind="sms", name="SMS", config={}),
        "whatsapp": InboxFactory(kind="whatsapp", name="WhatsApp", config={}),
        "telegram": InboxFactory(kind="telegram", name="Telegram", config={}),
        "email": InboxFactory(kind="email", name="Email"),
    }


def test_the_channel_the_customer_last_wrote_on_is_used_and_the_answer_joins_the_ticket(channels):
    contact = customer(email="a@example.test", phone="+33600000001", telegram="4242")
    shipment(contact, promised_date=TODAY - DAY)
    message_receive(
        inbound=InboundMessage(
            inbox_id=channels["sms"].pk,
            sender=Sender(kind="phone", address="+33600000001"),
            text="Bonjour, une question sur la taille",
            external_id="SM-old",
        )
    )
    old_ticket = Ticket.objects.get()  # linked to the order, then solved long ago
    old_ticket.status = TicketStatus.SOLVED
    old_ticket.save()
    Ticket.objects.filter(pk=old_ticket.pk).update(last_message_at=NOW - 30 * DAY)

    scan_and_send()
    notice = DelayNotice.objects.get()
    assert notice.channel == "phone"
    assert notice.ticket.inbox == channels["sms"]
    assert notice.ticket != old_ticket
    assert notice.message.identity.address == "+33600000001"

    answer = message_receive(
        inbound=InboundMessage(
            inbox_id=channels["sms"].pk,
            sender=Sender(kind="phone", address="+33600000001"),
            text="Where is it?",
            external_id="SM-answer",
        )
    )
    assert answer.outcome == "threaded"
    assert answer.ticket == notice.ticket


def test_channels_fall_back_past_opt_outs_bounces_and_missing_inboxes(channels):
    from helpdesk.contacts.models import ContactIdentity

    contact = customer(
        telegram="99", whatsapp="+33600000002", phone="+33600000003", email="b@example.test"
    )
    ContactIdentity.objects.filter(contact=contact, kind="telegram").update(bounced_at=NOW)
    ContactIdentity.objects.filter(contact=contact, kind="whatsapp").update(opted_out_at=NOW)
    shipment(contact, status="exception")
    scan_and_send()
    assert DelayNotice.objects.get().channel == "phone"

    channels["sms"].enabled = False
    channels["sms"].save()
    other = customer(whatsapp="+33600000004", phone="+33600000005", email="c@example.test")
    from helpdesk.contacts.models import ContactIdentity as CI

    CI.objects.filter(contact=other, kind="whatsapp").update(opted_out_at=NOW)
    shipment(other, status="exception")
    scan_and_send()
    assert DelayNotice.objects.get(shipment__order__contact=other).channel == "email"


def test_a_customer_who_opted_out_everywhere_is_not_messaged(channels):
    from helpdesk.contacts.models import ContactIdentity

    contact = customer(phone="+33600000006", email="d@example.test")
    ContactIdentity.objects.filter(contact=contact).update(opted_out_at=NOW)
    shipment(contact, status="exception")
    scan_and_send()
    notice = DelayNotice.objects.get()
    assert notice.state == NoticeState.UNREACHABLE
    assert notice.ticket is None
    assert not Message.objects.exists()


def test_no_sms_at_night_the_notice_waits_for_morning(channels):
    night = dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC)  # 23:30 in Paris
    contact = customer(phone="+33600000007", time_zone="Europe/Paris")
    shipment(contact, status="exception")
    result = shipments_delay_scan(now=night)
    delay_notice_send(notice_id=result.notice_ids[0], now=night)
    notice = DelayNotice.objects.get()
    morning = dt.datetime(2026, 3, 11, 7, 0, tzinfo=dt.UTC)  # 08:00 in Paris
    assert notice.state == NoticeState.HELD
    assert notice.send_after == morning
    assert notice.message.delivery_state == DeliveryState.QUEUED
    assert notice.message.next_attempt_at == morning
    assert outbound_requeue_stale(now=night + dt.timedelta(hours=1))["requeued"] == 0
    assert outbound_requeue_stale(now=morning)["requeued"] == 1


def test_quiet_hours_follow_the_customers_time_zone_and_spare_email(channels):
    evening_utc = dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC)  # 18:30 in New York
    american = customer(phone="+12125550100", time_zone="America/New_York")
    shipment(american, status="exception")
    by_mail = customer(email="night@example.test", time_zone="Europe/Paris")
    shipment(by_mail, status="exception")
    result = shipments_delay_scan(now=evening_utc)
    for pk in result.notice_ids:
        delay_notice_send(notice_id=pk, now=evening_utc)
    assert DelayNotice.objects.get(shipment__order__contact=american).state == NoticeState.QUEUED
    assert DelayNotice.objects.get(shipment__order__contact=by_mail).state == NoticeState.QUEUED


def test_a_notice_is_sent_once_even_if_its_task_runs_twice(email_channel):
    shipment(customer(email="a@example.test"), status="exception")
    result = shipments_delay_scan(now=NOW)
    delay_notices_send(notice_ids=result.notice_ids)
    delay_notices_send(notice_ids=result.notice_ids)
    assert Message.objects.filter(metadata__delay_notice__isnull=False).count() == 1


def test_a_parcel_delivered_before_sending_is_not_notified(email_channel):
    parcel = shipment(customer(email="a@example.test"), status="exception")
    result = shipments_delay_scan(now=NOW)
    parcel.status = "delivered"
    parcel.save()
    delay_notices_send(notice_ids=result.notice_ids)
    assert DelayNotice.objects.get().state == NoticeState.SKIPPED
    assert not Message.objects.exists()

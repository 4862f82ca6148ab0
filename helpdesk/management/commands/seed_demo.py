"""Load a demo shop: customers on every channel, orders and shipments in every state, KB
articles in French and English, tickets, and staff logins. Idempotent."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from channels_in.base import InboundMessage, Sender
from helpdesk.accounts.models import AgentProfile, Role, Team
from helpdesk.contacts.models import Contact, ContactIdentity, IdentityKind
from helpdesk.demo_shop import demo_origins
from helpdesk.inbox.models import CannedResponse
from helpdesk.sla.models import BusinessCalendar, Holiday, OpeningPeriod, SlaPolicy
from helpdesk.tickets.models import Inbox, InboxKind, Message, Ticket, TicketStatus
from helpdesk.tickets.services import message_receive, message_reply, ticket_set_status
from knowledge_base.demo import load_demo_articles
from knowledge_base.models import Article
from orders_link.delays import shipments_delay_scan
from orders_link.models import (
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentStatus,
    Store,
    TrackingEvent,
)

DEMO_STORE = "demo-shop"
STAFF = [
    # username, password, role, first name, last name, teams
    ("admin", "demo-admin", Role.ADMIN, "Ada", "Admin", []),
    ("manager", "demo-manager", Role.MANAGER, "Maxime", "Martin", ["support-fr", "support-en"]),
    ("camille", "demo-agent", Role.AGENT, "Camille", "Dubois", ["support-fr"]),
    ("sam", "demo-agent", Role.AGENT, "Sam", "Taylor", ["support-en"]),
]
FRENCH_NAMES = [
    "Louise Martin",
    "Hugo Bernard",
    "Chloé Petit",
    "Lucas Robert",
    "Emma Richard",
    "Léo Durand",
    "Manon Leroy",
    "Jules Moreau",
    "Camille Simon",
    "Nathan Laurent",
    "Inès Lefebvre",
    "Gabriel Michel",
    "Léa Garcia",
    "Arthur David",
    "Jade Bertrand",
    "Louis Roux",
    "Zoé Vincent",
    "Raphaël Fournier",
    "Alice Morel",
    "Adam Girard",
    "Lina André",
    "Paul Mercier",
    "Rose Dupont",
    "Tom Lambert",
    "Anna Bonnet",
]
ENGLISH_NAMES = [
    "Olivia Smith",
    "Jack Jones",
    "Amelia Williams",
    "Harry Brown",
    "Isla Taylor",
    "Oscar Davies",
    "Ava Evans",
    "George Wilson",
    "Mia Thomas",
    "Noah Johnson",
    "Ella Roberts",
    "Leo Walker",
    "Grace Wright",
    "Charlie Robinson",
    "Lily Thompson",
    "Freddie White",
    "Sophie Hughes",
    "Alfie Edwards",
    "Emily Green",
    "Archie Hall",
    "Poppy Wood",
    "Henry Harris",
    "Evie Clarke",
    "Thomas Lewis",
    "Ruby Jackson",
]
PRODUCTS = [
    ("MUG-01", "Enamel camping mug", Decimal("14.90")),
    ("TEE-02", "Organic cotton T-shirt", Decimal("29.00")),
    ("BAG-03", "Waxed canvas tote bag", Decimal("49.00")),
    ("LAMP-04", "Brass desk lamp", Decimal("89.00")),
    ("TEA-05", "Loose-leaf tea sampler", Decimal("19.50")),
    ("SOCK-06", "Merino socks (2 pairs)", Decimal("24.00")),
    ("BOOK-07", "Notebook, dotted A5", Decimal("12.00")),
    ("CANDLE-08", "Fig-scented candle", Decimal("32.00")),
]
CARRIERS = {
    "Colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "Chronopost": "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={}",
    "DHL": "https://www.dhl.com/fr-en/home/tracking.html?tracking-id={}",
    "UPS": "https://www.ups.com/track?tracknum={}",
}
# Orders cycle through every status; shipped ones through every shipment status.
ORDER_STATUS_CYCLE = [
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.UNPROCESSED,
    OrderStatus.AWAITING_STOCK,
    OrderStatus.PICKED,
    OrderStatus.PACKING,
    OrderStatus.READY_TO_SHIP,
    OrderStatus.SHIPPED,
    OrderStatus.CANCELLED,
    OrderStatus.RETURNED,
]
IN_FLIGHT = [
    ShipmentStatus.INFO_RECEIVED,
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.FAILED_ATTEMPT,
    ShipmentStatus.EXCEPTION,
    ShipmentStatus.DELAYED,
    ShipmentStatus.IN_TRANSIT,
]
QUESTIONS = {
    "en": [
        ("Where is my order?", "Hi, my order {order} still hasn't arrived. Can you check?"),
        ("Tracking not moving", "The tracking for {order} has not changed for days."),
        ("Return", "I'd like to return the items from {order}, how do I do that?"),
        ("Wrong size", "I received {order} but the T-shirt is the wrong size."),
    ],
    "fr": [
        ("Où est ma commande ?", "Bonjour, ma commande {order} n'est toujours pas arrivée."),
        ("Suivi bloqué", "Le suivi de la commande {order} ne bouge plus depuis plusieurs jours."),
        ("Retour", "Bonjour, je voudrais retourner les articles de la commande {order}."),
        ("Colis abîmé", "Le colis de la commande {order} est arrivé abîmé, que faire ?"),
    ],
}


# Questions that only make sense once the parcel is in the customer's hands.
RECEIVED_SUBJECTS = {"Return", "Wrong size", "Retour", "Colis abîmé"}


class Command(BaseCommand):
    help = "Load the demo shop (idempotent: a second run changes nothing)."

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with HELPDESK_MODE=production.")
        if Store.objects.filter(slug=DEMO_STORE).exists():
            self.stdout.write("The demo shop is already loaded; nothing to do.")
            self._allow_public_origin()
        else:
            with transaction.atomic():
                self._seed(random.Random(2026))
            # Late parcels get their proactive notices, as the scheduled scan would send them.
            scan = shipments_delay_scan(now=timezone.now())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo shop loaded; {scan.created_total} delay notices sent for late parcels."
                )
            )
        self._print_summary()

    def _seed(self, rng: random.Random) -> None:
        now = timezone.now()
        teams = {
            slug: Team.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in [("support-fr", "Support FR"), ("support-en", "Support EN")]
        }
        User = get_user_model()
        staff = {}
        for username, password, role, first, last, team_slugs in STAFF:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@demo-shop.test",
                    "is_staff": role != Role.AGENT,
                    "is_superuser": role == Role.ADMIN,
                },
            )
            user.set_password(password)
            user.save()
            profile, _ = AgentProfile.objects.get_or_create(user=user, defaults={"role": role})
            profile.teams.set([teams[slug] for slug in team_slugs])
            staff[username] = user

        self._sla_and_canned_responses()
        inboxes = {
            InboxKind.EMAIL: Inbox.objects.create(
                kind=InboxKind.EMAIL,
                name="Support email",
                config={"address": "support@demo-shop.test", "display_name": "Demo Shop"},
            ),
            InboxKind.SMS: Inbox.objects.create(
                kind=InboxKind.SMS, name="SMS", config={"from": "+33700000001"}
            ),
            InboxKind.WHATSAPP: Inbox.objects.create(
                kind=InboxKind.WHATSAPP,
                name="WhatsApp",
                config={
                    "from": "+33700000002",
                    "templates": [
                        {
                            "name": "order_update",
                            "content_sid": "HX0000000000000000000000000000demo",
                            "label": "Order update",
                        }
                    ],
                },
            ),
            InboxKind.TELEGRAM: Inbox.objects.create(
                kind=InboxKind.TELEGRAM, name="Telegram", config={"bot_username": "demo_shop_bot"}
            ),
            InboxKind.WEBCHAT: Inbox.objects.create(
                kind=InboxKind.WEBCHAT,
                name="Site chat",
                config={"allowed_origins": demo_origins(), "title": "Demo Shop"},
            ),
        }

        for inbox in inboxes.values():
            inbox.full_clean()
            inbox.save()
        store = Store.objects.create(
            name="Demo Shop",
            slug=DEMO_STORE,
            connector=Store.Connector.IMPORT,
            domain="demo-shop.test",
        )
        contacts = self._contacts(rng)
        orders = self._orders(rng, store, contacts, now)
        self._knowledge_base()
        self._tickets(rng, inboxes, contacts, orders, staff, teams)

    def _sla_and_canned_responses(self) -> None:
        """Office hours in Paris with French public holidays, one SLA policy on them, and a
        few canned responses in each language."""
        from datetime import date, time

        calendar, created = BusinessCalendar.objects.get_or_create(
            name="Paris office", defaults={"time_zone": "Europe/Paris"}
        )
        if created:
            for weekday in range(5):
                OpeningPeriod.objects.create(
                    calendar=calendar, weekday=weekday, opens=time(9), closes=time(18)
                )
            OpeningPeriod.objects.create(
                calendar=calendar, weekday=5, opens=time(10), closes=time(13)
            )
            year = timezone.localdate().year
            for month, day, name in [
                (1, 1, "Jour de l'an"),
                (5, 1, "Fête du travail"),
                (5, 8, "Victoire 1945"),
                (7, 14, "Fête nationale"),
                (8, 15, "Assomption"),
                (11, 1, "Toussaint"),
                (11, 11, "Armistice"),
                (12, 25, "Noël"),
            ]:
                for y in (year, year + 1):
                    Holiday.objects.create(calendar=calendar, date=date(y, month, day), name=name)
        SlaPolicy.objects.get_or_create(
            name="Standard",
            defaults={
                "first_response_minutes": 4 * 60,
                "resolution_minutes": 3 * 9 * 60,
                "calendar": calendar,
                "position": 10,
            },
        )
        SlaPolicy.objects.get_or_create(
            name="Urgent",
            defaults={
                "priority": 4,
                "first_response_minutes": 60,
                "resolution_minutes": 9 * 60,
                "calendar": calendar,
                "position": 1,
            },
        )
        for language, name, text in [
            (
                "en",
                "Where is my order",
                "Hello {{ contact.first_name }}, your order {{ order.number }} "
                "is on its way: {{ shipment.tracking_url }}. Best regards, {{ agent.name }}",
            ),
            (
                "en",
                "Return label",
                "Hello {{ contact.first_name }}, here is how to return an item: "
                "reply with the order number and we send a prepaid label. {{ agent.name }}",
            ),
            ("en", "Thanks", "Thank you {{ contact.first_name }}, glad we could help!"),
            (
                "fr",
                "Où est ma commande",
                "Bonjour {{ contact.first_name }}, votre commande "
                "{{ order.number }} est en route : {{ shipment.tracking_url }}. Bien cordialement, "
                "{{ agent.name }}",
            ),
            (
                "fr",
                "Étiquette de retour",
                "Bonjour {{ contact.first_name }}, pour un retour, "
                "répondez avec le numéro de commande : nous envoyons une étiquette prépayée. "
                "{{ agent.name }}",
            ),
            ("fr", "Merci", "Merci {{ contact.first_name }}, ravis d'avoir pu vous aider !"),
        ]:
            CannedResponse.objects.get_or_create(
                name=name, language=language, defaults={"text": text}
            )

    def _contacts(self, rng: random.Random) -> list[Contact]:
        contacts = []
        people = [(n, "fr") for n in FRENCH_NAMES] + [(n, "en") for n in ENGLISH_NAMES]
        for index, (name, language) in enumerate(people):
            contact = Contact.objects.create(
                name=name,
                language=language,
                time_zone="Europe/Paris" if language == "fr" else "Europe/London",
            )
            slug = name.lower().replace(" ", ".").replace("é", "e").replace("ï", "i")
            slug = slug.replace("ë", "e").replace("è", "e")
            identities = [(IdentityKind.EMAIL, f"{slug}@example.com")]
            phone = f"+33{6 + index % 2}{10000000 + index * 7919:08d}"
            if index % 5 != 0:
                identities.append((IdentityKind.PHONE, phone))
            if index % 3 == 0:
                identities.append((IdentityKind.WHATSAPP, phone))
            if index % 4 == 1:
                identities.append((IdentityKind.TELEGRAM, str(500000000 + index * 131)))
            if index % 6 == 2:
                identities.append((IdentityKind.WEBCHAT, f"visitor-{index:04d}"))
            for kind, address in identities:
                ContactIdentity.objects.create(
                    contact=contact,
                    kind=kind,
                    address=address,
                    display_name=name,
                    verified=kind != IdentityKind.WEBCHAT,
                )
            contacts.append(contact)
        return contacts

    def _orders(self, rng, store, contacts, now) -> list[Order]:
        orders = []
        today = timezone.localdate()
        for index in range(200):
            contact = contacts[index % len(contacts)]
            email = (
                contact.identities.filter(kind=IdentityKind.EMAIL)
                .values_list("address", flat=True)
                .first()
            )
            status = ORDER_STATUS_CYCLE[index % len(ORDER_STATUS_CYCLE)]
            in_progress = status not in {
                OrderStatus.DELIVERED,
                OrderStatus.CANCELLED,
                OrderStatus.RETURNED,
            }
            days_ago = rng.randint(1, 5) if in_progress else rng.randint(6, 40)
            placed_at = now - timedelta(days=days_ago, minutes=rng.randint(0, 1440))
            french = contact.language == "fr"
            order = Order.objects.create(
                store=store,
                number=f"#{10001 + index}",
                external_id=str(820000 + index),
                contact=contact,
                email=email or "",
                customer_name=contact.name,
                postcode=f"{rng.randint(10, 95):02d}{rng.randint(0, 999):03d}"
                if french
                else "SW1A 1AA",
                country="FR" if french else "GB",
                ship_name=contact.name,
                ship_lines=f"{rng.randint(1, 120)} rue de la République"
                if french
                else f"{rng.randint(1, 120)} High Street",
                city="Lyon" if french else "London",
                status=status,
                placed_at=placed_at,
                currency=store.currency,
            )
            total = Decimal("0")
            for sku, title, price in rng.sample(PRODUCTS, rng.randint(1, 3)):
                quantity = rng.randint(1, 2)
                OrderLine.objects.create(
                    order=order, sku=sku, title=title, quantity=quantity, unit_price=price
                )
                total += price * quantity
            order.total = total
            order.save(update_fields=["total"])
            self._shipment(rng, order, index, today)
            orders.append(order)
        return orders

    def _shipment(self, rng, order, index, today) -> None:
        if order.status not in {
            OrderStatus.READY_TO_SHIP,
            OrderStatus.SHIPPED,
            OrderStatus.DELIVERED,
            OrderStatus.RETURNED,
        }:
            return
        carrier = list(CARRIERS)[index % len(CARRIERS)]
        tracking = f"{carrier[:2].upper()}{order.number[1:]}{rng.randint(100000, 999999)}FR"
        shipped_at = order.placed_at + timedelta(days=1)
        promised = shipped_at.date() + timedelta(days=4)
        status = {
            OrderStatus.READY_TO_SHIP: ShipmentStatus.PENDING,
            OrderStatus.DELIVERED: ShipmentStatus.DELIVERED,
            OrderStatus.RETURNED: ShipmentStatus.RETURNED,
        }.get(order.status) or IN_FLIGHT[index % len(IN_FLIGHT)]
        if status in {ShipmentStatus.IN_TRANSIT, ShipmentStatus.INFO_RECEIVED} and index % 3 == 0:
            # Some parcels are late against their promise: past date, still moving.
            promised = today - timedelta(days=rng.randint(1, 4))
        shipment = Shipment.objects.create(
            order=order,
            carrier=carrier,
            tracking_number=tracking,
            tracking_url=CARRIERS[carrier].format(tracking),
            status=status,
            shipped_at=None if status == ShipmentStatus.PENDING else shipped_at,
            promised_date=promised,
            estimated_delivery=promised + timedelta(days=2)
            if status == ShipmentStatus.DELAYED
            else promised,
            destination_postcode=order.postcode,
            destination_country=order.country,
        )
        if status == ShipmentStatus.PENDING:
            return
        steps = [ShipmentStatus.INFO_RECEIVED, ShipmentStatus.IN_TRANSIT]
        if status not in steps:
            steps.append(status)
        elif status == ShipmentStatus.INFO_RECEIVED:
            steps = steps[:1]
        when = shipped_at
        for number, step in enumerate(steps):
            when = min(when + timedelta(hours=rng.randint(6, 30)), timezone.now())
            TrackingEvent.objects.create(
                shipment=shipment,
                status=step,
                occurred_at=when,
                location=rng.choice(["Paris", "Lyon", "Roissy hub", "Lille", "London", "Calais"]),
                description=str(ShipmentStatus(step).label),
                external_id=f"{tracking}-{number}",
            )
        shipment.last_scan_at = when
        shipment.last_scan_location = "Roissy hub"
        if status == ShipmentStatus.DELIVERED:
            shipment.delivered_at = when
        shipment.save()

    def _knowledge_base(self) -> None:
        load_demo_articles()

    def _tickets(self, rng, inboxes, contacts, orders, staff, teams) -> None:
        by_contact: dict[int, list[Order]] = {}
        for order in orders:
            by_contact.setdefault(order.contact_id, []).append(order)
        identity_kind_inbox = {
            IdentityKind.EMAIL: inboxes[InboxKind.EMAIL],
            IdentityKind.PHONE: inboxes[InboxKind.SMS],
            IdentityKind.WHATSAPP: inboxes[InboxKind.WHATSAPP],
            IdentityKind.TELEGRAM: inboxes[InboxKind.TELEGRAM],
            IdentityKind.WEBCHAT: inboxes[InboxKind.WEBCHAT],
        }
        kinds = list(identity_kind_inbox)
        unused = list(contacts)
        written_at: dict[str, datetime] = {}
        for index in range(40):
            wanted = kinds[index % len(kinds)]
            identity = (
                ContactIdentity.objects.filter(contact__in=unused, kind=wanted).first()
                or ContactIdentity.objects.filter(
                    contact__in=unused, kind=IdentityKind.EMAIL
                ).first()
            )
            assert identity is not None, "every demo contact has an email identity"
            contact = identity.contact
            unused.remove(contact)
            inbox = identity_kind_inbox[IdentityKind(identity.kind)]
            language = contact.language or "en"
            # The customer writes about their latest order, after placing it (and about a
            # parcel in hand only once it was delivered).
            order = max(by_contact[contact.pk], key=lambda o: o.placed_at)
            received = order.status in {OrderStatus.DELIVERED, OrderStatus.RETURNED}
            choices = [q for q in QUESTIONS[language] if (q[0] in RECEIVED_SUBJECTS) == received]
            subject, text = choices[index % len(choices)]
            earliest = order.placed_at + timedelta(hours=1)
            delivered = [
                at
                for at in order.shipments.values_list("delivered_at", flat=True)
                if at is not None
            ]
            if received and delivered:
                earliest = max(earliest, *delivered)
            written_at[f"demo-{index}"] = earliest
            result = message_receive(
                inbound=InboundMessage(
                    inbox_id=inbox.pk,
                    sender=Sender(kind=identity.kind, address=identity.address, name=contact.name),
                    subject=subject if inbox.kind == InboxKind.EMAIL else "",
                    text=text.format(order=order.number),
                    external_id=f"demo-{index}",
                    language=language,
                )
            )
            ticket = result.ticket
            ticket.team = teams["support-fr" if language == "fr" else "support-en"]
            ticket.save(update_fields=["team"])
            agent = staff["camille" if language == "fr" else "sam"]
            if index % 3 == 0:
                ticket.assignee = agent
                ticket.save(update_fields=["assignee"])
                reply = (
                    "Bonjour, je regarde cela tout de suite."
                    if language == "fr"
                    else "Hi, I'm looking into this right now."
                )
                message_reply(ticket=ticket, author=agent, text=reply)
            if index % 7 == 0:
                ticket_set_status(ticket=ticket, status=TicketStatus.SOLVED, actor=agent)
            if index % 11 == 5:
                ticket_set_status(ticket=ticket, status=TicketStatus.PENDING, actor=agent)
        # Spread the conversations over the time since each order was placed, so the inbox
        # looks lived in and no message is older than the order it is about; the agent's
        # answer and events follow the question by a few minutes.
        now = timezone.now()
        for ticket in Ticket.objects.all():
            first = ticket.messages.order_by("pk").first()
            key = first.external_id if first else None
            earliest = written_at.get(key or "", now - timedelta(hours=240))
            span = max(int((now - earliest).total_seconds() // 60) - 60, 1)
            start = earliest + timedelta(minutes=rng.randint(0, min(span, 240 * 60)))
            last = start
            for step, pk in enumerate(ticket.messages.order_by("pk").values_list("pk", flat=True)):
                last = min(start + timedelta(minutes=7 * step), now)
                Message.objects.filter(pk=pk).update(created_at=last)
            Ticket.objects.filter(pk=ticket.pk).update(created_at=start, last_message_at=last)

    def _allow_public_origin(self) -> None:
        """A later run on another HOST or PORT: the demo's widget accepts that address too."""
        for inbox in Inbox.objects.filter(kind=InboxKind.WEBCHAT, name="Site chat"):
            allowed = list(inbox.config.get("allowed_origins", []))
            missing = [origin for origin in demo_origins() if origin not in allowed]
            if missing:
                inbox.config = {**inbox.config, "allowed_origins": allowed + missing}
                inbox.save(update_fields=["config"])
                self.stdout.write(f"The site chat now also accepts {', '.join(missing)}.")

    def _print_summary(self) -> None:
        counts = {
            "customers": Contact.objects.count(),
            "orders": Order.objects.count(),
            "shipments": Shipment.objects.count(),
            "tickets": Ticket.objects.count(),
            "articles": Article.objects.count(),
        }
        self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()))
        base = settings.PUBLIC_URL
        self.stdout.write(f"\nDemo shop page: {base}/demo/shop/   (the chat widget, as a visitor)")
        self.stdout.write(f"Agent inbox:    {base}/inbox/")
        self.stdout.write(f"Administration: {base}/admin/")
        self.stdout.write(f"Outbox:         {base}/inbox/outbox/")
        self.stdout.write(f"Health:         {base}/healthz")
        self.stdout.write("\nDemo logins (username / password):")
        for username, password, role, *_ in STAFF:
            self.stdout.write(f"  {role.label:<14} {username} / {password}")

"""factory-boy factories for the domain core, shared by every test package."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from helpdesk.accounts.models import AgentProfile, Role, Team
from helpdesk.contacts.models import Contact, ContactIdentity, IdentityKind
from helpdesk.tickets.models import Inbox, InboxKind, Ticket
from knowledge_base.models import Article
from orders_link.models import Order, OrderStatus, Shipment, Store


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@shop.test")
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class AgentFactory(UserFactory):
    """A user with an agent profile (role agent unless given)."""

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        if create:
            AgentProfile.objects.create(user=self, **{"role": Role.AGENT, **kwargs})


class InboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inbox

    kind = InboxKind.EMAIL
    name = factory.Sequence(lambda n: f"Inbox {n}")
    config = factory.LazyAttribute(
        lambda o: {"address": "support@shop.test"} if o.kind == InboxKind.EMAIL else {}
    )


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")
    language = "en"


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactIdentity

    contact = factory.SubFactory(ContactFactory)
    kind = IdentityKind.EMAIL
    address = factory.Sequence(lambda n: f"customer{n}@example.test")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    contact = factory.SubFactory(ContactFactory)
    inbox = factory.SubFactory(InboxFactory)
    subject = factory.Sequence(lambda n: f"Question {n}")
    last_message_at = factory.LazyFunction(timezone.now)


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("slug",)

    name = "Test shop"
    slug = "test-shop"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    store = factory.SubFactory(StoreFactory)
    number = factory.Sequence(lambda n: f"#{1000 + n}")
    contact = factory.SubFactory(ContactFactory)
    email = factory.Sequence(lambda n: f"buyer{n}@example.test")
    status = OrderStatus.SHIPPED
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    carrier = "Colissimo"
    tracking_number = factory.Sequence(lambda n: f"6A{10000000 + n}")
    promised_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=2))


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    language = "en"
    slug = factory.Sequence(lambda n: f"article-{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    body = "How to track your parcel."
    published = True

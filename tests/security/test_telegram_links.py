"""A Telegram /start link links one chat, once."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections
from django.test import Client

from channels_in.telegram.services import telegram_link_token
from helpdesk.contacts.models import ContactIdentity
from helpdesk.tickets.models import Message
from tests.channels_in.telegram import test_telegram as telegram_tests
from tests.conftest import POSTGRES
from tests.factories import ContactFactory

fake_telegram = telegram_tests.fake_telegram
inbox = telegram_tests.inbox
post = telegram_tests.post
start_update = telegram_tests.start_update


def from_chat(token: str, chat_id: int, update_id: int) -> dict:
    data = start_update(token, update_id=update_id)
    data["message"]["chat"]["id"] = chat_id
    data["message"]["from"]["id"] = chat_id
    return data


@pytest.mark.django_db
def test_a_link_used_by_one_chat_links_no_other(client, inbox, fake_telegram):
    customer = ContactFactory(name="Jane Doe")
    token = telegram_link_token(contact=customer)
    assert post(client, inbox, from_chat(token, 1111, 30001)).status_code == 200
    assert post(client, inbox, from_chat(token, 2222, 30002)).status_code == 200
    first = ContactIdentity.objects.get(kind="telegram", address="1111")
    second = ContactIdentity.objects.get(kind="telegram", address="2222")
    assert first.contact == customer and first.verified
    assert second.contact != customer and not second.verified
    answer = Message.objects.filter(direction="out", identity=second).get()
    assert "déjà servi" in answer.text  # the sender's Telegram speaks French


@pytest.mark.django_db
def test_the_same_chat_may_send_its_link_again(client, inbox, fake_telegram):
    customer = ContactFactory()
    token = telegram_link_token(contact=customer)
    post(client, inbox, from_chat(token, 1111, 30011))
    post(client, inbox, from_chat(token, 1111, 30012))
    identity = ContactIdentity.objects.get(kind="telegram", address="1111")
    assert identity.contact == customer and identity.verified


@pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL: concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_chats_racing_with_one_link_link_one(inbox, fake_telegram):
    customer = ContactFactory()
    token = telegram_link_token(contact=customer)
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def deliver(n: int) -> None:
        try:
            barrier.wait()
            statuses.append(
                post(Client(), inbox, from_chat(token, 5000 + n, 31000 + n)).status_code
            )
        finally:
            close_old_connections()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    linked = ContactIdentity.objects.filter(kind="telegram", contact=customer, verified=True)
    assert linked.count() == 1

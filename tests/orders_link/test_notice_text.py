"""A delay notice is plain text: subject and body alike carry the shop's words as written, and
the workspace escapes them where it shows them as HTML."""

from __future__ import annotations

import pytest

from orders_link.delays import notice_text
from orders_link.models import DelayNotice
from tests.orders_link.factories import NOW, TODAY, customer, shipment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "fr"])
def test_subject_and_body_keep_special_characters_as_text(language):
    parcel = shipment(customer(email="tom@example.test"), carrier="Post & Co <Express>")
    order = parcel.order
    order.number = "A&B-<7>"
    order.customer_name = 'Tom "O\'Brien"'
    order.save()
    notice = DelayNotice.objects.create(
        shipment=parcel, kind="overdue", promised_date=TODAY, detected_at=NOW
    )
    subject, text = notice_text(notice=notice, language=language)
    assert "A&B-<7>" in subject
    assert "A&B-<7>" in text and 'Tom "O\'Brien"' in text
    for entity in ("&amp;", "&lt;", "&#x27;", "&quot;"):
        assert entity not in subject and entity not in text

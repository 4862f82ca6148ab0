from __future__ import annotations

import pytest

from chatbot.nlu.slots import slots_extract


@pytest.mark.parametrize(
    "text,expected",
    [
        ("où est ma commande 48213 svp", "48213"),
        ("ma cmd n°48213 est où", "48213"),
        ("order #A-1042 please", "A-1042"),
        ("Re: commande FR-20931 pas reçue", "FR-20931"),
        ("hi, order number: 100234, thanks", "100234"),
        ("my order 5512 never came", "5512"),
        ("bonjour je n'ai pas reçu 77810 merci", "77810"),
    ],
)
def test_order_number(text, expected):
    assert slots_extract(text).order_number == expected


def test_tracking_number_is_not_an_order_number():
    slots = slots_extract("le colis LX123456789FR ne bouge plus")
    assert slots.tracking_number == "LX123456789FR"
    assert slots.order_number == ""
    slots = slots_extract("UPS 1Z999AA10123456784 order 4411")
    assert slots.tracking_number == "1Z999AA10123456784"
    assert slots.order_number == "4411"


def test_email_phone_and_postcode():
    slots = slots_extract(
        "commande 48213, mon mail Jean.Dupont+shop@Example.fr, tel 06 12 34 56 78"
    )
    assert slots.order_number == "48213"
    assert slots.email == "jean.dupont+shop@example.fr"
    assert slots.phone == "0612345678"
    slots = slots_extract("order 4411 postcode SW1A 1AA")
    assert (slots.order_number, slots.postcode) == ("4411", "SW1A 1AA")
    slots = slots_extract("commande 48213 code postal 75011")
    assert (slots.order_number, slots.postcode) == ("48213", "75011")
    slots = slots_extract("+33 6 12 34 56 78")
    assert slots.phone == "+33612345678"
    assert slots.order_number == ""


def test_nothing_in_plain_text():
    assert slots_extract("where is my parcel").as_dict() == {}

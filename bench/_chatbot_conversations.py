"""Scripted WISMO conversations: owners of real orders ask where their order is, in French or
English, the way customers write, and give correct proof in one of the ways the bot accepts.

Imported by bench/chatbot_wismo.py (200 conversations, prints the share resolved without an
agent) and bench/chatbot_latency.py (thousands of turns).
The opening lines here are written for this suite, apart from the training and evaluation data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

OPENERS = {
    "fr": (
        "Bonjour, où en est ma commande {n} ?",
        "bjr jai tjs pas recu ma cmd {n}",
        "ma commande {n} n'est pas arrivée, vous pouvez regarder svp",
        "Bonsoir. Commande n°{n} : pouvez-vous me dire où elle se trouve ?",
        "salut c'est pour savoir quand je recois la commande {n}",
        "où est mon colis ?",
        "je voudrais suivre ma commande",
        "des nouvelles de la commande #{n} ? ça fait une semaine",
        "Bonjour,\nj'ai passé la commande {n} il y a 5 jours, elle arrive quand ?",
        "ma cmd {n} elle est où ?? j'en ai besoin samedi",
        "bonjour je n'ai pas eu de mail d'expedition pour {n}",
        "coucou, le suivi de ma commande stp",
    ),
    "en": (
        "Hi, where is my order {n}?",
        "hey still havent got order {n}",
        "my order {n} hasn't arrived yet, can you check please",
        "Good evening. Order #{n}: could you tell me where it is?",
        "when will i receive order {n}?",
        "where's my parcel?",
        "i'd like to track my order",
        "any news about order #{n}? it's been a week",
        "Hello,\nI placed order {n} five days ago, when will it arrive?",
        "order {n} where is it?? need it by saturday",
        "hi I never got a shipping email for {n}",
        "tracking for my order pls",
    ),
}
EMAIL_LINES = {
    "fr": ("{email}", "mon mail c'est {email}", "c'est {email}", "email : {email}"),
    "en": ("{email}", "my email is {email}", "it's {email}", "email: {email}"),
}
POSTCODE_LINES = {
    "fr": ("{postcode}", "code postal {postcode}", "cp {postcode}", "c'est le {postcode}"),
    "en": ("{postcode}", "postcode {postcode}", "zip {postcode}", "it's {postcode}"),
}
NUMBER_LINES = {
    "fr": ("{n}", "c'est la commande {n}", "commande {n}", "n° {n}"),
    "en": ("{n}", "it's order {n}", "order {n}", "number {n}"),
}
CODE_ASK = {"fr": ("code", "envoyez moi un code svp"), "en": ("code", "send me a code please")}
PROOFS = ("email", "postcode", "combined", "identity", "code")


@dataclass
class Script:
    language: str
    proof: str
    number: str
    email: str
    postcode: str
    verified_identity: bool
    lines: list[str] = field(default_factory=list)


def scripts(count: int, *, seed: int = 2026) -> list[Script]:
    """``count`` conversations, half French and half English, over the proofs in turn."""
    rng = random.Random(seed)
    made = []
    for index in range(count):
        language = "fr" if index % 2 == 0 else "en"
        proof = PROOFS[(index // 2) % len(PROOFS)]
        number = str(60000 + index)
        email = f"client{index}@example.{'fr' if language == 'fr' else 'com'}"
        postcode = f"{rng.randint(10, 95):02d}{rng.randint(0, 999):03d}"
        made.append(Script(language, proof, number, email, postcode, proof == "identity"))
    return made


def first_line(script: Script, rng: random.Random) -> str:
    opener = rng.choice(OPENERS[script.language])
    if script.proof == "combined":
        proof = rng.choice(("email", "postcode"))
        if "{n}" not in opener:
            opener = opener + " " + rng.choice(NUMBER_LINES[script.language])
        extra = (
            rng.choice(EMAIL_LINES[script.language]).format(email=script.email)
            if proof == "email"
            else rng.choice(POSTCODE_LINES[script.language][1:]).format(postcode=script.postcode)
        )
        return f"{opener.format(n=script.number)} {extra}"
    return opener.format(n=script.number)


def next_line(script: Script, bot_text: str, rng: random.Random, *, sent_code: str = "") -> str:
    """What the customer answers to the bot's last message."""
    lowered = bot_text.lower()
    language = script.language
    if sent_code:
        return sent_code
    if script.proof == "code" and ("e-mail" in lowered or "email" in lowered):
        if "numéro de commande" in lowered or "order number" in lowered:
            return rng.choice(NUMBER_LINES[language]).format(n=script.number)
        return rng.choice(CODE_ASK[language])
    if "numéro de commande" in lowered or "order number" in lowered:
        line = rng.choice(NUMBER_LINES[language]).format(n=script.number)
        if script.proof in ("email", "combined"):
            return line + " " + rng.choice(EMAIL_LINES[language]).format(email=script.email)
        return (
            line + " " + rng.choice(POSTCODE_LINES[language][1:]).format(postcode=script.postcode)
        )
    if script.proof in ("email", "combined"):
        return rng.choice(EMAIL_LINES[language]).format(email=script.email)
    return rng.choice(POSTCODE_LINES[language]).format(postcode=script.postcode)


def orders_create(items: list[Script]) -> None:
    """One shipped order per script, owned by its customer, with its carrier and tracking."""
    from django.utils import timezone

    from helpdesk.contacts.models import Contact, ContactIdentity
    from orders_link.models import Order, Shipment, ShipmentStatus, Store

    store, _created = Store.objects.get_or_create(slug="bench-shop", defaults={"name": "Shop"})
    now = timezone.now()
    for index, script in enumerate(items):
        contact = Contact.objects.create(name=f"Customer {index}", language=script.language)
        if script.verified_identity:
            ContactIdentity.objects.create(
                contact=contact, kind="webchat", address=f"known-{index}", verified=True
            )
        order = Order.objects.create(
            store=store,
            number=script.number,
            contact=contact,
            email=script.email,
            postcode=script.postcode,
            status="shipped",
            placed_at=now - dt.timedelta(days=4),
        )
        Shipment.objects.create(
            order=order,
            carrier="Colissimo",
            tracking_number=f"6A{script.number}",
            tracking_url=f"https://track.example.test/6A{script.number}",
            status=ShipmentStatus.IN_TRANSIT,
            shipped_at=now - dt.timedelta(days=2),
            promised_date=timezone.localdate() + dt.timedelta(days=2),
            estimated_delivery=timezone.localdate() + dt.timedelta(days=2),
        )


@dataclass
class Result:
    resolved: bool
    turns: int
    handed_over: str


def converse(
    inbox, script: Script, index: int, *, rng: random.Random, max_turns: int = 6
) -> Result:
    """Play one conversation through message_receive (the bot answers after commit)."""
    import re

    from django.core import mail

    from helpdesk.contracts import InboundMessage, Sender
    from helpdesk.tickets.models import Ticket
    from helpdesk.tickets.services import message_receive

    address = f"known-{index}" if script.verified_identity else f"visitor-{index}"
    url = f"https://track.example.test/6A{script.number}"
    text = first_line(script, rng)
    ticket = None
    for turn in range(1, max_turns + 1):
        outbox_before = len(getattr(mail, "outbox", []) or [])
        result = message_receive(
            inbound=InboundMessage(
                inbox_id=inbox.pk,
                sender=Sender(kind="webchat", address=address, verified=script.verified_identity),
                text=text,
                external_id=f"script-{index}-{turn}",
            )
        )
        ticket = Ticket.objects.get(pk=result.ticket.pk)
        ticket = ticket.merged_into or ticket
        reply = ticket.messages.filter(author_type="bot", kind="message").order_by("-pk").first()
        if ticket.handler != "bot":
            return Result(False, turn, ticket.bot_conversation.handover_reason)
        if reply is None:
            return Result(False, turn, "no_reply")
        if url in reply.text:
            return Result(True, turn, "")
        code = ""
        outbox = getattr(mail, "outbox", None)
        if outbox is not None and len(outbox) > outbox_before:
            found = re.search(r"\b(\d{6})\b", outbox[-1].body)
            code = found.group(1) if found else ""
        text = next_line(script, reply.text, rng, sent_code=code)
    return Result(False, max_turns, "too_long")

"""The bot's turn: understand the customer's message, answer, ask, prove or hand over."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chatbot.dialogue import codes
from chatbot.dialogue import orders as order_rules
from chatbot.dialogue.hours import when_a_person_answers
from chatbot.dialogue.kb import kb_answer
from chatbot.dialogue.replies import Choice, Reply, choice_pick
from chatbot.models import (
    BotConversation,
    BotSettings,
    ConversationState,
    HandoverReason,
    TurnOutcome,
    VerificationMethod,
)
from chatbot.nlu import Understanding
from chatbot.selectors import bot_settings_for
from helpdesk.sla.selectors import inbox_calendar
from helpdesk.tickets.models import Inbox, Message, Ticket
from orders_link.models import Order

logger = logging.getLogger(__name__)

WISMO_INTENTS = frozenset({"order_status", "delivery_time"})
KB_INTENTS = frozenset(
    {
        "delivery_options",
        "cancel_order",
        "change_order",
        "return_refund",
        "refund_status",
        "payment",
        "invoice",
        "account",
    }
)
# A message the model cannot place and that is this long is a real question the bot does not
# know: a person takes it at once rather than asking the customer to rephrase.
LOW_CONFIDENCE_WORDS = 6
YES = frozenset(
    [
        "yes",
        "y",
        "yep",
        "yeah",
        "yup",
        "oui",
        "ouais",
        "ui",
        "ouep",
        "exactement",
        "parfait",
        "perfect",
        "thanks",
        "merci",
        "ok",
    ]
)
NO = frozenset(["no", "non", "nope", "nan", "pas", "not"])
SMS_WORDS = frozenset(
    ["sms", "texto", "text", "phone", "telephone", "téléphone", "portable", "mobile"]
)
EMAIL_WORDS = frozenset(["email", "mail", "courriel"])
CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass
class Outcome:
    reply: Reply | None
    outcome: str
    reason: str = ""
    order: Order | None = None


class Turn:
    """One turn of the conversation on ``ticket`` for the customer's ``message``."""

    def __init__(self, *, ticket: Ticket, message: Message, conversation: BotConversation):
        self.ticket = ticket
        self.message = message
        self.conversation = conversation
        self.inbox: Inbox = message.inbox or ticket.inbox
        self.channel = self.inbox.kind
        self.bot = bot_settings_for(self.inbox)

    # --- helpers ---------------------------------------------------------------------------

    def _allowed(self, intent: str) -> bool:
        allowed = self.bot.allowed_intents or []
        always = {"greeting", "thanks_goodbye", "out_of_scope", "contact_human", "complaint"}
        return not allowed or intent in allowed or intent in always

    def _state(self, state: str, **pending: Any) -> None:
        self.conversation.state = state
        self.conversation.pending = pending

    def _throttled(self, order: Order | None) -> bool:
        failures = order_rules.failures_recent(ticket=self.ticket, order=order)
        return failures >= order_rules.FAILURE_LIMIT

    def _menu(self) -> tuple[Choice, ...]:
        return (
            Choice(_("Where is my order?"), "order_status"),
            Choice(_("Talk to a person"), "contact_human"),
        )

    # --- the turn --------------------------------------------------------------------------

    def run(self, understanding: Understanding) -> Outcome:
        outcome = self._run(understanding)
        # The choices offered are remembered, so that "2" or a button's value picks one.
        pending = dict(self.conversation.pending or {})
        if outcome.reply is not None and outcome.reply.choices:
            pending["choices"] = [
                {"label": c.label, "value": c.value} for c in outcome.reply.choices
            ]
        else:
            pending.pop("choices", None)
        self.conversation.pending = pending
        return outcome

    def _run(self, understanding: Understanding) -> Outcome:
        text = self.message.text or ""
        state = self.conversation.state
        pending = self.conversation.pending or {}
        picked = None
        metadata = self.message.metadata or {}
        quick = metadata.get("quick_reply") or metadata.get("callback_data")
        offered = pending.get("choices") or []
        if offered:
            picked = choice_pick(str(quick or text), offered=offered)

        if state == ConversationState.AWAITING_CHOICE and picked:
            order = Order.objects.filter(pk__in=pending.get("order_ids", []), number=picked).first()
            if order is not None:
                return self._verified(order, VerificationMethod.IDENTITY)
        if picked in {"contact_human"}:
            return self._hand_over(HandoverReason.CONTACT_HUMAN)
        if state == ConversationState.AWAITING_FEEDBACK:
            answer = (picked or "").lower() or self._yes_no(text)
            if answer == "yes":
                self._state(ConversationState.IDLE)
                return Outcome(
                    Reply(_("Glad to hear it. Anything else I can do for you?"), self._menu()),
                    TurnOutcome.ANSWERED,
                )
            if answer == "no":
                return self._hand_over(HandoverReason.NOT_ANSWERED)
        if picked in ("code", "code_sms") and pending.get("number"):
            return self._send_code(pending["number"], medium="sms" if picked == "code_sms" else "")
        if picked == "order_status":
            understanding = Understanding(
                "order_status", 1.0, understanding.language, 1.0, understanding.slots, text=text
            )

        # Proof in progress: the message may be nothing but a number, an email or a code.
        if state in (
            ConversationState.AWAITING_ORDER,
            ConversationState.AWAITING_PROOF,
            ConversationState.AWAITING_CODE,
        ):
            proof = self._proof(understanding, text)
            if proof is not None:
                return proof

        intent = understanding.intent
        slots = understanding.slots
        if (
            slots.order_number
            and (slots.email or slots.postcode)
            and not (intent in ("contact_human", "complaint") and understanding.confidence >= 0.7)
            and self._allowed("order_status")
        ):
            # An order number with its email or postcode is a proof, whatever else is said.
            proof = self._proof(understanding, text)
            if proof is not None:
                return proof
        if not self._allowed(intent):
            return self._hand_over(HandoverReason.INTENT_NOT_ALLOWED)
        if intent == "contact_human":
            return self._hand_over(HandoverReason.CONTACT_HUMAN)
        if intent == "complaint":
            return self._hand_over(HandoverReason.COMPLAINT)
        if intent in WISMO_INTENTS:
            self.conversation.misunderstood = 0
            return self._wismo(understanding)
        if intent in KB_INTENTS:
            self.conversation.misunderstood = 0
            return self._knowledge(understanding)
        if intent == "greeting":
            self.conversation.misunderstood = 0
            return Outcome(
                Reply(_("Hello! I am the shop's assistant. How can I help you?"), self._menu()),
                TurnOutcome.ANSWERED,
            )
        if intent == "thanks_goodbye":
            self.conversation.misunderstood = 0
            self._state(ConversationState.IDLE)
            return Outcome(Reply(_("You're welcome. Have a nice day!")), TurnOutcome.ANSWERED)
        return self._misunderstood(understanding)

    def _yes_no(self, text: str) -> str:
        words = set(re.findall(r"[a-zà-ÿ]+", text.lower()))
        if words & NO:
            return "no"
        if words & YES:
            return "yes"
        return ""

    def _misunderstood(self, understanding: Understanding) -> Outcome:
        words = len((self.message.text or "").split())
        below = (
            understanding.confidence < 1.0
            and understanding.scores
            and (max(understanding.scores, key=understanding.scores.__getitem__) != "out_of_scope")
        )
        if below and words >= LOW_CONFIDENCE_WORDS:
            return self._hand_over(HandoverReason.LOW_CONFIDENCE)
        self.conversation.misunderstood += 1
        if self.conversation.misunderstood >= 2:
            return self._hand_over(HandoverReason.MISUNDERSTOOD)
        return Outcome(
            Reply(
                _(
                    "Sorry, I did not understand. I can tell you where your order is, or answer "
                    "questions about delivery, returns, payment and your account. Could you say "
                    "it another way?"
                ),
                self._menu(),
                short_text=_("Sorry, I did not understand. Could you say it another way?"),
            ),
            TurnOutcome.NOT_UNDERSTOOD,
        )

    # --- where is my order -----------------------------------------------------------------

    def _wismo(self, understanding: Understanding) -> Outcome:
        slots = understanding.slots
        verified = self.conversation.verified_order
        if verified is not None and (
            not slots.order_number
            or order_rules._normal_number(slots.order_number)
            == order_rules._normal_number(verified.number)
        ):
            return self._answer_order(verified, outcome=TurnOutcome.ANSWERED)
        owned = order_rules.identity_orders(self.message.identity)
        if owned:
            if slots.order_number:
                wanted = order_rules._normal_number(slots.order_number)
                for order in owned:
                    if order_rules._normal_number(order.number) == wanted:
                        return self._verified(order, VerificationMethod.IDENTITY)
            open_orders = [o for o in owned if o.status in order_rules.OPEN_ORDER_STATUSES]
            if len(open_orders) == 1:
                return self._verified(open_orders[0], VerificationMethod.IDENTITY)
            choices = open_orders or owned
            if len(choices) == 1:
                return self._verified(choices[0], VerificationMethod.IDENTITY)
            self.conversation.verification = VerificationMethod.IDENTITY
            shown = choices[:5]
            self._state(
                ConversationState.AWAITING_CHOICE,
                order_ids=[o.pk for o in shown],
                choices=[{"label": o.number, "value": o.number} for o in shown],
            )
            return Outcome(
                Reply(
                    _("Which order is it about?"),
                    tuple(Choice(o.number, o.number) for o in shown),
                ),
                TurnOutcome.ASKED,
            )
        proof = self._proof(understanding, self.message.text or "")
        if proof is not None:
            return proof
        self._state(ConversationState.AWAITING_ORDER)
        return Outcome(
            Reply(
                _(
                    "I can check that for you. Please send your order number and the email "
                    "address or postcode used for the order."
                ),
                short_text=_(
                    "Please send your order number and the email or postcode of the order."
                ),
            ),
            TurnOutcome.ASKED,
        )

    def _proof(self, understanding: Understanding, text: str) -> Outcome | None:
        """Try what the customer just gave as proof; ``None`` when they gave nothing usable."""
        pending = dict(self.conversation.pending or {})
        state = self.conversation.state
        if state == ConversationState.AWAITING_CODE:
            match = CODE_RE.search(text)
            if match:
                return self._check_code(match.group(1))
            if "code" in text.lower() and pending.get("number"):
                return self._send_code(pending["number"], medium=self._medium_asked(text))
        slots = understanding.slots
        number = slots.order_number or pending.get("number", "")
        email = slots.email
        postcode = slots.postcode
        gave_something = bool(slots.order_number or email or postcode) or bool(
            re.search(r"\bcode\b", text.lower())
        )
        if state == ConversationState.AWAITING_PROOF and not (email or postcode):
            # Alone, a bare number answering "which postcode?" is the postcode.
            bare = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9 \-]{2,9})\s*", text)
            if bare and any(ch.isdigit() for ch in bare.group(1)) and pending.get("number"):
                postcode = bare.group(1)
                number = pending["number"]
        if (
            slots.order_number
            and not (slots.postcode or email)
            and pending.get("number")
            and state == ConversationState.AWAITING_PROOF
            and len(slots.order_number) == 5
        ):
            # "75011" after giving the number: the slot extractor took it for an order.
            postcode, number = slots.order_number, pending["number"]
        if not (gave_something or postcode):
            # Nothing that proves anything: the message is understood as what it says.
            return None
        if re.search(r"\bcode\b", text.lower()) and number and not (email or postcode):
            return self._send_code(number, medium=self._medium_asked(text))
        if not number:
            if email or postcode:
                self._state(ConversationState.AWAITING_ORDER, email=email, postcode=postcode)
                return Outcome(Reply(_("Thank you. What is the order number?")), TurnOutcome.ASKED)
            return None
        email = email or pending.get("email", "")
        postcode = postcode or pending.get("postcode", "")
        if not (email or postcode):
            self._state(ConversationState.AWAITING_PROOF, number=number)
            return Outcome(
                Reply(
                    _(
                        "Thank you. To protect your order, please send the email address or the "
                        "postcode used for it, or ask for a one-time code."
                    ),
                    self._code_choices(),
                    short_text=_(
                        "Please send the email or postcode used for the order, "
                        "or reply CODE for a one-time code."
                    ),
                ),
                TurnOutcome.ASKED,
            )
        candidates = order_rules.orders_by_number(number)
        first = candidates[0] if candidates else None
        if (
            order_rules.failures_recent(ticket=self.ticket, order=first)
            >= order_rules.FAILURE_LIMIT
        ):
            return self._hand_over(HandoverReason.VERIFICATION_FAILED)
        order, method = order_rules.proof_check(number=number, email=email, postcode=postcode)
        if order is None:
            order_rules.attempt_record(
                ticket=self.ticket,
                order=first,
                method=VerificationMethod.EMAIL if email else VerificationMethod.POSTCODE,
                succeeded=False,
            )
            if (
                order_rules.failures_recent(ticket=self.ticket, order=first)
                >= order_rules.FAILURE_LIMIT
            ):
                return self._hand_over(HandoverReason.VERIFICATION_FAILED)
            self._state(ConversationState.AWAITING_ORDER)
            return Outcome(
                Reply(
                    _(
                        "I could not match these details to an order. Please check the order "
                        "number and the email address or postcode used for the order."
                    ),
                    short_text=_(
                        "These details do not match an order. Please check them and try again."
                    ),
                ),
                TurnOutcome.VERIFICATION_FAILED,
            )
        order_rules.attempt_record(ticket=self.ticket, order=order, method=method, succeeded=True)
        return self._verified(order, method)

    def _code_choices(self) -> tuple[Choice, ...]:
        return (
            Choice(_("Send me a code by email"), "code"),
            Choice(_("Send me a code by SMS"), "code_sms"),
        )

    def _medium_asked(self, text: str) -> str:
        """ "sms" or "email" when the customer said how; '' to let the channel decide."""
        words = set(re.findall(r"[a-zà-ÿ]+", text.lower()))
        if words & SMS_WORDS:
            return "sms"
        if words & EMAIL_WORDS:
            return "email"
        return ""

    def _send_code(self, number: str, *, medium: str = "") -> Outcome:
        """Send a code for the order ``number`` by email or SMS. The reply is the same whether
        the order exists or not, and whether it has an email or a phone number."""
        medium = medium or ("sms" if self.channel in ("sms", "whatsapp") else "email")
        candidates = order_rules.orders_by_number(number)
        order = candidates[0] if candidates else None
        if (
            order_rules.failures_recent(ticket=self.ticket, order=order)
            >= order_rules.FAILURE_LIMIT
        ):
            return self._hand_over(HandoverReason.VERIFICATION_FAILED)
        sms_from = codes.sms_inbox(self.inbox) if medium == "sms" else None
        if medium == "sms" and sms_from is None:
            # A fact about the shop, not about the order: nothing is revealed.
            self._state(ConversationState.AWAITING_PROOF, number=number)
            return Outcome(
                Reply(
                    _(
                        "Codes cannot be sent by SMS here. Please send the email address or "
                        "postcode used for the order, or ask for a code by email."
                    ),
                    (Choice(_("Send me a code by email"), "code"),),
                ),
                TurnOutcome.ASKED,
            )
        self._state(ConversationState.AWAITING_CODE, number=number)
        if medium == "sms":
            generic = Reply(
                _(
                    "If this order exists and has a phone number, a six-digit code has been "
                    "sent to it by SMS. Please type the code here."
                ),
                short_text=_("If this order exists, a code was sent to its phone. Type it here."),
            )
        else:
            generic = Reply(
                _(
                    "If this order exists, a six-digit code has been sent to the email address "
                    "used for it. Please type the code here."
                ),
                short_text=_(
                    "If this order exists, a code was sent to its email. Please type it here."
                ),
            )
        if order is not None and order_rules.code_destination(order, medium=medium):
            code, record = order_rules.code_issue(ticket=self.ticket, order=order, medium=medium)
            language = translation.get_language()
            inbox = sms_from or self.inbox
            ticket_id = self.ticket.pk

            def deliver() -> None:
                codes.code_deliver(
                    medium=medium,
                    to=record.sent_to,
                    code=code,
                    number=order.number,
                    language=language,
                    ticket_id=ticket_id,
                    inbox=inbox,
                )

            transaction.on_commit(deliver)
        return Outcome(generic, TurnOutcome.ASKED)

    def _check_code(self, code: str) -> Outcome:
        pending = self.conversation.pending or {}
        candidates = order_rules.orders_by_number(pending.get("number", ""))
        first = candidates[0] if candidates else None
        if (
            order_rules.failures_recent(ticket=self.ticket, order=first)
            >= order_rules.FAILURE_LIMIT
        ):
            return self._hand_over(HandoverReason.VERIFICATION_FAILED)
        order = order_rules.code_check(ticket=self.ticket, code=code)
        if order is None:
            order_rules.attempt_record(
                ticket=self.ticket, order=first, method=VerificationMethod.CODE, succeeded=False
            )
            if (
                order_rules.failures_recent(ticket=self.ticket, order=first)
                >= order_rules.FAILURE_LIMIT
            ):
                return self._hand_over(HandoverReason.VERIFICATION_FAILED)
            return Outcome(
                Reply(
                    _(
                        "This code is not valid or has expired. "
                        "Please check it, or ask for a new code."
                    ),
                    self._code_choices(),
                ),
                TurnOutcome.VERIFICATION_FAILED,
            )
        order_rules.attempt_record(
            ticket=self.ticket, order=order, method=VerificationMethod.CODE, succeeded=True
        )
        return self._verified(order, VerificationMethod.CODE)

    def _verified(self, order: Order, method: str) -> Outcome:
        self.conversation.verified_order = order
        self.conversation.order = order
        self.conversation.verification = method
        outcome = self._answer_order(order, outcome=TurnOutcome.VERIFIED)
        return outcome

    def _answer_order(self, order: Order, *, outcome: str) -> Outcome:
        self.conversation.misunderstood = 0
        self.conversation.order = order
        self._state(ConversationState.IDLE)
        full, short = order_rules.order_answer(order)
        return Outcome(
            Reply(full, short_text=short, extra={"order_id": order.pk}), outcome, order=order
        )

    # --- knowledge base --------------------------------------------------------------------

    def _knowledge(self, understanding: Understanding) -> Outcome:
        passage = kb_answer(query=self.message.text or "", language=understanding.language)
        if passage is None:
            return self._hand_over(HandoverReason.NO_ANSWER)
        text = passage.text
        if passage.url:
            text = f"{text}\n{passage.title}: {passage.url}"
        else:
            text = f"{passage.title}: {text}"
        self._state(
            ConversationState.AWAITING_FEEDBACK,
            article=passage.article_id,
            choices=[
                {"label": _("Yes"), "value": "yes"},
                {"label": _("No"), "value": "no"},
            ],
        )
        return Outcome(
            Reply(
                f"{text}\n{_('Did that answer your question?')}",
                (Choice(_("Yes"), "yes"), Choice(_("No"), "no")),
                short_text=f"{passage.title}: {passage.url or passage.text[:120]}\n"
                + _("Did that answer your question?"),
            ),
            TurnOutcome.ANSWERED,
        )

    # --- hand-over -------------------------------------------------------------------------

    def _hand_over(self, reason: str) -> Outcome:
        self.conversation.handover_reason = reason
        self.conversation.handed_over_at = timezone.now()
        self._state(ConversationState.HANDED_OVER)
        when = when_a_person_answers(calendar=inbox_calendar(self.inbox))
        if reason == HandoverReason.COMPLAINT:
            first = _("I am sorry about this. I am passing your message to a person.")
        elif reason == HandoverReason.NO_ANSWER:
            first = _(
                "I am not sure I have the right answer to this. I am passing your conversation "
                "to a person, with what you told me."
            )
        elif reason == HandoverReason.VERIFICATION_FAILED:
            first = _("I cannot check this order here. I am passing your conversation to a person.")
        else:
            first = _("I am passing your conversation to a person, with what you told me.")
        return Outcome(
            Reply(f"{first} {when}"),
            TurnOutcome.HANDED_OVER,
            reason=reason,
            order=self.conversation.verified_order,
        )


def reply_preview(understanding: Understanding, *, channel: str = "webchat") -> Reply:
    """The reply an unverified visitor would get for this message as the first of a new
    conversation (``chatbot_ask``): nothing is stored and no order is looked up."""
    inbox = Inbox(kind=channel, name="preview", config={})
    ticket = Ticket(inbox=inbox)
    message = Message(ticket=ticket, inbox=inbox, text=understanding.text)
    conversation = BotConversation(ticket=ticket)
    turn = Turn(ticket=ticket, message=message, conversation=conversation)
    turn.bot = BotSettings(inbox=inbox, enabled=True)
    intent = understanding.intent
    if intent in WISMO_INTENTS:
        return Reply(
            _(
                "I can check that for you. Please send your order number and the email "
                "address or postcode used for the order."
            )
        )
    if intent == "contact_human":
        outcome = turn._hand_over(HandoverReason.CONTACT_HUMAN)
    elif intent == "complaint":
        outcome = turn._hand_over(HandoverReason.COMPLAINT)
    elif intent in KB_INTENTS:
        outcome = turn._knowledge(understanding)
    elif intent in {"greeting", "thanks_goodbye"}:
        outcome = turn.run(understanding)
    else:
        outcome = turn._misunderstood(understanding)
    assert outcome.reply is not None
    return outcome.reply

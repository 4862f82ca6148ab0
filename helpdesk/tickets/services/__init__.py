"""Writes on tickets and messages, one module per concern.

- ``receive``: inbound messages (one or a batch) stored, deduplicated and threaded;
- ``outbound``: replies and notes, delivery through the channel adapters, the requeue sweep;
- ``actions``: what agents (and rules) do to a ticket: status, assignment, tags, merge, split;
- ``contacts``: contact merge;
- ``common``: the timeline entries and attachments they all write.

The public functions are re-exported here: ``from helpdesk.tickets.services import ...``
keeps working.
"""

from helpdesk.contracts import ReceiveResult
from helpdesk.tickets.services.actions import (
    BulkResult,
    ticket_assign,
    ticket_assign_round_robin,
    ticket_link_order,
    ticket_merge,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_team,
    ticket_split,
    ticket_tags_change,
    tickets_bulk_apply,
    tickets_merge,
)
from helpdesk.tickets.services.common import (
    attachment_store,
    ticket_event_record,
    ticket_status_event,
)
from helpdesk.tickets.services.contacts import contact_merge
from helpdesk.tickets.services.handover import ticket_hand_over
from helpdesk.tickets.services.outbound import (
    RetryLater,
    message_deliver,
    message_delivery_update,
    message_reply,
    note_add,
    outbound_requeue_stale,
    ticket_respond,
)
from helpdesk.tickets.services.receive import (
    message_receive,
    messages_receive,
    ticket_open,
)

__all__ = [
    "BulkResult",
    "ReceiveResult",
    "RetryLater",
    "attachment_store",
    "contact_merge",
    "message_deliver",
    "message_delivery_update",
    "message_receive",
    "message_reply",
    "messages_receive",
    "note_add",
    "outbound_requeue_stale",
    "ticket_assign",
    "ticket_assign_round_robin",
    "ticket_event_record",
    "ticket_hand_over",
    "ticket_link_order",
    "ticket_merge",
    "ticket_open",
    "ticket_respond",
    "ticket_set_priority",
    "ticket_set_status",
    "ticket_set_team",
    "ticket_split",
    "ticket_status_event",
    "ticket_tags_change",
    "tickets_bulk_apply",
    "tickets_merge",
]

"""The agent workspace: ticket list, ticket view and its actions. Every object goes through
tickets_visible_to (and friends): an id the user may not see is a 404."""

from helpdesk.inbox.views.actions import ticket_action
from helpdesk.inbox.views.common import AgentRequest, staff_required
from helpdesk.inbox.views.lists import (
    mentions,
    outbox,
    saved_view_delete,
    saved_view_save,
    ticket_list,
    tickets_bulk,
)
from helpdesk.inbox.views.ticket import (
    attachment_download,
    canned_preview,
    order_detail,
    ticket_detail,
)

__all__ = [
    "AgentRequest",
    "attachment_download",
    "canned_preview",
    "mentions",
    "order_detail",
    "outbox",
    "saved_view_delete",
    "saved_view_save",
    "staff_required",
    "ticket_action",
    "ticket_detail",
    "ticket_list",
    "tickets_bulk",
]

from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.tickets.models import TicketStatus


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20000
    )
    internal = forms.BooleanField(label=_("Internal note"), required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)

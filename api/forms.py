from django import forms

from api.models import ApiToken
from planner.models import Workspace


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="what the token is for, e.g. “CI gate of payments”")
    permission = forms.ChoiceField(choices=ApiToken.Permission.choices, initial=ApiToken.Permission.READ)
    workspaces = forms.ModelMultipleChoiceField(queryset=Workspace.objects.none(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspaces"].queryset = Workspace.objects.filter(memberships__user=user).order_by("name")

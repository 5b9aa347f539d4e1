"""Forms for workspaces, members, scenario creation/import and runs (scenario sections: scenario_forms)."""
from __future__ import annotations

import secrets

from django import forms
from django.conf import settings

from .models import Membership
from .selectors.scenarios import preset_list

MAX_IMPORT_BYTES = 1_000_000


class WorkspaceForm(forms.Form):
    """A workspace's name and the business targets every option is judged against."""

    name = forms.CharField(max_length=200)
    rto_s = forms.FloatField(label="Recovery time objective (s)", min_value=0.001, initial=300)
    rpo_s = forms.FloatField(label="Recovery point objective (s)", min_value=0, initial=60)
    availability = forms.FloatField(label="Availability SLO (0–1)", min_value=0.5, max_value=0.999999,
                                    initial=0.999)
    monthly_budget_usd = forms.FloatField(label="Monthly budget (USD/month)", min_value=0, required=False,
                                          help_text="Leave blank for no budget limit.")
    confidence = forms.FloatField(label="Confidence (0–1)", min_value=0.5, max_value=0.999, initial=0.95,
                                  help_text="A target counts as met when it holds with this probability.")

    TARGET_FIELDS = ("rto_s", "rpo_s", "availability", "monthly_budget_usd", "confidence")

    def targets(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.TARGET_FIELDS}


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.VIEWER)


class ScenarioCreateForm(forms.Form):
    """A new scenario: blank (every default) or one of the presets in ``examples/``."""

    name = forms.CharField(max_length=200)
    preset = forms.ChoiceField(required=False, label="Start from")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [("", "Blank (all defaults)")] + [
            (p.slug, p.name) for p in preset_list()]


class ScenarioAboutForm(forms.Form):
    name = forms.CharField(max_length=200)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20_000)


class ScenarioImportForm(forms.Form):
    """YAML or JSON, uploaded as a file or pasted."""

    file = forms.FileField(required=False, label="YAML file")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}), required=False,
                           label="…or paste YAML", max_length=MAX_IMPORT_BYTES,
                           error_messages={"max_length": "The document is larger than 1 MB."})
    name = forms.CharField(max_length=200, required=False, help_text="Leave blank to use the document's name.")

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError("The file is larger than 1 MB.")
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text.") from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError("Choose a file or paste a document.")
        return data


def _new_seed() -> int:
    return secrets.randbelow(2**31)


class RunForm(forms.Form):
    trials = forms.ChoiceField(choices=[], initial="quick", label="Trials per incident type")
    seed = forms.IntegerField(min_value=0, max_value=2**63 - 1, initial=_new_seed,
                              help_text="Same seed and scenario, same numbers.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trials"].choices = [
            (key, f"{key.capitalize()} — {count:,}") for key, count in settings.RUN_TRIAL_CHOICES.items()]

    def trial_count(self) -> int:
        return settings.RUN_TRIAL_CHOICES[self.cleaned_data["trials"]]

"""Forms for workspaces, members, scenario creation/import and runs (scenario sections: scenario_forms)."""

from __future__ import annotations

import secrets

from django import forms
from django.conf import settings

from planner.models import Membership, default_targets
from planner.scenario_forms import django_field
from planner.schema_fields import FieldSpec, model_leaves
from planner.selectors.scenarios import preset_list
from simulation.limits import MAX_DOCUMENT_BYTES
from simulation.model.business import Targets

MAX_IMPORT_BYTES = MAX_DOCUMENT_BYTES  # the engine refuses larger documents anyway


# What the workspace form says and allows beyond the schema's ``Targets``: the words of the labels
# and bounds narrower than the schema's (an availability target of 0.3 is a typo, not a target).
TARGET_WORDS = {
    "rto_s": "Recovery time objective",
    "rpo_s": "Recovery point objective",
    "availability": "Availability SLO",
}
TARGET_UNITS = {"monthly_budget_usd": "USD/month"}  # the schema's name ends in _usd; the budget is monthly
TARGET_BOUNDS = {
    "rto_s": {"min_value": 0.001},
    "rpo_s": {"min_value": 0},
    "availability": {"min_value": 0.5, "max_value": 0.999999},
    "monthly_budget_usd": {"min_value": 0},
    "confidence": {"min_value": 0.5, "max_value": 0.999},
}
TARGET_HELP = {
    "monthly_budget_usd": "Leave blank for no budget limit.",
    "confidence": "A target counts as met when it holds with this probability.",
}


def _target_field(spec: FieldSpec) -> forms.Field:
    """One target as the schema's field generator makes it: required unless the schema allows none."""
    name = spec.name
    words, unit = TARGET_WORDS.get(name, spec.label), TARGET_UNITS.get(name, spec.unit)
    return django_field(
        spec,
        label=f"{words} ({unit})" if unit else words,
        required=not spec.optional,
        initial=Targets.model_fields[name].default,
        help_text=TARGET_HELP.get(name, spec.help),
        **TARGET_BOUNDS.get(name, {}),
    )


class WorkspaceForm(forms.Form):
    """A workspace's name and the business targets every option is judged against (fields of ``Targets``)."""

    name = forms.CharField(max_length=200)

    TARGET_FIELDS = tuple(default_targets())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        leaves = model_leaves(Targets)
        for name in self.TARGET_FIELDS:
            self.fields[name] = _target_field(leaves[name])

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
        self.fields["preset"].choices = [("", "Blank (all defaults)")] + [(p.slug, p.name) for p in preset_list()]


class ScenarioAboutForm(forms.Form):
    name = forms.CharField(max_length=200)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20_000)


class ScenarioImportForm(forms.Form):
    """YAML or JSON, uploaded as a file or pasted."""

    file = forms.FileField(required=False, label="YAML file")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        required=False,
        label="…or paste YAML",
        max_length=MAX_IMPORT_BYTES,
        error_messages={"max_length": "The document is larger than 1 MB."},
    )
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
    seed = forms.IntegerField(
        min_value=0, max_value=2**63 - 1, initial=_new_seed, help_text="Same seed and scenario, same numbers."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trials"].choices = [
            (key, f"{key.capitalize()} — {count:,}") for key, count in settings.RUN_TRIAL_CHOICES.items()
        ]

    def trial_count(self) -> int:
        return settings.RUN_TRIAL_CHOICES[self.cleaned_data["trials"]]

"""Forms for workspaces, members, scenario creation/import and runs (scenario sections: scenario_forms)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from planner.derivation import PATTERNS
from planner.models import Membership, default_targets
from planner.schema_fields import FieldSpec, model_leaves
from planner.selectors.scenarios import preset_list
from simulation.analysis.variants import QUICK_SEED
from simulation.limits import MAX_DOCUMENT_BYTES
from simulation.model.business import Targets
from simulation.present.units_text import (
    format_duration_input,
    format_money_input,
    format_percent_input,
    parse_duration,
    parse_money,
    parse_percent,
)

# One seed policy everywhere (runs, the workshop, the tornado, the advice): common random numbers, so that
# compared options differ by their design, not by their draws.
COMMON_SEED = QUICK_SEED
MAX_IMPORT_BYTES = MAX_DOCUMENT_BYTES  # the engine refuses larger documents anyway


# What the workspace form says and allows beyond the schema's ``Targets``: the words of the labels
# and bounds narrower than the schema's (an availability target of 0.3 is a typo, not a target).
TARGET_WORDS = {
    "rto_s": "Recovery time objective",
    "rpo_s": "Recovery point objective",
    "availability": "Availability SLO",
    "monthly_budget_usd": "Monthly budget",
    "confidence": "Confidence",
}
TARGET_BOUNDS = {
    "rto_s": {"min_value": 0.001},
    "rpo_s": {"min_value": 0},
    "availability": {"min_value": 0.5, "max_value": 0.999999},
    "monthly_budget_usd": {"min_value": 0},
    "confidence": {"min_value": 0.5, "max_value": 0.999},
}


class HumanUnitField(forms.Field):
    """A target typed in human units ("5 min", "99.95 %", "40k USD/month"), stored as the engine's number
    and shown back the same way (``simulation.present.units_text``); ambiguous input is refused clearly."""

    def __init__(self, *, parse, write, min_value=None, max_value=None, **kwargs):
        self.parse, self.write, self.min_value, self.max_value = parse, write, min_value, max_value
        super().__init__(widget=forms.TextInput(attrs={"maxlength": 60, "spellcheck": "false"}), **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return self.write(float(value))
            except ValueError:
                return value
        return value

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text in self.empty_values:
            return None
        if len(text) > 60:
            raise forms.ValidationError("Too long: write e.g. “5 min” or “99.95 %”.")
        try:
            number = self.parse(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if self.min_value is not None and number < self.min_value:
            raise forms.ValidationError(f"Must be at least {self.write(self.min_value)}.")
        if self.max_value is not None and number > self.max_value:
            raise forms.ValidationError(f"Must be at most {self.write(self.max_value)}.")
        return number


TARGET_INPUT = {
    "rto_s": (parse_duration, format_duration_input, "e.g. 5 min, 90 s or 1 h 30 min"),
    "rpo_s": (parse_duration, format_duration_input, "e.g. 1 min, 30 s or 0"),
    "availability": (parse_percent, format_percent_input, "e.g. 99.95 %"),
    "monthly_budget_usd": (parse_money, format_money_input, "e.g. 40k USD/month; leave blank for no budget limit"),
    "confidence": (parse_percent, format_percent_input, "e.g. 95 %: a target counts as met with this probability"),
}


def _target_field(spec: FieldSpec) -> forms.Field:
    """One target, typed in human units; required unless the schema allows none; bounds as the schema's."""
    name = spec.name
    parse, write, example = TARGET_INPUT[name]
    default = Targets.model_fields[name].default
    return HumanUnitField(
        parse=parse,
        write=write,
        label=TARGET_WORDS.get(name, spec.label),
        required=not spec.optional,
        initial=default,
        help_text=example.capitalize() + ".",
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


class ReferenceOptionForm(forms.Form):
    """An editor picks the workspace's reference option: the baseline of every premium is its
    single-region, backups-only version."""

    reference = forms.ModelChoiceField(
        queryset=None,
        label="Reference option",
        empty_label=None,
        help_text="Premiums of every option are measured against this option in a single region with backups only.",
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference"].queryset = workspace.scenarios.order_by("name", "id")


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.VIEWER)


class ScenarioCreateForm(forms.Form):
    """A new scenario: from a base scenario of the workspace (a pattern or a preset applied to it, changing
    only what they need), or without one: blank (every default), a pattern's defaults or a preset whole."""

    name = forms.CharField(max_length=200)
    base = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Base scenario",
        empty_label="None: the schema's defaults",
        help_text="The new option starts as a copy of it; only what the pattern or preset needs changes.",
    )
    pattern = forms.ChoiceField(required=False, label="Redundancy pattern")
    preset = forms.ChoiceField(required=False, label="Preset", help_text="Or a preset: it sets its own pattern.")

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base"].queryset = workspace.scenarios.order_by("name", "id")
        self.fields["pattern"].choices = [("", "Keep the base's pattern")] + [(p, p) for p in PATTERNS]
        self.fields["preset"].choices = [("", "None")] + [(p.slug, p.name) for p in preset_list()]

    def clean(self):
        data = super().clean()
        if data.get("pattern") and data.get("preset"):
            raise forms.ValidationError("Choose a pattern or a preset, not both: a preset sets its own pattern.")
        return data


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


class RunForm(forms.Form):
    trials = forms.ChoiceField(choices=[], initial="quick", label="Trials per incident type")
    seed = forms.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        initial=COMMON_SEED,
        help_text="Same seed and scenario, same numbers. Options run with the same seed share their random "
        "numbers, so their differences are effects, not sampling noise.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trials"].choices = [
            (key, f"{key.capitalize()} — {count:,}") for key, count in settings.RUN_TRIAL_CHOICES.items()
        ]

    def trial_count(self) -> int:
        return settings.RUN_TRIAL_CHOICES[self.cleaned_data["trials"]]

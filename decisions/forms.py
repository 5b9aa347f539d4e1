"""The decision form: title, the runs compared (1–5), the chosen one, and the reasoning."""

from __future__ import annotations

from django import forms

from decisions.models import MAX_OPTIONS


class RunChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, run) -> str:
        return f"{run.scenario_name} — run {run.pk}, {run.trials} trials, seed {run.seed}"


class ChosenRunField(forms.ModelChoiceField):
    def label_from_instance(self, run) -> str:
        return f"{run.scenario_name} (run {run.pk})"


class DecisionForm(forms.Form):
    title = forms.CharField(max_length=200)
    context = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="The problem and the forces at play."
    )
    runs = RunChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Options compared",
        help_text=f"The options compared: 1 to {MAX_OPTIONS} finished runs.",
    )
    chosen_run = ChosenRunField(
        queryset=None,
        required=False,
        label="Chosen option",
        help_text="Leave empty while undecided; signing off needs a choice.",
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    consequences = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    follow_ups = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Follow-ups", help_text="One per line."
    )

    def __init__(self, *args, runs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["runs"].queryset = runs
        self.fields["chosen_run"].queryset = runs

    def clean(self):
        data = super().clean()
        runs = list(data.get("runs") or [])
        if runs and len(runs) > MAX_OPTIONS:
            self.add_error("runs", f"Choose at most {MAX_OPTIONS} runs.")
        chosen = data.get("chosen_run")
        if chosen is not None and runs and chosen not in runs:
            self.add_error("chosen_run", "The chosen option must be one of the runs compared.")
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "context": data["context"],
            "runs": list(data["runs"].order_by("id")),
            "chosen_run": data["chosen_run"],
            "rationale": data["rationale"],
            "consequences": data["consequences"],
            "follow_ups": data["follow_ups"],
        }

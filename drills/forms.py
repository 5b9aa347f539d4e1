"""Drill entry (one drill, milestones as durations with units or timestamps) and drill-file import."""

from __future__ import annotations

from django import forms

from drills.models import Drill
from simulation.model.drills import MAX_DRILL_TEXT_CHARS, DrillRecord, parse_row

MILESTONE_HELP = "a duration after the injection with its unit (95 s, 2.5 min) or an ISO 8601 timestamp"


class DrillForm(forms.Form):
    drill_type = forms.ChoiceField(choices=Drill.DrillType.choices)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=Drill.Kind.choices, initial="drill")
    under_load = forms.BooleanField(required=False, label="Ran under production load")
    injected_at = forms.CharField(max_length=40, initial="0 s", label="Failure injected", help_text=MILESTONE_HELP)
    detected_at = forms.CharField(max_length=40, label="Detected", help_text=MILESTONE_HELP)
    decided_at = forms.CharField(max_length=40, required=False, label="Decision", help_text="empty: no decision step")
    promoted_at = forms.CharField(max_length=40, required=False, label="Promotion / restore done")
    restored_at = forms.CharField(max_length=40, label="Traffic restored")
    full_capacity_at = forms.CharField(max_length=40, required=False, label="Back to full capacity")
    data_loss = forms.CharField(max_length=30, required=False, label="Data loss")
    data_loss_unit = forms.ChoiceField(
        choices=[("", "—"), ("s", "seconds of writes"), ("tx", "transactions")], required=False, label="Data loss unit"
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    record: DrillRecord | None = None

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        row = {
            k: ("yes" if v is True else "no" if v is False else "" if v is None else str(v)) for k, v in data.items()
        }
        record, problems = parse_row(row, 1)
        for problem in problems:
            self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        self.record = record
        return data


class DrillImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or JSON in the drill format (download the template)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DRILL_TEXT_CHARS:
            raise forms.ValidationError(f"The file is larger than {MAX_DRILL_TEXT_CHARS:,} bytes.")
        try:
            self.text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        return upload

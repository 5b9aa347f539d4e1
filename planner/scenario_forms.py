"""The per-section scenario forms, generated from the engine's schema.

A ``SectionForm`` shows every leaf of one section (see ``schema_fields``),
turns the posted values back into that section of the document, and puts the
engine validator's problems next to the fields they name. A blank number means
"the schema default"; a blank optional number (e.g. max lifetime) means none;
a list row (region, replica) with a blank first column is removed.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms

import simulation
from planner.schema_fields import DIST_HELP, SECTIONS, FieldSpec, Group, dist_from_text, dist_to_text, section_groups


class DistField(forms.CharField):
    """A distribution typed as short text (``lognormal median=300 p95=900``)."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return dist_from_text(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class FloatListField(forms.CharField):
    """Numbers separated by commas (``5, 25, 50, 100``)."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            numbers = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise forms.ValidationError("Give numbers separated by commas.") from None
        if any(n != n or abs(n) == float("inf") for n in numbers):
            raise forms.ValidationError("Give finite numbers.")
        return numbers


def _get(document: Any, path: tuple) -> Any:
    for part in path:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return None
    return document


def _initial(spec: FieldSpec, document: dict) -> Any:
    value = _get(document, spec.path)
    if spec.kind == "dist":
        return dist_to_text(value)
    if spec.kind == "float_list":
        return ", ".join(f"{v:g}" for v in value) if isinstance(value, list) else ""
    return value


def django_field(spec: FieldSpec, **options) -> forms.Field:
    """The Django field of one leaf: optional (blank means default, or none) unless ``options`` say otherwise.

    ``options`` go to the field as they are (``required``, ``min_value``, ``help_text``, …).
    """
    attrs = {"aria-describedby": f"help_{spec.name}"} if spec.help else {}
    common = {"label": spec.label, "required": False, "help_text": spec.help} | options
    if spec.kind == "bool":
        return forms.BooleanField(**common)
    if spec.kind == "choice":
        choices = [("", "—")] if spec.optional else []
        return forms.ChoiceField(choices=choices + [(c, c) for c in spec.choices], **common)
    if spec.kind == "int":
        return forms.IntegerField(widget=forms.NumberInput(attrs=attrs), **common)
    if spec.kind == "float":
        return forms.FloatField(widget=forms.NumberInput(attrs=attrs), **common)  # step="any" is Django's
    if spec.kind == "dist":
        return DistField(
            widget=forms.TextInput(attrs={**attrs, "class": "dist", "title": DIST_HELP}), max_length=2000, **common
        )
    if spec.kind == "float_list":
        return FloatListField(max_length=2000, **common)
    return forms.CharField(max_length=200, widget=forms.TextInput(attrs=attrs), **common)


class SectionForm(forms.Form):
    """One section of a scenario document, e.g. "Failover" or "Costs and business"."""

    def __init__(self, *args, section: str, document: dict, **kwargs):
        self.section = section
        self.document = document
        self.title = dict((k, t) for k, t, _ in SECTIONS)[section]
        self.keys = dict((k, keys) for k, _, keys in SECTIONS)[section]
        self.groups: list[Group] = section_groups(section, document)
        self.specs: dict[str, FieldSpec] = {}
        super().__init__(*args, **kwargs)
        for group in self.groups:
            for spec in group.fields + [s for row in group.rows for s in row]:
                self.specs[spec.name] = spec
                self.fields[spec.name] = django_field(spec)
                self.initial[spec.name] = _initial(spec, document)

    # -- layout for the template -------------------------------------------------------------
    def layout(self) -> list[dict]:
        """Groups of bound fields (with unit) or, for lists, a table of rows of bound fields."""
        out = []
        for group in self.groups:
            out.append(
                {
                    "legend": group.legend,
                    "fields": [(self[s.name], s) for s in group.fields],
                    "columns": group.columns,
                    "rows": [[(self[s.name], s) for s in row] for row in group.rows],
                }
            )
        return out

    # -- form → document -------------------------------------------------------------------------
    def section_document(self) -> dict:
        """The whole document with this section replaced by the submitted values."""
        document = copy.deepcopy(self.document)
        for key in self.keys:
            document.pop(key, None)
        for group in self.groups:
            if group.rows:
                items = []
                for row in group.rows:
                    values = self._values(row)
                    if values.get(row[0].path[-1]) not in (None, ""):
                        items.append(values)
                _set(document, group.path, items)
            for spec in group.fields:
                value = self.cleaned_data.get(spec.name)
                if spec.kind != "bool" and value in (None, ""):
                    if spec.optional:
                        _set(document, spec.path, None)
                    continue  # blank: the schema default applies
                _set(document, spec.path, value)
        if "regions" in self.keys:
            _drop_replicas_of_removed_regions(document)
        return document

    def _values(self, row: list[FieldSpec]) -> dict:
        values = {}
        for spec in row:
            value = self.cleaned_data.get(spec.name)
            if spec.kind == "bool" or value not in (None, ""):
                values[str(spec.path[-1])] = value
            elif spec.optional:
                values[str(spec.path[-1])] = None
        return values

    def validate_with_engine(self) -> dict | None:
        """Validate the new document with the engine; problems go next to their fields.

        Returns the new document when it is valid, else None (the form then has errors).
        """
        document = self.section_document()
        problems = simulation.validate_document(document)
        for problem in problems:
            field_name = self.field_for_path(problem.path)
            if field_name:
                self.add_error(field_name, problem.message)
            else:
                self.add_error(None, str(problem))
        return None if problems else document

    def field_for_path(self, path: str) -> str | None:
        """``failover.promotion_s.high`` → ``failover__promotion_s`` (the nearest field shown here)."""
        parts = path.replace("[", ".").replace("]", "").split(".") if path else []
        while parts:
            name = "__".join(parts)
            if name in self.fields:
                return name
            parts.pop()
        return None


def _drop_replicas_of_removed_regions(document: dict) -> None:
    """A removed region takes its replicas with it; with none left the engine's default replica applies."""
    names = {region.get("name") for region in document.get("regions") or []}
    database = document.get("database") or {}
    replicas = database.get("replicas")
    if not replicas:
        return
    kept = [r for r in replicas if not isinstance(r, dict) or r.get("region") in names]
    if kept:
        database["replicas"] = kept
    else:
        database.pop("replicas")


def _set(document: dict, path: tuple, value: Any) -> None:
    target = document
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value

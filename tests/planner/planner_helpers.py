"""Helpers the planner tests import (conftest modules are not importable by name across folders)."""

from __future__ import annotations


def section_post_data(section: str, document: dict) -> dict:
    """What the browser posts for a section form left unchanged (checkboxes: present only when ticked)."""
    from planner.scenario_forms import SectionForm

    form = SectionForm(section=section, document=document)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if field.__class__.__name__ == "BooleanField":
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else str(value)
    return data

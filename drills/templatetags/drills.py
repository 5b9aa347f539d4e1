"""``{% load drills %}``: the calibration label of a run's scenario snapshot, for the planner's pages."""

from django import template

from drills.selectors import calibration_label

register = template.Library()


@register.simple_tag
def calibration_label_of(run) -> str:
    """ "calibrated by N drills, last on DATE" when the run's snapshot is a calibrated revision, else ""."""
    return calibration_label(document=getattr(run, "snapshot", None)) or ""

"""Thin views: an access helper, a form, a service call, a template."""

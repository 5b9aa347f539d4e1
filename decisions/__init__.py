"""Decision records: which option was chosen against which targets, who signed off, and its reports."""

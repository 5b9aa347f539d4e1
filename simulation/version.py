"""Version constants of the engine and of the documents it reads and writes, in one place.

Bump ``ENGINE_VERSION`` whenever any figure of any example changes (the golden results
in ``tests/simulation/golden`` enforce it); bump a schema number only when an existing
field changes meaning.
"""

ENGINE_VERSION = "0.3.3"
SCHEMA_VERSION = 1  # scenario documents (``schema:``)
RESULT_SCHEMA = 1  # the results JSON of docs/results.md
REPORT_SCHEMA = 1  # the decision report JSON of docs/reports.md

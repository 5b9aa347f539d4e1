"""Upper bounds on what a user controls (document size, durations, counts, work per run), defined once."""

MAX_DURATION_S = 315_576_000  # ten years: no duration in a scenario, nor a distribution's parameter, is longer
MAX_COUNT = 1_000_000  # whole numbers (instances, pool sizes, thresholds)
MAX_QUANTITY = 1e12  # any other number (rates, sizes, prices): far beyond real systems, far below overflow
MAX_DOCUMENT_BYTES = 1_000_000  # a scenario document, as text
MAX_OPTIONS = 5  # options compared in one report or compare page
MAX_TRIALS = 1_000_000  # incidents replayed per type in one run
MAX_YEARS = 1_000_000  # simulated years in one run

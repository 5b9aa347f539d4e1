"""The brief's recommended settings, defined once: what the checklist's fixes, the tornado
and the cheapest-fix search set when they apply "the fix"."""

# Starting timeouts per call type (3–5× the normal P99); ``app.timeouts`` field names.
BRIEF_TIMEOUTS_S = {
    "internal_http_s": 3,
    "external_http_s": 5,
    "oltp_query_s": 10,
    "reporting_query_s": 60,
    "cache_s": 0.5,
    "queue_publish_s": 5,
    "llm_s": 15,
}
# Fail fast when no connection can be had; validation on borrow then takes about this long.
FAST_CONNECTION_TIMEOUT_S = 5.0
# The brief's pool fix: fail fast, close idle connections, recycle every connection within 30 min.
BRIEF_POOL = {"connection_timeout_s": FAST_CONNECTION_TIMEOUT_S, "idle_timeout_s": 300, "max_lifetime_s": 1800}
# Rolling back by switching traffic to the old version (blue-green, canary): seconds.
FAST_ROLLBACK_S = {"kind": "uniform", "low": 5, "high": 30}

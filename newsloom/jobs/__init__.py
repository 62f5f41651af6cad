"""Scale mode: a job queue in the store (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, leases) and the
``newsloom worker`` processes that claim its jobs. ``queue`` (kinds, payloads, back-off),
``worker`` (the claim-run-finish loop and the one serialised story consumer), ``scheduler``
(due feeds become fetch-feed jobs)."""

"""The audit log of removal requests: every step (intake, refusal, duplicate, each verification
attempt, approval, execution, suppression, overdue alarm) is a row in the store and a log line.
Nothing is ever deleted from it."""

from __future__ import annotations

import logging

from newsloom.models import AuditEntry
from newsloom.store.base import Store

log = logging.getLogger("newsloom.rights")


def record(store: Store, step: str, outcome: str, detail: str = "", request_id: int | None = None) -> AuditEntry:
    """Write one step to the audit log (and the log: warnings for refusals and failures)."""
    entry = AuditEntry(step=step, outcome=outcome, detail=detail[:2000], request_id=request_id)
    store.add_audit(entry)  # type: ignore[attr-defined]
    # only the SLA alarm is a warning: a refusal or a failed check is an answer to bad input,
    # already told to whoever sent it, and stays in the audit log
    level = logging.WARNING if outcome == "overdue" else logging.INFO
    log.log(level, "takedown %s: %s %s%s", request_id if request_id is not None else "-", step, outcome,
            f" ({detail})" if detail else "")
    return entry


def trail(store: Store, request_id: int) -> list[AuditEntry]:
    """Every step of one request, oldest first."""
    return store.audit_trail(request_id)  # type: ignore[attr-defined,no-any-return]

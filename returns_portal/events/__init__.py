"""Domain events and the transactional outbox: side effects happen after commit, never lost.

A service records what happened (`publish(RefundApproved(refund_id=7))`) in the same
transaction as the state change: one outbox row per subscribed handler. After the commit,
`dispatch()` hands each new row to its handler — at once, in-process, in the embedded default;
as a Celery task when a broker is configured. A row whose hand-off or handler failed (the
broker was down, the process died, the mail server refused) stays pending and the periodic
`events.redeliver` job hands it out again, so every effect happens at least once; handlers
are idempotent (each row is claimed before it runs and done once).
"""

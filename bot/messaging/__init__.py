"""Messages in and out: the outbox (record, claim, send, mark: nothing sent twice, nothing lost),
inbound delivery dedupe, and the errors and values a channel exchanges with the domain."""

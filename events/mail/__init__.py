"""Mail infrastructure: the outbox (enqueue), MIME building and the sender. Knows no rule."""

"""refunds domain."""

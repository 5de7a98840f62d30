"""receiving domain."""

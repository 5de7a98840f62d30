"""returns domain."""

"""The returns desk: staff find any return, read everything about it, and act on it."""

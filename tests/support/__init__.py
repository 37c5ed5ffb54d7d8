"""What the moto-backed test suites share: the tag names, the fast waits, the endpoint spec helper."""

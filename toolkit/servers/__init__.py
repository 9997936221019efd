"""Local servers the toolkit talks to, started and stopped by the same code for `make` targets and for tests."""

"""Fault tests: real servers and a private PostgreSQL cluster the tests stop and start."""

"""Internals: SQL statements and per-table operations that take an open connection."""

"""Helpers shared by the tests: text tables, generated books, fixtures."""

"""Gherkin steps (filled in below)."""

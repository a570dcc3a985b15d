"""Helpers for testing the EBS, its mocks and plugins: servers on their own loop, databases."""

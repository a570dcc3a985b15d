"""Binds every ``.feature`` file under ``features/`` to pytest (steps live in ``steps/``)."""

from pytest_bdd import scenarios

scenarios(".")

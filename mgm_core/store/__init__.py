"""The store layer: every SQL statement of the EBS lives in this package."""

from mgm_core.store.database import Database

__all__ = ["Database"]

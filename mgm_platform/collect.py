"""Collect ``.feature`` files as pytest modules: ``pytest x.feature`` runs that file's scenarios.

Each feature file becomes a module whose test functions are pytest-bdd
scenarios (one per scenario, outlines parametrised), named like pytest-bdd's own
``scenarios()`` would name them, so node ids read ``features/x.feature::test_name``.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from pytest_bdd.feature import get_feature
from pytest_bdd.scenario import get_python_name_generator, scenario


def _scenario_stub() -> None:
    """The scenario's body: its steps do the work."""


class FeatureFile(pytest.Module):
    """A ``.feature`` file seen as a module of pytest-bdd scenario functions."""

    def _getobj(self) -> types.ModuleType:
        path = Path(self.path)
        feature = get_feature(str(path.parent), path.name)
        module = types.ModuleType(f"mgm_feature_{path.stem}", feature.name or path.name)
        module.__file__ = str(path)
        for name, _template in feature.scenarios.items():
            bound = scenario(str(path), name, features_base_dir=str(path.parent))(_scenario_stub)
            for test_name in get_python_name_generator(name):
                if test_name not in module.__dict__:
                    setattr(module, test_name, bound)
                    break
        return module


def collect_features(config: pytest.Config) -> bool:
    return bool(config.getini("mgm_collect_features"))

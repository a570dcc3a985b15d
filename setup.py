"""Ship the root ``features/`` (as ``mgm_platform/project_features``) and ``docs/steps.md`` in the wheel.

Everything else is in pyproject.toml; this only copies the ``.feature`` files
into the built package so ``mgm e2e`` runs them from an installed wheel.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithFeatures(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "features"
        target = Path(self.build_lib) / "mgm_platform" / "project_features"
        for feature in sorted(source.rglob("*.feature")):
            destination = target / feature.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(feature.read_bytes())
        # The step library's documentation, for `mgm steps` (meanings of the phrases).
        docs = Path(__file__).resolve().parent / "docs" / "steps.md"
        (Path(self.build_lib) / "mgm_platform" / "steps" / "steps.md").write_bytes(docs.read_bytes())


setup(cmdclass={"build_py": BuildWithFeatures})

"""Root conftest: nothing of its own (its presence puts the checkout on ``sys.path`` for ``tests.*``).

The platform (markers, tags, feature collection, the step library, options and
profiles) comes from :mod:`mgm_platform.plugin` and the EBS fixtures from
:mod:`mgm_core.testing.pytest_plugin`, both loaded through ``pytest11`` entry
points, exactly as in a QA repository that installs the distribution.
"""

pytest_plugins = ["pytester"]  # the platform plugin's own tests (tests/platform) drive inner pytest runs

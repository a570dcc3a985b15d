"""The MimironsGoldOMatic test platform: the pytest plugin, the step library, profiles, backends, the stack.

It uses the EBS (:mod:`mgm_core`) and the backends in ``plugins/``; the EBS knows
nothing of it (``docs/layout.md``).
"""

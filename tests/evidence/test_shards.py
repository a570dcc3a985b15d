"""``--mgm-shard K/N``: disjoint slices that together run every test once."""

from __future__ import annotations

import re

import pytest

TESTS = "\n".join(f"def test_{n}():\n    print('RAN {n}')\n" for n in range(7))


def _ran(result: pytest.RunResult) -> set[str]:
    return {m.group(1) for line in result.stdout.lines if (m := re.search(r"RAN (\d+)", line))}


def test_shards_are_disjoint_and_cover_everything(pytester: pytest.Pytester):
    pytester.makepyfile(test_many=TESTS)
    seen = []
    for shard in ("0/3", "1/3", "2/3"):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--mgm-shard", shard)
        assert result.ret == 0
        seen.append(_ran(result))
    assert sorted(len(s) for s in seen) == [2, 2, 3]
    assert set().union(*seen) == {str(n) for n in range(7)}
    assert sum(len(s) for s in seen) == 7


@pytest.mark.parametrize("bad", ["2/2", "1", "a/b", "-1/2"])
def test_a_bad_shard_is_a_usage_error(pytester: pytest.Pytester, bad):
    pytester.makepyfile(test_many=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--mgm-shard={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: --mgm-shard '{bad}': expected K/N with 0 <= K < N, e.g. --mgm-shard 0/2"]
    )

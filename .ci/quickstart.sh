#!/usr/bin/env bash
# Run the README's Quickstart commands exactly as written, in a fresh clone of the
# current commit (a temporary directory, removed afterwards unless KEEP=1).
#
#   .ci/quickstart.sh            # the ```sh block under "## Quickstart" in README.md
#   KEEP=1 .ci/quickstart.sh     # keep the clone (allure-results/, .venv) for a look
#
# Slow: two venv installs, `mgm e2e` and the whole suite on all cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$root" rev-parse HEAD)"
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  echo "quickstart: uncommitted changes are not in the clone; testing commit $commit" >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mgm-quickstart.XXXXXX")"
# Searchable like an ordinary checkout: as root the embedded PostgreSQL runs as nobody from .venv.
chmod 755 "$work"
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "quickstart: clone kept in $work/clone"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The first ```sh block after the "## Quickstart" heading, up to its closing fence.
awk '
  /^## / { in_section = ($0 == "## Quickstart") }
  in_section && !started && /^```sh[[:space:]]*$/ { started = 1; next }
  started && /^```[[:space:]]*$/ { exit }
  started { print }
' "$root/README.md" >"$work/quickstart.sh"
if [ ! -s "$work/quickstart.sh" ]; then
  echo "quickstart: no \`\`\`sh block under '## Quickstart' in README.md" >&2
  exit 2
fi

git clone --quiet --no-checkout "$root" "$work/clone"
git -C "$work/clone" checkout --quiet --detach "$commit"
echo "quickstart: commit $commit in $work/clone; running:"
sed 's/^/  $ /' "$work/quickstart.sh"
cd "$work/clone"
started=$SECONDS
bash -euo pipefail "$work/quickstart.sh"
echo "quickstart: passed in $((SECONDS - started)) s"

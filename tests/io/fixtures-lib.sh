# tests/io/fixtures-lib.sh: run fixture-score over some fixture folders and
# turn its total into the test's exit status (sourced by fixtures-*.sh).
# Usage: score_folders NAME FOLDER... (folder names under fixtures/).
# Skips (77) when the shared fixtures are not beside the checkout (a
# release tarball) or python3-yaml, which manifest-diff needs, is missing.
set -u

score_folders() {
    name=$1
    shift
    shared=${DT_SHARED:-${top_srcdir:-.}/../shared}
    score=$shared/tools/fixture-score
    if [ ! -x "$score" ] || [ ! -d "$shared/fixtures" ]; then
        echo "SKIP: no shared fixtures at $shared"; exit 77
    fi
    if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
        echo "SKIP: python3-yaml is needed by manifest-diff"; exit 77
    fi
    folders=""
    for f in "$@"; do
        [ -d "$shared/fixtures/$f" ] && folders="$folders $shared/fixtures/$f"
    done
    out=${DT_TMPDIR:-/tmp}/fixtures-$name.$$
    # shellcheck disable=SC2086
    /usr/bin/python3 "$score" --dtree "${DTREE:?}" --timeout 60 -v $folders > "$out" 2>&1
    rc=$?
    cat "$out"
    total=$(sed -n 's/^total *\([0-9]*\)\/\([0-9]*\).*/\1 \2/p' "$out")
    rm -f "$out"
    # shellcheck disable=SC2086
    set -- $total
    [ $# -eq 2 ] || { echo "fixture-score printed no total"; exit 1; }
    echo "$1 passed, $(($2 - $1)) failed"
    exit $rc
}

# tests/cli/lib.sh: helpers the command-line tests share (sourced).
set -u
: "${DTREE:?DTREE must name the dtree program}"
: "${top_srcdir:=.}"
tmp=${DT_TMPDIR:-${TMPDIR:-/tmp}}/cli-$$-$(basename "$0" .sh)
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

# expect_exit CODE CMD...: run CMD, compare its exit status.
expect_exit() {
    want=$1; shift
    "$@" > "$tmp/out" 2> "$tmp/err"; got=$?
    if [ "$got" -ne "$want" ]; then
        fail "'$*' exited $got, expected $want"; sed 's/^/  stderr: /' "$tmp/err" | head -5
    else
        pass
    fi
}

# expect_grep PATTERN FILE: a fixed string must occur in FILE.
expect_grep() {
    if grep -qF -- "$1" "$2"; then pass; else fail "'$1' not in $2"; head -20 "$2" | sed 's/^/  | /'; fi
}

finish() {
    echo "$checks passed, $failures failed"
    [ "$failures" -eq 0 ]
    exit $?
}

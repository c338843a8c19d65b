#!/bin/sh
# tests/cli/polish.sh: what every command shares: `dtree help CMD` and
# `CMD --help`, colour only on a terminal and never with NO_COLOR, the
# hidden `dtree complete` and the bash completion that uses it.
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=$top_srcdir/examples/ocean.yaml
esc=$(printf '\033')

# help for every command, both ways, the same text
for cmd in ls cat query check diff manifest; do
    expect_exit 0 "$DTREE" help "$cmd"
    expect_grep "usage: dtree $cmd" "$tmp/out"
    cp "$tmp/out" "$tmp/help1"
    expect_exit 0 "$DTREE" "$cmd" --help
    cmp -s "$tmp/out" "$tmp/help1" && pass || fail "help $cmd and $cmd --help differ"
    expect_exit 0 "$DTREE" "$cmd" -h
done
expect_exit 0 "$DTREE" help
for cmd in ls cat query check diff manifest help; do
    expect_grep "  $cmd " "$tmp/out"
done
if grep -q "complete" "$tmp/out"; then fail "the hidden command is listed"; else pass; fi
expect_exit 0 "$DTREE" help help
expect_exit 2 "$DTREE" help nosuch
expect_grep "no command 'nosuch'" "$tmp/err"

# colour: not into a file, always when asked, never with --color=never
expect_exit 0 "$DTREE" ls "$ex"
if grep -q "$esc" "$tmp/out"; then fail "colour written to a file"; else pass; fi
expect_exit 0 "$DTREE" --color=always ls "$ex"
expect_grep "${esc}[1;34msurface/${esc}[0m" "$tmp/out"
expect_grep "${esc}[36m^ time${esc}[0m" "$tmp/out"
expect_exit 0 "$DTREE" --color ls "$ex"
expect_grep "${esc}[1;34m" "$tmp/out"
expect_exit 0 "$DTREE" --color=never ls "$ex"
if grep -q "$esc" "$tmp/out"; then fail "--color=never"; else pass; fi
expect_exit 2 "$DTREE" --color=sometimes ls "$ex"
# machine output never has colour
expect_exit 0 "$DTREE" --color=always ls --json "$ex"
if grep -q "$esc" "$tmp/out"; then fail "colour in --json"; else pass; fi
# on a terminal: colour, unless NO_COLOR is set (and not empty)
if command -v script > /dev/null 2>&1 && script -qec true /dev/null > /dev/null 2>&1; then
    script -qec "'$DTREE' ls '$ex'" /dev/null > "$tmp/tty" 2>&1 < /dev/null
    expect_grep "${esc}[1;34m" "$tmp/tty"
    NO_COLOR=1 script -qec "'$DTREE' ls '$ex'" /dev/null > "$tmp/tty" 2>&1 < /dev/null
    if grep -q "$esc" "$tmp/tty"; then fail "NO_COLOR ignored on a terminal"; else pass; fi
    NO_COLOR= script -qec "'$DTREE' ls '$ex'" /dev/null > "$tmp/tty" 2>&1 < /dev/null
    expect_grep "${esc}[1;34m" "$tmp/tty"
    TERM=dumb script -qec "'$DTREE' ls '$ex'" /dev/null > "$tmp/tty" 2>&1 < /dev/null
    if grep -q "$esc" "$tmp/tty"; then fail "colour on a dumb terminal"; else pass; fi
    NO_COLOR=1 script -qec "'$DTREE' --color=always ls '$ex'" /dev/null > "$tmp/tty" 2>&1 < /dev/null
    expect_grep "${esc}[1;34m" "$tmp/tty"
else
    echo "SKIP: no script(1) to make a terminal"
fi

# dtree complete: commands, and FILE:PREFIX
expect_exit 0 "$DTREE" complete --commands
expect_grep "query" "$tmp/out"
if grep -q "^complete$" "$tmp/out"; then fail "complete completes itself"; else pass; fi
expect_exit 0 "$DTREE" complete "$ex:/oc"
expect_grep "$ex:/ocean/" "$tmp/out"
[ "$(wc -l < "$tmp/out")" -eq 1 ] && pass || fail "complete /oc: one candidate"
expect_exit 0 "$DTREE" complete "$ex:/ocean/"
expect_grep "$ex:/ocean/surface/" "$tmp/out"
expect_grep "$ex:/ocean/temperature" "$tmp/out"
expect_exit 0 "$DTREE" complete "$ex:"
expect_grep "$ex:/time" "$tmp/out"
expect_exit 0 "$DTREE" complete "$ex:/ocean/surface/s"
expect_grep "$ex:/ocean/surface/sst" "$tmp/out"
expect_exit 0 "$DTREE" complete "$ex:/nowhere/x"
[ -s "$tmp/out" ] && fail "complete: candidates for a missing group" || pass
expect_exit 1 "$DTREE" complete "$tmp/missing.nc:/x"
[ -s "$tmp/err" ] && fail "complete: noise on stderr" || pass

# the bash completion script, driven as bash drives it
comp=$top_srcdir/contrib/bash-completion/dtree
if command -v bash > /dev/null 2>&1; then
    # complete_line LINE: COMPREPLY, one per line, for the cursor at the end
    # of LINE; words split as bash splits them (at ':' too)
    cat > "$tmp/drive.bash" <<'DRIVE'
. "$1"
COMP_LINE=$2
COMP_POINT=${#2}
read -r -a COMP_WORDS <<< "$(printf '%s' "$2" | sed 's/:/ : /g')"
case $2 in *" ") COMP_WORDS+=(""); esac
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_dtree
printf '%s\n' "${COMPREPLY[@]}"
DRIVE
    complete_line() {
        PATH="$(dirname "$DTREE"):$PATH" bash "$tmp/drive.bash" "$comp" "$1" > "$tmp/comp" 2>&1
    }
    complete_line "dtree qu"
    expect_grep "query" "$tmp/comp"
    complete_line "dtree help ch"
    expect_grep "check" "$tmp/comp"
    complete_line "dtree query --is"
    expect_grep "--isel" "$tmp/comp"
    complete_line "dtree ls -"
    expect_grep "--json" "$tmp/comp"
    expect_grep "-L" "$tmp/comp"
    complete_line "dtree cat --format c"
    expect_grep "csv" "$tmp/comp"
    complete_line "dtree ls $ex:/ocean/su"
    expect_grep "/ocean/surface/" "$tmp/comp"
    if grep -q "ocean.yaml" "$tmp/comp"; then fail "completion repeats the file part"; else pass; fi
    complete_line "dtree --col"
    expect_grep "--color=auto" "$tmp/comp"
else
    echo "SKIP: no bash"
fi

finish

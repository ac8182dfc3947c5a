#!/bin/sh
test_description='the option table, --help and the man page agree'
. "$(dirname "$0")/lib.sh"

man_page=$tests_dir/../bwrapper.1

# The options --help lists (the option table drives it).
"$BWRAPPER" --help | sed -n 's/^    \(--[a-z0-9-]*\).*/\1/p' | sort >help-options
# The options the man page documents, one .TP entry each.
test -f "$man_page" && test_set_prereq MANPAGE
[ -f "$man_page" ] && sed -n '/^\.TP/{n;s/^\.BI\{0,1\} \(\\-\\-[a-z0-9\\-]*\).*/\1/p}' "$man_page" |
    sed 's/\\-/-/g' | sort >man-options

test_expect_success '--help lists the options of the option table' '
    test_line_count -gt 60 help-options &&
    grep -qx -- --bind help-options &&
    grep -qx -- --print-plan help-options
'

test_expect_success 'every option has help text' '
    ! "$BWRAPPER" --help | grep -E "^    --[a-z0-9-]+( [A-Z]+)* *$"
'

test_expect_success MANPAGE 'the man page documents exactly the options of --help' '
    test_cmp help-options man-options
'

test_expect_success MANPAGE 'the man page is valid roff (man --warnings prints nothing)' '
    MANWIDTH=80 man --warnings -l "$man_page" >/dev/null 2>warnings &&
    test_must_be_empty warnings
'

test_expect_success 'usage names the program as invoked (argv[0]), as bwrap does' '
    ln -s "$BWRAPPER" bwrap &&
    ./bwrap --help | head -n 1 >usage &&
    grep -q "^usage: \./bwrap \[OPTIONS" usage &&
    "$BWRAPPER" --help | head -n 1 | grep -q "^usage: $BWRAPPER \[OPTIONS"
'

test_expect_success '--version names bwrapper, and bubblewrap first when linked as bwrap' '
    "$BWRAPPER" --version | grep -q "^bwrapper [0-9]" &&
    ./bwrap --version | grep -q "^bubblewrap 0\.11"
'

test_done

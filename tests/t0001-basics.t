#!/bin/sh
test_description='bwrapper starts, runs a command, passes its status through'
. "$(dirname "$0")/lib.sh"

test_expect_success 'runs a command in a read-only view of /' '
    "$BWRAPPER" --ro-bind / / echo hello >out &&
    echo hello >expect &&
    test_cmp expect out
'

test_expect_success 'the command exit status passes through' '
    test_expect_code 42 "$BWRAPPER" --ro-bind / / sh -c "exit 42"
'

test_expect_success 'a command killed by a signal gives 128+n, as bwrap' '
    test_expect_code 137 "$BWRAPPER" --ro-bind / / sh -c "kill -9 \$\$"
'

test_expect_success BWRAP 'same stdout and status as bwrap for a plain run' '
    same_as_bwrap --ro-bind / / sh -c "echo hi; exit 3"
'

test_done

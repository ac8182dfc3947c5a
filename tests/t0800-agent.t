#!/bin/sh
test_description='--profile agent, --rw/--ro, --timeout, --rlimit (namespaces)'
. "$(dirname "$0")/lib.sh"

WRAP= ISO= LANDLOCK=
. "$tests_dir/agent-tests.sh"

test_done

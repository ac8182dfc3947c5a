# Shared set-up for bwrapper's shell tests (sharness, TAP).
# Source it from a test as:  . "$(dirname "$0")/lib.sh"
# It provides:
#   $BWRAPPER     the binary under test (absolute path)
#   $BWRAP        the system bubblewrap, for differential tests
#   $ROOT_ARGS    a minimal read-only system (usr, etc, the /bin /lib links)
#   prereqs       BWRAP (system bwrap present), ROOT, USER (unprivileged),
#                 USERNS (user namespaces work), SANITIZED
SHARNESS_TEST_SRCDIR=${SHARNESS_TEST_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
tests_dir=$SHARNESS_TEST_SRCDIR
BWRAPPER=${BWRAPPER:-$(cd "$tests_dir/.." && pwd)/bwrapper}
BWRAP=${BWRAP:-/usr/bin/bwrap}
export BWRAPPER BWRAP

# The library: Debian's sharness, or a copy named by SHARNESS.
. "${SHARNESS:-/usr/share/sharness/sharness.sh}"

ROOT_ARGS="--ro-bind /usr /usr --ro-bind /etc /etc"
for d in bin sbin lib lib32 lib64 libx32; do
    if [ -L "/$d" ]; then
        ROOT_ARGS="$ROOT_ARGS --symlink $(readlink "/$d") /$d"
    elif [ -d "/$d" ]; then
        ROOT_ARGS="$ROOT_ARGS --ro-bind /$d /$d"
    fi
done
export ROOT_ARGS

[ -x "$BWRAP" ] && test_set_prereq BWRAP
if [ "$(id -u)" = 0 ]; then test_set_prereq ROOT; else test_set_prereq USER; fi
"$BWRAPPER" --ro-bind / / true 2>/dev/null && test_set_prereq SANDBOX
case "${ASAN_OPTIONS:-}${SANITIZE:-}" in ?*) test_set_prereq SANITIZED ;; esac

# Debian's sharness lacks git's test_line_count.
# test_line_count OP N FILE: the number of lines of FILE compares OP N.
test_line_count() {
    if test $# != 3; then
        error "bug in the test script: test_line_count needs 3 arguments"
    elif ! test "$(wc -l <"$3")" "$1" "$2"; then
        echo "test_line_count: line count for $3 !$1 $2"
        cat "$3"
        return 1
    fi
}

# Run the same command line under the system bwrap and under bwrapper and
# compare stdout and exit status.  Usage: same_as_bwrap ARGS...
same_as_bwrap() {
    "$BWRAP" "$@" >expect.out 2>expect.err
    echo "exit $?" >>expect.out
    "$BWRAPPER" "$@" >actual.out 2>actual.err
    echo "exit $?" >>actual.out
    test_cmp expect.out actual.out
}

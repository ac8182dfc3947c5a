# Shared set-up for bwrapper's shell tests (sharness, TAP).
# Source it from a test as:  . "$(dirname "$0")/lib.sh"
# It provides:
#   $BWRAPPER     the binary under test (absolute path)
#   $BWRAP        the system bubblewrap, for differential tests
#   $ROOT_ARGS    a minimal read-only system (usr, etc, the /bin /lib links)
#   prereqs       BWRAP (system bwrap present), ROOT, USER (unprivileged),
#                 USERNS (user namespaces work), SANITIZED
#   drive         for --pty tests: ptydrive as the caller's terminal, prereq DRIVE
#   oci_setup     for OCI tests: a private $XDG_RUNTIME_DIR, nothing_left,
#                 and the prereqs RUNC, CRUN (unprivileged) and RUNSC (root)
SHARNESS_TEST_SRCDIR=${SHARNESS_TEST_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
tests_dir=$SHARNESS_TEST_SRCDIR
BWRAPPER=${BWRAPPER:-$(cd "$tests_dir/.." && pwd)/bwrapper}
BWRAP=${BWRAP:-/usr/bin/bwrap}
export BWRAPPER BWRAP

# The caller's stderr: sharness sends a test's own output nowhere unless
# -v, and a failure seen once under load must leave its evidence.
exec 9>&2
# show_on_failure FILE...: FILE's lines on that stderr, as TAP comments.
show_on_failure() {
    for f; do echo "# --- $f"; sed "s/^/# /" "$f"; done >&9
}

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

# OCI tests: bundles go to $XDG_RUNTIME_DIR, a private one here, so that
# nothing_left shows exactly what a run left behind; runsc's platform cache
# stays here too.  runc and crun are tested rootless (the unprivileged
# pass), runsc as root, each only where it can start a sandbox.
oci_setup() {
    # crun refuses a host where cgroup v2 sits beside v1 with a controller
    # still bound to it ("hybrid mode").  As root, move such controllers to
    # v1 hierarchies, so the unprivileged pass can test crun.
    if [ "$(id -u)" = 0 ] && [ -f /sys/fs/cgroup/unified/cgroup.controllers ] &&
        [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ]; then
        for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
            mkdir -p "/sys/fs/cgroup/$c" && mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" ||
                say "could not move the cgroup controller $c to v1"
        done
    fi
    XDG_RUNTIME_DIR=$(pwd)/xdg
    mkdir -m 0700 "$XDG_RUNTIME_DIR"
    XDG_CACHE_HOME=$(pwd)/cache
    export XDG_RUNTIME_DIR XDG_CACHE_HOME
    if test_have_prereq USER; then
        oci_starts runc && test_set_prereq RUNC
        oci_starts crun && test_set_prereq CRUN
    fi
    if test_have_prereq ROOT && command -v runsc >/dev/null; then
        if oci_starts runsc; then
            test_set_prereq RUNSC
        else
            echo "# runsc cannot start a sandbox here (see: $BWRAPPER --runtime runsc true); its tests are skipped"
        fi
    fi
    rm -rf "$XDG_RUNTIME_DIR"/*
}
oci_starts() { "$BWRAPPER" $ROOT_ARGS --runtime "$1" true >/dev/null 2>&1 && nothing_left >/dev/null; }
nothing_left() {
    test -z "$(ls -A "$XDG_RUNTIME_DIR")" || { ls -la "$XDG_RUNTIME_DIR" | sed "s/^/# left: /" >&9; false; }
}

# --pty tests: ptydrive (tests/ptydrive.c) plays the caller's terminal: a
# pty of its own, a window size, typed input, resizes and signals; see its
# header.  drive ARGS...: ptydrive with a timeout (DRIVE_TIMEOUT seconds),
# its output without the terminal's carriage returns in "out", its status
# in "status"; status_is N checks that status.
DRIVE=$tests_dir/bin/ptydrive
[ -x "$DRIVE" ] && test_set_prereq DRIVE
# env --default-signal: a shell starts background jobs (a test run with
# "&", a CI runner's) with SIGINT and SIGQUIT ignored, and a command started
# so can trap neither: Ctrl-C and SIGQUIT tests then fail whatever the
# timing.  The terminal ptydrive plays starts a session of its own.
drive() {
    env --default-signal "$DRIVE" -t "${DRIVE_TIMEOUT:-10}" "$@" >out.raw 2>err
    echo $? >status
    tr -d '\r' <out.raw >out
}
status_is() {
    echo "$1" >expect.status && test_cmp expect.status status
}

#!/bin/sh
test_description='attacks from inside the sandbox (issue 19): pid 1, --rw/--ro
symlinks, inherited fds, --pty without a pid namespace, --timeout leftovers'
. "$(dirname "$0")/lib.sh"

# A system, a private /tmp and /proc of a new pid namespace, and no
# capabilities (as root, CAP_SYS_PTRACE alone would reach any process).
SYS="$ROOT_ARGS --proc /proc --dev /dev --tmpfs /tmp --unshare-pid --cap-drop ALL"

test_expect_success 'the command cannot open pid 1 (the reaper) through /proc/1/mem' '
    test_must_fail "$BWRAPPER" $SYS -- sh -c "exec 3<>/proc/1/mem" 2>err &&
    grep -q "Permission denied" err
'

test_expect_success 'the command cannot read pid 1'"'"'s environment or follow its fds' '
    test_must_fail "$BWRAPPER" $SYS -- cat /proc/1/environ 2>err &&
    grep -q "Permission denied" err &&
    test_must_fail "$BWRAPPER" $SYS -- readlink /proc/1/fd/0 &&
    test_must_fail "$BWRAPPER" $SYS -- readlink /proc/1/cwd
'

test_expect_success 'the caller'"'"'s environment cannot be read from pid 1 (--profile agent)' '
    env BWRAPPER_SECRET=hunter2 "$BWRAPPER" --profile agent -- \
        sh -c "tr \"\\0\" \"\\n\" </proc/1/environ" >out 2>err;
    ! grep -q hunter2 out &&
    grep -q "Permission denied" err
'

test_expect_success 'pid 1 has the command'"'"'s --rlimit limits' '
    "$BWRAPPER" $SYS --rlimit nofile=16 --rlimit fsize=1024:2048 -- \
        sh -c "grep -E \"open files|file size\" /proc/1/limits" >limits &&
    grep -q "^Max open files  *16  *" limits &&
    grep -q "^Max file size  *1024  *2048 " limits &&
    "$BWRAPPER" $SYS --rlimit nofile=16 --rlimit fsize=1024:2048 -- \
        sh -c "test \"\$(cat /proc/1/limits)\" = \"\$(cat /proc/\$\$/limits)\""
'

test_expect_success 'ps inside still shows pid 1' '
    "$BWRAPPER" $SYS -- sh -c "cat /proc/1/stat" >out &&
    grep -q "^1 (bwrapper)" out
'

test_done

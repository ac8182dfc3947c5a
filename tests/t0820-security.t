#!/bin/sh
test_description='attacks from inside the sandbox (issue 19): pid 1, --rw/--ro
symlinks, inherited fds, --pty without a pid namespace, --timeout leftovers'
. "$(dirname "$0")/lib.sh"

"$BWRAPPER" --unshare-user --ro-bind / / true 2>/dev/null && test_set_prereq USERNS

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

# A workspace and a secret beside it, as under a home; an earlier run of
# the sandbox could write anything in proj, symlinks included.
test_expect_success 'set up a workspace with a secret beside it' '
    top=$(mktemp -d "${TMPDIR:-/tmp}/bwrapper-sec.XXXXXX") &&
    mkdir -p "$top/home/.ssh/keys" "$top/home/proj/sub" &&
    echo secret >"$top/home/.ssh/id" &&
    echo "$top" >top
'
top=$(cat top 2>/dev/null)
proj=$top/home/proj
secret_untouched() { echo secret >expect && test_cmp expect "$top/home/.ssh/id" && test ! -e "$top/home/.ssh/keys/x"; }

test_expect_success 'a symlink planted as a --rw path (build -> ../.ssh) is refused, not followed' '
    ln -s ../.ssh "$proj/build" &&
    (cd "$proj" && test_expect_code 1 "$BWRAPPER" --profile agent --rw build -- \
        sh -c "echo pwned >build/id; echo pwned >\"$top/home/.ssh/id\"") 2>err &&
    grep -q "^bwrapper: --rw build: $proj/build is a symlink (to ../.ssh)" err &&
    secret_untouched
'

test_expect_success 'a symlink planted in a middle component of a --rw or --ro path is refused' '
    ln -s ../.ssh "$proj/link" &&
    test_expect_code 1 "$BWRAPPER" --profile agent --rw "$proj/link/keys" -- \
        sh -c "echo pwned >\"$proj/link/keys/x\"; echo pwned >\"$top/home/.ssh/keys/x\"" 2>err &&
    grep -q "^bwrapper: --rw $proj/link/keys: $proj/link is a symlink (to ../.ssh)" err &&
    test_expect_code 1 "$BWRAPPER" --profile agent --ro "$proj/link/keys" -- true 2>err &&
    grep -q "^bwrapper: --ro $proj/link/keys: $proj/link is a symlink" err &&
    secret_untouched
'

# --userns-block-fd holds the sandbox between parsing and the bind (the
# caller writes the id maps, as in bwrap's protocol): the directory checked
# at parse time is swapped for a symlink meanwhile.
test_expect_success USERNS 'a symlink swapped in after parsing is not followed when binding' '
    mkdir "$proj/out" &&
    rm -f info && mkfifo block &&
    { "$BWRAPPER" $ROOT_ARGS --unshare-user --info-fd 8 --userns-block-fd 9 --rw "$proj/out" -- \
        sh -c "echo pwned >\"$proj/out/id\"" 8>info 9<>block 2>err; echo $? >status; } &
    while ! test -s info; do sleep 0.05; done &&
    pid=$(/usr/bin/python3 -c "import json; print(json.load(open(\"info\"))[\"child-pid\"])") &&
    echo "$(id -u) $(id -u) 1" >/proc/$pid/uid_map &&
    echo deny >/proc/$pid/setgroups &&
    echo "$(id -g) $(id -g) 1" >/proc/$pid/gid_map &&
    mv "$proj/out" "$proj/out.old" && ln -s ../.ssh "$proj/out" &&
    echo go >block &&
    wait &&
    echo 1 >expect.status && test_cmp expect.status status &&
    grep -q "can'"'"'t open $proj/out without following a symlink" err &&
    secret_untouched
'

# A host directory the caller left open as fd 5: through /proc/self/fd/5
# the command would write there, whatever the sandbox's mounts.
test_expect_success 'set up a host directory and file for leaked fds' '
    mkdir hostdir && echo typed >hostfile
'

test_expect_success 'with --profile agent an inherited directory fd cannot be used to write a host file' '
    test_must_fail "$BWRAPPER" --profile agent -- sh -c "echo pwned >/proc/self/fd/5/pwned" 5<hostdir &&
    test ! -e hostdir/pwned
'

test_expect_success 'with --pty an inherited fd (a terminal'"'"'s, say) cannot be read' '
    test_must_fail "$BWRAPPER" $SYS --pty -- sh -c "cat <&5" 5<hostfile </dev/null >out &&
    ! grep -q typed out &&
    test_must_fail "$BWRAPPER" $SYS --pty -- sh -c "echo pwned >/proc/self/fd/5/pwned" 5<hostdir </dev/null &&
    test ! -e hostdir/pwned
'

test_expect_success '--keep-fd passes a named fd on, and only that one' '
    "$BWRAPPER" --profile agent --keep-fd 6 -- sh -c "cat <&6; test ! -e /proc/self/fd/5 && echo no-5" \
        5<hostdir 6<hostfile >out &&
    printf "%s\n" typed no-5 >expect && test_cmp expect out &&
    "$BWRAPPER" $SYS --pty --keep-fd 6 -- cat /proc/self/fd/6 6<hostfile </dev/null >out &&
    grep -q typed out
'

test_expect_success 'the --sync-fd of an --as-pid-1 sandbox still reaches the command' '
    "$BWRAPPER" $SYS --pty --as-pid-1 --sync-fd 6 -- cat /proc/self/fd/6 6<hostfile </dev/null >out &&
    grep -q typed out
'

test_expect_success 'a plain bwrap line passes inherited fds on, as bwrap does' '
    "$BWRAPPER" $SYS -- sh -c "cat <&5" 5<hostfile >out &&
    echo typed >expect && test_cmp expect out
'

test_expect_success '--keep-fd of a closed fd is an error; --print-plan shows the fds kept' '
    test_expect_code 1 "$BWRAPPER" --profile agent --keep-fd 9 -- true 9>&- 2>err &&
    echo "bwrapper: --keep-fd 9: Bad file descriptor" >expect && test_cmp expect err &&
    "$BWRAPPER" --print-plan --pty --keep-fd 7 -- true >plan &&
    /usr/bin/python3 -c "
import json
p = json.load(open(\"plan\"))
assert p[\"close-fds\"] is True and p[\"keep-fds\"] == [7], p
" &&
    "$BWRAPPER" --print-plan -- true >plan &&
    grep -q "\"close-fds\": false" plan
'

test_expect_success '--pty implies a pid namespace: the command cannot kill -9 bwrapper' '
    test_expect_code 5 "$BWRAPPER" $ROOT_ARGS --proc /proc --pty -- \
        sh -c "kill -KILL \$PPID; echo alive; exit 5" </dev/null >out &&
    grep -q alive out
'

# The command starts a process that outlives it and says so in a file
# (so the test cannot pass without one running), then ends at once.  Its
# output goes to files, so a leftover cannot hold the test's; one left by a
# failure is killed by its mark.
kill_marked() {
    for p in $(pgrep -f "$1"); do kill -9 "$p"; done
    :
}

test_expect_success '--timeout also ends what the command left running; bwrapper waits for it' '
    mkdir box && mark=bwrapper-leftover-$$ &&
    test_when_finished "kill_marked $mark" &&
    timeout 30 "$BWRAPPER" $SYS --bind "$PWD/box" /box --timeout 1 -- sh -c "
        sh -c \"echo \\\$\\\$ >/box/pidfile; sleep 1000; : $mark\" &
        while ! test -s /box/pidfile; do sleep 0.01; done
        exit 3" >/dev/null 2>err;
    echo $? >status &&
    echo 3 >expect && test_cmp expect status &&
    test -s box/pidfile &&
    ! pgrep -f "$mark"
'

test_expect_success '--timeout: a leftover that ignores SIGTERM is killed 2 s later' '
    mark=bwrapper-stubborn-$$ && rm -f box/pidfile &&
    test_when_finished "kill_marked $mark" &&
    timeout 30 "$BWRAPPER" $SYS --bind "$PWD/box" /box --timeout 0.5 -- sh -c "
        sh -c \"trap \\\"\\\" TERM; echo \\\$\\\$ >/box/pidfile; sleep 1000; : $mark\" &
        while ! test -s /box/pidfile; do sleep 0.01; done" >/dev/null 2>err &&
    test -s box/pidfile &&
    ! pgrep -f "$mark"
'

test_expect_success 'clean up the workspace' '
    rm -rf "$top"
'

test_done

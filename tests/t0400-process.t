#!/bin/sh
test_description='process, namespace, capability and environment options'
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# Does a user namespace work here (as root it always should; as a user it
# needs unprivileged user namespaces)?
"$BWRAPPER" --unshare-user --ro-bind / / true 2>/dev/null && test_set_prereq USERNS

# retry N CMD...: run CMD every 0.1 s until it succeeds, at most N times
# (200: a deadline for a busy machine; every `sleep $m` outlives it, so a
# process that should have gone is never gone by itself).
retry() {
    n=$1
    shift
    until "$@"; do
        n=$((n - 1))
        test "$n" -gt 0 || return 1
        sleep 0.1
    done
}

# A `sleep MARK` whose MARK is unique to this run, so that pgrep finds only
# the processes this script started (a zombie has no cmdline: not found).
mark=99.$$
running() { pgrep -f "^sleep $1\$" >/dev/null; }
gone() { ! running "$1"; }
kill_marked() {
    for p in $(pgrep -f "^sleep $1\$"); do kill -9 "$p"; done
    :
}

# The caller's namespace ids, as "name inode" lines (sorted, for join).
ns_ids() {
    for n in cgroup ipc net pid user uts; do
        echo "$n $(readlink /proc/self/ns/$n)"
    done
}
ns_ids >outside.ns

# ns_changes PROG ARGS...: run PROG ARGS... readlink on each namespace and
# print, per namespace, "same" or "new" compared with the caller's.
ns_changes() {
    "$@" sh -c 'for n in cgroup ipc net pid user uts; do echo "$n $(readlink /proc/self/ns/$n)"; done' >inside.ns &&
    join outside.ns inside.ns | while read -r n out in; do
        if test "$out" = "$in"; then echo "$n same"; else echo "$n new"; fi
    done
}

# ---- session, parent death, pid 1 ----

test_expect_success '--new-session puts the command in a new session' '
    caller=$(cut -d" " -f6 /proc/$$/stat) &&
    "$BWRAPPER" --ro-bind / / --new-session sh -c "cut -d\" \" -f6 /proc/\$\$/stat; echo \$\$" >out &&
    sid=$(sed -n 1p out) && pid=$(sed -n 2p out) &&
    test "$sid" != "$caller" &&
    test "$sid" = "$pid"
'

test_expect_success 'without --new-session the command stays in the caller'"'"'s session' '
    cut -d" " -f6 /proc/$$/stat >expect &&
    "$BWRAPPER" --ro-bind / / sh -c "cut -d\" \" -f6 /proc/\$\$/stat" >actual &&
    test_cmp expect actual
'

test_expect_success BWRAP '--new-session changes the session as with bwrap' '
    caller=$(cut -d" " -f6 /proc/$$/stat) &&
    for opt in "" --new-session; do
        same_as_bwrap --ro-bind / / $opt sh -c "
            test \$(cut -d\" \" -f6 /proc/\$\$/stat) = $caller && echo same || echo new" ||
        return 1
    done
'

test_expect_success '--die-with-parent: SIGKILL to bwrapper kills the command' '
    m=${mark}1 &&
    { "$BWRAPPER" --ro-bind / / --die-with-parent sleep $m & } &&
    bw=$! &&
    test_when_finished "kill -9 $bw 2>/dev/null; wait $bw; kill_marked $m" &&
    retry 200 running $m &&
    kill -9 $bw &&
    retry 200 gone $m
'

test_expect_success '--die-with-parent with --unshare-pid: the whole sandbox dies' '
    m=${mark}2 &&
    { "$BWRAPPER" --ro-bind / / --unshare-pid --die-with-parent sleep $m & } &&
    bw=$! &&
    test_when_finished "kill -9 $bw 2>/dev/null; wait $bw; kill_marked $m" &&
    retry 200 running $m &&
    kill -9 $bw &&
    retry 200 gone $m
'

# A deliberate difference: bwrap leaves its sandbox running when it is
# killed without --die-with-parent; bwrapper's sandbox always dies with it.
for opts in "" "--unshare-pid" "--unshare-pid --as-pid-1" "--lock-file /etc/passwd"; do
    test_expect_success "SIGKILL to bwrapper kills the sandbox without --die-with-parent too (${opts:-no options})" '
        m=${mark}3$(echo "$opts" | wc -c) &&
        { "$BWRAPPER" --ro-bind / / $opts sleep $m & } &&
        bw=$! &&
        test_when_finished "kill -9 $bw 2>/dev/null; wait $bw; kill_marked $m" &&
        retry 200 running $m &&
        kill -9 $bw &&
        retry 200 gone $m
    '
done

test_expect_success 'SIGKILL to bwrapper with --unshare-pid kills what the command started too' '
    m=${mark}4 &&
    { "$BWRAPPER" --ro-bind / / --dev /dev --unshare-pid sh -c "sleep $m & wait" & } &&
    bw=$! &&
    test_when_finished "kill -9 $bw 2>/dev/null; wait $bw; kill_marked $m" &&
    retry 200 running $m &&
    kill -9 $bw &&
    retry 200 gone $m
'

# ---- signals sent to bwrapper reach the command ----

# A deliberate difference: bwrap dies of these signals (143 for SIGTERM)
# and the command never sees them.  The command traps SIG, says it is ready
# only then, and on SIG writes its name and exits 7, which bwrapper passes
# on.  env --default-signal: a shell starts background jobs with SIGINT and
# SIGQUIT ignored, which no one could then trap.
for opts in "" "--unshare-pid" "--unshare-pid --as-pid-1"; do
    test_expect_success "TERM, INT, HUP, QUIT, USR1, USR2 sent to bwrapper reach the command (${opts:-no options})" '
        for sig in TERM INT HUP QUIT USR1 USR2; do
            rm -f got ready &&
            { env --default-signal "$BWRAPPER" --ro-bind / / --dev /dev --bind "$PWD" "$PWD" --chdir "$PWD" $opts \
                sh -c "sleep 60 & s=\$!; trap \"kill \$s; echo $sig >got; exit 7\" $sig; touch ready; wait" & } &&
            bw=$! &&
            retry 200 test -e ready &&
            kill -$sig $bw &&
            { wait $bw; echo $? >rc; } &&
            echo 7 >expect && test_cmp expect rc &&
            echo $sig >expect && test_cmp expect got || return 1
        done
    '
done

# ---- joining existing namespaces ----

# start_target: a sandbox with its own user and pid namespaces (and, with
# extra options, more) that sleeps; sets $target_pid to its child-pid.
# With --die-with-parent, stop_target (killing bwrapper) ends it all.
start_target() {
    rm -f target.info
    "$BWRAPPER" --ro-bind / / --unshare-user --unshare-pid --die-with-parent "$@" \
        --info-fd 3 sleep $m 3>target.info 2>target.err &
    target=$!
    # a deadline for a busy machine, not a timing: the info comes at once
    if retry 200 grep -q child-pid target.info; then
        target_pid=$($PY -c "import json; print(json.load(open(\"target.info\"))[\"child-pid\"])")
    else
        show_on_failure target.info target.err
        stop_target
        return 1
    fi
}
stop_target() {
    kill -9 $target 2>/dev/null
    wait $target
    kill_marked $m
}

test_expect_success USERNS '--userns FD runs the command in that user namespace' '
    m=${mark}4 &&
    test_when_finished stop_target &&
    start_target &&
    readlink /proc/$target_pid/ns/user >expect &&
    "$BWRAPPER" --ro-bind / / --userns 5 readlink /proc/self/ns/user 5</proc/$target_pid/ns/user >actual 2>err &&
    test_cmp expect actual || {
        show_on_failure expect actual err target.info target.err
        false
    }
'

test_expect_success USERNS '--userns FD --pidns FD runs the command in that pid namespace' '
    m=${mark}5 &&
    test_when_finished stop_target &&
    start_target &&
    readlink /proc/$target_pid/ns/pid >expect &&
    "$BWRAPPER" --ro-bind / / --userns 5 --pidns 6 readlink /proc/self/ns/pid \
        5</proc/$target_pid/ns/user 6</proc/$target_pid/ns/pid >actual &&
    test_cmp expect actual
'

test_expect_success USERNS '--pidns FD with --unshare-pid nests a new pid namespace in it' '
    m=${mark}6 &&
    test_when_finished stop_target &&
    start_target &&
    "$BWRAPPER" --ro-bind / / --userns 5 --pidns 6 --unshare-pid --proc /proc \
        sh -c "readlink /proc/self/ns/pid; echo \$\$" \
        5</proc/$target_pid/ns/user 6</proc/$target_pid/ns/pid >out &&
    test "$(sed -n 1p out)" != "$(readlink /proc/$target_pid/ns/pid)" &&
    test "$(sed -n 2p out)" = 2
'

test_expect_success USERNS,BWRAP '--userns/--pidns [--unshare-pid] behave as with bwrap' '
    m=${mark}7 &&
    test_when_finished stop_target &&
    start_target &&
    same_as_bwrap --ro-bind / / --userns 5 sh -c "id -u" \
        5</proc/$target_pid/ns/user &&
    same_as_bwrap --ro-bind / / --userns 5 --pidns 6 --unshare-pid --proc /proc sh -c "echo \$\$" \
        5</proc/$target_pid/ns/user 6</proc/$target_pid/ns/pid
'

test_expect_success USERNS '--userns FD --userns2 FD2 ends in the nested user namespace (flatpak-spawn)' '
    m=${mark}8 &&
    test_when_finished stop_target &&
    start_target --disable-userns &&
    readlink /proc/$target_pid/ns/user >expect &&
    $PY -c "
import fcntl, os, sys
NS_GET_PARENT = 0xb702
inner = os.open(\"/proc/%s/ns/user\" % sys.argv[1], os.O_RDONLY)
outer = fcntl.ioctl(inner, NS_GET_PARENT)
os.set_inheritable(inner, True)
os.set_inheritable(outer, True)
os.execv(sys.argv[2], [sys.argv[2], \"--ro-bind\", \"/\", \"/\", \"--userns\", str(outer),
         \"--userns2\", str(inner), \"readlink\", \"/proc/self/ns/user\"])
" $target_pid "$BWRAPPER" >actual &&
    test_cmp expect actual
'

test_expect_success BWRAP '--userns with --unshare-user is refused, as by bwrap' '
    same_as_bwrap --ro-bind / / --unshare-user --userns 5 echo ran 5</proc/self/ns/user &&
    echo "exit 1" >expect &&
    test_cmp expect actual.out
'

# ---- disabling user namespaces ----

test_expect_success USERNS,BWRAP '--disable-userns: a nested unshare -U fails inside, as with bwrap' '
    same_as_bwrap --ro-bind / / --dev /dev --unshare-user --disable-userns \
        sh -c "unshare -U true 2>/dev/null && echo created || echo refused" &&
    printf "%s\n" refused "exit 0" >expect &&
    test_cmp expect actual.out
'

test_expect_success USERNS 'without --disable-userns a nested user namespace can be made' '
    "$BWRAPPER" --ro-bind / / --dev /dev --unshare-user \
        sh -c "unshare -U true 2>/dev/null && echo created || echo refused" >out &&
    echo created >expect &&
    test_cmp expect out
'

test_expect_success USERNS '--disable-userns holds even with CAP_SYS_RESOURCE in the sandbox' '
    "$BWRAPPER" --ro-bind / / --dev /dev --unshare-user --unshare-pid --proc /proc \
        --disable-userns --cap-add ALL sh -c "
            echo 100 >/proc/sys/user/max_user_namespaces 2>/dev/null
            unshare -U true 2>/dev/null && echo created || echo refused" >out &&
    echo refused >expect &&
    test_cmp expect out
'

test_expect_success USERNS,BWRAP '--assert-userns-disabled passes and fails as with bwrap' '
    same_as_bwrap --ro-bind / / --unshare-user --disable-userns --assert-userns-disabled echo ran &&
    printf "%s\n" ran "exit 0" >expect &&
    test_cmp expect actual.out &&
    same_as_bwrap --ro-bind / / --unshare-user --assert-userns-disabled echo ran &&
    echo "exit 1" >expect &&
    test_cmp expect actual.out
'

test_expect_success BWRAP '--disable-userns without --unshare-user is refused, as by bwrap' '
    same_as_bwrap --ro-bind / / --disable-userns echo ran &&
    echo "exit 1" >expect &&
    test_cmp expect actual.out
'

# ---- identity and hostname ----

test_expect_success USERNS '--uid/--gid with --unshare-user set the ids the command sees' '
    "$BWRAPPER" --ro-bind / / --unshare-user --uid 1234 --gid 5678 sh -c "id -u; id -g" >out &&
    printf "%s\n" 1234 5678 >expect &&
    test_cmp expect out
'

test_expect_success BWRAP '--uid/--gid [without --unshare-user] behave as with bwrap' '
    same_as_bwrap --ro-bind / / --unshare-user --uid 1234 --gid 5678 sh -c "id -u; id -g" &&
    same_as_bwrap --ro-bind / / --uid 1234 --gid 5678 sh -c "id -u; id -g"
'

test_expect_success '--hostname with --unshare-uts names the sandbox, not the host' '
    hostname >host.before &&
    "$BWRAPPER" --ro-bind / / --unshare-uts --hostname sbx-$$ hostname >out &&
    echo sbx-$$ >expect &&
    test_cmp expect out &&
    hostname >host.after &&
    test_cmp host.before host.after
'

test_expect_success BWRAP '--hostname [without --unshare-uts] behaves as with bwrap' '
    same_as_bwrap --ro-bind / / --unshare-uts --hostname sbx hostname &&
    same_as_bwrap --ro-bind / / --hostname sbx hostname &&
    echo "exit 1" >expect &&
    test_cmp expect actual.out
'

# ---- capabilities ----

for caps in "" "--cap-drop ALL" "--cap-add CAP_NET_ADMIN" "--cap-drop CAP_SYS_ADMIN" \
    "--cap-drop ALL --cap-add CAP_CHOWN" "--cap-add cap_kill" "--cap-add ALL" \
    "--unshare-user" "--unshare-user --cap-add ALL" "--unshare-user --cap-add CAP_SYS_ADMIN" \
    "--unshare-user --uid 5 --cap-add CAP_SYS_ADMIN" \
    "--unshare-user --cap-add ALL --cap-drop CAP_SETUID" "--cap-add CAP_NO_SUCH_CAP"; do
    test_expect_success BWRAP "capability sets as with bwrap (${caps:-no cap options})" '
        same_as_bwrap --ro-bind / / $caps grep ^Cap /proc/self/status
    '
done

test_expect_success USER 'as a user the command has no capabilities by default' '
    "$BWRAPPER" --ro-bind / / grep ^CapEff /proc/self/status >out &&
    printf "CapEff:\t%016x\n" 0 >expect &&
    test_cmp expect out
'

test_expect_success USER 'as a user --cap-add CAP_NET_ADMIN gives exactly that capability' '
    "$BWRAPPER" --ro-bind / / --cap-add CAP_NET_ADMIN grep -e ^CapEff -e ^CapBnd /proc/self/status >out &&
    printf "%s:\t%016x\n" CapEff $((1 << 12)) CapBnd $((1 << 12)) >expect &&
    test_cmp expect out
'

test_expect_success ROOT 'as root --cap-drop CAP_SYS_ADMIN removes just that capability' '
    grep ^CapEff /proc/self/status | cut -f2 >caller &&
    "$BWRAPPER" --ro-bind / / --cap-drop CAP_SYS_ADMIN grep ^CapEff /proc/self/status | cut -f2 >inside &&
    printf "%016x\n" $((0x$(cat caller) & ~(1 << 21))) >expect &&
    test_cmp expect inside
'

test_expect_success ROOT 'as root --cap-add ALL keeps the caps root has' '
    grep ^CapEff /proc/self/status >expect &&
    "$BWRAPPER" --ro-bind / / --cap-add ALL grep ^CapEff /proc/self/status >actual &&
    test_cmp expect actual
'

# ---- environment, cwd, argv0 ----

test_expect_success '--clearenv leaves only PWD' '
    FOO=1 "$BWRAPPER" --ro-bind / / --clearenv env >out &&
    echo "PWD=$PWD" >expect &&
    test_cmp expect out
'

test_expect_success '--setenv/--unsetenv/--clearenv apply in order' '
    A=0 C=0 "$BWRAPPER" --ro-bind / / --setenv A 1 --unsetenv C --setenv D 4 sh -c \
        "echo \${A-unset} \${C-unset} \${D-unset}" >out &&
    A=0 "$BWRAPPER" --ro-bind / / --setenv A 1 --clearenv --setenv B 2 sh -c \
        "echo \${A-unset} \${B-unset}" >>out &&
    printf "%s\n" "1 unset 4" "unset 2" >expect &&
    test_cmp expect out
'

test_expect_success BWRAP 'environment options give the same environment as bwrap' '
    (
        export FOO=1 BAR=2 &&
        same_as_bwrap --ro-bind / / --setenv A 1 --unsetenv FOO --setenv BAR 3 env &&
        same_as_bwrap --ro-bind / / --setenv A 1 --clearenv --setenv B 2 env
    )
'

test_expect_success 'PWD is the working directory the command starts in' '
    "$BWRAPPER" --ro-bind / / sh -c "pwd -P; echo \$PWD" >out &&
    printf "%s\n" "$PWD" "$PWD" >expect &&
    test_cmp expect out
'

test_expect_success '--chdir sets the working directory and PWD' '
    "$BWRAPPER" --ro-bind / / --chdir /usr/share sh -c "pwd -P; echo \$PWD" >out &&
    printf "%s\n" /usr/share /usr/share >expect &&
    test_cmp expect out
'

test_expect_success BWRAP 'a cwd missing inside falls back as with bwrap ($HOME, then /)' '
    (export HOME=/usr && same_as_bwrap $ROOT_ARGS sh -c "pwd; echo \$PWD") &&
    (export HOME=/nonexistent && same_as_bwrap $ROOT_ARGS sh -c "pwd; echo \$PWD") &&
    same_as_bwrap $ROOT_ARGS --chdir /nonexistent pwd
'

test_expect_success '--argv0 sets argv[0] and still runs COMMAND' '
    echo "echo \$0" | "$BWRAPPER" --ro-bind / / --argv0 my-name sh >out &&
    "$BWRAPPER" --ro-bind / / --argv0 other-name sh -c "xargs -0 -n 1 </proc/\$\$/cmdline" >>out &&
    printf "%s\n" my-name other-name -c "xargs -0 -n 1 </proc/\$\$/cmdline" >expect &&
    test_cmp expect out
'

# ---- diagnostics ----

test_expect_success BWRAP '--level-prefix: an error line starts with <3>' '
    test_expect_code 1 "$BWRAP" --ro-bind / / --chdir /nonexistent true 2>bwrap.err &&
    sed "s/^bwrap:/<3>bwrapper:/" bwrap.err >expect &&
    test_expect_code 1 "$BWRAPPER" --level-prefix --ro-bind / / --chdir /nonexistent true 2>actual &&
    test_cmp expect actual
'

test_expect_success BWRAP 'without --level-prefix the error line is as bwrap'"'"'s' '
    test_expect_code 1 "$BWRAP" --ro-bind / / --chdir /nonexistent true 2>bwrap.err &&
    sed "s/^bwrap:/bwrapper:/" bwrap.err >expect &&
    test_expect_code 1 "$BWRAPPER" --ro-bind / / --chdir /nonexistent true 2>actual &&
    test_cmp expect actual
'

test_expect_success BWRAP 'a repeated single-value option warns "Only the last ..." as bwrap' '
    "$BWRAP" --ro-bind / / --chdir / --chdir /usr true 2>bwrap.err &&
    sed "s/^bwrap:/bwrapper:/" bwrap.err >expect &&
    test -s expect &&
    "$BWRAPPER" --ro-bind / / --chdir / --chdir /usr true 2>actual &&
    test_cmp expect actual
'

test_expect_success '--level-prefix: a warning line starts with <4>' '
    "$BWRAPPER" --level-prefix --ro-bind / / --chdir / --chdir /usr true 2>actual &&
    test -s actual &&
    ! grep -v "^<4>bwrapper: " actual
'

test_done

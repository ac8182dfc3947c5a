#!/bin/sh
test_description='OCI back end: what cannot be expressed, bad bundle directories and runtimes, signals, clean-up'
. "$(dirname "$0")/lib.sh"

oci_setup

# fails OPTIONS... : bwrapper refuses them with a message naming WHAT,
# for --emit-oci and --runtime alike, and creates nothing.
refused() {
    what=$1
    shift
    test_must_fail "$BWRAPPER" --emit-oci out $ROOT_ARGS "$@" true 2>err 7</dev/null &&
    grep -F -e "$what" err && test ! -e out &&
    test_must_fail "$BWRAPPER" --runtime runc $ROOT_ARGS "$@" true 2>err 7</dev/null &&
    grep -F -e "$what" err && nothing_left
}

for opt in "--userns 7" "--userns2 7" "--pidns 7" "--sync-fd 7" "--block-fd 7" "--info-fd 7" \
    "--json-status-fd 7" "--seccomp 7" "--add-seccomp-fd 7" "--lock-file /x" "--argv0 name" \
    "--unshare-user --disable-userns" "--bind-fd 7 /x" "--dev /mydev" "--keep-fd 7"; do
    name=${opt##*--}
    name=--${name%% *}
    [ "$name" = --disable-userns ] || name=${opt%% *}
    test_expect_success "$opt cannot be expressed in OCI: an error naming it" "refused '$name' $opt"
done

test_expect_success 'a symlink inside a mount cannot be expressed: an error naming the step' '
    refused "--symlink a /tmp/l" --tmpfs /tmp --symlink a /tmp/l
'

# --symlink at an existing path: bwrap 0.11 accepts an identical symlink and
# refuses anything else, with the same message in a bundle as natively.
for extra in "--symlink usr/bin /bin" "--symlink usr/sbin /bin" "--dir /d --symlink x /d" \
    "--symlink a /x --symlink b /x"; do
    test_expect_success "$extra at an existing path: as natively" "
        rm -rf emitted &&
        { \"\$BWRAPPER\" \$ROOT_ARGS $extra true 2>expect; echo \$? >>expect; } &&
        { \"\$BWRAPPER\" --emit-oci emitted \$ROOT_ARGS $extra true 2>actual;
          echo \$? >>actual; } &&
        test_cmp expect actual
    "
done

test_expect_success 'a file written into a host directory cannot be expressed' '
    mkdir -p hostdir &&
    refused "--file 7 /h/f" --bind "$(pwd)/hostdir" /h --file 7 /h/f &&
    test ! -e hostdir/f
'

test_expect_success 'a mount point the runtime would make in a host directory cannot be expressed' '
    refused "--tmpfs /usr/bwrapper-no-such-dir" --tmpfs /usr/bwrapper-no-such-dir &&
    test ! -e /usr/bwrapper-no-such-dir
'

test_expect_success 'a mount at / other than a bind or a tmpfs, and a size for --tmpfs /, are refused by name' '
    refused "--proc /" --proc / &&
    refused "--tmpfs /" --size 4096 --tmpfs /
'

test_expect_success 'a bind at / takes the place of every step before it, as natively' '
    "$BWRAPPER" --emit-oci emitted --tmpfs /x --dir /y --ro-bind / / true &&
    ! grep "\"/x\"" emitted/config.json && test ! -e emitted/rootfs/y &&
    grep -q "\"destination\": \"/usr\"" emitted/config.json && test -L emitted/rootfs/bin &&
    rm -rf emitted
'

test_expect_success '--emit-oci refuses a directory that is not empty, and leaves it alone' '
    mkdir full && echo keep >full/file &&
    test_must_fail "$BWRAPPER" --emit-oci full $ROOT_ARGS true 2>err &&
    grep "not empty" err &&
    test "$(ls -A full)" = file && test "$(cat full/file)" = keep
'

test_expect_success '--emit-oci writes into an empty directory and a new one, and prints nothing' '
    test_when_finished "rm -rf empty new emit.out" &&
    mkdir empty &&
    "$BWRAPPER" --emit-oci empty $ROOT_ARGS true >emit.out &&
    "$BWRAPPER" --emit-oci new $ROOT_ARGS --file 7 /f --ro-bind-data 8 /d true 7</dev/null 8</dev/null >>emit.out &&
    test_must_be_empty emit.out &&
    test -f empty/config.json && test -d empty/rootfs &&
    test -f new/rootfs/f && test -f new/files/0 &&
    test "$(stat -c %a new)" = 700
'

test_expect_success '--emit-oci makes the caller resolvable inside: generated /etc/passwd and /etc/group' '
    test_when_finished "rm -rf users" &&
    "$BWRAPPER" --emit-oci users --ro-bind /usr /usr true &&
    grep -q "^$(id -un):x:" users/rootfs/etc/passwd &&
    grep -q "^[^:]*:x:0:" users/rootfs/etc/group
'

test_expect_success ROOT 'the generated /etc/passwd and /etc/group name each user and id once (caller nobody)' '
    out=$(mktemp -d /tmp/bwrapper-users.XXXXXX) && chmod 0777 "$out" &&
    test_when_finished "rm -rf \"$out\"" &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$BWRAPPER" --emit-oci "$out/b" --ro-bind /usr /usr true &&
    for f in passwd group; do
        cut -d: -f1 "$out/b/rootfs/etc/$f" | sort | uniq -d >dups &&
        cut -d: -f3 "$out/b/rootfs/etc/$f" | sort | uniq -d >>dups &&
        test_must_be_empty dups || return 1
    done
'

test_expect_success 'a failure half-way removes what --emit-oci wrote' '
    test_must_fail "$BWRAPPER" --emit-oci half $ROOT_ARGS --dir /a --chmod 0700 /nope true 2>err &&
    grep -F -e "--chmod 0700 /nope" err &&
    test ! -e half
'

test_expect_success 'non-UTF-8 paths are refused: JSON cannot carry them' '
    bad=$(printf "bad\377dir") && mkdir "$bad" &&
    test_must_fail "$BWRAPPER" --emit-oci out $ROOT_ARGS --bind "$(pwd)/$bad" /x true 2>err &&
    grep -a "not valid UTF-8" err && test ! -e out &&
    test_must_fail "$BWRAPPER" --emit-oci out $ROOT_ARGS --dir "/$bad" true 2>err &&
    grep -a "not valid UTF-8" err && test ! -e out &&
    test_must_fail "$BWRAPPER" --emit-oci out $ROOT_ARGS true "$bad" 2>err &&
    grep -a "not valid UTF-8" err && test ! -e out &&
    test_must_fail "$BWRAPPER" --emit-oci "$bad/out" $ROOT_ARGS true 2>err &&
    grep -a "not valid UTF-8" err && test ! -e "$bad/out"
'

test_expect_success 'a missing runtime is an error' '
    test_must_fail "$BWRAPPER" --runtime "$(pwd)/nowhere/runc" $ROOT_ARGS true 2>err &&
    grep -F "nowhere/runc" err && nothing_left
'

test_expect_success USER 'a runtime name not in PATH is an error' '
    test_must_fail env PATH=/nonexistent "$BWRAPPER" --runtime crun $ROOT_ARGS true 2>err &&
    grep "crun: not found in PATH" err && nothing_left
'

test_expect_success 'an unknown runtime name is an error' '
    test_must_fail "$BWRAPPER" --runtime dockerd $ROOT_ARGS true 2>err &&
    grep "unknown runtime" err && nothing_left
'

test_expect_success 'a group- or world-writable runtime is refused' '
    mkdir -p wbin && cp /bin/true wbin/runc && chmod 0775 wbin/runc &&
    test_must_fail "$BWRAPPER" --runtime "$(pwd)/wbin/runc" $ROOT_ARGS true 2>err &&
    grep "group- or world-writable" err &&
    chmod 0757 wbin/runc &&
    test_must_fail "$BWRAPPER" --runtime "$(pwd)/wbin/runc" $ROOT_ARGS true 2>err &&
    grep "group- or world-writable" err && nothing_left
'

test_expect_success ROOT 'a runtime owned by another user is refused' '
    mkdir -p obin && cp /bin/true obin/runc && chown nobody obin/runc &&
    test_must_fail "$BWRAPPER" --runtime "$(pwd)/obin/runc" $ROOT_ARGS true 2>err &&
    grep "owned by uid" err && nothing_left
'

test_expect_success ROOT 'as root a runtime name is not looked up in PATH' '
    mkdir -p fakebin && printf "#!/bin/sh\necho FAKE\n" >fakebin/runc && chmod 0755 fakebin/runc &&
    PATH=$(pwd)/fakebin:$PATH "$BWRAPPER" --runtime runc $ROOT_ARGS echo real >real.out 2>/dev/null &&
    test "$(cat real.out)" = real && nothing_left
'

test_expect_success RUNC 'the command failing leaves nothing behind' '
    test_expect_code 3 "$BWRAPPER" --runtime runc $ROOT_ARGS sh -c "exit 3" &&
    test_expect_code 127 "$BWRAPPER" --runtime runc $ROOT_ARGS /nonexistent 2>/dev/null;
    nothing_left
'

test_expect_success RUNC 'stdin passes through' '
    echo through | "$BWRAPPER" --runtime runc $ROOT_ARGS cat >stdin.out &&
    test "$(cat stdin.out)" = through
'

# Start a long command under runc and wait until it runs.
# The sleeper's argument is unique to this run: other test runs under the
# same user (both passes, other checkouts) have sleeps of their own.
sleeper=30.$$
start_sleeper() {
    rm -f started
    "$BWRAPPER" --runtime runc $ROOT_ARGS --bind "$(pwd)" /w sh -c "touch /w/started; exec sleep $sleeper" &
    pid=$!
    i=0
    while [ ! -f started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    test -f started
}

test_expect_success RUNC 'SIGTERM is passed on to the command; its status comes back; nothing is left' '
    start_sleeper &&
    kill -TERM $pid && { wait $pid; status=$?; } &&
    test $status = 143 && nothing_left
'

test_expect_success RUNC 'SIGINT and SIGHUP are passed on too' '
    start_sleeper && kill -INT $pid && { wait $pid; status=$?; } && test $status = 130 &&
    start_sleeper && kill -HUP $pid && { wait $pid; status=$?; } && test $status = 129 &&
    nothing_left
'

test_expect_success RUNC 'a runtime killed mid-run: its container and state are removed' '
    start_sleeper &&
    runtime=$(pgrep -P $pid -x runc) &&
    kill -KILL $runtime && { wait $pid; status=$?; } &&
    test $status = 137 && nothing_left &&
    # the container is killed, but its processes end on their own time
    i=0 &&
    while pgrep -x -f "sleep $sleeper" >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
    ! pgrep -x -f "sleep $sleeper"
'

test_expect_success RUNC '--timeout ends the command with status 124' '
    test_expect_code 124 "$BWRAPPER" --runtime runc $ROOT_ARGS --timeout 0.5 sleep 30 &&
    nothing_left
'

test_expect_success RUNC 'a signal bwrapper does not expect (SIGALRM) is passed on, not fatal: nothing is left' '
    rm -f started
    "$BWRAPPER" --runtime runc $ROOT_ARGS --bind "$(pwd)" /w sh -c "
        trap \"exit 5\" ALRM; touch /w/started; while :; do sleep 0.1; done" &
    pid=$! && i=0 &&
    while [ ! -f started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
    kill -ALRM $pid && { wait $pid; status=$?; } && test $status = 5 && nothing_left
'

# bwrapper's pid 1 (oci-init.c) fails as the native executor does: the
# same line (with --level-prefix's "<3>") and status.
for rt in runc crun; do
    test_expect_success "$(echo $rt | tr a-z A-Z)" "$rt: a command that cannot run fails in pid 1 with the native line and status" '
        for args in /nonexistent /etc no-such-command-$$ "--level-prefix /nonexistent"; do
            { "$BWRAPPER" $ROOT_ARGS $args 2>expect; echo $? >>expect; } &&
            { "$BWRAPPER" --runtime '$rt' $ROOT_ARGS $args 2>actual; echo $? >>actual; } &&
            test_cmp expect actual || return 1
        done &&
        nothing_left
    '

    test_expect_success "$(echo $rt | tr a-z A-Z)" "$rt: pid 1 looks the command up in PATH and runs a script without #! with /bin/sh, as natively" '
        mkdir -p scripts && printf "echo ran \$0 \$1\nexit 3\n" >scripts/plain && chmod 0755 scripts/plain &&
        for cmd in /s/plain plain; do
            { "$BWRAPPER" $ROOT_ARGS --ro-bind scripts /s --setenv PATH /nowhere::/s:/usr/bin $cmd a >expect 2>&1;
              echo $? >>expect; } &&
            { "$BWRAPPER" --runtime '$rt' $ROOT_ARGS --ro-bind scripts /s --setenv PATH /nowhere::/s:/usr/bin \
                $cmd a >actual 2>&1; echo $? >>actual; } &&
            grep -q "^ran /s/plain a$" actual && test_cmp expect actual || return 1
        done &&
        nothing_left
    '
done

# With --as-pid-1 (and nothing else for bwrapper to do around the runtime)
# the runtime takes bwrapper's place: its `run` passes the signals on and
# exits with the command's status, the bundle goes with the namespace.
for rt in runc crun; do
    test_expect_success "$(echo $rt | tr a-z A-Z)" "$rt, --as-pid-1: the runtime takes bwrapper's place; signals reach the command, its status comes back" '
        rm -f started
        "$BWRAPPER" --runtime '$rt' $ROOT_ARGS --unshare-pid --as-pid-1 --bind "$(pwd)" /w sh -c "
            trap \"exit 5\" ALRM; trap \"exit 6\" TERM; touch /w/started; while :; do sleep 0.1; done" &
        pid=$! && i=0 &&
        while [ ! -f started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
        argv0=$(tr "\0" "\n" </proc/$pid/cmdline | head -n 1) &&
        kill -ALRM $pid && { wait $pid; status=$?; } &&
        test "$argv0" = "$(command -v '$rt')" && test $status = 5 && nothing_left &&
        rm -f started
        "$BWRAPPER" --runtime '$rt' $ROOT_ARGS --unshare-pid --as-pid-1 --bind "$(pwd)" /w sh -c "
            trap \"exit 6\" TERM; touch /w/started; while :; do sleep 0.1; done" &
        pid=$! && i=0 &&
        while [ ! -f started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
        kill -TERM $pid && { wait $pid; status=$?; } && test $status = 6 && nothing_left
    '
done

test_expect_success RUNC '--die-with-parent: the command dies with the process that started bwrapper' '
    rm -f started
    sh -c "\"\$BWRAPPER\" --runtime runc --die-with-parent $ROOT_ARGS --bind \"$(pwd)\" /w \
        sh -c \"touch /w/started; exec sleep 39\" & wait" &
    parent=$! && i=0 &&
    while [ ! -f started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
    kill -KILL $parent && i=0 &&
    while pgrep -f "sleep 39" -u "$(id -u)" >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done &&
    ! pgrep -f "sleep 39" -u "$(id -u)" && nothing_left
'

test_expect_success RUNC '--timeout ends what the command left in the background too' '
    test_expect_code 124 "$BWRAPPER" --runtime runc $ROOT_ARGS --timeout 0.5 sh -c "sleep 37 & exec sleep 38" &&
    sleep 0.2 && ! pgrep -f "sleep 3[78]" -u "$(id -u)" && nothing_left
'

test_expect_success RUNC 'without --proc the runtime'"'"'s /proc shows none of the host'"'"'s processes' '
    "$BWRAPPER" --runtime runc $ROOT_ARGS sh -c "test -e /proc/$$ && echo host pid $$ visible; echo done" >out &&
    echo done >expect && test_cmp expect out && nothing_left
'

test_expect_success RUNC 'directories the command made unwritable do not stop the clean-up' '
    "$BWRAPPER" --runtime runc $ROOT_ARGS sh -c "mkdir -p /a/b/c && touch /a/b/f && chmod 500 /a/b /a" 2>err &&
    test_must_be_empty err && nothing_left
'

test_expect_success RUNC 'a tree nested deeper than the fd limit is removed too' '
    "$BWRAPPER" --runtime runc $ROOT_ARGS sh -c "
        cd / && i=0 && while [ \$i -lt 1200 ]; do mkdir d && cd d && i=\$((i + 1)) || exit 1; done" 2>err &&
    test_must_be_empty err && nothing_left
'

test_expect_success RUNC 'a seccomp profile that forbids fork: the command runs as pid 1 itself' '
    cat >nofork.json <<-\EOF &&
	{"defaultAction": "SCMP_ACT_ALLOW",
	 "syscalls": [{"names": ["clone", "clone3", "fork", "vfork"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
	EOF
    "$BWRAPPER" --runtime runc $ROOT_ARGS --unshare-pid --proc /proc --seccomp-profile nofork.json echo ran >out &&
    echo ran >expect && test_cmp expect out && nothing_left
'

test_expect_success RUNC 'the bundle is hidden under a --tmp-overlay of the directory too' '
    "$BWRAPPER" --runtime runc $ROOT_ARGS --overlay-src "$XDG_RUNTIME_DIR" --tmp-overlay /mnt \
        sh -c "cat /mnt/bwrapper-oci-*/config.json /mnt/*/state/*/state.json" >out 2>/dev/null;
    test_must_be_empty out && nothing_left
'

test_expect_success RUNC 'a $XDG_RUNTIME_DIR others may write in (not sticky) is not used' '
    mkdir -m 0777 loose && chmod 0777 loose &&
    XDG_RUNTIME_DIR=$(pwd)/loose "$BWRAPPER" --runtime runc $ROOT_ARGS --ro-bind "$(pwd)/loose" /loose \
        sh -c "ls -A /loose" >out &&
    test_must_be_empty out && test -z "$(ls -A loose)"
'

test_expect_success RUNC 'the runtime'"'"'s state is never where the sandbox can write' '
    "$BWRAPPER" --runtime runc $ROOT_ARGS --bind "$XDG_RUNTIME_DIR" /x sh -c "ls -A /x" >out &&
    test_must_be_empty out && nothing_left
'

test_expect_success RUNC 'a bind of / shows the host'"'"'s /tmp, never the bundle in bwrapper'"'"'s own tmpfs there' '
    echo host >"/tmp/bwrapper-t0910-$$" && test_when_finished "rm -f /tmp/bwrapper-t0910-$$" &&
    "$BWRAPPER" --runtime runc --ro-bind / / --setenv TOKEN "t0910-$$" sh -c "
        cat /tmp/bwrapper-t0910-$$; grep -l -r -s -D skip \$TOKEN /tmp/bwrapper-oci-* /tmp/host" >out;
    echo host >expect && test_cmp expect out && nothing_left
'

test_expect_success RUNC 'with every place for the bundle taken by a mount of the sandbox, bwrapper refuses to start' '
    test_must_fail "$BWRAPPER" --runtime runc $ROOT_ARGS --bind "$XDG_RUNTIME_DIR" /a --bind /tmp /b \
        --bind /dev/shm /c --bind /var/tmp /d true 2>err &&
    grep "no place for the bundle" err && nothing_left
'

test_expect_success USER,RUNC 'rootless, a sandbox that can write all the caller can runs with every private place taken' '
    "$BWRAPPER" --runtime runc --dev-bind / / --cap-add CAP_SYS_ADMIN sh -c "echo ran" >out &&
    echo ran >expect && test_cmp expect out && nothing_left
'

test_expect_success RUNSC 'runsc as root still refuses to start with every place for the bundle taken' '
    test_must_fail "$BWRAPPER" --runtime runsc --bind / / --bind "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR" \
        --bind /tmp /tmp --bind /dev/shm /dev/shm --bind /var/tmp /var/tmp true 2>err &&
    test_line_count = 1 err && grep "no place for the bundle" err && nothing_left
'

# A runtime failing before the command starts (runc and crun, rootless,
# cannot mount an mqueue outside a new ipc namespace) is one line naming
# it and the step, then the runtime's own message.
for rt in runc crun; do
    prereq=$(echo $rt | tr a-z A-Z)
    test_expect_success $prereq "$rt failing before the command starts: one line naming it and the step at fault" "
        test_must_fail \"\$BWRAPPER\" --runtime $rt \$ROOT_ARGS --mqueue /mq true 2>err &&
        test_line_count = 1 err &&
        grep '^bwrapper: --runtime $rt: the sandbox could not be set up, most likely at --mqueue /mq: .*mq' err &&
        nothing_left
    "
    test_expect_success $prereq "$rt: the command's own stderr passes through as it is" "
        test_expect_code 3 \"\$BWRAPPER\" --runtime $rt \$ROOT_ARGS --unshare-pid sh -c 'echo to-stderr >&2; exit 3' 2>err &&
        echo to-stderr >expect && grep -v 'level=warning' err >err.command && test_cmp expect err.command &&
        nothing_left
    "
done

for opt in "--timeout 5" --die-with-parent --new-session "--runtime-flag --debug"; do
    test_expect_success "--emit-oci refuses $opt: bwrapper does it around a runtime it runs" "
        test_must_fail \"\$BWRAPPER\" --emit-oci emitted \$ROOT_ARGS $opt true 2>err &&
        grep -F -e '${opt%% *} cannot be expressed in an OCI bundle' err && test ! -e emitted
    "
done

test_expect_success RUNC '--runtime-flag passes a global flag to the runtime' '
    "$BWRAPPER" --runtime runc --runtime-flag --debug $ROOT_ARGS true 2>err &&
    grep -qi "level=debug" err && nothing_left
'

test_done

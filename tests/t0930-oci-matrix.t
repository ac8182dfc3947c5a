#!/bin/sh
test_description='OCI matrix: the lines people write, natively and under runc, crun, runsc, runc on an emitted bundle, and containerd'
. "$(dirname "$0")/lib.sh"

oci_setup
top=$(pwd)
W=$top/ws
mkdir -p "$W/.git" lower upper ovu ovw && echo lower >lower/f && echo upper >upper/g && echo head >"$W/.git/HEAD"
printf 'line one\nline two\n' >data
USR="--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64"

# A flatpak-like line, given through --args (NUL-separated) as flatpak does.
printf '%s\0' $USR --tmpfs /etc --ro-bind-data 5 /etc/data --file 6 /etc/file --perms 0600 --file 7 /etc/secret \
    --dir /run/x --chmod 0700 /run/x --tmpfs /tmp --remount-ro /tmp --symlink /usr/bin/env /run/env >flatpak.args

# Runtimes, each a prerequisite: runc and crun rootless (the unprivileged
# pass: oci_setup), runsc as root; runc on an emitted bundle rootless;
# containerd as root, a private one started here.
test_have_prereq RUNC && test_set_prereq EMIT
ctrd=$top/containerd
if test_have_prereq ROOT && command -v containerd >/dev/null && command -v ctr >/dev/null; then
    mkdir -p "$ctrd"
    # A private root, state and socket: nothing of the host's containerd
    # (if any) is used or changed; the CRI plugin is not needed.
    cat >"$ctrd/config.toml" <<TOML
version = 2
root = "$ctrd/root"
state = "$ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ctrd/sock"
TOML
    # none of the test's fds: prove waits for the last holder of its pipe
    containerd --config "$ctrd/config.toml" </dev/null >"$ctrd/log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    ctrd_pid=$!
    # wait for it to answer (or to have died), not for a time
    if timeout 60 sh -c 'until ctr -a "$1/sock" version >/dev/null 2>&1; do kill -0 $2 || exit 1; sleep 0.05; done' \
        - "$ctrd" "$ctrd_pid"; then
        test_set_prereq CONTAINERD
    else
        echo "# containerd did not start here (see $ctrd/log); its column is skipped"
    fi
fi

# The command line $@ under column $1 (native, runc, crun, runsc, emit,
# ctr): stdout, then "exit N", in out.$1; stderr in err.$1.
run_in() {
    col=$1
    shift
    id=bwrapper-matrix-$$-$n
    rm -rf bundle
    case $col in
    native) "$BWRAPPER" "$@" ;;
    runc | crun | runsc) "$BWRAPPER" --runtime "$col" "$@" ;;
    emit) "$BWRAPPER" --emit-oci bundle "$@" && runc --root "$top/runc-state" run --bundle bundle "$id" ;;
    ctr) "$BWRAPPER" --emit-oci bundle "$@" &&
        ctr -a "$ctrd/sock" -n bwrapper-test run --rm --runtime io.containerd.runc.v2 --config bundle/config.json "$id" ;;
    esac 5<data 6<data 7<data 8<flatpak.args </dev/null >out.$col 2>err.$col
    echo "exit $?" >>out.$col
}

# Column $1 gives what the native run gives.
same_as_native() {
    test_cmp out.native out.$1 && nothing_left || {
        show_on_failure out.native out.$1 err.$1
        false
    }
}

# Column $1 refuses with one line naming $2, before creating anything.
refuses() {
    echo "exit 1" >expect.out && test_cmp expect.out out.$1 &&
    test_line_count = 1 err.$1 && grep "^bwrapper: .*$2" err.$1 &&
    test ! -e bundle && nothing_left
}

# REFUSALS|ARGS.  REFUSALS: "-", or COLUMN=OPTION,... where that column
# must refuse the line naming OPTION (runsc ignores overlays and seccomp
# profiles in a bundle; what bwrapper does around a runtime it runs has no
# place in an emitted one).
cat >lines <<'LINES'
-|--ro-bind / / sh -c "exit 9"
-|--ro-bind / / --dev /dev --proc /proc sh -c "test -c /dev/null && test -d /proc/self && echo ok; touch /x 2>/dev/null; echo \$?"
-|--bind / / sh -c "echo x >'$W'/rw1 && cat '$W'/rw1 && rm '$W'/rw1"
-|--dev-bind / / sh -c "echo x >/dev/null && echo dev"
-|--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --bind "$W" "$W" sh -c "echo a >/tmp/a && cat /tmp/a && echo b >'$W'/b && cat '$W'/b && rm '$W'/b"
-|--bind / / --dev /dev --proc /proc --tmpfs /tmp --bind "$W" "$W" sh -c "echo a >/tmp/a && cat /tmp/a && echo b >'$W'/b && cat '$W'/b && rm '$W'/b"
-|--dev-bind / / --dev /dev --proc /proc --tmpfs /tmp --bind "$W" "$W" sh -c "echo a >/tmp/a && cat /tmp/a && test -c /dev/zero && echo z"
-|--ro-bind / / --tmpfs /tmp sh -c "echo t >/tmp/t && cat /tmp/t; echo x 2>/dev/null >/etc/x; echo \$?"
-|--tmpfs / $USR --dir /work --file 7 /etc/motd --symlink usr/bin /sbin sh -c "cat /etc/motd; test -d /work && echo dir; readlink /sbin"
-|--perms 0750 --tmpfs / $USR --dir /a/b --symlink a/b /c sh -c "test -d /c && echo c; find / -maxdepth 0 -printf \"%m\\n\""
-|$USR sh -c "echo /bin/s[h]; readlink /lib64; echo \$0"
-|$USR --proc /proc --dev /dev --unshare-pid sh -c "test -c /dev/zero && test -r /proc/self/status && echo ok"
-|--args 8 sh -c "cat /etc/data /etc/file; find /etc/secret /run/x -maxdepth 0 -printf \"%m %p\\n\"; readlink /run/env; touch /tmp/t 2>/dev/null || echo ro"
emit=--new-session,ctr=--new-session|--ro-bind / / --bind "$W" "$W" --dev /dev --proc /proc --unshare-all --new-session sh -c "echo s >'$W'/s && cat '$W'/s && rm '$W'/s; touch /etc/x 2>/dev/null || echo ro"
-|$USR --bind "$W" "$W" --ro-bind "$W/.git" "$W/.git" sh -c "echo x >'$W'/f && rm '$W'/f && echo rw; echo y 2>/dev/null >'$W'/.git/f || echo ro; cat '$W'/.git/HEAD"
runsc=--tmp-overlay|$USR --overlay-src "$top/lower" --tmp-overlay /o sh -c "echo new >/o/n && cat /o/f /o/n"
runsc=--ro-overlay|$USR --overlay-src "$top/lower" --overlay-src "$top/upper" --ro-overlay /o cat /o/f /o/g
runc=--uid,emit=--uid,ctr=--uid|$USR --unshare-user --uid 1234 --gid 5678 sh -c "id -u; id -g"
-|$USR --unshare-uts --hostname sbx sh -c "uname -n"
-|$USR --clearenv --setenv A 1 --setenv PATH /usr/bin --unsetenv NOPE sh -c "echo \$A \$PATH \${NOPE-unset}"
-|$USR --bind "$W" "$W" --symlink "$W" /ws --chdir /ws sh -c "echo \$PWD; pwd; pwd -P"
-|$USR --unshare-pid --proc /proc --cap-drop ALL --cap-add CAP_NET_RAW grep CapEff /proc/self/status
runsc=--seccomp-profile|$USR --dev /dev --seccomp-profile default sh -c "unshare -U true 2>/dev/null; echo \$?"
runsc=--seccomp-profile,emit=--die-with-parent,ctr=--die-with-parent|--profile agent --rw "$W" sh -c "echo a >'$W'/agent && cat '$W'/agent && rm '$W'/agent"
-|$USR --rlimit nofile=64 --rlimit core=0 sh -c "ulimit -n; ulimit -c"
-|$USR sh -c "exit 42"
-|$USR --proc /proc sh -c "kill -TERM \$\$"
-|$USR --unshare-net --unshare-pid --proc /proc sh -c "wc -l </proc/net/dev"
-|$USR --ro-bind-data 7 /data --bind-data 6 /d2 sh -c "cat /data; echo m >>/d2 && cat /d2"
-|$USR --bind "$W" /w --remount-ro /w sh -c "echo x 2>/dev/null >/w/new; echo \$?"
-|$USR --unshare-pid --as-pid-1 --proc /proc sh -c "echo \$\$"
emit=--die-with-parent,ctr=--die-with-parent|$USR --die-with-parent sh -c "echo alive"
-|$USR --size 1048576 --tmpfs /t sh -c "echo x >/t/x && cat /t/x"
LINES

test_expect_success 'at least 30 command lines' '
    test $(wc -l <lines) -ge 30
'

n=0
while IFS='|' read -r refusals line; do
    n=$((n + 1))
    test_expect_success "native: $line" '
        eval "set -- $line" && run_in native "$@" &&
        ! grep "^bwrapper:" err.native
    '
    for col in runc crun runsc emit ctr; do
        case $col in
        runc) prereq=RUNC ;; crun) prereq=CRUN ;; runsc) prereq=RUNSC ;; emit) prereq=EMIT ;; ctr) prereq=CONTAINERD ;;
        esac
        refused=$(echo ",$refusals," | sed -n "s/.*,$col=\([^,]*\),.*/\1/p")
        if [ -n "$refused" ]; then
            test_expect_success $prereq "$col refuses, naming $refused: $line" '
                eval "set -- $line" && run_in $col "$@" && refuses $col "$refused"
            '
        else
            test_expect_success $prereq "$col: $line" '
                eval "set -- $line" && run_in $col "$@" && same_as_native $col
            '
        fi
    done
done <lines

# stopped here rather than by sharness's cleanup, which runs only when
# every test passed
if [ -n "${ctrd_pid:-}" ]; then
    kill "$ctrd_pid" && wait "$ctrd_pid"
fi
test_done

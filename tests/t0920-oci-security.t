#!/bin/sh
test_description='OCI back end: attacks on the bundle, the runtime and the host, each run for real'
. "$(dirname "$0")/lib.sh"

oci_setup

test_expect_success RUNC '--bind / / --tmpfs /tmp: the runtime runs, and /tmp holds no stray mask' '
    "$BWRAPPER" --runtime runc --bind / / --tmpfs /tmp sh -c "ls -A /tmp" >out &&
    test_must_be_empty out && nothing_left
'

test_expect_success 'runsc: an overlay is refused, naming the option and runsc, not dropped' '
    mkdir -p lower &&
    test_must_fail "$BWRAPPER" --emit-oci emitted --runtime runsc $ROOT_ARGS --overlay-src lower \
        --tmp-overlay /o true 2>err &&
    grep -F -e "--tmp-overlay /o: runsc ignores overlay mounts" err && test ! -e emitted
'

test_expect_success 'runsc: --seccomp-profile is refused, naming it and runsc, not dropped' '
    test_must_fail "$BWRAPPER" --emit-oci emitted --runtime runsc $ROOT_ARGS --seccomp-profile default true 2>err &&
    grep -F -e "--seccomp-profile: runsc ignores" err && test ! -e emitted
'

test_expect_success RUNSC 'runsc: --ro-bind / / keeps the host read-only' '
    victim=/etc/bwrapper-t0920-$$ && test_when_finished "rm -f $victim" &&
    test_must_fail "$BWRAPPER" --runtime runsc --ro-bind / / --tmpfs /tmp touch $victim 2>err;
    test ! -e $victim && nothing_left
'

test_expect_success RUNC '--ro-bind / /: the runtime makes no device nodes in the host'"'"'s /dev' '
    "$BWRAPPER" --runtime runc --ro-bind / / --tmpfs /tmp sh -c "test -c /dev/null && echo ok" >out &&
    echo ok >expect && test_cmp expect out && nothing_left
'

test_expect_success ROOT 'an emitted --dev-bind / / bundle binds the host'"'"'s /dev, so runc leaves /dev/ptmx alone' '
    before=$(stat -c "%i %F" /dev/ptmx) &&
    "$BWRAPPER" --emit-oci bundle --dev-bind / / --tmpfs /tmp true &&
    /usr/bin/python3 -c "
import json, sys
m = json.load(open(\"bundle/config.json\"))[\"mounts\"]
sys.exit(0 if any(x[\"destination\"] == \"/dev\" and x[\"source\"] == \"/dev\" for x in m) else 1)" &&
    if command -v runc >/dev/null; then
        runc --root "$(pwd)/runc-state" run --bundle bundle t0920-$$ &&
        test "$(stat -c "%i %F" /dev/ptmx)" = "$before"
    fi
'

for rt in runc crun; do
    RT=$(echo $rt | tr a-z A-Z)
    test_expect_success $RT "$rt: the command cannot read or write its pid 1 (bwrapper) through /proc/1" '
        "$BWRAPPER" --runtime '$rt' $ROOT_ARGS sh -c "
            tr \"\\\\0\" \" \" </proc/1/cmdline | grep -q -e --oci-init || echo pid 1 is not bwrapper;
            head -c1 /proc/1/environ >/dev/null 2>&1 && echo environ readable;
            printf x 2>/dev/null | dd of=/proc/1/mem bs=1 seek=4096 conv=notrunc 2>/dev/null && echo mem written;
            echo done" >out &&
        echo done >expect && test_cmp expect out && nothing_left
    '

    test_expect_success $RT "$rt: pid 1 carries the --rlimit limits too" '
        "$BWRAPPER" --runtime '$rt' $ROOT_ARGS --rlimit nofile=64:128 --rlimit fsize=4096 \
            sh -c "grep -E \"open files|file size\" /proc/1/limits" >out &&
        grep -E "^Max file size +4096 " out && grep -E "^Max open files +64 +128 " out && nothing_left
    '
done

# The attacker: a process of the same user that can write where bundles
# were kept (as a sandbox given --rw /tmp and --rw $XDG_RUNTIME_DIR can).
# It adds a hook to every config.json and state.json of a run it finds:
# runc runs state.json's poststop at `delete`, crun config.json's.
cat >attack.py <<'PY'
import glob, json, os, sys
marker, token = sys.argv[1], sys.argv[2]
hook = {"path": "/usr/bin/touch", "args": ["touch", marker]}
found = 0
for base in [os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"), "/tmp", "/dev/shm", "/var/tmp"]:
    for path in glob.glob(base + "/bwrapper-oci-*/config.json") + glob.glob(base + "/bwrapper-oci-*/state/*/*.json"):
        try:
            with open(path) as f:
                text = f.read()
            j = json.loads(text)
        except (OSError, ValueError):
            continue
        if token not in text:  # another run's (other tests run alongside)
            continue
        found += 1
        if "process" in j:
            j["hooks"] = {"prestart": [hook], "poststop": [hook]}
        elif "config" in j:
            j["config"]["Hooks"] = {"poststop": [hook]}
        with open(path, "w") as f:
            json.dump(j, f)
print(found)
PY

for rt in runc crun; do
    RT=$(echo $rt | tr a-z A-Z)
    test_expect_success $RT,DRIVE "$rt --pty: a same-user process cannot find or rewrite the bundle or state" '
        rm -f started go pwned &&
        { drive -- "$BWRAPPER" --runtime '$rt' $ROOT_ARGS --dev /dev --bind "$(pwd)" /w --pty \
            --setenv TOKEN "t0920-$$" sh -c "touch /w/started; while [ ! -f /w/go ]; do sleep 0.05; done" & } &&
        i=0 && while [ ! -f started ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done &&
        /usr/bin/python3 attack.py "$(pwd)/pwned" "t0920-$$" >found; touch go; wait &&
        status_is 0 && echo 0 >expect && test_cmp expect found && test ! -e pwned && nothing_left
    '
done

# gdb stops bwrapper at a system call and plays another sandbox writing
# in the --emit-oci directory at that moment: no timing involved.
gdb -q -batch -ex 'python print(1)' >/dev/null 2>&1 && test_set_prereq GDB

test_expect_success GDB '--emit-oci --chmod: a symlink swapped in before the chmod is not followed' '
    rm -rf out && echo secret >victim && chmod 0600 victim &&
    gdb -q -batch -ex "catch syscall chmod fchmodat" -ex run \
        -ex "shell rm -rf out/rootfs/x && ln -s ../../victim out/rootfs/x" -ex "delete 1" -ex continue \
        --args "$BWRAPPER" --emit-oci out --dir /x --chmod 0777 /x true >gdb.out 2>&1;
    test "$(stat -c %a victim)" = 600
'

test_expect_success GDB '--emit-oci clean-up: a directory moved out while it is emptied does not take clean-up along' '
    rm -rf out jail && mkdir -p jail/victimdir && echo keep >jail/victimdir/precious &&
    gdb -q -batch -ex "catch syscall openat" -ex "condition 1 \$_streq((char *)\$rsi, \"..\")" -ex run \
        -ex "python import os; os.rename(os.readlink(\"/proc/%d/fd/%d\" % (gdb.selected_inferior().pid, int(gdb.parse_and_eval(\"\$rdi\")))), \"jail/victimdir/moved\")" \
        -ex "delete 1" -ex continue \
        --args "$BWRAPPER" --emit-oci out --dir /a/b --chmod 0777 /nope true >gdb.out 2>&1;
    test -f jail/victimdir/precious
'

test_expect_success '--emit-oci clean-up removes a tree deeper than it holds directories open' '
    rm -rf out && deep=$(seq -s / 1 80) &&
    test_must_fail "$BWRAPPER" --emit-oci out --dir "/$deep" --chmod 0777 /nope true 2>err &&
    grep -F "can'"'"'t chmod rootfs/nope" err && test_line_count = 1 err && test ! -e out
'

test_expect_success ROOT,GDB '--emit-oci clean-up stops at a mount point, with one warning, and ends' '
    rm -rf out && test_when_finished "umount out/rootfs/a; rm -rf out" &&
    timeout 60 gdb -q -batch -ex "catch syscall openat" -ex "condition 1 \$_streq((char *)\$rsi, \"nope\")" -ex run \
        -ex "shell mount -t tmpfs none out/rootfs/a && touch out/rootfs/a/inside" -ex "delete 1" -ex continue \
        --args "$BWRAPPER" --emit-oci out --dir /a --chmod 0777 /nope true >gdb.out 2>&1 &&
    grep "can.t remove a: a mount point" gdb.out && test $(grep -c "can.t remove" gdb.out) -le 2 &&
    test -f out/rootfs/a/inside
'

test_expect_success RUNSC 'runsc: a platform cache another sandbox rewrote is not believed' '
    cache=$XDG_CACHE_HOME/bwrapper/runsc-platform &&
    "$BWRAPPER" --runtime runsc $ROOT_ARGS true && test -f "$cache" &&
    sed "s/ [a-z]*\$/ bogus/" "$cache" >poisoned && mv poisoned "$cache" &&
    "$BWRAPPER" --runtime runsc $ROOT_ARGS echo ran >out && echo ran >expect && test_cmp expect out &&
    grep -E " (systrap|ptrace)\$" "$cache" &&
    rm "$cache" && mkfifo "$cache" &&
    timeout 60 "$BWRAPPER" --runtime runsc $ROOT_ARGS echo ran >out && test_cmp expect out && nothing_left
'

test_done

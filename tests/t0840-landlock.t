#!/bin/sh
test_description='--isolation landlock and auto where user namespaces are blocked; declared guarantees'
. "$(dirname "$0")/lib.sh"

# The test bed: a parent sandbox that forbids user namespaces, as hosts
# with kernel.apparmor_restrict_unprivileged_userns=1 or a container do.
TESTBED="$BWRAPPER --dev-bind / / --unshare-user --disable-userns --"
landlock_abi=$(/usr/bin/python3 -c "
import ctypes; libc = ctypes.CDLL(None, use_errno=True)
print(max(libc.syscall(444, None, 0, 1), 0))")
[ "$landlock_abi" -ge 6 ] && test_set_prereq LANDLOCK6

# Every agent test under --isolation landlock, then auto, in the test bed.
WRAP=$TESTBED ISO="--isolation landlock" LANDLOCK=1
. "$tests_dir/agent-tests.sh"
# auto: Landlock where the test bed stops namespaces (as root it does not)
WRAP=$TESTBED ISO="--isolation auto" LANDLOCK=
$TESTBED "$BWRAPPER" --profile agent --print-guarantees | grep -q '"isolation": "landlock' && LANDLOCK=1
. "$tests_dir/agent-tests.sh"

test_expect_success 'set up a workspace' '
    top=$(mktemp -d "${TMPDIR:-/tmp}/bwrapper-ll.XXXXXX") && mkdir "$top/proj" && echo "$top" >top
'
top=$(cat top)
ll() { "$BWRAPPER" --isolation landlock --profile agent --rw "$top/proj" "$@"; }

test_expect_success 'an option that needs a mount is a one-line error naming it' '
    test_expect_code 1 ll --tmpfs /x -- true 2>err &&
    echo "bwrapper: --isolation landlock cannot express --tmpfs /x: it needs a mount" >expect &&
    test_cmp expect err &&
    test_expect_code 1 "$BWRAPPER" --isolation landlock --ro-bind /usr /opt -- true 2>err &&
    grep -q "^bwrapper: --isolation landlock cannot express --ro-bind /usr /opt: a bind to another path" err &&
    test_expect_code 1 ll --hostname x -- true 2>err &&
    grep -q "cannot express --hostname: it needs namespaces" err
'

test_expect_success 'declared gap: --ro inside --rw cannot be expressed, an error, not a writable path' '
    mkdir -p "$top/proj/.git" &&
    test_expect_code 1 ll --ro "$top/proj/.git" -- true 2>err &&
    grep -q "cannot express --ro $top/proj/.git: Landlock cannot make part of --rw $top/proj read-only" err
'

test_expect_success 'declared gap: processes of the same user outside show in /proc, not their environment' '
    sleep 60 & pid=$! &&
    ll -- sh -c "test -e /proc/$pid/cmdline && ! cat /proc/$pid/environ"; status=$?; kill $pid; test $status = 0
'

test_expect_success 'declared gap: the host hostname is seen' '
    ll -- cat /proc/sys/kernel/hostname >out && hostname >expect && test_cmp expect out
'

test_expect_success 'declared gap: a host unix socket file is reachable' '
    /usr/bin/python3 -c "
import socket, subprocess, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[2]); s.listen(1)
code = \"import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])\"
r = subprocess.run([sys.argv[1], \"--isolation\", \"landlock\", \"--profile\", \"agent\", \"--\",
                    \"/usr/bin/python3\", \"-c\", code, sys.argv[2]]).returncode
assert r == 0, r
" "$BWRAPPER" "$top/sock"
'

test_expect_success LANDLOCK6 'host abstract unix sockets are unreachable (Landlock scoping)' '
    /usr/bin/python3 -c "
import socket, subprocess, sys
name = \"bwrapper-ll-%d\" % __import__(\"os\").getpid()
s = socket.socket(socket.AF_UNIX); s.bind(\"\\0\" + name); s.listen(1)
code = \"import socket,sys; socket.socket(socket.AF_UNIX).connect(chr(0) + sys.argv[1])\"
assert subprocess.run([\"/usr/bin/python3\", \"-c\", code, name]).returncode == 0
r = subprocess.run([sys.argv[1], \"--isolation\", \"landlock\", \"--profile\", \"agent\", \"--\",
                    \"/usr/bin/python3\", \"-c\", code, name], stderr=subprocess.DEVNULL).returncode
assert r != 0, r
" "$BWRAPPER"
'

test_expect_success LANDLOCK6 'no signals to processes outside (Landlock scoping)' '
    sleep 60 & pid=$! &&
    test_must_fail ll -- kill -0 $pid; status=$?; kill $pid; test $status = 0
'

test_expect_success '--json-status-fd reports Landlock isolation, last; namespaces keep bwrap'"'"'s keys' '
    ll --json-status-fd 3 -- true 3>status &&
    head -n 1 status | grep -q "^{ \"child-pid\": [0-9]*, \"isolation\": \"landlock abi [0-9]*\" }$" &&
    "$BWRAPPER" --ro-bind / / --json-status-fd 3 -- true 3>status &&
    ! grep -q isolation status
'

test_expect_success '--print-guarantees: what Landlock keeps, by what, and the gaps' '
    ll --print-guarantees >g &&
    /usr/bin/python3 -c "
import json, sys
g = json.load(open(\"g\"))
assert g[\"isolation\"].startswith(\"landlock abi\"), g
k = g[\"guarantees\"]
assert k[\"writes-confined\"][\"kept\"] and k[\"writes-confined\"][\"means\"].startswith(\"landlock abi\")
assert k[\"no-network\"][\"kept\"] and \"seccomp\" in k[\"no-network\"][\"means\"]
assert k[\"processes-hidden\"] == {\"description\": k[\"processes-hidden\"][\"description\"], \"kept\": False,
                                  \"gap\": k[\"processes-hidden\"][\"gap\"]}
assert not k[\"private-hostname\"][\"kept\"]
"
'

test_expect_success '--print-guarantees: what Landlock cannot express is said even for a path that is not UTF-8' '
    "$BWRAPPER" --isolation landlock --ro-bind / / --tmpfs "/nonexistent-t0840/x$(printf "\377")y" --print-guarantees >g &&
    /usr/bin/python3 -c "
import json
g = json.load(open(\"g\"))
assert bytes.fromhex(g[\"error\"][\"hex\"]).startswith(b\"Landlock cannot express --tmpfs /nonexistent-t0840/x\\xffy\"), g
"
'

test_expect_success '--print-guarantees under namespaces keeps them by namespaces' '
    "$BWRAPPER" --isolation namespaces --profile agent --print-guarantees >g &&
    grep -q "\"isolation\": \"namespaces\"" g && ! grep -q "\"kept\": false" g
'

test_expect_success '--require fails before running when a guarantee cannot be kept' '
    test_expect_code 1 ll --require no-network,processes-hidden -- touch "$top/ran" 2>err &&
    grep -q "^bwrapper: --require processes-hidden: not kept with Landlock isolation" err &&
    ! test -e "$top/ran" &&
    ll --require no-network,writes-confined -- true &&
    test_expect_code 1 ll --require bogus -- true 2>err &&
    grep -q "^bwrapper: --require bogus: unknown guarantee" err
'

test_expect_success USER 'nothing can isolate: the error says why and what to do' '
    test_expect_code 1 $TESTBED "$BWRAPPER" --profile agent --tmpfs /x -- true 2>err &&
    test $(wc -l <err) = 1 &&
    grep -q "^bwrapper: Creating new namespace failed: No space left on device: nothing can isolate here" err &&
    grep -q "limit is reached" err && grep -q "Landlock cannot express --tmpfs /x" err
'

test_expect_success USER 'auto says, in one line, that it fell back and what is not kept' '
    $TESTBED "$BWRAPPER" --profile agent -- true 2>err &&
    echo "bwrapper: namespaces unavailable (No space left on device): isolated by Landlock ABI $landlock_abi; not kept: no-host-socket-files, processes-hidden, private-hostname, private-ipc (see --print-guarantees)" >expect &&
    test_cmp expect err &&
    $TESTBED "$BWRAPPER" --isolation landlock --profile agent -- true 2>err &&
    test_must_be_empty err
'

# A container that lets user namespaces be made but forbids mounts (the
# namespace set-up would fail halfway, as under AppArmor's restriction).
test_expect_success 'auto falls back to Landlock where mounts are forbidden' '
    cat >nomount.json <<-\EOF &&
	{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount", "mount_setattr", "fsopen",
	 "open_tree", "move_mount", "pivot_root"], "action": "SCMP_ACT_ERRNO"}]}
	EOF
    nomount() { "$BWRAPPER" --dev-bind / / --seccomp-profile "$PWD/nomount.json" -- "$BWRAPPER" "$@"; } &&
    test_must_fail nomount --isolation namespaces --profile agent -- true 2>/dev/null &&
    nomount --profile agent --rw "$top/proj" -- touch "$top/proj/auto" 2>err &&
    test -e "$top/proj/auto" &&
    grep -q "^bwrapper: namespaces unavailable (Operation not permitted): isolated by Landlock" err
'

test_expect_success 'clean up' 'rm -rf "$top"'

test_done

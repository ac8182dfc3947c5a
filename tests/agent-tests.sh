# The tests of --profile agent, --rw/--ro, --timeout and --rlimit, run by
# t0800 natively and by t0840 under Landlock.  Set before sourcing:
#   WRAP      words before bwrapper (a test bed), or empty
#   ISO       words right after it (--isolation ...), or empty
#   LANDLOCK  1 when the sandbox is made by Landlock: a denied write or
#             read is then EACCES, not EROFS or ENOENT
# Prereq HIDES is set when paths not exposed do not even exist inside
# (a mount namespace): Landlock leaves them visible to stat().
bw() { $WRAP "$BWRAPPER" $ISO "$@"; }
if [ -n "$LANDLOCK" ]; then
    WRITE_DENIED='Permission denied'
    READ_DENIED='Permission denied'
else
    WRITE_DENIED='Read-only file system'
    READ_DENIED='No such file'
    test_set_prereq HIDES
fi

PROBE=$tests_dir/bin/probe
[ -x "$PROBE" ] && test_set_prereq PROBE

# A workspace with a sibling and a secret next to it, as under a home.
test_expect_success 'set up a workspace' '
    top=$(mktemp -d "${TMPDIR:-/tmp}/bwrapper-agent.XXXXXX") &&
    mkdir -p "$top/home/.ssh" "$top/home/proj/.git" "$top/home/sibling" "$top/scratch" &&
    echo secret >"$top/home/.ssh/id" &&
    echo mine >"$top/home/sibling/file" &&
    echo "$top" >top
'
top=$(cat top 2>/dev/null)
proj=$top/home/proj
agent() { bw --profile agent --rw "$proj" "$@"; }

test_expect_success 'writing in the --rw directory works and lands on the host as the caller' '
    agent -- sh -c "echo out >\"$proj/new\"" &&
    echo out >expect && test_cmp expect "$proj/new" &&
    test "$(stat -c %u "$proj/new")" = "$(id -u)"
'

test_expect_success 'the --rw directory is the working directory when the caller is in it' '
    (cd "$proj" && agent -- pwd) >out &&
    echo "$proj" >expect && test_cmp expect out
'

for where in "$top/home" "$top" / /home /usr /etc; do
    # mkdir -p: refused whether or not $where exists inside
    test_expect_success "writing in $where fails ($WRITE_DENIED)" "
        test_expect_code 1 agent -- mkdir -p '$where/bwrapper-agent-x' 2>err &&
        grep -q '$WRITE_DENIED' err &&
        ! test -e '$where/bwrapper-agent-x'
    "
done

test_expect_success "mkdir in a directory above the workspace fails ($WRITE_DENIED)" '
    test_expect_code 1 agent -- mkdir "$top/home/new" 2>err &&
    grep -q "$WRITE_DENIED" err
'

test_expect_success 'the siblings of the workspace cannot be listed' '
    agent -- ls -A "$top/home" >out 2>&1 || :
    ! grep -q sibling out && ! grep -q ssh out
'

test_expect_success HIDES 'the siblings of the workspace do not exist inside' '
    agent -- ls -A "$top/home" >out &&
    echo proj >expect && test_cmp expect out
'

test_expect_success '~/.ssh next to the workspace is not readable unless exposed' '
    test_expect_code 1 agent -- cat "$top/home/.ssh/id" 2>err &&
    grep -q "$READ_DENIED" err &&
    agent --ro "$top/home/.ssh" -- cat "$top/home/.ssh/id" >out &&
    echo secret >expect && test_cmp expect out
'

test_expect_success 'the real home of the caller is not readable' '
    test_must_fail agent -- sh -c "ls -A \"\$HOME\" >/dev/null"
'

test_expect_success HIDES 'the real home of the caller does not exist inside' '
    agent -- sh -c "test ! -e \"\$HOME\""
'

test_expect_success 'a private temporary directory: writable, not the host /tmp, gone after the run' '
    f=bwrapper-private-$$ &&
    agent -- sh -c "d=\${TMPDIR:-/tmp}; echo x >\"\$d/$f\" && cat \"\$d/$f\" && echo \"\$d\"" >out &&
    echo x >expect && head -n 1 out >got && test_cmp expect got &&
    d=$(tail -n 1 out) &&
    ! test -e "/tmp/$f" && ! test -e "$d/$f"
'

test_expect_success HIDES '--ro inside --rw is read-only, given after it' '
    test_expect_code 1 agent --ro "$proj/.git" -- touch "$proj/.git/x" 2>err &&
    grep -q "Read-only file system" err &&
    agent --ro "$proj/.git" -- touch "$proj/y" && test -e "$proj/y"
'

test_expect_success HIDES '--ro inside --rw is read-only, given before it' '
    test_expect_code 1 bw --profile agent --ro "$proj/.git" --rw "$proj" -- \
        touch "$proj/.git/x" 2>err &&
    grep -q "Read-only file system" err &&
    bw --profile agent --ro "$proj/.git" --rw "$proj" -- touch "$proj/z" && test -e "$proj/z"
'

test_expect_success '--rw refuses a symlink, naming it and its target; its target can be named' '
    ln -sfn "$proj" "$top/link" &&
    test_expect_code 1 bw --profile agent --rw "$top/link" -- true 2>err &&
    echo "bwrapper: --rw $top/link: $top/link is a symlink (to $proj), which --rw and --ro do not follow: name the directory it points to if that is meant" >expect &&
    test_cmp expect err &&
    bw --profile agent --rw "$proj" -- sh -c "test -d \"$proj\" && touch \"$proj/via-target\"" &&
    test -e "$proj/via-target"
'

test_expect_success '--rw with an empty path is an error, not the working directory' '
    test_expect_code 1 "$BWRAPPER" --print-plan --rw "" -- true 2>err &&
    echo "bwrapper: --rw : No such file or directory" >expect && test_cmp expect err
'

test_expect_success '--rw takes . and .. as written' '
    (cd "$proj/.git" && "$BWRAPPER" --print-plan --rw .././/. -- true) >plan &&
    grep -q "\"dest\": \"$proj\"" plan
'

test_expect_success '--rw takes a path relative to the caller'"'"'s directory' '
    (cd "$top/home" && bw --profile agent --rw proj -- touch "$proj/rel") &&
    test -e "$proj/rel"
'

test_expect_success 'a nonexistent --rw path is a clear error' '
    test_expect_code 1 bw --profile agent --rw "$top/nope" -- true 2>err &&
    echo "bwrapper: --rw $top/nope: No such file or directory" >expect &&
    test_cmp expect err
'

test_expect_success 'an unknown profile is a clear error' '
    test_expect_code 1 bw --profile nope -- true 2>err &&
    grep -q "^bwrapper: --profile nope: unknown profile" err
'

test_expect_success '--print-plan shows the expansion of the profile' '
    bw --print-plan --profile agent --rw "$proj" true >plan &&
    /usr/bin/python3 -c "
import json
p = json.load(open(\"plan\"))
assert p[\"root-readonly\"] is True
assert p[\"seccomp-profile\"] == \"default\"
assert \"net\" in p[\"namespaces\"] and \"pid\" in p[\"namespaces\"], p[\"namespaces\"]
assert p[\"new-session\"] and p[\"die-with-parent\"]
kinds = [(s[\"kind\"], s[\"dest\"]) for s in p[\"steps\"]]
for k in [(\"bind\", \"/usr\"), (\"proc\", \"/proc\"), (\"dev\", \"/dev\"), (\"tmpfs\", \"/tmp\")]:
    assert k in kinds, k
assert p[\"steps\"][-1][\"expose\"] is True
"
'

test_expect_success 'options after the profile override it (--share-net)' '
    bw --print-plan --profile agent --share-net true >plan &&
    ! grep -q "\"net\"" plan
'

test_expect_success 'the environment is reduced to the kept variables' '
    env SECRET_TOKEN=x LC_TIME=C $WRAP "$BWRAPPER" $ISO --profile agent -- env >out &&
    ! grep -q SECRET_TOKEN out &&
    grep -q "^LC_TIME=C$" out &&
    grep -q "^PATH=" out
'

test_expect_success 'no capabilities are left' '
    agent -- grep ^CapEff /proc/self/status >out &&
    printf "CapEff:\t0000000000000000\n" >expect && test_cmp expect out
'

test_expect_success 'no network: a listener on the host loopback is unreachable' '
    /usr/bin/python3 -c "
import socket, sys, subprocess
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(1)
port = s.getsockname()[1]
code = \"import socket; socket.create_connection((\\\"127.0.0.1\\\", %d), timeout=2)\" % port
outside = subprocess.run([\"/usr/bin/python3\", \"-c\", code]).returncode
inside = subprocess.run(sys.argv[1].split() + [sys.argv[2]] + sys.argv[3].split() +
                        [\"--profile\", \"agent\", \"--\", \"/usr/bin/python3\", \"-c\", code],
                        stderr=subprocess.DEVNULL).returncode
assert outside == 0, outside
assert inside != 0, inside
" "$WRAP" "$BWRAPPER" "$ISO"
'

test_expect_success PROBE 'ptrace and TIOCSTI are denied by the default seccomp profile' '
    bw --profile agent --ro "$tests_dir/bin" -- "$PROBE" ptrace tiocsti </dev/null >out &&
    printf "%s\n" "ptrace EPERM" "tiocsti EPERM" >expect && test_cmp expect out
'

test_expect_success '--timeout ends the sandbox with 124 and leaves no process' '
    mark=bwrapper-timeout-$$ &&
    start=$(date +%s) &&
    test_expect_code 124 bw --profile agent --timeout 1 -- \
        sh -c "sh -c \"sleep 30; : $mark\" & sleep 31; : $mark" &&
    end=$(date +%s) &&
    test $((end - start)) -lt 5 &&
    ! pgrep -f "$mark"
'

test_expect_success '--timeout uses SIGKILL when SIGTERM is ignored' '
    start=$(date +%s) &&
    test_expect_code 124 bw --ro-bind / / --timeout 0.5 -- sh -c "trap \"\" TERM; sleep 30" &&
    end=$(date +%s) &&
    test $((end - start)) -lt 6
'

# The command ignores SIGTERM and waits for its child, which notes the
# SIGTERM it gets and ends: the note is there only if the timeout's SIGTERM
# reached more than the command (natively pid 1 passes it on; under
# Landlock it goes to the command's process group).
test_expect_success '--timeout: SIGTERM reaches what the command started, not the command alone' '
    cat >"$top/scratch/term-tree" <<-\EOF &&
	#!/bin/sh
	sh -c "trap \"echo term >\\\"\$1\\\"; exit 0\" TERM; while :; do sleep 0.05; done" - "$1" &
	trap "" TERM
	wait
	EOF
	chmod +x "$top/scratch/term-tree" &&
    rm -f "$top/scratch/got" &&
    test_expect_code 124 bw --profile agent --rw "$top/scratch" --timeout 1 -- "$top/scratch/term-tree" "$top/scratch/got" &&
    echo term >expect && test_cmp expect "$top/scratch/got"
'

test_expect_success '--timeout does not touch a command that ends in time' '
    test_expect_code 3 bw --ro-bind / / --timeout 10 -- sh -c "exit 3"
'

test_expect_success 'a bad --timeout is an error' '
    test_expect_code 1 bw --ro-bind / / --timeout -1 true 2>err &&
    grep -q "^bwrapper: --timeout -1: expected a positive number of seconds" err &&
    test_expect_code 1 bw --ro-bind / / --timeout abc true
'

test_expect_success '--rlimit nofile=16 shows in ulimit -n, the hard limit stays' '
    bw --ro-bind / / --rlimit nofile=16 -- sh -c "ulimit -n; ulimit -Hn" >out &&
    { echo 16; ulimit -Hn; } >expect && test_cmp expect out
'

test_expect_success '--rlimit with soft:hard and unlimited' '
    bw --ro-bind / / --rlimit core=0:0 --rlimit fsize=unlimited -- \
        sh -c "ulimit -c; ulimit -Hc; ulimit -f" >out &&
    printf "%s\n" 0 0 unlimited >expect && test_cmp expect out
'

test_expect_success '--rlimit fsize stops a write past the limit' '
    bw --ro-bind / / --bind "$top/scratch" "$top/scratch" --rlimit fsize=1024 -- \
        sh -c "yes | head -c 4096 >\"$top/scratch/f\"; :" &&
    test "$(stat -c %s "$top/scratch/f")" = 1024
'

test_expect_success 'bad --rlimit names and values are errors' '
    test_expect_code 1 bw --ro-bind / / --rlimit bogus=1 true 2>err &&
    grep -q "^bwrapper: --rlimit bogus=1: unknown limit" err &&
    test_expect_code 1 bw --ro-bind / / --rlimit nofile=abc true 2>err &&
    grep -q "not a number" err &&
    test_expect_code 1 bw --ro-bind / / --rlimit nofile=10:5 true 2>err &&
    grep -q "soft limit is above the hard one" err &&
    test_expect_code 1 bw --ro-bind / / --rlimit nofile true 2>err &&
    grep -q "NAME=SOFT" err
'

test_expect_success 'clean up the workspace' '
    rm -rf "$top"
'

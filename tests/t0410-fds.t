#!/bin/sh
test_description='fd protocol options: --info-fd, --json-status-fd, --sync-fd,
--block-fd, --userns-block-fd, --lock-file, --seccomp, --add-seccomp-fd'
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# Does a user namespace work here (as root it always should; as a user it
# needs unprivileged user namespaces)?
"$BWRAPPER" --unshare-user --ro-bind / / true 2>/dev/null && test_set_prereq USERNS
$PY -c 'import seccomp' 2>/dev/null && test_set_prereq PYSECCOMP

# fdtool.py drives bwrapper (or bwrap) from the outside through pipes, for the
# options whose behaviour is about *when* something happens.  In the argument
# list, @W@ / @R@ / @B@ stand for the fd numbers of the pipe ends it passes.
cat >fdtool.py <<\EOF
import errno, fcntl, json, os, select, subprocess, sys

def docs(text):
    """The JSON documents of a status/info stream, in order."""
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(99)

def subst(args, table):
    return [str(table.get(a, a)) for a in args]

def readable(fd, timeout):
    return bool(select.select([fd], [], [], timeout)[0])

def read_to_eof(fd, timeout=5):
    data = b""
    while readable(fd, timeout):
        chunk = os.read(fd, 4096)
        if not chunk:
            return data.decode()
        data += chunk
    fail("no EOF within %ss" % timeout)

def start(args, fds, **kw):
    for fd in fds:
        os.set_inheritable(fd, True)
    return subprocess.Popen(args, pass_fds=fds, **kw)

cmd, args = sys.argv[1], sys.argv[2:]

if cmd == "keys":
    # One line per document: its sorted keys, and the exit code if any.
    for d in docs(open(args[0]).read()):
        line = " ".join(sorted(d))
        if "exit-code" in d:
            line += " = %d" % d["exit-code"]
        print(line)

elif cmd == "get":
    # get FILE N KEY: the value of KEY in document N.
    print(docs(open(args[0]).read())[int(args[1])][args[2]])

elif cmd == "report-early":
    # The command waits on stdin.  The first report document (info-fd or
    # json-status-fd, at @W@) must be complete while the command still runs,
    # and name a live process.
    r, w = os.pipe()
    p = start(subst(args, {"@W@": w}), [w], stdin=subprocess.PIPE)
    os.close(w)
    buf = b""
    while True:
        if not readable(r, 5):
            fail("no report within 5s")
        chunk = os.read(r, 4096)
        if not chunk:
            break
        buf += chunk
        try:
            first = docs(buf.decode())
            if first:
                break
        except ValueError:
            pass
    first = docs(buf.decode())[0]
    if p.poll() is not None:
        fail("command ended before the report was read")
    if not os.path.exists("/proc/%d" % first["child-pid"]):
        fail("child-pid %d is not a live process" % first["child-pid"])
    print("early report ok")
    p.stdin.close()
    rest = buf.decode() + read_to_eof(r)
    status = p.wait()
    open("report", "w").write(rest)
    sys.exit(status)

elif cmd == "sync":
    # @W@ is the write end given as --sync-fd; we keep only the read end.
    r, w = os.pipe()
    p = start(subst(args, {"@W@": w}), [w], stdin=subprocess.PIPE)
    os.close(w)
    if readable(r, 0.5):
        fail("sync fd closed (EOF) while the command runs")
    print("open while running")
    p.stdin.close()
    read_to_eof(r)
    print("EOF after exit")
    sys.exit(p.wait())

elif cmd == "block":
    # @R@ is the read end given as --block-fd; the command prints "started".
    r, w = os.pipe()
    p = start(subst(args, {"@R@": r}), [r], stdout=subprocess.PIPE)
    os.close(r)
    if readable(p.stdout.fileno(), 0.5):
        fail("the command ran before anything was written to the block fd")
    print("blocked")
    os.write(w, b"x")
    os.close(w)
    print(p.stdout.read().decode().strip())
    sys.exit(p.wait())

elif cmd == "userns-block":
    # @W@ is --info-fd, @B@ --userns-block-fd.  Like bwrap's demo, map the
    # sandbox's uid and gid 4321 to ours before letting set-up continue.
    ir, iw = os.pipe()
    br, bw = os.pipe()
    p = start(subst(args, {"@W@": iw, "@B@": br}), [iw, br])
    os.close(iw)
    os.close(br)
    pid = docs(read_to_eof(ir))[0]["child-pid"]
    with open("/proc/%d/uid_map" % pid, "w") as f:
        f.write("4321 %d 1\n" % os.getuid())
    with open("/proc/%d/setgroups" % pid, "w") as f:
        f.write("deny\n")
    with open("/proc/%d/gid_map" % pid, "w") as f:
        f.write("4321 %d 1\n" % os.getgid())
    os.write(bw, b"1")
    os.close(bw)
    sys.exit(p.wait())

elif cmd == "lock":
    # lock PATH ARGS: the command prints "up" then waits on stdin; while it
    # waits, an exclusive lock on PATH must be refused.
    path, args = args[0], args[1:]
    p = start(args, [], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    if p.stdout.readline().strip() != b"up":
        fail("the command did not start")
    def try_lock():
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return "free"
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EACCES):
                return "locked"
            raise
        finally:
            os.close(fd)
    print("while running: " + try_lock())
    p.stdin.close()
    p.stdout.read()
    status = p.wait()
    print("after exit: " + try_lock())
    sys.exit(status)

elif cmd == "bpf":
    # bpf FILE SYSCALL...: a filter that fails SYSCALL... with EPERM.
    import seccomp
    f = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in args[1:]:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    with open(args[0], "wb") as out:
        f.export_bpf(out)
else:
    fail("unknown subcommand " + cmd)
EOF

# info_keys PROG ARGS...: the key lines of the --info-fd document PROG writes.
info_keys() {
    prog=$1
    shift
    "$prog" --info-fd 3 "$@" true 3>info.json &&
    $PY fdtool.py keys info.json
}

# same_as_bwrap_fds F3 F4 ARGS...: same_as_bwrap, but each of the two runs
# gets its own fds 3 and 4 opened on files F3 and F4 (a shared fd would be
# read to its end by the first run).
same_as_bwrap_fds() {
    f3=$1 f4=$2
    shift 2
    "$BWRAP" "$@" 3<"$f3" 4<"$f4" >expect.out 2>expect.err
    echo "exit $?" >>expect.out
    "$BWRAPPER" "$@" 3<"$f3" 4<"$f4" >actual.out 2>actual.err
    echo "exit $?" >>actual.out
    test_cmp expect.out actual.out
}

# ---- --info-fd ----

test_expect_success '--info-fd writes JSON whose child-pid is the command (no pid namespace)' '
    "$BWRAPPER" --ro-bind / / --info-fd 3 sh -c "echo \$\$" 3>info.json >pid &&
    $PY fdtool.py get info.json 0 child-pid >child &&
    test_cmp pid child
'

test_expect_success '--info-fd namespace ids are the namespaces the command runs in' '
    "$BWRAPPER" --ro-bind / / --unshare-net --unshare-ipc --info-fd 3 sh -c "
        for n in mnt net ipc; do readlink /proc/self/ns/\$n; done" 3>info.json >actual &&
    for n in mnt net ipc; do
        echo "$n:[$($PY fdtool.py get info.json 0 $n-namespace)]" || return 1
    done >expect &&
    test_cmp expect actual
'

test_expect_success '--info-fd with --unshare-pid names the new pid namespace' '
    "$BWRAPPER" --ro-bind / / --unshare-pid --info-fd 3 readlink /proc/self/ns/pid 3>info.json >actual &&
    echo "pid:[$($PY fdtool.py get info.json 0 pid-namespace)]" >expect &&
    test_cmp expect actual
'

for opts in "" "--unshare-pid" "--unshare-net --unshare-ipc" \
    "--unshare-uts --unshare-cgroup" "--unshare-all" "--unshare-all --share-net"; do
    test_expect_success BWRAP "--info-fd has the same keys as bwrap's (${opts:-no unshare})" '
        info_keys "$BWRAP" --ro-bind / / $opts >expect &&
        info_keys "$BWRAPPER" --ro-bind / / $opts >actual &&
        test_cmp expect actual
    '
done

test_expect_success '--info-fd is complete and closed while the command still runs' '
    $PY fdtool.py report-early "$BWRAPPER" --ro-bind / / --info-fd @W@ sh -c "cat" >out &&
    echo "early report ok" >expect &&
    test_cmp expect out
'

# ---- --json-status-fd ----

test_expect_success '--json-status-fd: first line names the child, last has the exit code' '
    test_expect_code 5 "$BWRAPPER" --ro-bind / / --unshare-pid --json-status-fd 3 \
        sh -c "exit 5" 3>status.json &&
    test_line_count = 2 status.json &&
    $PY fdtool.py keys status.json >actual &&
    printf "%s\n" "child-pid mnt-namespace pid-namespace" "exit-code = 5" >expect &&
    test_cmp expect actual
'

test_expect_success '--json-status-fd reports 128+n for a command killed by signal n' '
    test_expect_code 137 "$BWRAPPER" --ro-bind / / --json-status-fd 3 \
        sh -c "kill -9 \$\$" 3>status.json &&
    $PY fdtool.py keys status.json | tail -n 1 >actual &&
    echo "exit-code = 137" >expect &&
    test_cmp expect actual
'

for opts in "" "--unshare-pid" "--unshare-all" "--unshare-pid --as-pid-1"; do
    test_expect_success BWRAP "--json-status-fd lines have bwrap's keys and exit code (${opts:-no unshare})" '
        "$BWRAP" --ro-bind / / $opts --json-status-fd 3 sh -c "exit 3" 3>status.json;
        $PY fdtool.py keys status.json >expect &&
        "$BWRAPPER" --ro-bind / / $opts --json-status-fd 3 sh -c "exit 3" 3>status.json;
        $PY fdtool.py keys status.json >actual &&
        test_cmp expect actual
    '
done

# numbers_out FILE: FILE with every number replaced by N, so that two
# runs (their pids and namespace ids) compare byte for byte.
numbers_out() {
    sed "s/[0-9][0-9]*/N/g" "$1"
}

for opts in "" "--unshare-pid" "--unshare-all" "--unshare-user --unshare-net --unshare-uts"; do
    test_expect_success BWRAP "--info-fd and --json-status-fd are bwrap's bytes, spaces and newlines included (${opts:-no unshare})" '
        "$BWRAP" --ro-bind / / $opts --info-fd 3 --json-status-fd 4 sh -c "exit 42" 3>info.json 4>status.json;
        numbers_out info.json >expect.info && numbers_out status.json >expect.status &&
        test_expect_code 42 "$BWRAPPER" --ro-bind / / $opts --info-fd 3 --json-status-fd 4 sh -c "exit 42" \
            3>info.json 4>status.json &&
        numbers_out info.json >actual.info && numbers_out status.json >actual.status &&
        test_cmp expect.info actual.info &&
        test_cmp expect.status actual.status &&
        grep "^{ \"child-pid\": [0-9]" status.json &&
        tail -n 1 status.json >last &&
        echo "{ \"exit-code\": 42 }" >expect &&
        test_cmp expect last
    '
done

test_expect_success '--json-status-fd: the first line arrives before the command ends' '
    test_expect_code 7 $PY fdtool.py report-early "$BWRAPPER" --ro-bind / / \
        --json-status-fd @W@ sh -c "cat; exit 7" >out &&
    echo "early report ok" >expect &&
    test_cmp expect out &&
    $PY fdtool.py keys report | tail -n 1 >actual &&
    echo "exit-code = 7" >expect &&
    test_cmp expect actual
'

# ---- the fds given to options do not reach the command ----

for opt in "--sync-fd 3" "--info-fd 3" "--json-status-fd 3" "--block-fd 3"; do
    test_expect_success BWRAP "$opt is not inherited by the command, as with bwrap" '
        echo x >blockdata &&
        same_as_bwrap --ro-bind / / $opt sh -c "
            if test -e /proc/self/fd/3; then echo fd 3 open; else echo fd 3 closed; fi" 3<>blockdata &&
        echo "fd 3 closed" >expect &&
        head -n 1 actual.out >first &&
        test_cmp expect first
    '
done

# ---- --sync-fd ----

test_expect_success '--sync-fd stays open until the sandbox ends' '
    $PY fdtool.py sync "$BWRAPPER" --ro-bind / / --sync-fd @W@ sh -c "cat" >out &&
    printf "%s\n" "open while running" "EOF after exit" >expect &&
    test_cmp expect out
'

test_expect_success '--sync-fd with --unshare-pid stays open until the sandbox ends' '
    $PY fdtool.py sync "$BWRAPPER" --ro-bind / / --unshare-pid --sync-fd @W@ sh -c "cat" >out &&
    printf "%s\n" "open while running" "EOF after exit" >expect &&
    test_cmp expect out
'

# ---- --block-fd ----

test_expect_success '--block-fd: the command starts only once data is written' '
    $PY fdtool.py block "$BWRAPPER" --ro-bind / / --block-fd @R@ echo started >out &&
    printf "%s\n" blocked started >expect &&
    test_cmp expect out
'

test_expect_success BWRAP '--block-fd at EOF lets the command run, as bwrap' '
    same_as_bwrap --ro-bind / / --block-fd 3 echo ran 3</dev/null &&
    echo ran >expect &&
    head -n 1 actual.out >first &&
    test_cmp expect first
'

# ---- --userns-block-fd ----

test_expect_success USERNS '--userns-block-fd waits for the caller to write the id maps' '
    $PY fdtool.py userns-block "$BWRAPPER" --ro-bind / / --unshare-user \
        --info-fd @W@ --userns-block-fd @B@ sh -c "id -u; id -g" >actual &&
    printf "%s\n" 4321 4321 >expect &&
    test_cmp expect actual
'

test_expect_success BWRAP '--userns-block-fd without --info-fd fails as with bwrap' '
    same_as_bwrap --ro-bind / / --unshare-user --userns-block-fd 3 true 3</dev/null &&
    grep "^exit 1$" actual.out
'

# ---- --lock-file ----

test_expect_success '--lock-file holds a lock on the file while the sandbox runs' '
    : >lockme &&
    $PY fdtool.py lock lockme "$BWRAPPER" --ro-bind / / --lock-file "$PWD/lockme" \
        sh -c "echo up; cat" >out &&
    printf "%s\n" "while running: locked" "after exit: free" >expect &&
    test_cmp expect out
'

test_expect_success '--lock-file: the lock is not the command'"'"'s own (it survives exec)' '
    : >lockme &&
    "$BWRAPPER" --ro-bind / / --bind "$PWD" "$PWD" --lock-file "$PWD/lockme" $PY -c "
import fcntl, os
fd = os.open(\"lockme\", os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print(\"free\")
except OSError:
    print(\"locked\")" >out &&
    echo locked >expect &&
    test_cmp expect out
'

test_expect_success '--lock-file with --unshare-pid holds the lock while the sandbox runs' '
    : >lockme &&
    $PY fdtool.py lock lockme "$BWRAPPER" --ro-bind / / --unshare-pid \
        --lock-file "$PWD/lockme" sh -c "echo up; cat" >out &&
    printf "%s\n" "while running: locked" "after exit: free" >expect &&
    test_cmp expect out
'

test_expect_success BWRAP '--lock-file on a missing file fails as with bwrap' '
    same_as_bwrap --ro-bind / / --lock-file "$PWD/no-such-lock" true &&
    grep "^exit 1$" actual.out
'

# ---- --seccomp / --add-seccomp-fd ----

test_expect_success PYSECCOMP 'build BPF filters with python3-seccomp' '
    $PY fdtool.py bpf mkdir.bpf mkdir mkdirat &&
    $PY fdtool.py bpf rmdir.bpf rmdir unlinkat &&
    test -s mkdir.bpf && test -s rmdir.bpf
'

test_expect_success PYSECCOMP '--seccomp FD makes the filtered syscall fail with EPERM' '
    "$BWRAPPER" --ro-bind / / --tmpfs /tmp --seccomp 3 $PY -c "
import os
try:
    os.mkdir(\"/tmp/x\")
    print(\"created\")
except OSError as e:
    print(e.strerror)
print(os.path.isdir(\"/tmp\"))" 3<mkdir.bpf >out &&
    printf "%s\n" "Operation not permitted" True >expect &&
    test_cmp expect out
'

test_expect_success PYSECCOMP '--seccomp filter holds under --unshare-pid and --as-pid-1 too' '
    for opts in --unshare-pid "--unshare-pid --as-pid-1"; do
        "$BWRAPPER" --ro-bind / / --tmpfs /tmp $opts --seccomp 3 \
            sh -c "mkdir /tmp/x 2>/dev/null && echo created || echo refused" 3<mkdir.bpf || return 1
    done >out &&
    printf "%s\n" refused refused >expect &&
    test_cmp expect out
'

test_expect_success PYSECCOMP '--add-seccomp-fd stacks two filters' '
    "$BWRAPPER" --ro-bind / / --tmpfs /tmp --dir /tmp/d --add-seccomp-fd 3 --add-seccomp-fd 4 sh -c "
        mkdir /tmp/x 2>/dev/null && echo mkdir ok || echo mkdir refused
        rmdir /tmp/d 2>/dev/null && echo rmdir ok || echo rmdir refused
        touch /tmp/f && echo touch ok" 3<mkdir.bpf 4<rmdir.bpf >out &&
    printf "%s\n" "mkdir refused" "rmdir refused" "touch ok" >expect &&
    test_cmp expect out
'

test_expect_success PYSECCOMP,BWRAP '--seccomp and stacked --add-seccomp-fd behave as with bwrap' '
    same_as_bwrap_fds mkdir.bpf /dev/null --ro-bind / / --tmpfs /tmp --dir /tmp/d \
        --seccomp 3 sh -c "mkdir /tmp/x; echo \$?; rmdir /tmp/d; echo \$?" &&
    printf "%s\n" 1 0 "exit 0" >expect &&
    test_cmp expect actual.out &&
    same_as_bwrap_fds mkdir.bpf rmdir.bpf --ro-bind / / --tmpfs /tmp --dir /tmp/d \
        --add-seccomp-fd 3 --add-seccomp-fd 4 sh -c "mkdir /tmp/x; echo \$?; rmdir /tmp/d; echo \$?" &&
    printf "%s\n" 1 1 "exit 0" >expect &&
    test_cmp expect actual.out
'

test_expect_success PYSECCOMP,BWRAP '--seccomp with --add-seccomp-fd is refused, as by bwrap' '
    same_as_bwrap_fds mkdir.bpf rmdir.bpf --ro-bind / / --seccomp 3 --add-seccomp-fd 4 echo ran &&
    echo "exit 1" >expect &&
    test_cmp expect actual.out
'

test_expect_success BWRAP '--seccomp with a program that is not BPF fails, as with bwrap' '
    printf "not a bpf program" >junk.bpf &&
    same_as_bwrap_fds junk.bpf /dev/null --ro-bind / / --seccomp 3 echo ran &&
    echo "exit 1" >expect &&
    test_cmp expect actual.out
'

test_done

#!/bin/sh
test_description='THREAT-MODEL.md, line by line: no fd of bwrapper reaches the command, relays use bounded memory, no setuid install'
. "$(dirname "$0")/lib.sh"

oci_setup
DRIVE_TIMEOUT=60

# The fds the command has, sorted, without the one listing them.
cat >listfds.py <<'PY'
import os
d = "/proc/self/fd"
def kept(f):
    try:
        return not os.readlink(d + "/" + f).endswith("/fd")
    except OSError:
        return False
print(" ".join(sorted(filter(kept, os.listdir(d)), key=int)))
PY
LISTFDS=$(cat listfds.py)
echo data >data
printf -- '--setenv\0FROM_ARGS\0yes\0' >args
# A seccomp program that allows everything: RET ALLOW.
printf '\006\000\000\000\000\000\377\177' >allow.bpf

# Fd 5 is passed on purpose (no option names it); 6, 7 and 8 are used by
# bwrapper (--file, --args, --seccomp) and must be closed once used.
FD_OPTS="--file 6 /f --args 7"
with_fds() { "$@" 5<data 6<data 7<args 8<allow.bpf; }

test_expect_success 'native: the command has the fds bwrap would give it, and no other' '
    /usr/bin/python3 -c "$LISTFDS" 5<data 6<&- 7<&- 8<&- >outside &&
    with_fds "$BWRAPPER" $ROOT_ARGS --proc /proc $FD_OPTS --seccomp 8 /usr/bin/python3 -c "$LISTFDS" >inside &&
    test_cmp outside inside
'

test_expect_success BWRAP 'native: the same fds as under bwrap, with every fd option' '
    with_fds "$BWRAP" $ROOT_ARGS --proc /proc $FD_OPTS --seccomp 8 --info-fd 9 --json-status-fd 4 \
        /usr/bin/python3 -c "$LISTFDS" >expect 9>/dev/null 4>/dev/null &&
    with_fds "$BWRAPPER" $ROOT_ARGS --proc /proc $FD_OPTS --seccomp 8 --info-fd 9 --json-status-fd 4 \
        /usr/bin/python3 -c "$LISTFDS" >actual 9>/dev/null 4>/dev/null &&
    test_cmp expect actual
'

test_expect_success DRIVE 'native --pty: the command has the pty as 0, 1 and 2 and no other fd (unnamed fds are closed)' '
    with_fds drive -- "$BWRAPPER" $ROOT_ARGS --proc /proc --dev /dev $FD_OPTS --seccomp 8 --pty \
        /usr/bin/python3 -c "$LISTFDS" &&
    status_is 0 &&
    echo "0 1 2" >expect &&
    test_cmp expect out
'

test_expect_success DRIVE 'native --pty --keep-fd 5: the kept fd reaches the command, nothing else does' '
    with_fds drive -- "$BWRAPPER" $ROOT_ARGS --proc /proc --dev /dev $FD_OPTS --seccomp 8 --pty --keep-fd 5 \
        /usr/bin/python3 -c "$LISTFDS" &&
    status_is 0 &&
    echo "0 1 2 5" >expect &&
    test_cmp expect out
'

# An OCI runtime gives the command stdin, stdout and stderr only: fd 5
# does not reach it either (README: the OCI back end).
echo "0 1 2" >oci-expect
for rt in runc crun runsc; do
    RT=$(echo $rt | tr a-z A-Z)
    test_expect_success "$RT" "--runtime $rt: the command has only stdin, stdout and stderr" "
        with_fds \"\$BWRAPPER\" --runtime $rt \$ROOT_ARGS --proc /proc \$FD_OPTS \
            /usr/bin/python3 -c \"\$LISTFDS\" >inside &&
        test_cmp oci-expect inside && nothing_left
    "
    test_expect_success "$RT,DRIVE" "--runtime $rt --pty: the command has only the console as 0, 1 and 2" "
        with_fds drive -- \"\$BWRAPPER\" --runtime $rt \$ROOT_ARGS --proc /proc --dev /dev \$FD_OPTS --pty \
            /usr/bin/python3 -c \"\$LISTFDS\" &&
        status_is 0 && test_cmp oci-expect out && nothing_left
    "
done

# ---- relays: bounded memory whatever the command writes ----

# relayflood.py ARGS...: run bwrapper ARGS... on a pty of our own, read
# and drop its output; the command floods, creates /s/flooded and waits
# for /s/go, so bwrapper's high-water mark (VmHWM) is read with the flood
# behind it and bwrapper still running.  Prints it in kB.
cat >relayflood.py <<'PY'
import os, select, sys
shared = sys.argv[1]
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    os.close(master)
    for fd in 0, 1, 2:
        os.dup2(slave, fd)
    os.execv(sys.argv[2], sys.argv[2:])
os.close(slave)
hwm = None
while True:
    if hwm is None and os.path.exists(shared + "/flooded"):
        with open("/proc/%d/status" % pid) as f:
            hwm = [l.split()[1] for l in f if l.startswith("VmHWM:")][0]
        open(shared + "/go", "w").close()
    if not select.select([master], [], [], 0.1)[0]:
        continue
    try:
        if not os.read(master, 65536):
            break
    except OSError:  # EIO: the pty's other end is closed
        break
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
print(hwm)
PY
FLOOD='head -c 200000000 /dev/zero; touch /s/flooded; until [ -e /s/go ]; do sleep 0.1; done'
# 16 MB: the plain build's own size is a few MB; ASan's shadow alone is more.
under_16mb() { test "$(cat hwm)" -lt 16384 || { echo "peak RSS $(cat hwm) kB"; false; }; }

test_expect_success !SANITIZED 'native --pty: 200 MB through the pty, bwrapper stays under 16 MB' '
    rm -rf s && mkdir s &&
    /usr/bin/python3 relayflood.py s "$BWRAPPER" $ROOT_ARGS --dev /dev --bind "$PWD/s" /s --pty \
        sh -c "$FLOOD" >hwm &&
    under_16mb
'

for rt in runc crun runsc; do
    RT=$(echo $rt | tr a-z A-Z)
    test_expect_success "$RT,!SANITIZED" "--runtime $rt --pty: 200 MB through the console, bwrapper stays under 16 MB" "
        rm -rf s && mkdir s && chmod 0777 s &&
        /usr/bin/python3 relayflood.py s \"\$BWRAPPER\" --runtime $rt \$ROOT_ARGS --dev /dev \
            --bind \"\$PWD/s\" /s --pty sh -c \"\$FLOOD\" >hwm &&
        under_16mb && nothing_left
    "
done

# ---- no setuid or setgid install ----

# As root: a copy of the binary with the bit set, run by the unprivileged
# user, must refuse before doing anything.
for bit in u+s g+s; do
    test_expect_success ROOT "a $bit install refuses to run, with the reason" "
        setid=\$(mktemp -d /tmp/bwrapper-setid.XXXXXX) && chmod 0755 \"\$setid\" &&
        cp \"\$BWRAPPER\" \"\$setid/bwrapper\" && chmod 0755 \"\$setid/bwrapper\" &&
        chmod $bit \"\$setid/bwrapper\" &&
        test_expect_code 1 su bwrapper-test -s /bin/sh -c \"\$setid/bwrapper --ro-bind / / true\" 2>err &&
        rm -rf \"\$setid\" &&
        echo 'bwrapper: refusing to run setuid or setgid: bwrapper has no setuid mode; remove the bit (chmod u-s,g-s) and use unprivileged user namespaces' >expect &&
        test_cmp expect err
    "
done

test_done

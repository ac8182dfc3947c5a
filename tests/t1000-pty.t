#!/bin/sh
test_description='--pty: the command on its own pseudo-terminal, relayed to the caller'"'"'s'
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null && test_set_prereq PYTHON

BOX="$ROOT_ARGS --proc /proc --dev /dev"
export BOX

test_expect_success '--print-plan shows --pty' '
    "$BWRAPPER" --print-plan --pty true | grep -q "\"pty\": true" &&
    "$BWRAPPER" --print-plan true | grep -q "\"pty\": false"
'

test_expect_success DRIVE 'with a new /dev, tty inside names its own /dev/pts entry, which exists inside' '
    drive -- "$BWRAPPER" $BOX --pty sh -c "tty; test -c \"\$(tty)\" && echo exists" &&
    status_is 0 &&
    printf "/dev/pts/0\nexists\n" >expect && test_cmp expect out
'

test_expect_success DRIVE 'with the host /dev bound, the pty is the caller'"'"'s /dev/ptmx one and exists inside' '
    drive -- "$BWRAPPER" $ROOT_ARGS --dev-bind /dev /dev --pty sh -c "tty; test -c \"\$(tty)\" && echo exists" &&
    status_is 0 && grep -q "^/dev/pts/[0-9]*$" out && grep -qx exists out
'

test_expect_success DRIVE 'also where the sandbox cannot open devices (a nodev bind of /)' '
    drive -- "$BWRAPPER" --ro-bind / / --pty sh -c "tty; test -c \"\$(tty)\" && echo exists" &&
    status_is 0 && grep -q "^/dev/pts/[0-9]*$" out && grep -qx exists out
'

test_expect_success DRIVE 'without any /dev the command is still on a terminal' '
    drive -- "$BWRAPPER" $ROOT_ARGS --pty sh -c "test -t 0 && test -t 1 && test -t 2 && echo terminal" &&
    status_is 0 && grep -qx terminal out
'

test_expect_success DRIVE 'stty size inside is the size of the caller'"'"'s terminal' '
    drive -z 33x101 -- "$BWRAPPER" $BOX --pty stty size &&
    status_is 0 && echo "33 101" >expect && test_cmp expect out
'

test_expect_success DRIVE 'the size inside follows a resize of the caller'"'"'s terminal' '
    drive -z 24x80 -e READY -r 40x132 -e "size:" -- "$BWRAPPER" $BOX --pty sh -c "
        trap \"echo size:\\\$(stty size); exit 0\" WINCH
        echo READY
        i=0; while [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done; echo no WINCH" &&
    status_is 0 && grep -qx "size:40 132" out
'

test_expect_success DRIVE 'an interactive shell answers typed input (the README pattern)' '
    drive -e "PROMPT> " -s "echo \$((6 * 7))\n" -e 42 -e "PROMPT> " -s "exit 5\n" -- \
        "$BWRAPPER" $BOX --unshare-all --die-with-parent --new-session --pty \
        --setenv PS1 "PROMPT> " bash --norc --noprofile -i &&
    status_is 5 && grep -q "^42$" out
'

test_expect_success DRIVE 'Ctrl-C interrupts the command inside, not bwrapper' '
    drive -e READY -s "\x03" -- "$BWRAPPER" $BOX --pty sh -c "
        trap \"echo caught INT; exit 7\" INT
        echo READY
        i=0; while [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done" &&
    status_is 7 && grep -q "caught INT" out
'

test_expect_success DRIVE 'Ctrl-C ends a command that does not catch it: 130, with a pid namespace too' '
    drive -e READY -s "\x03" -- "$BWRAPPER" $BOX --unshare-pid --pty sh -c "echo READY; exec sleep 10" &&
    status_is 130
'

test_expect_success DRIVE 'the exit status passes through' '
    drive -- "$BWRAPPER" $BOX --pty sh -c "exit 42" && status_is 42 &&
    drive -- "$BWRAPPER" $BOX --unshare-pid --pty sh -c "exit 43" && status_is 43
'

test_expect_success DRIVE,PYTHON 'the command leads a session of its own' '
    drive -- "$BWRAPPER" $BOX --pty python3 -c "import os; print(os.getsid(0) == os.getpid())" &&
    status_is 0 && echo True >expect && test_cmp expect out
'

test_expect_success DRIVE 'all output arrives, up to the last line' '
    drive -- "$BWRAPPER" $BOX --pty seq 1 20000 &&
    status_is 0 && seq 1 20000 >expect && test_cmp expect out
'

# The pty echoes the input; a last partial line takes a second EOF.
test_expect_success 'stdin not a terminal: input is relayed, its end is the terminal'"'"'s EOF' '
    printf "hello\nworld" | "$BWRAPPER" $BOX --pty wc -c >out.raw &&
    tr -d "\r" <out.raw >out &&
    printf "hello\nworld11\n" >expect && test_cmp expect out
'

test_expect_success 'stdin from /dev/null: the command sees end of file at once' '
    timeout 10 "$BWRAPPER" $BOX --pty cat </dev/null
'

# tiocsti.py TEXT: push TEXT into the input of the terminal on stdin, and of
# the controlling terminal, as a command in a sandbox might try.
cat >tiocsti.py <<\EOF
import fcntl, sys, termios
for fd in (0, open("/dev/tty", "rb", buffering=0).fileno()):
    for c in sys.argv[1].encode():
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
EOF
# The caller's shell runs the sandbox, then reads one line: what the user
# types ("typed"), unless the sandbox pushed a line in first.
cat >caller.sh <<\EOF
"$BWRAPPER" $BOX --ro-bind "$PWD/tiocsti.py" /tiocsti.py "$@" python3 /tiocsti.py "echo INJECTED
"
echo READY
read line
echo "read:$line"
EOF

test_expect_success DRIVE,PYTHON 'without --pty, TIOCSTI injects into the caller'"'"'s terminal (the test sees it)' '
    drive -e READY -s "typed\n" -e "read:" -- sh caller.sh &&
    status_is 0 && grep -q "^read:echo INJECTED$" out
'

test_expect_success DRIVE,PYTHON '--pty: TIOCSTI from inside cannot inject into the caller'"'"'s terminal' '
    drive -e READY -s "typed\n" -e "read:" -- sh caller.sh --pty &&
    status_is 0 && grep -q "^read:typed$" out
'

# Every pty replica any process in the sandbox has open is the sandbox's,
# and so is every controlling terminal: a process with one is in a session
# of the sandbox's (a session from outside its pid namespace shows as 0 in
# /proc/PID/stat; tty numbers alone cannot tell two devpts instances apart).
cat >ttys.py <<\EOF
import os, stat
mine = os.fstat(0)
seen, foreign = set(), []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    seen.add(pid)
    if int(fields[4]) != 0 and int(fields[3]) == 0:
        foreign.append(f"{pid}/ctty")
    for fd in fds:
        try:
            st = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if stat.S_ISCHR(st.st_mode) and 136 <= os.major(st.st_rdev) <= 143 \
                and (st.st_dev, st.st_rdev) != (mine.st_dev, mine.st_rdev):
            foreign.append(f"{pid}/{fd}")
print("pid 1 seen:", "1" in seen, "foreign:", foreign)
EOF

# --info-fd keeps pid 1 dumpable, as in bwrap, so the command can list its
# fds; it is not otherwise.
test_expect_success DRIVE,PYTHON 'no process in the sandbox, pid 1 included, holds the caller'"'"'s terminal' '
    drive -- "$BWRAPPER" $BOX --unshare-pid --info-fd 9 --ro-bind "$PWD/ttys.py" /ttys.py --pty python3 /ttys.py 9>info &&
    status_is 0 && echo "pid 1 seen: True foreign: []" >expect && test_cmp expect out
'

test_expect_success DRIVE 'stty -g of the caller'"'"'s terminal is the same before and after' '
    drive -- sh -c "stty -g; \"\$BWRAPPER\" \$BOX --pty sh -c \"stty raw -echo; exit 3\"; echo status \$?; stty -g" &&
    status_is 0 && grep -qx "status 3" out &&
    sed -n 1p out >before && sed -n "\$p" out >after && test_cmp before after
'

test_expect_success DRIVE 'the terminal is restored when the command is killed' '
    drive -g -- "$BWRAPPER" $BOX --pty sh -c "kill -KILL \$\$" && status_is 137
'

test_expect_success DRIVE 'the command cannot kill bwrapper (--pty implies a pid namespace): the terminal is restored' '
    drive -g -- "$BWRAPPER" $BOX --pty sh -c "kill -KILL \$PPID; exit 5" && status_is 5
'

test_expect_success DRIVE 'SIGTERM to bwrapper goes to the command; the terminal is restored' '
    drive -g -e READY -k 15 -- "$BWRAPPER" $BOX --pty sh -c "
        trap \"echo caught TERM; exit 3\" TERM
        echo READY
        i=0; while [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done" &&
    status_is 3 && grep -q "caught TERM" out
'

test_expect_success DRIVE 'the same through the reaper of a pid namespace' '
    drive -g -e READY -k 15 -- "$BWRAPPER" $BOX --unshare-pid --pty sh -c "
        trap \"echo caught TERM; exit 3\" TERM
        echo READY
        i=0; while [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done" &&
    status_is 3 && grep -q "caught TERM" out
'

test_expect_success DRIVE 'SIGQUIT to bwrapper goes to the command; the terminal is restored' '
    drive -g -e READY -k 3 -- "$BWRAPPER" $BOX --unshare-pid --pty sh -c "
        trap \"echo caught QUIT; exit 4\" QUIT
        echo READY
        i=0; while [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done" &&
    status_is 4 && grep -q "caught QUIT" out
'

# The caller'"'"'s shell stops bwrapper (SIGTSTP) and continues it, checking
# the terminal at each stage; the command ends once go exists.
cat >suspend.sh <<\EOF
mode() { stty -g; }
# until TEST "$(mode)" holds, for at most 10 s
until_mode() {
    i=0
    while ! test "$(mode)" "$1" "$2"; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "timed out: mode $1 $2"; return 1; }; sleep 0.05
    done
}
mkdir -p x && rm -f x/go
before=$(mode)
"$BWRAPPER" $BOX --bind "$PWD/x" /x --pty sh -c "while [ ! -e /x/go ]; do sleep 0.05; done; echo ended" </dev/tty &
pid=$!
until_mode != "$before" && echo raw &&
kill -TSTP $pid && until_mode = "$before" && echo restored while stopped &&
kill -CONT $pid && until_mode != "$before" && echo raw again &&
touch x/go && wait $pid && echo "status $?" && until_mode = "$before" && echo restored
EOF

test_expect_success DRIVE 'SIGTSTP stops bwrapper with the terminal restored; SIGCONT takes it back raw' '
    drive -- sh suspend.sh && status_is 0 &&
    printf "raw\nrestored while stopped\nraw again\nended\nstatus 0\nrestored\n" >expect && test_cmp expect out
'

test_expect_success DRIVE 'any other fatal signal (SIGALRM) goes to the command; the terminal is restored' '
    drive -g -e READY -k 14 -- "$BWRAPPER" $BOX --pty sh -c "echo READY; exec sleep 10" &&
    status_is 142
'

test_expect_success DRIVE 'signals are still passed on after the command has closed its terminal' '
    drive -e READY -k 15 -- "$BWRAPPER" $BOX --pty sh -c "
        exec 3>&1 >/dev/null 2>&1 </dev/null; echo READY >&3; exec 3>&-; exec sleep 10" &&
    status_is 143
'

test_expect_success DRIVE 'SIGHUP to bwrapper hangs up the command: 129' '
    drive -g -e READY -k 1 -- "$BWRAPPER" $BOX --unshare-pid --pty sh -c "echo READY; exec sleep 10" &&
    status_is 129
'

test_expect_success DRIVE 'a failure inside is shown through the pty, and the terminal is restored' '
    drive -g -- "$BWRAPPER" $BOX --pty /nonexistent-command &&
    status_is 1 && grep -q "^bwrapper: execvp /nonexistent-command: No such file or directory$" out
'

test_expect_success DRIVE 'a set-up failure before the pty exists is reported, with status 1' '
    drive -g -- "$BWRAPPER" $BOX --ro-bind /nonexistent-source /x --pty true &&
    status_is 1 && grep -q "^bwrapper: Can.t find source path /nonexistent-source: No such file or directory (--ro-bind /nonexistent-source /x)$" out
'

test_expect_success DRIVE '--timeout ends the command: 124, and the terminal is restored' '
    drive -g -- "$BWRAPPER" $BOX --timeout 0.2 --pty sleep 10 && status_is 124
'

test_done

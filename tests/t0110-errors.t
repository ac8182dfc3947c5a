#!/bin/sh
test_description='bad input: exit 1, one "bwrapper: " line on stderr, the command never runs'
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# A host directory the sandbox can write to: a command that ran leaves
# $ran behind.  (Not in the trash directory: its name has a space.)
markdir=$(mktemp -d "${TMPDIR:-/tmp}/bwrapper-t0110.XXXXXX") ||
    error "cannot make a scratch directory"
ran=$markdir/ran
RUN="$ROOT_ARGS --bind $markdir $markdir"

# run_with_marker PROG ARGS...: PROG $RUN ARGS... touch $ran, its status in
# rc, stderr in err.  stdout goes through a pipe that every process of the
# sandbox inherits, so this returns only when all of them have exited: a
# command started behind the error's back has left its marker by then.
# (timeout only guards against a process that never exits holding the pipe.)
run_with_marker() {
    prog=$1 && shift &&
    rm -f "$ran" rc err &&
    { "$prog" $RUN "$@" touch "$ran" 2>err; echo $? >rc; } | timeout 10 cat >out
}

# command_did_not_run / command_ran: whether the marker is there.
command_did_not_run() {
    if test -e "$ran"; then
        echo "the command ran: $ran exists"
        return 1
    fi
}

command_ran() {
    if ! test -f "$ran"; then
        echo "the command did not run: no $ran"
        return 1
    fi
}

# expect_error ARGS...: bwrapper rejects ARGS: exit 1, exactly one line on
# stderr, starting with "bwrapper: ", and the command did not run.
expect_error() {
    run_with_marker "$BWRAPPER" "$@" &&
    echo 1 >expect.rc &&
    test_cmp expect.rc rc &&
    test_line_count = 1 err &&
    grep "^bwrapper: " err >/dev/null &&
    command_did_not_run
}

# bwrap_fails ARGS...: bwrap rejects ARGS without running the command; its
# status goes to bwrap.rc, its message (without "bwrap: ") to expect.err.
# Give each run its own redirections: two runs sharing one open file would
# share its offset, and the second would read nothing.
bwrap_fails() {
    run_with_marker "$BWRAP" "$@" &&
    command_did_not_run &&
    sed "s/^bwrap: //" err >expect.err &&
    mv rc bwrap.rc
}

# same_status_as_bwrap ARGS... (after bwrap_fails): bwrapper rejects ARGS
# as expect_error says, with bwrap's status.
same_status_as_bwrap() {
    expect_error "$@" &&
    test_cmp bwrap.rc rc
}

# same_message_as_bwrap ARGS... (after bwrap_fails): and with bwrap's
# message after the program name.
same_message_as_bwrap() {
    same_status_as_bwrap "$@" &&
    sed "s/^bwrapper: //" err >actual.err &&
    test_cmp expect.err actual.err
}

# same_error_as_bwrap ARGS...: both of the above, for ARGS that need no fd.
same_error_as_bwrap() {
    bwrap_fails "$@" &&
    same_message_as_bwrap "$@"
}

# expect_ran ARGS...: bwrapper accepts ARGS and runs the command.
expect_ran() {
    run_with_marker "$BWRAPPER" "$@" &&
    echo 0 >expect.rc &&
    test_cmp expect.rc rc &&
    command_ran
}

nul_words() {
    printf '%s\0' "$@"
}

# ---- unknown options, missing arguments, no command ----

test_expect_success 'an unknown option is refused by name' '
    expect_error --no-such-option &&
    grep -e "--no-such-option" err
'

test_expect_success BWRAP 'unknown options: the same message as bwrap, long and short' '
    same_error_as_bwrap --no-such-option &&
    same_error_as_bwrap -x
'

test_expect_success 'an option missing its argument at the end of the line is refused' '
    test_expect_code 1 "$BWRAPPER" --bind /a 2>err &&
    test_line_count = 1 err &&
    grep "^bwrapper: --bind " err
'

test_expect_success BWRAP 'missing arguments: the same messages as bwrap' '
    for args in "--bind /a" "--ro-bind /a" "--dev-bind /a" "--setenv A" "--symlink t" \
                "--file 3" "--args" "--uid" "--hostname" "--perms" "--size" "--chmod 0755" \
                "--lock-file" "--cap-add" "--tmpfs" "--dir" "--proc"
    do
        test_expect_code 1 "$BWRAP" $args 2>bwrap.err &&
        test_expect_code 1 "$BWRAPPER" $args 2>err &&
        test_line_count = 1 err &&
        sed "s/^bwrap: //" bwrap.err >expect &&
        sed "s/^bwrapper: //" err >actual &&
        test_cmp expect actual || return 1
    done
'

# bwrap prints its whole usage (80 lines) here; bwrapper one line.
test_expect_success 'no command, with or without "--": one line with the usage and --help, exit 1' '
    for end in "" "--"
    do
        test_expect_code 1 "$BWRAPPER" $ROOT_ARGS $end >out 2>err &&
        test_must_be_empty out &&
        echo "bwrapper: No command given: usage: $BWRAPPER [OPTIONS...] [--] COMMAND [ARGS...]; see $BWRAPPER --help" >expect &&
        test_cmp expect err || return 1
    done &&
    test_expect_code 1 "$BWRAPPER" 2>err &&
    test_line_count = 1 err
'

test_expect_success BWRAP 'no command: the same status as bwrap, and the usage line bwrap starts with' '
    test_expect_code 1 "$BWRAP" $ROOT_ARGS -- >/dev/null 2>bwrap.err &&
    test_expect_code 1 "$BWRAPPER" $ROOT_ARGS -- 2>err &&
    # bwrap names itself as invoked (/usr/bin/bwrap): compare from the options on
    head -n 1 bwrap.err | sed "s/^usage: [^ ]* //" >expect &&
    sed "s/.*usage: [^ ]* //; s/; see .*//" err >actual &&
    test_cmp expect actual
'

# ---- sources and destinations ----

test_expect_success 'a nonexistent source for --bind, --ro-bind, --dev-bind is an error naming it' '
    for opt in --bind --ro-bind --dev-bind
    do
        expect_error $opt /nonexistent-t0110 /x &&
        grep -e "/nonexistent-t0110" err || return 1
    done
'

test_expect_success BWRAP 'a nonexistent --bind source fails as in bwrap' '
    bwrap_fails --bind /nonexistent-t0110 /x &&
    same_status_as_bwrap --bind /nonexistent-t0110 /x
'

test_expect_success SANDBOX 'the -try binds skip a nonexistent source and run the command' '
    for opt in --bind-try --ro-bind-try --dev-bind-try
    do
        expect_ran $opt /nonexistent-t0110 /x &&
        test_must_be_empty err || return 1
    done
'

test_expect_success BWRAP,SANDBOX 'a skipped -try bind creates no destination, as bwrap' '
    same_as_bwrap $ROOT_ARGS --bind-try /nonexistent-t0110 /x --ro-bind-try /nonexistent-t0110 /y \
        sh -c "test -e /x || test -e /y; echo \$?"
'

test_expect_success BWRAP,SANDBOX 'a relative destination is taken from the sandbox root, as bwrap (not refused)' '
    same_as_bwrap $ROOT_ARGS --dir rel/sub --tmpfs reltmp --symlink target rellink \
        sh -c "ls -d /rel/sub /reltmp; readlink /rellink"
'

# ---- fds ----

test_expect_success 'a non-number fd is refused, for every option taking an fd' '
    for opt in --args --sync-fd --block-fd --userns-block-fd --info-fd --json-status-fd \
               --seccomp --add-seccomp-fd --userns --userns2 --pidns
    do
        for bad in abc -1 "" 3x
        do
            expect_error $opt "$bad" || return 1
        done
    done &&
    for opt in --file --bind-data --ro-bind-data --bind-fd --ro-bind-fd
    do
        expect_error $opt abc /x || return 1
    done
'

test_expect_success BWRAP '--info-fd abc fails as in bwrap' '
    bwrap_fails --info-fd abc &&
    same_status_as_bwrap --info-fd abc
'

test_expect_success 'the bad fd is named in the message' '
    expect_error --info-fd abc &&
    grep -e "abc" err
'

# bwrap runs on without the fd: a sandbox that never syncs or blocks.
test_expect_success 'an fd that is not open is refused, naming the option, for every option taking an fd' '
    for opt in --sync-fd --block-fd --info-fd --json-status-fd
    do
        expect_error $opt 99 &&
        grep -x "bwrapper: Invalid fd: 99 is not open ($opt 99)" err || return 1
    done &&
    for opt in --seccomp --add-seccomp-fd
    do
        expect_error $opt 99 &&
        grep -x "bwrapper: Can'"'"'t read seccomp data: Bad file descriptor ($opt 99)" err || return 1
    done &&
    expect_error --args 99 &&
    grep -x "bwrapper: Can'"'"'t read --args data: Bad file descriptor (--args 99)" err &&
    expect_error --unshare-user --userns-block-fd 99 --info-fd 1 &&
    grep -x "bwrapper: Invalid fd: 99 is not open (--userns-block-fd 99)" err &&
    for opt in --file --bind-data --ro-bind-data --bind-fd --ro-bind-fd
    do
        expect_error $opt 99 /x &&
        grep -x "bwrapper: Invalid fd: 99 is not open ($opt 99 /x)" err || return 1
    done
'

test_expect_success '--args on an fd that is not open: error, command not run' '
    expect_error --args 99 &&
    grep -e "--args" err
'

test_expect_success BWRAP '--args 99 fails as in bwrap' '
    bwrap_fails --args 99 &&
    same_status_as_bwrap --args 99
'

# bwrap 0.8 also exits 1 here without running the command (but leaves its
# sandbox child blocked for ever, so it is not run side by side).
test_expect_success '--info-fd on an fd that is not open: error, and the command must not run' '
    expect_error --info-fd 99
'

test_expect_success '--json-status-fd on an fd that is not open: error, and the command must not run' '
    expect_error --json-status-fd 99
'

# ---- --perms, --size, --chmod values ----

test_expect_success BWRAP 'bad octal for --perms and --chmod: the same message as bwrap' '
    for bad in 999 abc 10000 "" 08
    do
        same_error_as_bwrap --perms "$bad" --dir /d &&
        same_error_as_bwrap --chmod "$bad" /usr || return 1
    done
'

test_expect_success 'bad octal for --perms names the option' '
    expect_error --perms 999 --dir /d &&
    grep -e "--perms" err
'

test_expect_success BWRAP '--perms followed by an option that creates no file: as bwrap' '
    for next in "--proc /proc" "--bind /usr /x" "--chmod 0755 /usr" "--symlink a /b" \
                "--remount-ro /usr" "--setenv A b"
    do
        same_error_as_bwrap --perms 0700 $next || return 1
    done
'

test_expect_success BWRAP '--size followed by anything but --tmpfs: as bwrap' '
    for next in "--dir /d" "--file 0 /f" "--proc /proc" "--bind /usr /x"
    do
        same_error_as_bwrap --size 4096 $next || return 1
    done
'

test_expect_success BWRAP '--size 0, negative or not a number: as bwrap' '
    for bad in 0 abc -1 "" 12k
    do
        same_error_as_bwrap --size "$bad" --tmpfs /t || return 1
    done
'

test_expect_success BWRAP '--size must start with a digit (no blank, no sign), as bwrap' '
    for bad in " 4096" "+4096"
    do
        same_error_as_bwrap --size "$bad" --tmpfs /t || return 1
    done
'

test_expect_success BWRAP '--perms or --size given twice for one option is refused, as bwrap' '
    same_error_as_bwrap --perms 0700 --perms 0755 --dir /d &&
    same_error_as_bwrap --size 4096 --size 8192 --tmpfs /t
'

test_expect_success BWRAP,SANDBOX 'a --perms or --size left before the command is ignored, as bwrap' '
    same_as_bwrap $ROOT_ARGS --perms 0700 true &&
    same_as_bwrap $ROOT_ARGS --size 4096 -- true
'

# ---- capabilities, ids, namespaces ----

test_expect_success 'an unknown capability name is refused and named' '
    expect_error --cap-add CAP_NO_SUCH_THING &&
    grep -e "CAP_NO_SUCH_THING" err &&
    expect_error --cap-drop no_such_thing &&
    grep -e "no_such_thing" err
'

test_expect_success BWRAP 'an unknown capability fails as in bwrap' '
    bwrap_fails --cap-add CAP_NO_SUCH_THING &&
    same_status_as_bwrap --cap-add CAP_NO_SUCH_THING
'

test_expect_success ROOT,BWRAP 'as root, --uid/--gid other than 0 need a user namespace: as bwrap' '
    same_error_as_bwrap --uid 1234 &&
    same_error_as_bwrap --gid 1234
'

test_expect_success ROOT,BWRAP,SANDBOX 'as root, --uid 0 needs no user namespace (it is the caller), as bwrap' '
    same_as_bwrap $ROOT_ARGS --uid 0 --gid 0 id -u
'

test_expect_success USER,BWRAP,SANDBOX 'unprivileged, --uid/--gid imply the user namespace, as bwrap' '
    same_as_bwrap $ROOT_ARGS --uid 1234 --gid 4321 sh -c "id -u; id -g"
'

test_expect_success BWRAP '--hostname without --unshare-uts: as bwrap' '
    same_error_as_bwrap --hostname box
'

test_expect_success BWRAP '--userns with --unshare-user, or with --unshare-all: as bwrap' '
    same_error_as_bwrap --unshare-user --userns 0 &&
    same_error_as_bwrap --unshare-all --userns 0
'

test_expect_success BWRAP '--as-pid-1 without --unshare-pid, --userns-block-fd without --info-fd: as bwrap' '
    same_error_as_bwrap --as-pid-1 &&
    same_error_as_bwrap --unshare-user --userns-block-fd 0
'

test_expect_success '--setenv with "=" in the name is refused' '
    expect_error --setenv A=B c
'

# ---- seccomp ----

test_expect_success BWRAP 'seccomp data whose length is not a multiple of 8: bwrap message, then the option and fd' '
    printf abc >odd &&
    for opt in --seccomp --add-seccomp-fd
    do
        bwrap_fails $opt 3 3<odd &&
        same_status_as_bwrap $opt 3 3<odd &&
        echo "bwrapper: $(cat expect.err) ($opt 3)" >expect &&
        test_cmp expect err || return 1
    done
'

test_expect_success BWRAP 'empty seccomp data fails as in bwrap' '
    bwrap_fails --seccomp 3 3</dev/null &&
    same_status_as_bwrap --seccomp 3 3</dev/null &&
    bwrap_fails --add-seccomp-fd 3 3</dev/null &&
    same_status_as_bwrap --add-seccomp-fd 3 3</dev/null
'

test_expect_success BWRAP '--seccomp then --add-seccomp-fd: the same message as bwrap' '
    bwrap_fails --seccomp 3 --add-seccomp-fd 4 3</dev/null 4</dev/null &&
    same_message_as_bwrap --seccomp 3 --add-seccomp-fd 4 3</dev/null 4</dev/null
'

# ---- --args ----

test_expect_success BWRAP 'an option in an --args file cannot take its argument from the command line' '
    nul_words --bind /usr >args &&
    bwrap_fails --args 3 /x 3<args &&
    same_message_as_bwrap --args 3 /x 3<args
'

test_expect_success BWRAP 'an unknown option in an --args file: as bwrap' '
    nul_words --setenv A b --no-such-option >args &&
    bwrap_fails --args 3 3<args &&
    same_message_as_bwrap --args 3 3<args
'

test_expect_success BWRAP '--args inside an --args file is refused, as bwrap' '
    nul_words --args 4 >outer &&
    nul_words --setenv A b >inner &&
    bwrap_fails --args 3 3<outer 4<inner &&
    same_message_as_bwrap --args 3 3<outer 4<inner
'

# A deliberate difference: bwrap stops at 9,000 words (flatpak launches with
# many extensions reach it); bwrapper limits only the data of one --args fd.
test_expect_success SANDBOX 'more than 9000 words through --args are taken (bwrap refuses them)' '
    "$PY" -c "import sys; sys.stdout.write(\"--setenv\0A\0b\0\" * 5000)" >many &&
    expect_ran --args 3 3<many
'

test_expect_success 'an --args fd with more than 128 MiB of data is refused, not read to the end' '
    test_expect_code 1 timeout 60 "$BWRAPPER" --args 3 true 3</dev/zero 2>err &&
    echo "bwrapper: --args 3: more than 128 MiB of data" >expect &&
    test_cmp expect err
'

# A deliberate difference: bwrap ignores the rest of the data after a word
# that is not an option, so what the caller meant silently does not happen.
test_expect_success '--args data holding a non-option is refused, saying so' '
    printf "a\0b\0" >args &&
    expect_error --args 3 3<args &&
    echo "bwrapper: --args 3: \"a\" is not an option; the command cannot come from --args" >expect &&
    test_cmp expect err
'

test_expect_success BWRAP 'a --perms at the end of an --args file does not reach past it, as bwrap' '
    nul_words --perms 0700 >args &&
    bwrap_fails --args 3 --dir /d 3<args &&
    same_message_as_bwrap --args 3 --dir /d 3<args
'

# ---- overlays and --argv0 (bubblewrap 0.11, not in the system bwrap) ----

test_expect_success 'overlay options without enough --overlay-src are refused' '
    expect_error --tmp-overlay /x &&
    grep -e "--tmp-overlay" err &&
    expect_error --overlay "$markdir" "$markdir" /x &&
    grep -e "--overlay" err &&
    expect_error --overlay-src /usr --ro-overlay /x &&
    grep -e "--ro-overlay" err
'

test_expect_success 'a trailing --overlay-src is refused with bwrap 0.11'"'"'s message' '
    expect_error --overlay-src /usr &&
    echo "bwrapper: --overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay" >expect &&
    test_cmp expect err
'

test_expect_success '--argv0 given twice is refused (bwrap 0.11)' '
    expect_error --argv0 a --argv0 b
'

# ---- bad values: a table (issue 20) ----

# Each line: the start of the one error line (after "bwrapper: "), "|",
# then the arguments (shell words; $markdir is expanded).  Every one must
# exit 1 with that line and leave no marker: nothing ran.
cat >bad-input.table <<\TABLE
Invalid fd: 99 is not open (--sync-fd 99)               | --sync-fd 99
Invalid fd: 99 is not open (--block-fd 99)              | --block-fd 99
Invalid fd: 99 is not open (--info-fd 99)               | --info-fd 99
Can't read seccomp data: Bad file descriptor (--seccomp 99) | --seccomp 99
Invalid fd: 99 is not open (--file 99 /f)               | --file 99 /f
--size (for tmpfs) is limited to 9223372036854775807    | --size 0xffffffffffffffff --tmpfs /t
--size (for tmpfs) is limited to 9223372036854775807    | --size 9223372036854775808 --tmpfs /t
--size takes a non-zero number of bytes                 | --size 99999999999999999999 --tmpfs /t
Invalid uid: 4294967294                                 | --uid 4294967294
Invalid uid: 4294967295                                 | --uid 4294967295
Invalid uid: 4294967296                                 | --uid 4294967296
Invalid uid: 2147483648                                 | --uid 2147483648
Invalid gid: 4294967294                                 | --gid 4294967294
Invalid gid: 0x10                                       | --gid 0x10
--tmpfs /..: ".." climbs out of the sandbox's root       | --tmpfs /..
--tmpfs /a/../..: ".." climbs out of the sandbox's root  | --tmpfs /a/../..
--dir ../x: ".." climbs out of the sandbox's root        | --dir ../x
--bind $markdir /..: ".." climbs out of the sandbox's root | --bind $markdir /..
--timeout 0x10: expected a positive number of seconds, in decimal | --timeout 0x10
--timeout 1e3: expected a positive number of seconds, in decimal  | --timeout 1e3
--timeout inf: expected a positive number of seconds, in decimal  | --timeout inf
--timeout 1.: expected a positive number of seconds, in decimal   | --timeout 1.
unknown cap: 12abc (--cap-add)                          | --cap-add 12abc
unknown cap: 12abc (--cap-drop)                         | --cap-drop 12abc
unknown cap: 99 (--cap-add)                             | --cap-add 99
unknown cap: 0x0c (--cap-add)                           | --cap-add 0x0c
unknown cap: cap_net_admin+eip (--cap-add)              | --cap-add cap_net_admin+eip
TABLE

refused_with() {
    want=$1 && shift &&
    expect_error "$@" &&
    case "$(cat err)" in
    "bwrapper: $want"*) ;;
    *) echo "expected \"bwrapper: $want...\", got: $(cat err)"; return 1 ;;
    esac
}

test_expect_success 'bad values: exit 1, one line naming the value, nothing run (the table)' '
    while IFS="|" read -r want args
    do
        want=$(echo "$want" | sed "s/ *\$//; s|\\\$markdir|$markdir|") &&
        eval "refused_with \"\$want\" $args" || { echo "failed: $want | $args"; return 1; }
    done <bad-input.table
'

# Where bwrap 0.8 refuses the same value, it does so with the same words.
test_expect_success BWRAP 'bad values bwrap refuses too: the same words as bwrap, then the context' '
    for args in "--size 0xffffffffffffffff --tmpfs /t" "--size 9223372036854775808 --tmpfs /t" \
                "--uid 4294967294" "--uid 2147483648" "--gid 4294967295" "--uid -1" "--cap-add nosuch"
    do
        bwrap_fails $args &&
        same_status_as_bwrap $args &&
        case "$(sed "s/^bwrapper: //" err)" in
        "$(cat expect.err)"*) ;;
        *) echo "bwrap: $(cat expect.err); bwrapper: $(cat err)"; return 1 ;;
        esac || return 1
    done
'

test_expect_success 'caps: names in any case, with or without cap_, and plain decimals are accepted' '
    for cap in CAP_NET_ADMIN cap_net_admin net_admin Net_Admin 12
    do
        "$BWRAPPER" --cap-add $cap --print-plan >plan.json &&
        grep -x "      \"cap_net_admin\"" plan.json || return 1
    done
'

test_expect_success '--size keeps bwrap'"'"'s syntax: hex and octal too, up to SIZE_MAX/2' '
    "$BWRAPPER" --size 0x10 --tmpfs /a --size 010 --tmpfs /b --size 9223372036854775807 --tmpfs /c \
        --print-plan >plan.json &&
    "$PY" -c "import json; print([s[\"size\"] for s in json.load(open(\"plan.json\"))[\"steps\"]])" >actual &&
    echo "[16, 8, 9223372036854775807]" >expect &&
    test_cmp expect actual
'

test_expect_success 'ids up to INT_MAX and decimal --timeout values are accepted' '
    "$BWRAPPER" --uid 2147483647 --gid 0 --timeout 1.5 --print-plan >plan.json &&
    grep "\"uid\": 2147483647" plan.json && grep "\"timeout-ms\": 1500" plan.json
'

test_expect_success 'a ".." that stays inside the root is kept for the executor to resolve' '
    "$BWRAPPER" --tmpfs /a/../b --dir a/.. --print-plan >plan.json &&
    grep "\"dest\": \"/a/../b\"" plan.json && grep "\"dest\": \"a/..\"" plan.json
'

# ---- --lock-file: taken before the command exists ----

test_expect_success SANDBOX 'a --lock-file that cannot be opened runs nothing (bwrap 0.8 runs the command)' '
    for lock in /nonexistent-t0110/lock ""
    do
        expect_error --lock-file "$lock" &&
        grep -x "bwrapper: Unable to open lock file $lock: No such file or directory" err || return 1
    done
'

test_expect_success BWRAP,SANDBOX 'a --lock-file that cannot be opened: bwrap'"'"'s message' '
    "$BWRAP" $ROOT_ARGS --lock-file /nonexistent-t0110/lock true 2>bwrap.err;
    expect_error --lock-file /nonexistent-t0110/lock &&
    sed "s/^bwrap: //" bwrap.err >expect &&
    sed "s/^bwrapper: //" err >actual &&
    test_cmp expect actual
'

test_expect_success SANDBOX 'a --lock-file is held (a read lock) while the command runs' '
    : >"$markdir/lock" &&
    "$BWRAPPER" $RUN --unshare-pid --proc /proc --lock-file "$markdir/lock" cat /proc/locks >locks &&
    grep " POSIX  ADVISORY  READ " locks
'

test_expect_success BWRAP '--as-pid-1 with --lock-file is refused, as bwrap' '
    same_error_as_bwrap --unshare-pid --as-pid-1 --lock-file /etc/passwd
'

# ---- seccomp programs: checked as the kernel will, before anything runs ----

# bpf CODE:JT:JF:K ...: a classic-BPF program, one instruction per word.
bpf() {
    "$PY" -c "import struct, sys
sys.stdout.buffer.write(b\"\".join(struct.pack(\"<HBBI\", *(int(x, 0) for x in w.split(\":\"))) for w in sys.argv[1:]))" "$@"
}

test_expect_success 'a bad --seccomp or --add-seccomp-fd program is refused, naming the fault, option and fd' '
    ret_allow=0x06:0:0:0x7fff0000 &&
    while IFS="|" read -r want words
    do
        want=$(echo "$want" | sed "s/ *\$//") &&
        bpf $words >prog &&
        for opt in --seccomp --add-seccomp-fd
        do
            expect_error $opt 3 3<prog &&
            echo "bwrapper: Invalid seccomp data, $want ($opt 3)" >expect &&
            test_cmp expect err || return 1
        done || return 1
    done <<-\TABLE
	instruction 0 of 2 (code 0xffff): not an instruction seccomp allows         | 0xffff:0:0:0 0x06:0:0:0
	instruction 0 of 2 (code 0x0015): jumps past the end                        | 0x15:1:0:0 0x06:0:0:0
	instruction 0 of 2 (code 0x0005): jumps past the end                        | 0x05:0:0:1 0x06:0:0:0
	instruction 0 of 2 (code 0x0020): loads offset 64, outside struct seccomp_data or unaligned | 0x20:0:0:64 0x06:0:0:0
	instruction 0 of 2 (code 0x0060): reads scratch cell 0 before any store to it | 0x60:0:0:0 0x06:0:0:0
	instruction 0 of 2 (code 0x0034): divides by zero                           | 0x34:0:0:0 0x06:0:0:0
	the last instruction (code 0x0020) is not a return                          | 0x20:0:0:0
	TABLE
'

test_expect_success 'seccomp data: empty, or more than 4096 instructions, is refused' '
    expect_error --seccomp 3 3</dev/null &&
    grep -x "bwrapper: Invalid seccomp data, no instructions (--seccomp 3)" err &&
    head -c 32776 /dev/zero >big &&
    expect_error --add-seccomp-fd 3 3<big &&
    grep -x "bwrapper: Invalid seccomp data, more than 4096 instructions (--add-seccomp-fd 3)" err
'

test_expect_success SANDBOX 'a valid --seccomp program still runs the command' '
    bpf 0x20:0:0:0 0x06:0:0:0x7fff0000 >prog &&
    expect_ran --seccomp 3 3<prog
'

rm -rf "$markdir"
test_expect_success '--pidns on a bad fd or a non-namespace fails at once, as bwrap' '
    test_expect_code 1 timeout 10 "$BWRAPPER" --pidns 77 $ROOT_ARGS true 2>err &&
    grep -x "bwrapper: Setting pidns failed: Bad file descriptor" err &&
    test_expect_code 1 timeout 10 "$BWRAPPER" --pidns 3 $ROOT_ARGS true 3</etc/passwd 2>err &&
    grep -x "bwrapper: Setting pidns failed: Invalid argument" err
'

test_expect_success 'an empty bind source is no file, not the current directory; -try skips it' '
    test_expect_code 1 "$BWRAPPER" $ROOT_ARGS --bind "" /x ls /x >out 2>err &&
    test_must_be_empty out && grep "^bwrapper: Can'"'"'t find source path : No such file or directory (--bind  /x)$" err &&
    test_expect_code 1 "$BWRAPPER" $ROOT_ARGS --ro-bind "" /x true 2>err &&
    "$BWRAPPER" $ROOT_ARGS --bind-try "" /x sh -c "test -e /x || echo skipped" >out &&
    echo skipped >expect && test_cmp expect out
'

test_done

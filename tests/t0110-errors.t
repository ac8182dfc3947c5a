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

test_expect_success 'no command: exit 1 and the usage on stderr, nothing on stdout' '
    test_expect_code 1 "$BWRAPPER" $ROOT_ARGS >out 2>err &&
    test_must_be_empty out &&
    head -n 1 err >actual &&
    echo "usage: $BWRAPPER [OPTIONS...] [--] COMMAND [ARGS...]" >expect &&
    test_cmp expect actual
'

test_expect_success BWRAP 'no command after "--": exit 1 with usage, as bwrap' '
    test_expect_code 1 "$BWRAP" $ROOT_ARGS -- >/dev/null 2>bwrap.err &&
    test_expect_code 1 "$BWRAPPER" $ROOT_ARGS -- >out 2>err &&
    test_must_be_empty out &&
    # bwrap names itself as invoked (/usr/bin/bwrap): compare from the options on
    head -n 1 bwrap.err | sed "s/^usage: [^ ]* //" >expect &&
    head -n 1 err | sed "s/^usage: [^ ]* //" >actual &&
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

test_expect_success SANDBOX '--sync-fd on an fd that is not open is not an error (as bwrap)' '
    expect_ran --sync-fd 99
'

test_expect_success BWRAP,SANDBOX '--sync-fd 99: same status as bwrap' '
    same_as_bwrap $ROOT_ARGS --sync-fd 99 true
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

test_expect_success BWRAP 'seccomp data whose length is not a multiple of 8: as bwrap' '
    printf abc >odd &&
    bwrap_fails --seccomp 3 3<odd &&
    same_message_as_bwrap --seccomp 3 3<odd &&
    bwrap_fails --add-seccomp-fd 3 3<odd &&
    same_message_as_bwrap --add-seccomp-fd 3 3<odd
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

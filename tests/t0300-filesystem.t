#!/bin/sh
test_description='filesystem options: binds, tmpfs, dir, file, data, symlink, chmod, proc, dev, mqueue'
. "$(dirname "$0")/lib.sh"

# Every sandbox here starts from the minimal read-only system of lib.sh.
sandbox() {
    "$BWRAPPER" $ROOT_ARGS "$@"
}

# The run-time fixtures live in the trash directory (whose name has a space).
mkdir src && echo host-content >src/f
here=$PWD

# ---- only what is asked for ----

test_expect_success 'the new root holds only the destinations given' '
    set -- $ROOT_ARGS &&
    while [ $# -ge 3 ]; do echo "${3#/}"; shift 3; done | sort >expect &&
    sandbox ls -A / >actual &&
    test_cmp expect actual
'

test_expect_success 'host paths not asked for are absent (/home, /root, /tmp, /proc, /dev)' '
    sandbox sh -c "for d in /home /root /tmp /var /run /proc /dev /sys \"$here\"; do
        if test -e \"\$d\"; then echo \"visible: \$d\"; fi; done" >out &&
    test_must_be_empty out
'

test_expect_success BWRAP 'the bare root lists the same entries as under bwrap' '
    same_as_bwrap $ROOT_ARGS ls -A /
'

# ---- --bind and --ro-bind ----

test_expect_success '--bind shows host content and writes inside land on the host' '
    sandbox --bind "$here/src" /s sh -c "cat /s/f && echo from-inside >/s/new" >out &&
    echo host-content >expect &&
    test_cmp expect out &&
    echo from-inside >expect &&
    test_cmp expect src/new &&
    rm src/new
'

test_expect_success '--bind is live both ways while the command runs' '
    mkdir live && mkfifo live/up live/go &&
    { sandbox --die-with-parent --bind "$here/live" /s sh -c "echo up >/s/up; read x </s/go; cat /s/late" >out & } &&
    pid=$! &&
    test_when_finished "kill $pid 2>/dev/null; :" &&
    timeout 10 sh -c "read x <live/up" &&
    echo created-after-start >live/late &&
    timeout 10 sh -c "echo go >live/go" &&
    wait $pid &&
    echo created-after-start >expect &&
    test_cmp expect out
'

test_expect_success '--bind of a single file writes through to the host file' '
    echo one >single &&
    sandbox --bind "$here/single" /single sh -c "echo two >>/single" &&
    printf "one\ntwo\n" >expect &&
    test_cmp expect single
'

test_expect_success '--ro-bind is readable but not writable, and the host is untouched' '
    test_must_fail sandbox --ro-bind "$here/src" /s sh -c "cat /s/f >&3 && echo x >/s/new" 3>out 2>err &&
    echo host-content >expect &&
    test_cmp expect out &&
    grep -q "Read-only file system" err &&
    test ! -e src/new
'

test_expect_success '--ro-bind of a single file is read-only' '
    test_must_fail sandbox --ro-bind "$here/single" /single sh -c "echo x >>/single" 2>err &&
    grep -q "Read-only file system" err
'

# A submount under the source, made by an outer bwrapper (works as a user
# too): the inner --ro-bind must cover it, an inner --bind must not.
nested() {
    "$BWRAPPER" $ROOT_ARGS --proc /proc --dev /dev --tmpfs /tmp \
        --ro-bind "$BWRAPPER" /nested-bwrapper --dir /r --tmpfs /r/sub \
        /nested-bwrapper $ROOT_ARGS "$@"
}

test_expect_success '--ro-bind is recursive: a submount of the source is read-only too' '
    test_must_fail nested --ro-bind /r /r touch /r/sub/x 2>err &&
    grep -q "Read-only file system" err &&
    nested --bind /r /r touch /r/sub/x
'

test_expect_success ROOT '--ro-bind is recursive over a host submount (mount -t tmpfs)' '
    mkdir -p rec/sub &&
    mount -t tmpfs tmpfs rec/sub &&
    test_when_finished "umount \"$here/rec/sub\"" &&
    test_must_fail sandbox --ro-bind "$here/rec" /r touch /r/sub/x 2>err &&
    grep -q "Read-only file system" err &&
    test ! -e rec/sub/x &&
    sandbox --bind "$here/rec" /r touch /r/sub/x &&
    test -e rec/sub/x
'

test_expect_success 'ROOT,BWRAP' 'recursive --ro-bind and non-recursive --remount-ro as bwrap does' '
    mkdir -p rec2/sub &&
    mount -t tmpfs tmpfs rec2/sub &&
    test_when_finished "umount \"$here/rec2/sub\"" &&
    same_as_bwrap --ro-bind "$here/rec2" /r --proc /proc sh -c \
        "touch /r/sub/a; echo \$?; grep \" /r\" /proc/self/mounts | cut -d\" \" -f2,4 | cut -d, -f1" &&
    same_as_bwrap --bind "$here/rec2" /r --remount-ro /r --proc /proc sh -c \
        "touch /r/b; echo \$?; touch /r/sub/c; echo \$?; grep \" /r\" /proc/self/mounts | cut -d\" \" -f2,4 | cut -d, -f1"
'

test_expect_success '--bind keeps nodev: host device nodes are unusable' '
    test_must_fail sandbox --bind /dev /dev sh -c "echo x >/dev/null" 2>err &&
    grep -q "Permission denied" err
'

test_expect_success '--dev-bind keeps devices usable (/dev/null, /dev/zero)' '
    sandbox --dev-bind /dev /dev sh -c "echo x >/dev/null && head -c 3 /dev/zero | od -An -tx1" >out &&
    echo " 00 00 00" >expect &&
    test_cmp expect out
'

test_expect_success BWRAP '--bind and --dev-bind of /dev behave as under bwrap' '
    same_as_bwrap --bind /dev /dev sh -c "echo x >/dev/null; echo \$?" &&
    same_as_bwrap --dev-bind /dev /dev sh -c "echo x >/dev/null; echo \$?"
'

test_expect_success '--bind-try, --ro-bind-try, --dev-bind-try skip a missing source' '
    sandbox --bind-try "$here/missing" /a --ro-bind-try "$here/missing" /b \
        --dev-bind-try "$here/missing" /c sh -c "test ! -e /a && test ! -e /b && test ! -e /c && echo ran" >out &&
    echo ran >expect &&
    test_cmp expect out
'

test_expect_success 'the -try variants still bind an existing source with their own flags' '
    sandbox --bind-try "$here/src" /w --ro-bind-try "$here/src" /r --dev-bind-try /dev /dev \
        sh -c "echo x >/w/try-new && echo y >/dev/null && ! echo z >/r/other" 2>err &&
    test -e src/try-new && rm src/try-new &&
    test ! -e src/other &&
    grep -q "Read-only file system" err
'

test_expect_success '--bind with a missing source fails with one line naming it' '
    test_expect_code 1 sandbox --bind "$here/missing" /a true 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: .*missing" err
'

# ---- --bind-fd / --ro-bind-fd ----

test_expect_success '--bind-fd binds the directory open on the fd, writable' '
    sandbox --bind-fd 5 /s sh -c "cat /s/f && echo via-fd >/s/fd-new" 5<src >out &&
    echo host-content >expect &&
    test_cmp expect out &&
    echo via-fd >expect &&
    test_cmp expect src/fd-new &&
    rm src/fd-new
'

test_expect_success '--ro-bind-fd binds the directory read-only' '
    test_must_fail sandbox --ro-bind-fd 5 /s sh -c "cat /s/f >&3; echo x >/s/ro-fd-new" 5<src 3>out 2>err &&
    echo host-content >expect &&
    test_cmp expect out &&
    grep -q "Read-only file system" err &&
    test ! -e src/ro-fd-new
'

test_expect_success '--ro-bind-fd accepts an O_PATH fd' '
    /usr/bin/python3 -c "import os, sys
os.dup2(os.open(\"src\", os.O_PATH | os.O_DIRECTORY), 17)
os.execv(sys.argv[1], sys.argv[1:])" "$BWRAPPER" $ROOT_ARGS --ro-bind-fd 17 /p cat /p/f >out &&
    echo host-content >expect &&
    test_cmp expect out
'

test_expect_success 'the --bind-fd fd is closed before the command runs' '
    sandbox --bind-fd 5 /s --proc /proc sh -c "test -e /proc/\$\$/fd/0 && test ! -e /proc/\$\$/fd/5" 5<src
'

test_expect_success '--bind-fd with a closed fd fails instead of binding something else' '
    (exec 3>&- 4>&- 5>&- 6>&- 7>&- &&
        test_expect_code 1 sandbox --bind-fd 3 /p true &&
        test_expect_code 1 sandbox --dir /d --ro-bind-fd 4 /p true &&
        test_expect_code 1 sandbox --tmpfs /t --ro-bind-fd 5 /p true) 2>err &&
    test_line_count = 3 err
'

# ---- --remount-ro ----

test_expect_success '--remount-ro makes an earlier --bind read-only' '
    test_must_fail sandbox --bind "$here/src" /s --remount-ro /s sh -c "cat /s/f >&3; echo x >/s/rm-new" 3>out 2>err &&
    echo host-content >expect &&
    test_cmp expect out &&
    grep -q "Read-only file system" err &&
    test ! -e src/rm-new
'

test_expect_success '--remount-ro does not recurse into submounts' '
    nested --bind /r /r --remount-ro /r sh -c "touch /r/sub/ok && ! touch /r/no" 2>err &&
    grep -q "Read-only file system" err
'

# ---- --tmpfs ----

test_expect_success '--tmpfs gives an empty, writable tmpfs with mode 0755' '
    sandbox --tmpfs /t sh -c "ls -A /t; stat -f -c %T /t; stat -c %a /t; echo w >/t/f && cat /t/f" >out &&
    printf "tmpfs\n755\nw\n" >expect &&
    test_cmp expect out
'

test_expect_success '--perms sets the mode of a --tmpfs' '
    sandbox --perms 1777 --tmpfs /t stat -c %a /t >out &&
    echo 1777 >expect &&
    test_cmp expect out
'

test_expect_success '--size caps a --tmpfs: writing past it fails with ENOSPC' '
    test_must_fail sandbox --size 100000 --tmpfs /t sh -c "yes | head -c 50000 >/t/small && yes | head -c 200000 >/t/big" 2>err &&
    grep -q "No space left on device" err &&
    sandbox --size 100000 --tmpfs /t sh -c "yes | head -c 50000 >/t/small"
'

test_expect_success BWRAP '--size and --perms give the same tmpfs as under bwrap' '
    same_as_bwrap --size 100000 --perms 0700 --tmpfs /t stat -f -c "%T %b %S" /t &&
    same_as_bwrap --perms 0700 --tmpfs /t stat -c %a /t
'

# ---- --dir, --file, --bind-data, --ro-bind-data ----

test_expect_success '--dir creates mode 0755 and its missing parents 0755' '
    sandbox --dir /a/b/c stat -c "%a %n" /a /a/b /a/b/c >out &&
    printf "755 /a\n755 /a/b\n755 /a/b/c\n" >expect &&
    test_cmp expect out
'

test_expect_success '--perms sets the mode of --dir and narrows its new parents' '
    sandbox --perms 0700 --dir /a/b/c stat -c "%a %n" /a /a/b /a/b/c >out &&
    printf "700 /a\n700 /a/b\n700 /a/b/c\n" >expect &&
    test_cmp expect out
'

test_expect_success '--dir on an existing directory succeeds and keeps its mode' '
    sandbox --dir /d --perms 0700 --dir /d stat -c %a /d >out &&
    echo 755 >expect &&
    test_cmp expect out
'

test_expect_success BWRAP '--dir modes, parents and umask as under bwrap' '
    (umask 077 && same_as_bwrap --dir /a/b --perms 0750 --dir /c/d --perms 0701 --dir /e/f \
        stat -c "%a %n" /a /a/b /c /c/d /e /e/f)
'

test_expect_success '--file copies the fd byte for byte into a new 0666 file' '
    head -c 4096 "$BWRAPPER" >blob &&
    sandbox --file 3 /x/y/copy sh -c "stat -c \"%a %F\" /x/y/copy >&4 && cat /x/y/copy" 3<blob 4>mode >out &&
    cmp blob out &&
    echo "666 regular file" >expect &&
    test_cmp expect mode
'

test_expect_success '--perms sets the mode of --file' '
    sandbox --perms 0640 --file 3 /f stat -c %a /f 3<src/f >out &&
    echo 640 >expect &&
    test_cmp expect out
'

test_expect_success '--bind-data copies the fd into a private writable file (0600)' '
    sandbox --bind-data 3 /d/data sh -c "stat -c %a /d/data; cat /d/data; echo more >>/d/data && cat /d/data" 3<src/f >out &&
    printf "600\nhost-content\nhost-content\nmore\n" >expect &&
    test_cmp expect out &&
    echo host-content >expect &&
    test_cmp expect src/f
'

test_expect_success '--ro-bind-data gives the content read-only' '
    test_must_fail sandbox --ro-bind-data 3 /data sh -c "cat /data >&4; echo x >>/data" 3<src/f 4>out 2>err &&
    echo host-content >expect &&
    test_cmp expect out &&
    grep -q "Read-only file system" err
'

test_expect_success BWRAP '--file, --bind-data, --ro-bind-data as under bwrap' '
    same_as_bwrap --file 3 /f --perms 0604 --bind-data 4 /g --ro-bind-data 5 /h \
        sh -c "stat -c \"%a %n\" /f /g /h; cat /f /g /h; echo x >>/g; echo \$?; echo x >>/h; echo \$?" \
        3<src/f 4<src/f 5<src/f
'

# ---- --symlink, --chmod ----

test_expect_success '--symlink creates a symlink, and its missing parents' '
    sandbox --symlink ../usr/bin/env /a/b/env readlink /a/b/env >out &&
    echo ../usr/bin/env >expect &&
    test_cmp expect out
'

test_expect_success '--symlink onto an identical existing symlink succeeds (bwrap 0.11)' '
    sandbox --symlink target /l --symlink target /l readlink /l >out &&
    echo target >expect &&
    test_cmp expect out &&
    set -- $ROOT_ARGS &&
    sandbox "$@" true
'

test_expect_success '--symlink onto a different existing symlink fails' '
    test_expect_code 1 sandbox --symlink one /l --symlink two /l true 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: .*/l" err
'

test_expect_success '--symlink onto an existing directory fails' '
    test_expect_code 1 sandbox --dir /d --symlink x /d true 2>err &&
    test_line_count = 1 err
'

test_expect_success '--chmod changes the mode of an existing path' '
    sandbox --dir /d --chmod 0710 /d --file 3 /f --chmod 0400 /f stat -c "%a %n" /d /f 3<src/f >out &&
    printf "710 /d\n400 /f\n" >expect &&
    test_cmp expect out
'

test_expect_success '--chmod on a missing path fails' '
    test_expect_code 1 sandbox --chmod 0700 /missing true 2>err &&
    test_line_count = 1 err
'

# ---- special filesystems ----

test_expect_success '--mqueue mounts an mqueue filesystem' '
    sandbox --unshare-ipc --proc /proc --mqueue /dev/mqueue \
        sh -c "stat -f -c %T /dev/mqueue; grep -c \" /dev/mqueue mqueue \" /proc/self/mounts" >out &&
    printf "mqueue\n1\n" >expect &&
    test_cmp expect out
'

test_expect_success '--proc gives a proc where /proc/self is the reader' '
    sandbox --proc /proc sh -c "read pid rest </proc/self/stat; test \"\$pid\" = \$\$ && stat -f -c %T /proc" >out &&
    echo proc >expect &&
    test_cmp expect out
'

test_expect_success '--proc with --unshare-pid shows the new pid namespace only' '
    sandbox --unshare-pid --proc /proc sh -c "test -d /proc/1 && test ! -e /proc/$$ && echo \$\$" >out &&
    test "$(cat out)" -le 2 &&
    sandbox --proc /proc test -d /proc/$$
'

test_expect_success BWRAP '--proc with --unshare-pid: same pids as under bwrap' '
    same_as_bwrap --unshare-pid --proc /proc sh -c "echo \$\$; cat /proc/1/comm >/dev/null && echo has-1" &&
    same_as_bwrap --unshare-pid --as-pid-1 --proc /proc sh -c "echo \$\$"
'

test_expect_success '--dev provides exactly the nodes and links bwrap makes' '
    sandbox --dev /dev ls -A /dev >out </dev/null &&
    printf "%s\n" core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero >expect &&
    test_cmp expect out
'

test_expect_success '--dev nodes work: null, zero, full, random, urandom' '
    sandbox --dev /dev sh -c "echo x >/dev/null &&
        head -c 2 /dev/zero | od -An -tx1 &&
        head -c 16 /dev/urandom | wc -c && head -c 8 /dev/random | wc -c &&
        ! echo x >/dev/full" >out 2>err &&
    printf " 00 00\n16\n8\n" >expect &&
    test_cmp expect out
'

test_expect_success '--dev gives a private devpts with a working /dev/ptmx' '
    sandbox --dev /dev --proc /proc sh -c "stat -f -c %T /dev/pts; readlink /dev/ptmx;
        python3 -c \"import os; m, s = os.openpty(); print(os.path.dirname(os.ttyname(s)))\"" >out &&
    printf "devpts\npts/ptmx\n/dev/pts\n" >expect &&
    test_cmp expect out
'

test_expect_success '--dev: /dev/shm is writable, /dev/fd and /dev/stdin lead to the fds' '
    echo through-stdin | sandbox --dev /dev --proc /proc sh -c "
        echo s >/dev/shm/x && cat /dev/shm/x &&
        readlink /dev/fd /dev/stdin /dev/stdout /dev/stderr && cat /dev/stdin &&
        test -e /dev/fd/0" >out &&
    printf "s\n/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\nthrough-stdin\n" >expect &&
    test_cmp expect out
'

test_expect_success BWRAP '--dev looks as under bwrap' '
    same_as_bwrap --dev /dev --proc /proc sh -c "ls -A /dev /dev/pts; stat -c \"%a %F %t:%T\" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/shm /dev/pts /dev/pts/ptmx" </dev/null
'

test_expect_success BWRAP 'mounts carry the same sources and types as under bwrap' '
    same_as_bwrap --proc /proc --dev /dev --tmpfs /t --unshare-ipc --mqueue /mq \
        sh -c "cut -d\" \" -f1-3 /proc/self/mounts | sort"
'

# ---- order and destinations ----

test_expect_success 'a later mount covers part of an earlier one' '
    sandbox --tmpfs /x --bind "$here/src" /x/sub sh -c "ls /x; cat /x/sub/f; stat -f -c %T /x; echo w >/x/other && cat /x/other" >out &&
    printf "sub\nhost-content\ntmpfs\nw\n" >expect &&
    test_cmp expect out
'

test_expect_success 'a later mount hides what an earlier one put there' '
    sandbox --bind "$here/src" /x --tmpfs /x ls -A /x >out &&
    test_must_be_empty out
'

test_expect_success 'mounts after a bind of / go on top of it' '
    test_must_fail "$BWRAPPER" --ro-bind / / --tmpfs /run --proc /proc --dev /dev \
        sh -c "ls -A /run; stat -f -c %T /run /proc /dev /dev/pts; touch \"$here/through-root\"" >out 2>err &&
    printf "tmpfs\nproc\ntmpfs\ndevpts\n" >expect &&
    test_cmp expect out &&
    grep -q "Read-only file system" err &&
    test ! -e through-root
'

test_expect_success BWRAP 'a bind of / with mounts on top looks as under bwrap' '
    same_as_bwrap --ro-bind / / --tmpfs /run --proc /proc --dev /dev \
        sh -c "ls -A /run /dev; stat -f -c %T / /run /proc /dev /dev/pts; touch \"$here/through-root\"; echo \$?" &&
    test ! -e through-root
'

test_expect_success 'a destination through an absolute symlink lands inside the new root' '
    sandbox --dir /real --symlink /real /link --tmpfs /link/t stat -f -c %T /real/t >out &&
    echo tmpfs >expect &&
    test_cmp expect out
'

test_expect_success 'a symlinked destination never creates anything on the host' '
    mkdir escape &&
    test_might_fail sandbox --symlink "$here/escape" /l --dir /l/x true 2>/dev/null &&
    test_might_fail sandbox --symlink "$here/escape" /l --file 3 /l/y true 3<src/f 2>/dev/null &&
    test_might_fail sandbox --symlink "$here/escape" /l --tmpfs /l/z true 2>/dev/null &&
    ls -A escape >out &&
    test_must_be_empty out
'

test_done

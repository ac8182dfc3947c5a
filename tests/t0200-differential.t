#!/bin/sh
test_description='bwrapper behaves as the system bwrap: same stdout and exit status

Each test runs one command line under the system bwrap and under bwrapper
(same_as_bwrap) and compares what the sandboxed command prints plus the exit
status.  The commands print only stable properties (modes, owners, types,
names, namespace identity relative to the caller), never pids, inode numbers
or times.  Options the installed bwrap lacks are skipped through a prereq
named after the option.'
. "$(dirname "$0")/lib.sh"

# Prereqs for options a given bwrap may lack (0.8 has no --argv0).
if "$BWRAP" --help 2>&1 | grep -q -e '--argv0'; then
    test_set_prereq BWRAP_ARGV0
fi

# A minimal system with /proc and /dev, for most lines below.
SYS="$ROOT_ARGS --proc /proc --dev /dev"

# same_as_bwrap, with fds 5 to 8 opened afresh on file $1 for each of the
# two runs (a redirection around same_as_bwrap would let the first run
# consume the data).  The wrappers below do the opening.
for prog in "$BWRAP" "$BWRAPPER"; do
    cat >"with-fd5-$(basename "$prog")" <<EOF
#!/bin/sh
exec "$prog" "\$@" 5<"\$FD5" 6<"\$FD5" 7<"\$FD5" 8<"\$FD5"
EOF
    chmod +x "with-fd5-$(basename "$prog")"
done
same_as_bwrap_fd5() {
    (
        FD5=$1 && export FD5 && shift &&
        BWRAP="$PWD/with-fd5-$(basename "$BWRAP")" &&
        BWRAPPER="$PWD/with-fd5-$(basename "$BWRAPPER")" &&
        same_as_bwrap "$@"
    )
}
printf 'file data\n' >data.txt

# Namespace identity of the caller, given to the sandbox as H_<ns> so that
# $nscheck can print, per namespace, whether the command shares it.
ns_env() {
    for n in cgroup ipc mnt net pid uts user; do
        # without the brackets, so that the unquoted $NS_ENV cannot glob
        printf ' --setenv H_%s %s' "$n" "$(readlink /proc/self/ns/$n | tr -d "[]")"
    done
}
NS_ENV=$(ns_env)
nscheck='for n in cgroup ipc mnt net pid uts user; do
    eval "h=\$H_$n"
    if [ "$(readlink /proc/self/ns/$n | tr -d "[]")" = "$h" ]; then echo "$n host"; else echo "$n new"; fi
done'

# The mount table as the command sees it, sorted, without ids, device
# numbers and peer groups: mount point, root, options, type, super options.
# For / only the options and type: its root and super options show how the
# staging tmpfs was laid out, not what the command gets.  The source field
# is left to one test of its own ($mount_sources), so that a wrong name
# there does not hide the other properties.
mounts='awk '\''{ for (i = 7; $i != "-"; i++) ;
    if ($5 == "/") print $5, $6, $(i+1);
    else print $5, $4, $6, $(i+1), $(i+3) }'\'' /proc/self/mountinfo | sort'
mount_sources='awk '\''{ for (i = 7; $i != "-"; i++) ; print $5, $(i+1), $(i+2) }'\'' /proc/self/mountinfo | sort'

# Capability and privilege lines of /proc/self/status.
caps='grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status'

# Is the shell a session leader / process group leader?  (fields 5 and 6 of
# /proc/self/stat; comm is "(sh)", without spaces)
session='read -r l </proc/self/stat; set -- $l
[ "$6" = $$ ] && echo session-leader || echo not-session-leader
[ "$5" = $$ ] && echo group-leader || echo not-group-leader'

# --- exit status -------------------------------------------------------

test_expect_success BWRAP 'exit status 0 passes through' '
    same_as_bwrap $ROOT_ARGS sh -c "echo ran; exit 0"
'

test_expect_success BWRAP 'exit statuses 1, 42 and 255 pass through' '
    same_as_bwrap $ROOT_ARGS sh -c "exit 1" &&
    same_as_bwrap $ROOT_ARGS sh -c "exit 42" &&
    same_as_bwrap $ROOT_ARGS sh -c "exit 255"
'

test_expect_success BWRAP 'a command killed by SIGTERM or SIGKILL gives 128+n' '
    same_as_bwrap $ROOT_ARGS sh -c "kill -TERM \$\$" &&
    same_as_bwrap $ROOT_ARGS sh -c "kill -KILL \$\$"
'

test_expect_success BWRAP 'a signal death is reported as 128+n with --unshare-pid too' '
    same_as_bwrap $SYS --unshare-pid sh -c "kill -HUP \$\$"
'

test_expect_success BWRAP 'exit status passes through the pid-1 reaper' '
    same_as_bwrap $SYS --unshare-pid sh -c "exit 7"
'

test_expect_success BWRAP 'a command that cannot be executed fails as in bwrap' '
    same_as_bwrap $ROOT_ARGS /nonexistent-command &&
    same_as_bwrap $ROOT_ARGS /etc/passwd
'

test_expect_success BWRAP 'a missing command is an error' '
    same_as_bwrap $ROOT_ARGS
'

test_expect_success BWRAP 'an unknown option is an error' '
    same_as_bwrap --no-such-option $ROOT_ARGS true
'

test_expect_success BWRAP 'options after the command are arguments, -- ends options' '
    same_as_bwrap $ROOT_ARGS echo --tmpfs /x &&
    same_as_bwrap $ROOT_ARGS -- echo -- --dir
'

# --- the root, directories, files, modes -----------------------------

test_expect_success BWRAP 'the new root: entries, modes, owners and types' '
    same_as_bwrap $SYS --tmpfs /tmp sh -c "cd / && stat -c \"%n %a %U %G %F\" .* *"
'

test_expect_success BWRAP 'the mount table seen by the command' '
    same_as_bwrap $SYS --tmpfs /tmp sh -c "$mounts"
'

test_expect_success BWRAP '--dir creates missing parents 0755' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --dir /tmp/a/b/c \
        stat -c "%n %a %U %G %F" /tmp /tmp/a /tmp/a/b /tmp/a/b/c
'

test_expect_success BWRAP '--perms applies to the next --dir only' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --perms 0700 --dir /tmp/a/b --dir /tmp/c \
        stat -c "%n %a %F" /tmp/a /tmp/a/b /tmp/c
'

test_expect_success BWRAP '--perms with group/other write and sticky bits on --dir' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --perms 1777 --dir /tmp/s --perms 2770 --dir /tmp/g \
        stat -c "%n %a" /tmp/s /tmp/g
'

test_expect_success BWRAP '--dir on an existing directory keeps it' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --dir /tmp/a --perms 0700 --dir /tmp/a \
        stat -c "%n %a %F" /tmp/a
'

test_expect_success BWRAP '--tmpfs default mode, and --perms on --tmpfs' '
    same_as_bwrap $ROOT_ARGS --tmpfs /a --perms 1777 --tmpfs /b --perms 0700 --tmpfs /c \
        stat -c "%n %a %U %G %F" /a /b /c
'

test_expect_success BWRAP '--size limits --tmpfs, mount options match' '
    same_as_bwrap $SYS --size 1048576 --tmpfs /tmp --perms 0750 --size 65536 --tmpfs /small \
        sh -c "stat -f -c \"%S %b\" /tmp /small; $mounts | grep -e \"^/tmp \" -e \"^/small \""
'

test_expect_success BWRAP '--size not followed by --tmpfs is an error' '
    same_as_bwrap $ROOT_ARGS --size 4096 --dir /x true
'

test_expect_success BWRAP '--perms with a bad mode is an error' '
    same_as_bwrap $ROOT_ARGS --perms 999 --dir /x true &&
    same_as_bwrap $ROOT_ARGS --perms 07777 --dir /x true
'

test_expect_success BWRAP 'parents made for --symlink, binds, --proc, --dev, --mqueue, --tmpfs' '
    same_as_bwrap $ROOT_ARGS --tmpfs /t --symlink x /t/sl/l --ro-bind /etc /t/bd/etc \
        --ro-bind /etc/passwd /t/bf/passwd --bind-try /nonexistent /t/bt/x \
        --proc /t/pr/proc --dev /t/dv/dev --tmpfs /t/tm/tmp --perms 0700 --tmpfs /t/tp/tmp \
        --unshare-ipc --mqueue /t/mq/mqueue \
        sh -c "cd /t && stat -c \"%n %a %F\" *"
'

test_expect_success BWRAP 'parents made for --file, --bind-data, --ro-bind-data and --dir follow --perms' '
    same_as_bwrap_fd5 data.txt $ROOT_ARGS --tmpfs /t --file 5 /t/f/f --perms 0640 --file 6 /t/fp/f \
        --bind-data 7 /t/bd/f --perms 0644 --ro-bind-data 8 /t/rbd/f --perms 0750 --dir /t/dp/d \
        --perms 0700 --dir /t/dq/d sh -c "cd /t && stat -c \"%n %a %F\" *"
'

test_expect_success BWRAP '--chmod changes an existing path' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --dir /tmp/d --chmod 0700 /tmp/d --chmod 1777 /tmp \
        stat -c "%n %a" /tmp /tmp/d
'

test_expect_success BWRAP '--chmod and --dir on a read-only bind are errors' '
    same_as_bwrap $ROOT_ARGS --chmod 0700 /etc true &&
    same_as_bwrap $ROOT_ARGS --dir /etc/bwrapper-test-dir true
'

test_expect_success BWRAP '--chmod of a missing path is an error' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --chmod 0700 /tmp/nope true
'

test_expect_success BWRAP '--file copies fd data, default mode, parents created' '
    same_as_bwrap_fd5 data.txt $ROOT_ARGS --tmpfs /tmp --file 5 /tmp/x/y/f \
        sh -c "stat -c \"%n %a %U %G %F %s\" /tmp/x /tmp/x/y /tmp/x/y/f; cat /tmp/x/y/f"
'

test_expect_success BWRAP '--file honours --perms' '
    same_as_bwrap_fd5 data.txt $ROOT_ARGS --tmpfs /tmp --perms 0640 --file 5 /tmp/f \
        stat -c "%n %a %F %s" /tmp/f
'

test_expect_success BWRAP '--file mode under umask 077' '
    (umask 077 && same_as_bwrap_fd5 data.txt $ROOT_ARGS --tmpfs /tmp --file 5 /tmp/f --dir /tmp/d \
        stat -c "%n %a" /tmp/f /tmp/d)
'

test_expect_success BWRAP '--bind-data: content, mode, writable' '
    same_as_bwrap_fd5 data.txt $ROOT_ARGS --tmpfs /tmp --bind-data 5 /tmp/bd \
        sh -c "stat -c \"%n %a %F %s\" /tmp/bd; echo more >>/tmp/bd; echo write \$?; cat /tmp/bd"
'

test_expect_success BWRAP '--ro-bind-data: content, --perms, writes fail' '
    same_as_bwrap_fd5 data.txt $ROOT_ARGS --tmpfs /tmp --perms 0644 --ro-bind-data 5 /tmp/rbd \
        sh -c "stat -c \"%n %a %F %s\" /tmp/rbd; (echo more >>/tmp/rbd) 2>/dev/null; echo write \$?; cat /tmp/rbd"
'

test_expect_success BWRAP 'an fd used by --file does not reach the command' '
    same_as_bwrap_fd5 data.txt $SYS --tmpfs /tmp --file 5 /tmp/f ls /proc/self/fd
'

test_expect_success BWRAP 'an inherited fd nobody uses reaches the command' '
    same_as_bwrap_fd5 data.txt $SYS sh -c "ls /proc/self/fd; cat <&5"
'

test_expect_success BWRAP '--args reads NUL-separated options from an fd' '
    printf "%s\0" --setenv ARGVAR from-fd --tmpfs /argtmp >args.bin &&
    same_as_bwrap_fd5 args.bin $ROOT_ARGS --args 5 \
        sh -c "echo \$ARGVAR; stat -c \"%n %a %F\" /argtmp"
'

test_expect_success BWRAP '--block-fd with data ready and --sync-fd: runs, fds seen' '
    same_as_bwrap_fd5 data.txt $SYS --block-fd 5 sh -c "echo blocked-then-ran" &&
    same_as_bwrap_fd5 data.txt $SYS --sync-fd 5 ls /proc/self/fd
'

# --- symlinks ----------------------------------------------------------

test_expect_success BWRAP '--symlink creates the link and its parents' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --symlink ../target /tmp/a/b/l \
        sh -c "readlink /tmp/a/b/l; stat -c \"%n %a %F\" /tmp/a /tmp/a/b /tmp/a/b/l"
'

test_expect_success BWRAP '--symlink onto an existing directory is an error' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --dir /tmp/x --symlink foo /tmp/x true
'

test_expect_success BWRAP '--symlink onto a different existing symlink is an error' '
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --symlink foo /tmp/l --symlink bar /tmp/l true
'

# --- binds ---------------------------------------------------------------

test_expect_success BWRAP 'a bind of a file creates the file and its parents' '
    same_as_bwrap $ROOT_ARGS --ro-bind /etc/passwd /x/y/passwd \
        sh -c "stat -c \"%n %a %U %F\" /x /x/y /x/y/passwd; cmp /x/y/passwd /etc/passwd && echo same"
'

test_expect_success BWRAP '--bind is writable, --ro-bind is not' '
    mkdir -p rw ro &&
    same_as_bwrap --bind "$PWD/rw" /rw --ro-bind "$PWD/ro" /ro $ROOT_ARGS \
        sh -c "echo a >/rw/f; echo rw \$?; (echo a >/ro/f) 2>/dev/null; echo ro \$?" &&
    rm -f rw/f
'

test_expect_success BWRAP 'a missing bind source is an error' '
    same_as_bwrap $ROOT_ARGS --ro-bind /nonexistent /x true &&
    same_as_bwrap $ROOT_ARGS --bind /nonexistent /x true &&
    same_as_bwrap $ROOT_ARGS --dev-bind /nonexistent /x true
'

test_expect_success BWRAP '--bind-try and friends skip a missing source' '
    same_as_bwrap $ROOT_ARGS --bind-try /nonexistent /x --ro-bind-try /nonexistent /y \
        --dev-bind-try /nonexistent /z sh -c "ls -d /x /y /z 2>/dev/null; echo \$?"
'

test_expect_success BWRAP '--ro-bind-try of an existing source binds it' '
    same_as_bwrap $ROOT_ARGS --ro-bind-try /etc/passwd /p cmp /p /etc/passwd
'

test_expect_success BWRAP 'a later mount covers an earlier one' '
    same_as_bwrap $ROOT_ARGS --tmpfs /t --dir /t/a --symlink x /t/l --tmpfs /t ls -A /t
'

test_expect_success BWRAP 'a later bind covers an earlier one on the same path' '
    same_as_bwrap $ROOT_ARGS --ro-bind /usr/bin /x --ro-bind /etc /x test -e /x/passwd
'

test_expect_success BWRAP '--remount-ro makes a writable mount read-only' '
    same_as_bwrap $SYS --tmpfs /w --dir /w/d --remount-ro /w \
        sh -c "(touch /w/d/f) 2>/dev/null; echo touch \$?; $mounts | grep \"^/w \""
'

test_expect_success BWRAP '--remount-ro of a path that is not a mount point' '
    same_as_bwrap $SYS --tmpfs /w --dir /w/d --remount-ro /w/d \
        sh -c "(touch /w/d/f) 2>/dev/null; echo touch \$?"
'

test_expect_success BWRAP '--tmpfs on a read-only bind: existing and missing mount point' '
    same_as_bwrap $SYS --tmpfs /usr/local sh -c "$mounts | grep \"^/usr/local \"" &&
    same_as_bwrap $SYS --tmpfs /usr/no-such-dir true
'

test_expect_success BWRAP '--bind needs nodev: --dev-bind keeps device access' '
    same_as_bwrap $ROOT_ARGS --bind /dev/null /n sh -c "(echo x >/n) 2>/dev/null; echo bind \$?" &&
    same_as_bwrap $ROOT_ARGS --dev-bind /dev/null /n sh -c "(echo x >/n) 2>/dev/null; echo dev-bind \$?"
'

# --- /dev, /proc, mqueue -------------------------------------------------

test_expect_success BWRAP '--dev: entries of the new /dev' '
    same_as_bwrap $SYS ls -A /dev /dev/pts /dev/shm
'

test_expect_success BWRAP '--dev: device nodes, modes and types' '
    same_as_bwrap $SYS stat -c "%n %a %F %t:%T" /dev/null /dev/zero /dev/full \
        /dev/random /dev/urandom /dev/tty /dev/shm /dev/pts /dev/pts/ptmx
'

test_expect_success BWRAP '--dev: the fd, stdio, ptmx and core symlinks' '
    same_as_bwrap $SYS readlink /dev/fd /dev/stdin /dev/stdout /dev/stderr /dev/ptmx /dev/core
'

test_expect_success BWRAP '--dev: the device nodes work' '
    same_as_bwrap $SYS sh -c "head -c 4 /dev/zero | od -An -tx1; echo x >/dev/null && echo null-ok;
        (echo x >/dev/full) 2>/dev/null; echo full \$?; head -c 16 /dev/urandom | wc -c"
'

test_expect_success BWRAP '--dev and --proc: mount table' '
    same_as_bwrap $SYS sh -c "$mounts"
'

test_expect_success BWRAP 'mount sources are named as in bwrap' '
    same_as_bwrap $SYS --tmpfs /tmp --unshare-ipc --mqueue /dev/mqueue sh -c "$mount_sources"
'

test_expect_success BWRAP '--dev at a path other than /dev' '
    same_as_bwrap $ROOT_ARGS --dev /mydev ls -A /mydev
'

test_expect_success BWRAP '--proc: the covered /proc subdirectories' '
    same_as_bwrap $SYS sh -c "$mounts | grep \"^/proc\""
'

test_expect_success BWRAP '--proc: /proc/sys as writable as in bwrap (own uts namespace)' '
    same_as_bwrap $SYS --unshare-uts sh -c "(echo written >/proc/sys/kernel/hostname) 2>/dev/null; echo write \$?; hostname"
'

test_expect_success BWRAP '--mqueue with --unshare-ipc' '
    same_as_bwrap $SYS --unshare-ipc --mqueue /dev/mqueue \
        sh -c "$mounts | grep \"^/dev/mqueue \""
'

test_expect_success BWRAP '--mqueue without --unshare-ipc' '
    same_as_bwrap $SYS --mqueue /dev/mqueue sh -c "$mounts | grep -c \"^/dev/mqueue \""
'

# --- namespaces ---------------------------------------------------------

test_expect_success BWRAP 'namespaces: none requested' '
    same_as_bwrap $SYS $NS_ENV sh -c "$nscheck"
'

test_expect_success BWRAP 'namespaces: each --unshare-* option alone' '
    for ns in ipc pid net uts cgroup user; do
        same_as_bwrap $SYS $NS_ENV --unshare-$ns sh -c "$nscheck" || return 1
    done
'

test_expect_success BWRAP 'namespaces: --unshare-all, and --share-net with it' '
    same_as_bwrap $SYS $NS_ENV --unshare-all sh -c "$nscheck" &&
    same_as_bwrap $SYS $NS_ENV --unshare-all --share-net sh -c "$nscheck"
'

test_expect_success BWRAP 'namespaces: --unshare-user-try and --unshare-cgroup-try' '
    same_as_bwrap $SYS $NS_ENV --unshare-user-try --unshare-cgroup-try sh -c "$nscheck; cat /proc/self/cgroup"
'

test_expect_success BWRAP '--unshare-cgroup: the command sees itself at the cgroup root' '
    same_as_bwrap $SYS --unshare-cgroup cat /proc/self/cgroup
'

# The processes are counted with a glob, in the shell itself: with ls and
# grep the count depends on whether grep is forked before ls reads /proc.
test_expect_success BWRAP '--unshare-pid: the command is pid 2 under a reaper' '
    same_as_bwrap $SYS --unshare-pid sh -c "echo \$\$; read -r l </proc/self/stat; set -- \$l; echo ppid \$4; set -- /proc/[0-9]*; echo \$# processes"
'

test_expect_success BWRAP '--as-pid-1: the command is pid 1' '
    same_as_bwrap $SYS --unshare-pid --as-pid-1 sh -c "echo \$\$; cat /proc/1/comm; read -r l </proc/self/stat; set -- \$l; echo ppid \$4"
'

test_expect_success BWRAP '--as-pid-1: the command as pid 1 ignores its own SIGKILL' '
    same_as_bwrap $SYS --unshare-pid --as-pid-1 sh -c "kill -KILL \$\$; echo survived; exit 3"
'

test_expect_success BWRAP '--as-pid-1 without --unshare-pid is an error' '
    same_as_bwrap $SYS --as-pid-1 true
'

test_expect_success BWRAP '--unshare-net: only loopback, and it is up' '
    same_as_bwrap $SYS --unshare-net sh -c "cat /proc/net/dev | wc -l; ip -o link; ip -o addr"
'

# bwrapper makes the network namespace beside pid 1's set-up (netns.c):
# it must still be the sandbox's user namespace's, and take no pid inside.
test_expect_success BWRAP 'the new network namespace is the sandbox'"'"'s: CAP_NET_ADMIN in it takes lo down' '
    same_as_bwrap $ROOT_ARGS --proc /proc --unshare-user --unshare-net --uid 0 --cap-add CAP_NET_ADMIN \
        sh -c "ip link set lo down; echo \$?; ip -o link | cut -d\" \" -f2,3"
'

test_expect_success BWRAP 'with a new network namespace the command is still pid 2' '
    same_as_bwrap $SYS --unshare-pid --unshare-net sh -c "echo \$\$" &&
    same_as_bwrap $SYS --unshare-all --die-with-parent sh -c "echo \$\$; exec ls -d /proc/[0-9]*"
'

test_expect_success BWRAP '--unshare-uts --hostname sets the host name' '
    same_as_bwrap $SYS --unshare-uts --hostname sandbox.example sh -c "hostname; cat /proc/sys/kernel/hostname"
'

test_expect_success BWRAP '--unshare-uts alone keeps the host name' '
    same_as_bwrap $SYS --unshare-uts hostname
'

test_expect_success BWRAP '--hostname without --unshare-uts is an error' '
    same_as_bwrap $SYS --hostname x hostname
'

test_expect_success BWRAP '--unshare-ipc: a private System V IPC table' '
    same_as_bwrap $SYS --unshare-ipc sh -c "wc -l </proc/sysvipc/shm; wc -l </proc/sysvipc/msg; wc -l </proc/sysvipc/sem"
'

# --- users, ids, capabilities ---------------------------------------------

test_expect_success BWRAP 'id and capabilities with no options' '
    same_as_bwrap $SYS sh -c "id; $caps"
'

test_expect_success BWRAP '--unshare-user: id, maps, setgroups and capabilities' '
    same_as_bwrap $SYS --unshare-user sh -c "id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; $caps"
'

test_expect_success BWRAP '--uid/--gid with --unshare-user' '
    same_as_bwrap $SYS --unshare-user --uid 1234 --gid 5678 \
        sh -c "id -u; id -g; id -G; cat /proc/self/uid_map /proc/self/gid_map; $caps"
'

test_expect_success BWRAP '--uid 0 --gid 0 with --unshare-user' '
    same_as_bwrap $SYS --unshare-user --uid 0 --gid 0 sh -c "id -u; id -g; $caps"
'

test_expect_success BWRAP '--uid without a user namespace option' '
    same_as_bwrap $SYS --uid 1234 id -u
'

test_expect_success BWRAP 'files created in set-up are owned by the sandbox uid' '
    same_as_bwrap $SYS --unshare-user --uid 1234 --gid 5678 --tmpfs /tmp --dir /tmp/d \
        --symlink x /tmp/l stat -c "%n %u %g %F" /tmp /tmp/d /tmp/l
'

test_expect_success BWRAP '--cap-drop ALL' '
    same_as_bwrap $SYS --cap-drop ALL sh -c "$caps"
'

test_expect_success BWRAP '--cap-drop of one capability' '
    same_as_bwrap $SYS --cap-drop CAP_NET_RAW sh -c "$caps"
'

test_expect_success BWRAP '--cap-drop ALL --cap-add one (lower case name accepted)' '
    same_as_bwrap $SYS --cap-drop ALL --cap-add cap_chown sh -c "$caps"
'

test_expect_success BWRAP '--cap-add in a user namespace' '
    same_as_bwrap $SYS --unshare-user --cap-add CAP_SYS_ADMIN --cap-add CAP_NET_ADMIN sh -c "$caps"
'

test_expect_success BWRAP '--cap-add ALL in a user namespace, then --cap-drop' '
    same_as_bwrap $SYS --unshare-user --cap-add ALL --cap-drop CAP_SYS_ADMIN sh -c "$caps"
'

test_expect_success BWRAP 'an unknown capability name is an error' '
    same_as_bwrap $SYS --cap-add CAP_NO_SUCH true &&
    same_as_bwrap $SYS --cap-drop nonsense true
'

test_expect_success ROOT,BWRAP 'as root, the kept CAP_SYS_ADMIN works: mount inside' '
    same_as_bwrap $SYS --tmpfs /tmp --dir /tmp/m sh -c "mount -t tmpfs none /tmp/m && echo mounted"
'

test_expect_success ROOT,BWRAP 'as root, --cap-drop CAP_SYS_ADMIN forbids mount' '
    same_as_bwrap $SYS --cap-drop CAP_SYS_ADMIN --tmpfs /tmp --dir /tmp/m \
        sh -c "mount -t tmpfs none /tmp/m 2>/dev/null; echo mount \$?"
'

test_expect_success USER,BWRAP 'unprivileged, a user namespace is implied' '
    same_as_bwrap $SYS $NS_ENV sh -c "$nscheck; cat /proc/self/uid_map"
'

test_expect_success BWRAP '--disable-userns stops nested user namespaces' '
    same_as_bwrap $SYS --unshare-user --disable-userns \
        sh -c "cat /proc/sys/user/max_user_namespaces; unshare -U true 2>/dev/null; echo unshare \$?"
'

test_expect_success BWRAP '--disable-userns holds against root with all caps in the sandbox' '
    same_as_bwrap $SYS --unshare-user --uid 0 --cap-add ALL --disable-userns \
        sh -c "(echo 100 >/proc/sys/user/max_user_namespaces) 2>/dev/null; unshare -U true 2>/dev/null; echo unshare \$?"
'

test_expect_success BWRAP '--disable-userns needs --unshare-user' '
    same_as_bwrap $SYS --disable-userns true
'

test_expect_success BWRAP '--assert-userns-disabled' '
    same_as_bwrap $SYS --unshare-user --disable-userns --assert-userns-disabled echo ok &&
    same_as_bwrap $SYS --assert-userns-disabled echo ok
'

# --- environment and working directory ------------------------------------

test_expect_success BWRAP 'the environment passes through, PWD set' '
    same_as_bwrap $ROOT_ARGS sh -c "env | sort"
'

test_expect_success BWRAP '--clearenv --setenv: only the set variables and PWD' '
    same_as_bwrap $ROOT_ARGS --clearenv --setenv A 1 --setenv B "two words" --setenv A again env
'

test_expect_success BWRAP '--setenv before --clearenv is cleared' '
    same_as_bwrap $ROOT_ARGS --setenv EARLY 1 --clearenv --setenv LATE 2 /usr/bin/env
'

test_expect_success BWRAP '--unsetenv removes a variable; PWD cannot be unset' '
    same_as_bwrap $ROOT_ARGS --setenv GONE 1 --unsetenv GONE --unsetenv HOME --unsetenv PWD \
        sh -c "env | sort"
'

test_expect_success BWRAP 'default cwd: the current directory when it exists inside' '
    same_as_bwrap $ROOT_ARGS --bind "$PWD" "$PWD" sh -c "pwd; echo \$PWD"
'

test_expect_success BWRAP 'default cwd: / when neither cwd nor HOME exist inside' '
    same_as_bwrap $ROOT_ARGS sh -c "pwd; echo \$PWD"
'

test_expect_success BWRAP 'default cwd: HOME (as set with --setenv) when cwd is missing' '
    same_as_bwrap $ROOT_ARGS --setenv HOME /usr/share sh -c "pwd; echo \$PWD"
'

test_expect_success BWRAP '--chdir: absolute and relative' '
    same_as_bwrap $ROOT_ARGS --chdir /etc sh -c "pwd; echo \$PWD" &&
    same_as_bwrap $ROOT_ARGS --chdir usr/share sh -c "pwd; echo \$PWD"
'

test_expect_success BWRAP '--chdir to a missing directory is an error' '
    same_as_bwrap $ROOT_ARGS --chdir /nonexistent pwd
'

# --- process control --------------------------------------------------------

test_expect_success BWRAP 'without --new-session the command keeps the session' '
    same_as_bwrap $SYS sh -c "$session"
'

test_expect_success BWRAP '--new-session makes the command a session leader' '
    same_as_bwrap $SYS --new-session sh -c "$session"
'

test_expect_success BWRAP '--new-session with --unshare-pid' '
    same_as_bwrap $SYS --new-session --unshare-pid sh -c "$session"
'

test_expect_success BWRAP '--die-with-parent with a normal command' '
    same_as_bwrap $SYS --die-with-parent sh -c "echo alive; exit 4"
'

test_expect_success BWRAP '--lock-file: existing file runs, missing file fails' '
    same_as_bwrap $ROOT_ARGS --lock-file /etc/passwd echo locked &&
    # bwrap fails after the command was started, and the command runs on:
    # it must print nothing, or it races with the status line.
    same_as_bwrap $ROOT_ARGS --tmpfs /tmp --lock-file /tmp/nope true
'

test_expect_success BWRAP 'inherited fds reach the command with --unshare-all --new-session --die-with-parent' '
    same_as_bwrap $SYS --unshare-all --new-session --die-with-parent ls /proc/self/fd
'

test_expect_success BWRAP,BWRAP_ARGV0 '--argv0 sets argv[0]' '
    same_as_bwrap $ROOT_ARGS --argv0 myname sh -c "echo \$0"
'

test_expect_success BWRAP '--exec-label and --file-label: an error where SELinux is off, never ignored' '
    same_as_bwrap $SYS --exec-label system_u:system_r:container_t:s0 echo ran &&
    same_as_bwrap $SYS --file-label system_u:object_r:container_file_t:s0 echo ran &&
    if ! test -e /sys/fs/selinux/enforce; then
        grep -x "bwrapper: labeling not supported on this system" actual.err &&
        test_must_fail "$BWRAPPER" --emit-oci labelled $SYS --exec-label x true 2>err &&
        grep -x "bwrapper: labeling not supported on this system" err && test ! -e labelled
    fi
'

test_expect_success BWRAP 'a destination ending in "/." names the directory itself, made if missing' '
    same_as_bwrap $SYS --dir /tmp/d/. stat -c %F /tmp/d &&
    same_as_bwrap $SYS --tmpfs /tmp/. stat -f -c %T /tmp &&
    same_as_bwrap $SYS --bind /usr/share /s/. test -d /s/doc
'

test_done

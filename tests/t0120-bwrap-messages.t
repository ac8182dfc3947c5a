#!/bin/sh
test_description='every bwrap error bwrapper can reach starts with bwrap'"'"'s own words;
bwrapper'"'"'s context (the option and its arguments) comes last, in parentheses'
. "$(dirname "$0")/lib.sh"

# bwrap 0.11's die()/die_with_error() messages (bubblewrap.c, bind-mount.c,
# utils.c) and where each is tested.  "0.8": differential against the
# system bwrap; "0.11": against bwrap 0.11's text, which 0.8 lacks;
# "t0110"/"t0410"/...: tested there; "-": bwrapper cannot reach it (it has
# no setuid mode, no privileged helper, no such code path).
#
# | bwrap message                                              | test  |
# |------------------------------------------------------------|-------|
# | Unknown option %s                                          | t0110 |
# | %s takes an argument / two arguments / three arguments    | t0110 |
# | Invalid fd: %s                                             | 0.8   |
# | Invalid uid: %s / Invalid gid: %s                          | 0.8   |
# | unknown cap: %s                                            | 0.8   |
# | Can't read --args data                                     | 0.8   |
# | --args not supported in arguments file                     | t0110 |
# | Exceeded maximum number of arguments %u                    | differs: no word cap (t0110) |
# | --perms takes an octal argument / --perms ... followed by  | t0110 |
# | --size ... (parsing)                                       | t0110 |
# | Specifying --uid/--gid requires --unshare-user or --userns | t0110 |
# | Specifying --hostname requires --unshare-uts               | t0110 |
# | Specifying --as-pid-1 requires --unshare-pid               | t0110 |
# | --userns-block-fd requires --info-fd / --unshare-user      | t0110 |
# | --userns not compatible --unshare-user(-try)               | t0110 |
# | --seccomp cannot be combined with --add-seccomp-fd         | t0110 |
# | Invalid seccomp data, must be multiple of 8                | t0110 |
# | Can't read seccomp data                                    | 0.8   |
# | Joining specified user namespace failed                    | 0.8   |
# | Setting pidns failed                                       | t0110 |
# | labeling not supported on this system                      | t0400 |
# | Can't find source path %s                                  | 0.8   |
# | Can't get type of source %s                                | same cause as "Can't find source path" here |
# | Can't mkdir parents for %s                                 | 0.8   |
# | Can't mkdir %s                                             | 0.8   |
# | Can't create file at %s                                    | 0.8   |
# | Can't create file %s                                       | 0.8   |
# | Can't write data to file %s                                | -: a bad fd is refused before set-up |
# | Can't create tmpfile for %s                                | -     |
# | Can't chmod %#o %s                                         | 0.8   |
# | Can't remount readonly on %s                               | 0.8   |
# | Can't make symlink at %s (other errors)                    | 0.8   |
# | Can't make symlink at %s: existing destination is %s       | 0.11  |
# | Can't make symlink at %s: destination exists and is not a symlink | 0.11 |
# | Can't make overlay mount on %s ...: Overlay directories may not overlap | t0310 |
# | Can't chdir to %s                                          | 0.8   |
# | execvp %s                                                  | 0.8   |
# | Unable to open lock file %s / Unable to lock file %s       | t0400 |
# | Can't mount proc/tmpfs/devpts/mqueue on %s                 | -: the kernel does not refuse these once the directory exists |
# | Can't bind mount %s on %s                                  | -     |
# | Can't create file %s/%s, Can't create symlink %s/%s, Can't create %s/shm, %s/devpts (--dev) | -: a fresh tmpfs |
# | Creating new namespace failed / No permissions to create new namespace ... | - (the test machine allows them) |
# | setuid, privileged-helper and capability-set messages       | -: no setuid mode |

# bwrap_line ARGS...: bwrap's one error line for ARGS, without "bwrap: ".
bwrap_line() {
    "$BWRAP" "$@" 2>&1 >/dev/null | sed "s/^bwrap: //"
}

# starts_with MESSAGE ARGS...: bwrapper fails on ARGS with exit 1 and one
# line: "bwrapper: MESSAGE", then nothing or " (context)".
starts_with() {
    message=$1 && shift &&
    test_expect_code 1 "$BWRAPPER" "$@" >/dev/null 2>err &&
    test_line_count = 1 err &&
    line=$(sed "s/^bwrapper: //" err) &&
    case "$line" in
    "$message" | "$message ("*")") ;;
    *) echo "expected: $message"; echo "got:      $line"; return 1 ;;
    esac
}

# as_bwrap ARGS...: bwrapper's line starts with bwrap 0.8's whole message.
as_bwrap() {
    expect=$(bwrap_line "$@") &&
    test -n "$expect" &&
    starts_with "$expect" "$@"
}

test_expect_success BWRAP 'bad option values: bwrap'"'"'s words first' '
    as_bwrap --info-fd abc true &&
    as_bwrap --uid x true &&
    as_bwrap --gid x true &&
    as_bwrap --args 99 true &&
    as_bwrap --seccomp 99 true &&
    as_bwrap --userns 99 true
'

test_expect_success BWRAP 'the context follows bwrap'"'"'s message, in parentheses' '
    starts_with "Invalid fd: abc" --info-fd abc true &&
    grep -x "bwrapper: Invalid fd: abc (--info-fd)" err
'

test_expect_success ROOT,BWRAP 'an unknown capability: bwrap'"'"'s words first' '
    as_bwrap --cap-add foo true
'

test_expect_success BWRAP,SANDBOX 'a missing bind source: bwrap'"'"'s words first, then the option' '
    as_bwrap $ROOT_ARGS --bind /nonexistent-t0120/source-enoent /x true &&
    grep -x "bwrapper: Can'"'"'t find source path /nonexistent-t0120/source-enoent: No such file or directory (--bind /nonexistent-t0120/source-enoent /x)" err &&
    as_bwrap $ROOT_ARGS --ro-bind /proc/self/nonexistent /x true
'

test_expect_success BWRAP,SANDBOX 'destinations that cannot be made: bwrap'"'"'s words first' '
    as_bwrap $ROOT_ARGS --dir /usr/bin/sh/x true &&
    as_bwrap $ROOT_ARGS --symlink x /usr/bin/sh/x true &&
    as_bwrap $ROOT_ARGS --tmpfs /usr/bin/sh/x true &&
    as_bwrap $ROOT_ARGS --tmpfs /usr/bin/sh true &&
    as_bwrap $ROOT_ARGS --proc /usr/bin/sh true &&
    as_bwrap $ROOT_ARGS --dev /usr/bin/sh true &&
    as_bwrap $ROOT_ARGS --mqueue /usr/bin/sh true &&
    as_bwrap $ROOT_ARGS --ro-bind /etc /usr/bin/sh true &&
    as_bwrap $ROOT_ARGS --dir /usr/newdir true &&
    as_bwrap $ROOT_ARGS --ro-bind /etc/passwd /usr true &&
    as_bwrap $ROOT_ARGS --file 5 /usr true 5</etc/passwd &&
    as_bwrap $ROOT_ARGS --file 5 /usr/bin/sh/x true 5</etc/passwd &&
    as_bwrap $ROOT_ARGS --ro-bind-data 5 /usr true 5</etc/passwd &&
    as_bwrap $ROOT_ARGS --bind-data 5 /usr/bin/sh/x true 5</etc/passwd
'

test_expect_success BWRAP,SANDBOX '--chmod, --remount-ro, --chdir and exec failures: bwrap'"'"'s words first' '
    as_bwrap $ROOT_ARGS --chmod 0755 /nope true &&
    as_bwrap $ROOT_ARGS --remount-ro /nope true &&
    as_bwrap $ROOT_ARGS --chdir /nope true &&
    as_bwrap $ROOT_ARGS nonexistent-command-t0120
'

# bwrap 0.11 tells an existing symlink from other files (0.8 says "File
# exists" for both); these are 0.11's words.
test_expect_success SANDBOX '--symlink onto an existing different symlink: bwrap 0.11'"'"'s message' '
    starts_with "Can'"'"'t make symlink at /x/symlink: existing destination is /dev/null" \
        $ROOT_ARGS --symlink /dev/null /x/symlink --symlink /dev/full /x/symlink true &&
    grep -x "bwrapper: .* (--symlink /dev/full /x/symlink)" err
'

test_expect_success SANDBOX '--symlink onto an existing non-symlink: bwrap 0.11'"'"'s message' '
    starts_with "Can'"'"'t make symlink at /usr: destination exists and is not a symlink" \
        $ROOT_ARGS --symlink /x /usr true
'

# A user namespace of its own where no network namespace may be made: the
# clone, or the maker beside it (netns.c), fails with ENOSPC.
test_expect_success BWRAP,SANDBOX 'a namespace over its limit: bwrap'"'"'s words, and nothing runs' '
    cat >limited <<-\EOF &&
	#!/bin/sh
	echo 0 >/proc/sys/user/max_net_namespaces && exec "$@"
	EOF
	chmod +x limited &&
    test_expect_code 1 unshare -Ur ./limited "$BWRAP" $ROOT_ARGS --unshare-net --bind "$PWD" "$PWD" touch "$PWD/ran" 2>expect &&
    test_expect_code 1 unshare -Ur ./limited "$BWRAPPER" $ROOT_ARGS --unshare-net --bind "$PWD" "$PWD" touch "$PWD/ran" 2>err &&
    test_line_count = 1 err &&
    test "$(sed "s/^bwrapper: //" err)" = "$(sed "s/^bwrap: //" expect)" &&
    ! test -e ran
'

test_done

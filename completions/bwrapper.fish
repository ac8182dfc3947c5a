# fish completion for bwrapper, a bubblewrap-compatible sandbox launcher,
# and for bwrap.

# Each option, the kind of each argument it takes (one word per argument,
# so "--bind SRC DEST" consumes two words) and its description:
#   file     a host path          dir      a directory
#   fd       a file descriptor    none     free-form, no completion
#   cap      a capability name    env      an environment variable name
#   profile  a --profile name     rlimit   NAME= of a resource limit
#   runtime  an OCI runtime       seccomp  "default" or a profile file
#   isolation  auto, namespaces or landlock
#   stageend what --stage-end does
set -g __bwrapper_options \
    '--help||Print help' \
    '--version||Print version' \
    '--args|fd|Parse NUL-separated args from FD' \
    '--argv0|none|Set argv[0] of the command' \
    '--level-prefix||Prepend e.g. <3> to diagnostic messages' \
    '--unshare-all||Unshare every namespace we support by default' \
    '--share-net||Retain the network namespace (with --unshare-all)' \
    '--unshare-user||Create new user namespace' \
    '--unshare-user-try||Create new user namespace if possible' \
    '--unshare-ipc||Create new ipc namespace' \
    '--unshare-pid||Create new pid namespace' \
    '--unshare-net||Create new network namespace' \
    '--unshare-uts||Create new uts namespace' \
    '--unshare-cgroup||Create new cgroup namespace' \
    '--unshare-cgroup-try||Create new cgroup namespace if possible' \
    '--userns|fd|Use this user namespace' \
    '--userns2|fd|After setup switch to this user namespace' \
    '--disable-userns||Disable further use of user namespaces inside sandbox' \
    '--assert-userns-disabled||Fail unless further use of user namespaces is disabled' \
    '--pidns|fd|Use this pid namespace' \
    '--uid|none|Custom uid in the sandbox' \
    '--gid|none|Custom gid in the sandbox' \
    '--hostname|none|Custom hostname in the sandbox' \
    '--chdir|dir|Change directory to DIR' \
    '--clearenv||Unset all environment variables' \
    '--setenv|env none|Set an environment variable' \
    '--unsetenv|env|Unset an environment variable' \
    '--lock-file|file|Take a lock on DEST while sandbox is running' \
    '--sync-fd|fd|Keep this fd open while sandbox is running' \
    '--bind|file file|Bind mount the host path SRC on DEST' \
    '--bind-try|file file|Equal to --bind but ignores non-existent SRC' \
    '--dev-bind|file file|Bind mount SRC on DEST, allowing device access' \
    '--dev-bind-try|file file|Equal to --dev-bind but ignores non-existent SRC' \
    '--ro-bind|file file|Bind mount the host path SRC readonly on DEST' \
    '--ro-bind-try|file file|Equal to --ro-bind but ignores non-existent SRC' \
    '--bind-fd|fd file|Bind open directory or path fd on DEST' \
    '--ro-bind-fd|fd file|Bind open directory or path fd read-only on DEST' \
    '--remount-ro|file|Remount DEST as readonly' \
    '--overlay-src|dir|Read files from SRC in the following overlay' \
    '--overlay|dir dir dir|Mount overlayfs on DEST, writes to RWSRC' \
    '--tmp-overlay|dir|Mount overlayfs on DEST, writes to an invisible tmpfs' \
    '--ro-overlay|dir|Mount overlayfs read-only on DEST' \
    '--exec-label|none|Exec label for the sandbox' \
    '--file-label|none|File label for temporary sandbox content' \
    '--proc|dir|Mount new procfs on DEST' \
    '--dev|dir|Mount new dev on DEST' \
    '--tmpfs|dir|Mount new tmpfs on DEST' \
    '--mqueue|dir|Mount new mqueue on DEST' \
    '--dir|dir|Create dir at DEST' \
    '--file|fd file|Copy from FD to DEST' \
    '--bind-data|fd file|Copy from FD to a file bind-mounted on DEST' \
    '--ro-bind-data|fd file|Copy from FD to a file bind-mounted readonly on DEST' \
    '--symlink|file file|Create symlink at DEST with target SRC' \
    '--seccomp|fd|Load and use seccomp rules from FD' \
    '--add-seccomp-fd|fd|Load and use seccomp rules from FD (repeatable)' \
    '--block-fd|fd|Block on FD until some data to read is available' \
    '--userns-block-fd|fd|Block on FD until the user namespace is ready' \
    '--info-fd|fd|Write information about the running container to FD' \
    '--json-status-fd|fd|Write container status to FD as JSON documents' \
    '--new-session||Create a new terminal session' \
    '--die-with-parent||Kill the command when the parent dies' \
    '--as-pid-1||Do not install a reaper process with PID 1' \
    '--cap-add|cap|Add capability when running as privileged user' \
    '--cap-drop|cap|Drop capability when running as privileged user' \
    '--perms|none|Set permissions of next argument' \
    '--size|none|Set size of next argument (only for --tmpfs)' \
    '--chmod|none file|Change permissions of PATH' \
    '--not-a-security-boundary||Warn instead of failing when a non-essential set-up step cannot be completed' \
    '--seccomp-profile|seccomp|Filter system calls with PROFILE' \
    '--print-seccomp||Print the --seccomp-profile as JSON and exit' \
    '--print-seccomp-bpf||Write the --seccomp-profile as a compiled BPF program (as --seccomp reads it) and exit' \
    '--print-plan||Print the parsed plan as JSON and exit' \
    '--print-guarantees||Print each guarantee of the sandbox and how this machine keeps it, and exit' \
    '--profile|profile|Expand to the options of profile NAME, in place' \
    '--rw|file|Expose host PATH read-write at the same path' \
    '--stage|dir|Expose host directory PATH with writes staged for review' \
    '--stage-end|stageend|After the command: commit, discard, keep or ask' \
    '--changes-fd|fd|Write each staged change to FD as one JSON line' \
    '--commit|dir|Apply the changes kept in stage DIR and exit' \
    '--discard|dir|Remove stage DIR without applying it and exit' \
    '--diff|dir|Print the changes kept in stage DIR as a unified diff and exit' \
    '--ro|file|Expose host PATH read-only at the same path' \
    '--isolation|isolation|Isolate with namespaces, Landlock, or namespaces where they work (auto)' \
    '--require|none|Fail before running unless these guarantees can be kept' \
    '--timeout|none|After SECONDS, SIGTERM the sandbox, SIGKILL 2 s later' \
    '--rlimit|rlimit|Set a resource limit NAME=SOFT[:HARD] just before exec' \
    '--emit-oci|dir|Write an OCI bundle to DIR' \
    '--runtime|runtime|Run with this OCI runtime' \
    '--runtime-flag|none|Pass FLAG to the OCI runtime' \
    '--pty||Run the command on a new pseudo-terminal' \
    '--keep-fd|fd|Pass FD on where other inherited fds are closed' \
    '--allow-net|none|Reach HOST[:PORT] through the proxy, and nothing else' \
    '--report-fd|fd|Write each --allow-net connection to FD as one JSON line'

set -g __bwrapper_names (string replace -r '\|.*' '' -- $__bwrapper_options)

# What the token under the cursor is: "option" (an option or the command
# name), "command N" (a word of the command that starts at token N), or
# the kind of the option argument it is.  Every condition below asks, so
# the answer for the current command line is kept.
function __bwrapper_state
    set -l line (commandline -c)
    if test "$line" = "$__bwrapper_state_line"
        echo $__bwrapper_state_answer
        return
    end
    set -l tokens (commandline -opc)
    set -l n (count $tokens)
    set -l i 2
    set -l answer option
    while test $i -le $n
        set -l word $tokens[$i]
        if test "$word" = --
            set answer command (math $i + 1)
            break
        else if set -l at (contains -i -- $word $__bwrapper_names)
            set -l kinds (string split -n ' ' -- (string split '|' -- $__bwrapper_options[$at])[2])
            set -l k (count $kinds)
            if test (math $i + $k) -gt $n
                # the cursor is on an argument of this option
                set answer $kinds[(math $n - $i + 1)]
                break
            end
            set i (math $i + $k + 1)
        else if string match -q -- '-*' $word
            # not ours: assume it takes no argument
            set i (math $i + 1)
        else
            set answer command $i
            break
        end
    end
    set -g __bwrapper_state_line $line
    set -g __bwrapper_state_answer "$answer"
    echo $__bwrapper_state_answer
end

function __bwrapper_is
    set -l state (__bwrapper_state)
    test "$state" = "$argv[1]"
    or string match -q -- "$argv[1] *" "$state"
end

# The command and its arguments, completed as if typed on their own.
function __bwrapper_complete_command
    set -l state (string split ' ' -- (__bwrapper_state))
    set -l words (commandline -opc) (commandline -ct)
    set words $words[$state[2]..-1]
    # complete -C would take a command named -x for an option of its own.
    string match -q -- '-*' $words[1]; and return
    # The tokens come unquoted; quote them again for complete -C, except
    # the one under the cursor, which is still as typed.
    __fish_complete_subcommand --commandline (string escape -- $words[1..-2]) $words[-1]
end

function __bwrapper_rlimits
    # NAME=SOFT[:HARD]: complete the name, leave the numbers.
    string match -q -- '*=*' (commandline -ct); and return
    printf '%s=\n' as core cpu data fsize memlock nofile nproc stack
end

complete -c bwrapper -f
for entry in $__bwrapper_options
    set -l fields (string split '|' -- $entry)
    set -l name (string replace -r '^--' '' -- $fields[1])
    complete -c bwrapper -n '__bwrapper_is option' -l $name -d $fields[3]
end
set -e entry

complete -c bwrapper -n '__bwrapper_is option' -a '(__fish_complete_command)'
complete -c bwrapper -n '__bwrapper_is command' -a '(__bwrapper_complete_command)'
complete -c bwrapper -n '__bwrapper_is file' -F
complete -c bwrapper -n '__bwrapper_is dir' -a '(__fish_complete_directories (commandline -ct))'
# The names of linux/capability.h (41 as of Linux 5.9), and ALL.
complete -c bwrapper -n '__bwrapper_is cap' -a 'CAP_CHOWN CAP_DAC_OVERRIDE
    CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID
    CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST
    CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE
    CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN
    CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG
    CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP
    CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND
    CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE ALL'
complete -c bwrapper -n '__bwrapper_is env' -a '(set --names --export)'
complete -c bwrapper -n '__bwrapper_is profile' -a agent
complete -c bwrapper -n '__bwrapper_is isolation' -a 'auto namespaces landlock'
complete -c bwrapper -n '__bwrapper_is stageend' -a 'commit discard keep ask'
complete -c bwrapper -n '__bwrapper_is rlimit' -a '(__bwrapper_rlimits)'
complete -c bwrapper -n '__bwrapper_is runtime' -a 'runc crun runsc'
complete -c bwrapper -n '__bwrapper_is runtime; and string match -q -- "*/*" (commandline -ct)' -F
complete -c bwrapper -n '__bwrapper_is seccomp' -a default -F

complete -c bwrap -w bwrapper

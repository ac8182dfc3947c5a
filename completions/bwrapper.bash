# bash completion for bwrapper (and bwrap)                 -*- shell-script -*-
# shellcheck shell=bash disable=SC2207
# (SC2207: COMPREPLY=($(compgen ...)) is the bash-completion idiom; the
# words offered here contain no blanks.)
#
# Needs bash-completion (2.11 or later): _init_completion or
# _comp_initialize, _filedir, _command_offset.

# Each option with the kind of each argument it takes, one word per
# argument, so that "--bind SRC DEST" consumes two words:
#   file     a host path          dir      a directory
#   fd       a file descriptor    none     free-form, no completion
#   cap      a capability name    env      an environment variable name
#   profile  a --profile name     rlimit   NAME= of a resource limit
#   runtime  an OCI runtime       seccomp  "default" or a profile file
#   isolation  auto, namespaces or landlock
#   stageend what --stage-end does
_bwrapper_option_table()
{
    cat <<'TABLE'
--help
--version
--args fd
--argv0 none
--level-prefix
--unshare-all
--share-net
--unshare-user
--unshare-user-try
--unshare-ipc
--unshare-pid
--unshare-net
--unshare-uts
--unshare-cgroup
--unshare-cgroup-try
--userns fd
--userns2 fd
--disable-userns
--assert-userns-disabled
--pidns fd
--uid none
--gid none
--hostname none
--chdir dir
--clearenv
--setenv env none
--unsetenv env
--lock-file file
--sync-fd fd
--bind file file
--bind-try file file
--dev-bind file file
--dev-bind-try file file
--ro-bind file file
--ro-bind-try file file
--bind-fd fd file
--ro-bind-fd fd file
--remount-ro file
--overlay-src dir
--overlay dir dir dir
--tmp-overlay dir
--ro-overlay dir
--exec-label none
--file-label none
--proc dir
--dev dir
--tmpfs dir
--mqueue dir
--dir dir
--file fd file
--bind-data fd file
--ro-bind-data fd file
--symlink file file
--seccomp fd
--add-seccomp-fd fd
--block-fd fd
--userns-block-fd fd
--info-fd fd
--json-status-fd fd
--new-session
--die-with-parent
--as-pid-1
--cap-add cap
--cap-drop cap
--perms none
--size none
--chmod none file
--not-a-security-boundary
--seccomp-profile seccomp
--print-seccomp
--print-seccomp-bpf
--print-plan
--print-guarantees
--profile profile
--rw file
--stage dir
--stage-end stageend
--changes-fd fd
--commit dir
--discard dir
--diff dir
--ro file
--isolation isolation
--require none
--timeout none
--rlimit rlimit
--emit-oci dir
--runtime runtime
--runtime-flag none
--pty
--keep-fd fd
--allow-net none
--report-fd fd
TABLE
}

# Complete $cur as an argument of kind $1.
_bwrapper_complete_arg()
{
    local caps
    case $1 in
        file) _filedir ;;
        dir) _filedir -d ;;
        cap)
            # The names of linux/capability.h (41 as of Linux 5.9), and ALL.
            caps="CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER
                CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP
                CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST
                CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER
                CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE
                CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE
                CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD
                CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP
                CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM
                CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF
                CAP_CHECKPOINT_RESTORE ALL"
            # Capability names are case-insensitive: follow the user's case.
            [[ $cur == [[:lower:]]* ]] && caps=${caps,,}
            COMPREPLY=($(compgen -W "$caps" -- "$cur"))
            ;;
        env) COMPREPLY=($(compgen -e -- "$cur")) ;;
        profile) COMPREPLY=($(compgen -W "agent" -- "$cur")) ;;
        isolation) COMPREPLY=($(compgen -W "auto namespaces landlock" -- "$cur")) ;;
        stageend) COMPREPLY=($(compgen -W "commit discard keep ask" -- "$cur")) ;;
        rlimit)
            # NAME=SOFT[:HARD]: complete the name, leave the numbers.
            if [[ $cur != *=* ]]; then
                COMPREPLY=($(compgen -S = -W "as core cpu data fsize memlock
                    nofile nproc stack" -- "$cur"))
                compopt -o nospace 2>/dev/null
            fi
            ;;
        runtime)
            # A runtime name looked up in PATH, or a path to one.
            if [[ $cur == */* || $cur == [.~]* ]]; then
                _filedir
            else
                COMPREPLY=($(compgen -W "runc crun runsc" -- "$cur"))
            fi
            ;;
        seccomp)
            COMPREPLY=($(compgen -W "default" -- "$cur"))
            _filedir
            ;;
        *) COMPREPLY=() ;; # fd, none: nothing sensible to offer
    esac
}

# Index in COMP_WORDS of words[$1]: bash splits "a=b" into three
# COMP_WORDS, but words (from _init_completion -n =:) keeps it whole, and
# _command_offset counts in COMP_WORDS.
_bwrapper_comp_words_index()
{
    local i=0 j=0 joined
    while ((i < $1)); do
        joined=
        while ((j < ${#COMP_WORDS[@]})) && [[ $joined != "${words[i]}" ]]; do
            joined+=${COMP_WORDS[j]}
            ((j++))
        done
        ((i++))
    done
    echo "$j"
}

_bwrapper()
{
    # shellcheck disable=SC2034 # set by _init_completion/_comp_initialize
    local cur prev words cword comp_args
    if declare -F _comp_initialize >/dev/null; then
        _comp_initialize -n =: -- "$@" || return
    else
        _init_completion -n =: || return
    fi

    local -A nargs kinds
    local opt rest argkinds
    while read -r opt rest; do
        kinds[$opt]=$rest
        read -ra argkinds <<<"$rest"
        nargs[$opt]=${#argkinds[@]}
    done < <(_bwrapper_option_table)

    # Walk the words before the cursor: an option consumes its arguments,
    # "--" or the first non-option word starts the command.
    local i=1 n w command_at=
    while ((i < cword)); do
        w=${words[i]}
        if [[ $w == -- ]]; then
            command_at=$((i + 1))
            break
        elif [[ $w && ${nargs[$w]+set} ]]; then
            n=${nargs[$w]}
            if ((i + n >= cword)); then
                read -ra argkinds <<<"${kinds[$w]}"
                _bwrapper_complete_arg "${argkinds[cword - i - 1]}"
                return
            fi
            ((i += n + 1))
        elif [[ $w == -* ]]; then
            ((i++)) # unknown option: assume it takes no argument
        else
            command_at=$i
            break
        fi
    done

    if [[ -z $command_at && $cur == -* || -z $command_at && -z $cur ]]; then
        COMPREPLY=($(compgen -W "${!nargs[*]}" -- "$cur"))
        return
    fi
    # The command and its arguments, completed as if typed on their own.
    local offset
    offset=$(_bwrapper_comp_words_index "${command_at:-$cword}")
    if declare -F _command_offset >/dev/null; then
        _command_offset "$offset"
    else
        _comp_command_offset "$offset"
    fi
} &&
    complete -F _bwrapper bwrapper bwrap

# ex: filetype=sh

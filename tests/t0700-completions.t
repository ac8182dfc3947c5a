#!/bin/sh
test_description='shell completions cover every option and complete each argument by its kind'
. "$(dirname "$0")/lib.sh"

completions=${BWRAPPER_COMPLETIONS:-$(cd "$tests_dir/.." && pwd)/completions}
if ! test -d "$completions"; then
    skip_all="no completions directory at $completions"
    test_done
fi

bash_completion=${BASH_COMPLETION_SCRIPT:-/usr/share/bash-completion/bash_completion}
command -v bash >/dev/null && test -r "$bash_completion" && test_set_prereq BASHCOMP
command -v zsh >/dev/null && zsh -fc 'zmodload zsh/zpty' 2>/dev/null && test_set_prereq ZSH
command -v fish >/dev/null && test_set_prereq FISH
test -r /usr/include/linux/capability.h && test_set_prereq CAPHEADER

# Shells keep their state here, not in the user's home.
HOME=$(pwd)
XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share XDG_CACHE_HOME=$HOME/.cache
export HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME

# Every file lists each option of --help as a definition, not just a
# mention in a description:  missing_options FILE ERE-with-@OPT@
missing_options() {
    PATTERN=$2 awk '
        NR == FNR { opts[++n] = $0; next }
        { lines[++m] = $0 }
        END {
            for (i = 1; i <= n; i++) {
                re = ENVIRON["PATTERN"]
                gsub(/@OPT@/, opts[i], re)
                found = 0
                for (j = 1; j <= m && !found; j++)
                    if (lines[j] ~ re) found = 1
                if (!found) print opts[i]
            }
        }' options "$1"
}

# The options offered must include every option of --help.
# missing_from FILE: the options of --help that FILE does not list.
missing_from() {
    sort -u "$1" >offered.sorted &&
    sort -u options >options.sorted &&
    comm -23 options.sorted offered.sorted
}

# bash_complete LINE: what bash offers for LINE<TAB>, one a line.  bash
# splits words at blanks and at = and :, as COMP_WORDBREAKS says.
cat >bash-complete <<\EOF
. "$1"
. "$2"
complete -W "alpha beta" zzfake
COMP_LINE=$3
COMP_POINT=${#COMP_LINE}
COMP_WORDS=()
for token in $COMP_LINE; do
    while IFS= read -r part; do
        [[ -n $part ]] && COMP_WORDS+=("$part")
    done <<<"$(sed 's/[=:][=:]*/\n&\n/g' <<<"$token")"
done
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
spec=$(complete -p "${COMP_WORDS[0]}") || exit 1
func=${spec#*-F }
func=${func%% *}
"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d'
EOF
bash_complete() {
    bash bash-complete "$bash_completion" "$completions/bwrapper.bash" "$1"
}

# zsh_complete LINE...: for LINE number N, "N MATCH" for each match zsh
# offers on LINE<TAB>, in a real zle on a pty.  The compadd wrapper writes
# the matches to a file as they are added, and "<done>" after each
# completion: the terminal carries nothing the test reads, so how zle
# draws on it (or how reads split it) cannot change the result.
cat >zsh-complete <<\EOF
zmodload zsh/zpty || exit 2
matches=$PWD/zsh-matches
: >$matches
zpty z zsh -f -i
zpty -w z "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
shift
zpty -w z "ZC_OUT=${(q)matches}"
zpty -w z 'PS1= PROMPT= RPS1=; unsetopt beep; bindkey "^I" complete-word'
zpty -w z '_zzfake() { compadd alpha beta }; compdef _zzfake zzfake'
zpty -w z 'compadd() { if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi; local -a __m __p __P; builtin compadd -O __m "$@"; zparseopts -E p:=__p P:=__P; (( $#__m )) && print -rl -- "$IPREFIX${__P[2]}${__p[2]}"${^__m} >>$ZC_OUT; builtin compadd "$@"; }'
# _main_complete empties comppostfuncs before it runs them.
zpty -w z '_zc_done() { print -r -- "<done>" >>$ZC_OUT; comppostfuncs=(_zc_done) }; comppostfuncs=(_zc_done)'
# The bound only keeps a broken completion from hanging the suite: it is
# far above what a loaded machine needs (compinit's first scan included).
integer n=0 deadline
local out l
local -a got
for line; do
    (( n++ ))
    zpty -w -n z $'\C-u'"$line"$'\t'
    (( deadline = SECONDS + 300 ))
    # the terminal is drained so that zsh never waits on it
    while got=(${(M)${(f)"$(<$matches)"}:#<done>}); (( SECONDS < deadline && $#got < n )); do
        zpty -r -t z out || sleep 0.01
    done
    if (( SECONDS >= deadline )); then
        print -r -- "line $n: no completion finished" >&2
        zpty -d z
        exit 1
    fi
done
zpty -d z
n=1
for l in ${(f)"$(<$matches)"}; do
    if [[ $l == '<done>' ]]; then (( n++ )); else print -r -- "$n $l"; fi
done
EOF
# zsh_offered N: the matches of line N of the zsh-complete run.
zsh_offered() {
    sed -n "s/^$1 //p" zsh.out
}

# fish_complete LINE: what fish offers for LINE, one a line, without the
# descriptions; only the file under test provides bwrapper's completions.
fish_complete() {
    fish -c 'set -g fish_complete_path $HOME/no-completions
        source $argv[1]; or exit 1
        complete -c zzfake -fa "alpha beta"
        complete -C $argv[2]' "$completions/bwrapper.fish" "$1" | cut -f1
}

mkdir sub bin && : >subfile && : >bin/zzfakecmd && chmod +x bin/zzfakecmd

test_expect_success 'the options of --help are read' '
    "$BWRAPPER" --help >help &&
    sed -n "s/^    \(--[a-z0-9-]*\).*/\1/p" help >options &&
    grep -qx -- --bind options &&
    grep -qx -- --print-plan options &&
    test_line_count = "$(grep -c "^    --" help)" options
'

test_expect_success 'bash: the option table has every option of --help' '
    missing_options "$completions/bwrapper.bash" "^@OPT@( |\$)" >missing &&
    test_must_be_empty missing
'

test_expect_success 'zsh: _arguments has a spec for every option of --help' '
    missing_options "$completions/_bwrapper" "(^|[^a-z0-9-])@OPT@\\[" >missing &&
    test_must_be_empty missing
'

test_expect_success 'fish: the option table has every option of --help' '
    missing_options "$completions/bwrapper.fish" "^ *.@OPT@\\|" >missing &&
    test_must_be_empty missing
'

# bash

test_expect_success BASHCOMP 'bash: a bare bwrapper offers every option of --help' '
    bash_complete "bwrapper " >offered &&
    missing_from offered >missing &&
    test_must_be_empty missing
'

test_expect_success BASHCOMP 'bash: --cap-a completes to --cap-add alone' '
    bash_complete "bwrapper --cap-a" >actual &&
    echo --cap-add >expect &&
    test_cmp expect actual
'

test_expect_success BASHCOMP 'bash: --cap-add CAP_SYS_ offers the CAP_SYS_ capabilities' '
    bash_complete "bwrapper --cap-add CAP_SYS_" >actual &&
    grep -qx CAP_SYS_ADMIN actual &&
    grep -qx CAP_SYS_PTRACE actual &&
    ! grep -v "^CAP_SYS_" actual
'

test_expect_success BASHCOMP,CAPHEADER 'bash: --cap-add offers the capabilities of linux/capability.h and ALL' '
    bash_complete "bwrapper --cap-add " | sort >actual &&
    { sed -n "s/^#define \(CAP_[A-Z_]*\)[[:space:]]*[0-9][0-9]*\$/\1/p" \
        /usr/include/linux/capability.h; echo ALL; } | sort >expect &&
    test_cmp expect actual
'

test_expect_success BASHCOMP 'bwrapper accepts every capability the completion offers' '
    bash_complete "bwrapper --cap-add " >caps &&
    test -s caps &&
    while read -r cap; do
        "$BWRAPPER" --print-plan --cap-add "$cap" >/dev/null 2>&1 || echo "$cap"
    done <caps >rejected &&
    test_must_be_empty rejected
'

test_expect_success BASHCOMP 'bash: --bind completes host paths for SRC and DEST' '
    bash_complete "bwrapper --bind /us" >actual &&
    grep -qx /usr actual &&
    bash_complete "bwrapper --bind /usr /us" >actual &&
    grep -qx /usr actual
'

test_expect_success BASHCOMP 'bash: --bind consumes two words, then options follow' '
    bash_complete "bwrapper --bind /usr /usr --ro-b" | sort >actual &&
    printf "%s\n" --ro-bind --ro-bind-data --ro-bind-fd --ro-bind-try >expect &&
    test_cmp expect actual
'

test_expect_success BASHCOMP 'bash: --overlay consumes three words' '
    bash_complete "bwrapper --overlay /a /b /us" >actual &&
    grep -qx /usr actual &&
    bash_complete "bwrapper --overlay /a /b /c --tmp-ov" >actual &&
    echo --tmp-overlay >expect &&
    test_cmp expect actual
'

test_expect_success BASHCOMP 'bash: --chdir offers directories only, --bind files too' '
    bash_complete "bwrapper --chdir su" >actual &&
    echo sub >expect &&
    test_cmp expect actual &&
    bash_complete "bwrapper --bind su" | sort >actual &&
    printf "%s\n" sub subfile >expect &&
    test_cmp expect actual
'

test_expect_success BASHCOMP 'bash: --profile, --rlimit and --seccomp-profile offer their values' '
    bash_complete "bwrapper --profile " >actual &&
    echo agent >expect &&
    test_cmp expect actual &&
    bash_complete "bwrapper --rlimit nof" >actual &&
    echo nofile= >expect &&
    test_cmp expect actual &&
    bash_complete "bwrapper --seccomp-profile def" >actual &&
    echo default >expect &&
    test_cmp expect actual
'

test_expect_success BASHCOMP 'bash: the command gets its own completion, not bwrapper options' '
    bash_complete "bwrapper --bind /a /b zzfake al" >actual &&
    echo alpha >expect &&
    test_cmp expect actual &&
    bash_complete "bwrapper --unshare-all zzfake --cap-a" >actual &&
    test_must_be_empty actual
'

test_expect_success BASHCOMP 'bash: after --, even a word like an option is the command' '
    bash_complete "bwrapper -- zzfake " | sort >actual &&
    printf "%s\n" alpha beta >expect &&
    test_cmp expect actual &&
    bash_complete "bwrapper -- --cap-a" >actual &&
    ! grep -x -- --cap-add actual
'

test_expect_success BASHCOMP 'bash: an = in an earlier argument does not shift the command' '
    bash_complete "bwrapper --setenv A b=c zzfake al" >actual &&
    echo alpha >expect &&
    test_cmp expect actual
'

test_expect_success BASHCOMP 'bash: the command name is completed from PATH' '
    PATH=$(pwd)/bin:$PATH bash_complete "bwrapper --unshare-all zzfakec" >actual &&
    grep -qx zzfakecmd actual
'

# zsh

test_expect_success ZSH 'zsh: sourcing the file after compinit defines _bwrapper for bwrapper and bwrap' '
    zsh -fc "autoload -U compinit; compinit -u -D; source \"\$1\" &&
        (( \$+functions[_bwrapper] )) &&
        [[ \$_comps[bwrapper] == _bwrapper && \$_comps[bwrap] == _bwrapper ]]" \
        zsh "$completions/_bwrapper" 2>err &&
    test_must_be_empty err
'

test_expect_success ZSH 'zsh: completion runs in zle from fpath' '
    zsh -f zsh-complete "$completions" \
        "bwrapper --" \
        "bwrapper --cap-a" \
        "bwrapper --cap-add CAP_SYS_A" \
        "bwrapper --bind /us" \
        "bwrapper --bind /usr /us" \
        "bwrapper --bind /usr /usr --ro-b" \
        "bwrapper --profile " \
        "bwrapper --chdir su" \
        "bwrapper --bind /a /b zzfake al" \
        "bwrapper --unshare-all zzfake --cap-a" \
        "bwrap --ro-b" \
        "bwrapper --overlay /a /b /c --tmp-ov" \
        "bwrapper -- zzfake " \
        "bwrapper -- --cap-a" \
        >zsh.out &&
    test -s zsh.out
'

test_expect_success ZSH 'zsh: bwrapper -- offers every option of --help' '
    zsh_offered 1 >offered &&
    missing_from offered >missing &&
    test_must_be_empty missing
'

test_expect_success ZSH 'zsh: --cap-a completes to --cap-add, CAP_SYS_A to CAP_SYS_ADMIN' '
    zsh_offered 2 >actual &&
    echo --cap-add >expect &&
    test_cmp expect actual &&
    zsh_offered 3 >actual &&
    echo CAP_SYS_ADMIN >expect &&
    test_cmp expect actual
'

test_expect_success ZSH 'zsh: --bind completes host paths for SRC and DEST, then options' '
    zsh_offered 4 >actual &&
    grep -qx /usr actual &&
    zsh_offered 5 >actual &&
    grep -qx /usr actual &&
    zsh_offered 6 | sort >actual &&
    printf "%s\n" --ro-bind --ro-bind-data --ro-bind-fd --ro-bind-try >expect &&
    test_cmp expect actual
'

test_expect_success ZSH 'zsh: --profile offers agent, --chdir directories only' '
    zsh_offered 7 >actual &&
    echo agent >expect &&
    test_cmp expect actual &&
    zsh_offered 8 | sort -u >actual &&
    echo sub >expect &&
    test_cmp expect actual
'

test_expect_success ZSH 'zsh: the command gets its own completion, not bwrapper options' '
    zsh_offered 9 >actual &&
    echo alpha >expect &&
    test_cmp expect actual &&
    zsh_offered 10 >actual &&
    test_must_be_empty actual
'

test_expect_success ZSH 'zsh: bwrap is completed like bwrapper; --overlay consumes three words' '
    zsh_offered 11 | sort >actual &&
    printf "%s\n" --ro-bind --ro-bind-data --ro-bind-fd --ro-bind-try >expect &&
    test_cmp expect actual &&
    zsh_offered 12 >actual &&
    echo --tmp-overlay >expect &&
    test_cmp expect actual
'

test_expect_success ZSH 'zsh: after --, even a word like an option is the command' '
    zsh_offered 13 | sort >actual &&
    printf "%s\n" alpha beta >expect &&
    test_cmp expect actual &&
    zsh_offered 14 >actual &&
    test_must_be_empty actual
'

# fish

test_expect_success FISH 'fish: bwrapper -- offers every option of --help' '
    fish_complete "bwrapper --" >offered &&
    missing_from offered >missing &&
    test_must_be_empty missing
'

test_expect_success FISH 'fish: --cap-add CAP_SYS_A completes to CAP_SYS_ADMIN' '
    fish_complete "bwrapper --cap-add CAP_SYS_A" >actual &&
    echo CAP_SYS_ADMIN >expect &&
    test_cmp expect actual
'

test_expect_success FISH 'fish: --ro-b lists --ro-bind and --ro-bind-try' '
    fish_complete "bwrapper --ro-b" >actual &&
    grep -qx -- --ro-bind actual &&
    grep -qx -- --ro-bind-try actual
'

test_expect_success FISH 'fish: --profile lists agent' '
    fish_complete "bwrapper --profile " >actual &&
    echo agent >expect &&
    test_cmp expect actual
'

test_expect_success FISH 'fish: --bind completes paths, consumes two words, then options' '
    fish_complete "bwrapper --bind /us" >actual &&
    grep -qx /usr/ actual &&
    fish_complete "bwrapper --bind /usr /us" >actual &&
    grep -qx /usr/ actual &&
    fish_complete "bwrapper --bind /usr /usr --ro-b" | sort >actual &&
    printf "%s\n" --ro-bind --ro-bind-data --ro-bind-fd --ro-bind-try >expect &&
    test_cmp expect actual
'

test_expect_success FISH 'fish: --chdir offers directories only, --rlimit NAME=' '
    fish_complete "bwrapper --chdir su" >actual &&
    echo sub/ >expect &&
    test_cmp expect actual &&
    fish_complete "bwrapper --rlimit nof" >actual &&
    echo nofile= >expect &&
    test_cmp expect actual
'

test_expect_success FISH 'fish: the command gets its own completion, not bwrapper options' '
    fish_complete "bwrapper --bind /a /b zzfake al" >actual &&
    echo alpha >expect &&
    test_cmp expect actual &&
    fish_complete "bwrapper --setenv A b=c -- zzfake b" >actual &&
    echo beta >expect &&
    test_cmp expect actual &&
    fish_complete "bwrapper --unshare-all zzfake --cap-a" >actual &&
    test_must_be_empty actual
'

test_expect_success FISH 'fish: after --, even a word like an option is the command' '
    fish_complete "bwrapper -- zzfake " | sort >actual &&
    printf "%s\n" alpha beta >expect &&
    test_cmp expect actual &&
    fish_complete "bwrapper -- --cap-a" >actual &&
    test_must_be_empty actual
'

test_expect_success FISH 'fish: bwrap is completed like bwrapper' '
    fish_complete "bwrap --cap-add CAP_SYS_A" >actual &&
    echo CAP_SYS_ADMIN >expect &&
    test_cmp expect actual
'

test_done

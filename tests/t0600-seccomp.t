#!/bin/sh
test_description='--seccomp-profile: the default profile, JSON profiles, --print-seccomp'
. "$(dirname "$0")/lib.sh"

PROBE=$tests_dir/bin/probe
[ -x "$PROBE" ] && test_set_prereq PROBE
SANDBOX_ARGS="--ro-bind / / --dev /dev"

# What the issue requires the default profile to deny with EPERM.
DENIED="kexec_load kexec_file_load open_by_handle_at perf_event_open
process_vm_readv process_vm_writev ptrace reboot request_key add_key keyctl
set_mempolicy swapon swapoff syslog umount2 unshare uselib userfaultfd mount
pivot_root init_module finit_module delete_module bpf fsopen fsmount
move_mount open_tree acct quotactl setns fsconfig fspick mount_setattr
clone-newuser clone-newns clone-newnet tiocsti tiocsti-high tioclinux
personality-noaslr personality-exec x32-getpid"
ALLOWED="getpid clone personality-query personality-linux32"

test_expect_success PROBE 'probe once outside and once under the default profile' '
    "$PROBE" $DENIED $ALLOWED clone3 i386-getpid </dev/null >outside &&
    "$BWRAPPER" $SANDBOX_ARGS --seccomp-profile default \
        "$PROBE" $DENIED $ALLOWED clone3 i386-getpid </dev/null >inside &&
    test_line_count = 50 inside
'

for call in $DENIED; do
    test_expect_success PROBE "default profile: $call fails with EPERM inside" "
        grep -qx '$call EPERM' inside
    "
done

# As root nothing but the filter says EPERM to these calls (their
# arguments are harmless); an ordinary user lacks capabilities for some.
test_expect_success PROBE,ROOT 'as root, every denied call gets past EPERM outside' '
    grep " EPERM$" outside >eperm-outside || true &&
    test_must_be_empty eperm-outside
'

for call in $ALLOWED; do
    test_expect_success PROBE "default profile: $call still works inside" "
        grep -qx '$call ok' inside
    "
done

# Each CLONE_NEW* flag on its own, with the capability to use it, so only
# the filter can say no.
FLAGS="clone-only-newns clone-only-newuts clone-only-newipc clone-only-newpid
clone-only-newnet clone-only-newcgroup"
test_expect_success PROBE 'with CAP_SYS_ADMIN, clone with one CLONE_NEW* flag works without the profile' '
    "$BWRAPPER" $SANDBOX_ARGS --unshare-user --cap-add ALL "$PROBE" $FLAGS >caps-free &&
    ! grep -v " ok$" caps-free
'
for call in $FLAGS; do
    test_expect_success PROBE "default profile: $call fails with EPERM even with CAP_SYS_ADMIN" "
        \"\$BWRAPPER\" \$SANDBOX_ARGS --unshare-user --cap-add ALL --seccomp-profile default \
            \"\$PROBE\" $call >out &&
        grep -qx '$call EPERM' out
    "
done

test_expect_success PROBE 'clone3 fails with ENOSYS, so libc falls back to clone' '
    grep -qx "clone3 ENOSYS" inside &&
    ! grep -qx "clone3 ENOSYS" outside
'

test_expect_success PROBE 'the i386 ABI is shut (EPERM), or absent from the kernel' '
    grep -Eqx "i386-getpid (EPERM|ENOEXEC)" inside
'

test_expect_success PROBE 'programs that fork and exec still run under the default profile' '
    "$BWRAPPER" $SANDBOX_ARGS --seccomp-profile default sh -c "echo a | cat; /bin/true" >out &&
    echo a >expect && test_cmp expect out
'

test_expect_success PROBE 'TIOCSTI on a real terminal is refused inside, not outside' '
    script -qec "\"$PROBE\" tiocsti" /dev/null </dev/null | tr -d "\r" >tty-outside &&
    script -qec "\"$BWRAPPER\" $SANDBOX_ARGS --seccomp-profile default \"$PROBE\" tiocsti" /dev/null \
        </dev/null | tr -d "\r" >tty-inside &&
    grep -qx "tiocsti EPERM" tty-inside &&
    grep -Eq "tiocsti (ok|EIO)$" tty-outside
'

test_expect_success '--print-seccomp writes the profile with a reason for each rule' '
    "$BWRAPPER" --seccomp-profile default --print-seccomp >default.json &&
    /usr/bin/python3 -c "
import json, sys
p = json.load(open(\"default.json\"))
assert p[\"defaultAction\"] == \"SCMP_ACT_ALLOW\", p[\"defaultAction\"]
assert all(r.get(\"comment\") for r in p[\"syscalls\"]), \"a rule without a reason\"
names = {n for r in p[\"syscalls\"] for n in r[\"names\"]}
for n in \"ptrace mount unshare bpf keyctl clone clone3 ioctl personality\".split():
    assert n in names, n
"
'

test_expect_success 'the printed profile reads back to the same profile' '
    "$BWRAPPER" --seccomp-profile "$PWD/default.json" --print-seccomp >again.json &&
    test_cmp default.json again.json
'

test_expect_success PROBE 'the printed profile filters as the built-in one does' '
    "$BWRAPPER" $SANDBOX_ARGS --seccomp-profile "$PWD/default.json" \
        "$PROBE" $DENIED $ALLOWED clone3 i386-getpid </dev/null >inside-file &&
    test_cmp inside inside-file
'

test_expect_success PROBE 'a JSON profile with an argument condition' '
    cat >args.json <<-\EOF &&
	{ "defaultAction": "SCMP_ACT_ALLOW",
	  "syscalls": [ { "names": ["mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO",
	                  "errnoRet": 13,
	                  "args": [ { "index": 2, "value": 448, "op": "SCMP_CMP_EQ" } ] } ] }
	EOF
    "$BWRAPPER" $SANDBOX_ARGS --seccomp-profile "$PWD/args.json" \
        "$PROBE" mkdir-0700 mkdir-0755 >out &&
    printf "%s\n" "mkdir-0700 EACCES" "mkdir-0755 ENOENT" >expect &&
    test_cmp expect out
'

test_expect_success PROBE 'an allow-list profile (default deny) with errnoRet' '
    cat >allow.json <<-\EOF &&
	{ "defaultAction": "SCMP_ACT_ALLOW",
	  "syscalls": [ { "names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95 } ] }
	EOF
    "$BWRAPPER" $SANDBOX_ARGS --seccomp-profile "$PWD/allow.json" "$PROBE" getpid >out &&
    echo "getpid EOPNOTSUPP" >expect &&
    test_cmp expect out
'

test_expect_success PROBE 'Docker includes/excludes pick rules by architecture' '
    cat >arch.json <<-\EOF &&
	{ "defaultAction": "SCMP_ACT_ALLOW",
	  "syscalls": [
	    { "names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
	      "includes": { "arches": ["amd64", "arm64", "s390x", "ppc64le", "riscv64"] } },
	    { "names": ["setns"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
	      "excludes": { "arches": ["amd64", "arm64", "s390x", "ppc64le", "riscv64"] } } ] }
	EOF
    "$BWRAPPER" $SANDBOX_ARGS --seccomp-profile "$PWD/arch.json" "$PROBE" getpid setns >out &&
    printf "%s\n" "getpid EACCES" "setns EBADF" >expect &&
    test_cmp expect out
'

test_expect_success PROBE 'a profile stacks with --add-seccomp-fd programs' '
    /usr/bin/python3 -c "
import errno, seccomp, sys
f = seccomp.SyscallFilter(seccomp.ALLOW)
f.add_rule(seccomp.ERRNO(errno.EXDEV), \"getpid\")
f.export_bpf(open(\"getpid.bpf\", \"wb\"))
" &&
    "$BWRAPPER" $SANDBOX_ARGS --add-seccomp-fd 3 --seccomp-profile default \
        "$PROBE" getpid ptrace 3<getpid.bpf >out &&
    printf "%s\n" "getpid EXDEV" "ptrace EPERM" >expect &&
    test_cmp expect out
'

# Malformed profiles: one line naming the entry, exit 1, nothing runs.
bad_profile() {
    printf "%s\n" "$2" >bad.json &&
    test_expect_code 1 "$BWRAPPER" $SANDBOX_ARGS --seccomp-profile "$PWD/bad.json" \
        touch "$PWD/ran" 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: --seccomp-profile .*bad.json: .*$1" err &&
    ! test -e ran
}

test_expect_success 'not JSON: the error gives line and column' '
    bad_profile "line [0-9]* column [0-9]*: " "{ \"defaultAction\": "
'
test_expect_success 'an unknown syscall name is named with its entry' '
    bad_profile "syscalls\[1\].names\[0\]: unknown syscall \"not_a_syscall\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"not_a_syscall\"],\"action\":\"SCMP_ACT_ERRNO\"}]}"
'
test_expect_success 'an unknown action is an error' '
    bad_profile "syscalls\[0\].action: unknown action \"SCMP_ACT_MAYBE\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_MAYBE\"}]}"
'
test_expect_success 'an unknown default action is an error' '
    bad_profile "defaultAction: unknown action" "{\"defaultAction\":\"ALLOW\"}"
'
test_expect_success 'a missing default action is an error' '
    bad_profile "defaultAction: must be an action name" "{\"syscalls\":[]}"
'
test_expect_success 'an unknown operator is an error' '
    bad_profile "syscalls\[0\].args\[0\].op: unknown operator \"SCMP_CMP_ABOUT\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ioctl\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_ABOUT\"}]}]}"
'
test_expect_success 'an argument index past 5 is an error' '
    bad_profile "syscalls\[0\].args\[0\].index: must be an integer from 0 to 5" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ioctl\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}"
'
test_expect_success 'an unknown key is an error, not ignored' '
    bad_profile "syscalls\[0\]: unknown key \"nmaes\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"nmaes\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\"}]}"
'
test_expect_success 'an unknown architecture is an error' '
    bad_profile "architectures\[0\]: unknown architecture \"SCMP_ARCH_Z80\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}"
'
test_expect_success 'names must be a list of strings' '
    bad_profile "syscalls\[0\].names: must be a list of strings" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"ptrace\",\"action\":\"SCMP_ACT_ERRNO\"}]}"
'
test_expect_success 'SCMP_ACT_NOTIFY is refused: there is no agent' '
    bad_profile "SCMP_ACT_NOTIFY needs a seccomp agent" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
'
# Issue 20: values the reader used to take and the filter then ignored or
# failed on, each refused with its key and value.
test_expect_success 'an unknown archMap subArchitecture is an error, on any entry' '
    for arch in SCMP_ARCH_X86_64 SCMP_ARCH_AARCH64
    do
        bad_profile "archMap\[0\].subArchitectures\[0\]: unknown architecture \"z80\"" \
            "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":\"$arch\",\"subArchitectures\":[\"z80\"]}]}" ||
        return 1
    done &&
    bad_profile "archMap\[0\].architecture: unknown architecture \"SCMP_ARCH_Z80\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_Z80\",\"subArchitectures\":[]}]}"
'
test_expect_success 'includes/excludes: a cap like 12abc, minKernel banana, arches z80 are errors' '
    rule="\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\"" &&
    bad_profile "syscalls\[0\].includes.caps\[0\]: unknown capability \"12abc\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{$rule,\"includes\":{\"caps\":[\"12abc\"]}}]}" &&
    bad_profile "syscalls\[0\].excludes.minKernel: must be a kernel version such as \"5.8\", not \"banana\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{$rule,\"excludes\":{\"minKernel\":\"banana\"}}]}" &&
    bad_profile "syscalls\[0\].includes.arches\[0\]: unknown architecture \"z80\"" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{$rule,\"includes\":{\"arches\":[\"z80\"]}}]}"
'
test_expect_success 'two comparisons on one argument are refused when read, not at run time' '
    bad_profile "syscalls\[0\].args\[1\]: a second comparison on argument 1 (args\[0\] has one)" \
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ioctl\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_GT\"},{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_LT\"}]}]}"
'
test_expect_success 'a profile over 1 MiB is refused before it is parsed' '
    { printf "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[" &&
      head -c 1100000 /dev/zero | tr "\0" " " && printf "]}"; } >big.json &&
    test_expect_code 1 "$BWRAPPER" --seccomp-profile "$PWD/big.json" --print-seccomp 2>err &&
    grep -x "bwrapper: --seccomp-profile .*/big.json: larger than 1048576 bytes: not a seccomp profile" err
'
test_expect_success 'Docker-style conditions that are valid still read, and round-trip' '
    cat >docker.json <<-\EOF &&
	{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
	 "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},
	            {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]},
	            {"architecture":"SCMP_ARCH_LOONGARCH64","subArchitectures":[]}],
	 "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
	   {"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_PTRACE"],"minKernel":"4.8"}},
	   {"names":["clone"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN"],"arches":["s390","s390x","loong64"]}},
	   {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]}
	EOF
    "$BWRAPPER" --seccomp-profile "$PWD/docker.json" --print-seccomp >printed.json &&
    "$BWRAPPER" --seccomp-profile "$PWD/printed.json" --print-seccomp >again.json &&
    test_cmp printed.json again.json
'
test_expect_success 'a missing profile file is an error' '
    test_expect_code 1 "$BWRAPPER" --ro-bind / / --seccomp-profile /nonexistent/p.json true 2>err &&
    grep -q "^bwrapper: --seccomp-profile /nonexistent/p.json: .*No such file" err
'
test_expect_success '--print-seccomp without a profile is an error' '
    test_expect_code 1 "$BWRAPPER" --print-seccomp 2>err &&
    grep -q "^bwrapper: --print-seccomp needs --seccomp-profile" err
'
test_expect_success '--print-plan names the profile' '
    "$BWRAPPER" --print-plan --seccomp-profile default true >plan &&
    grep -q "\"seccomp-profile\": \"default\"" plan
'

# The default profile's program is compiled when bwrapper is built
# (seccomp-gen); a JSON profile is always compiled at run time, so the
# default profile read back from its JSON is a fresh compile to compare.
test_expect_success 'the built-in default program equals a fresh compile of the same profile' '
    "$BWRAPPER" --seccomp-profile default --print-seccomp >fresh.json &&
    "$BWRAPPER" --seccomp-profile default --print-seccomp-bpf >builtin.bpf &&
    "$BWRAPPER" --seccomp-profile "$PWD/fresh.json" --print-seccomp-bpf >fresh.bpf &&
    test -s builtin.bpf &&
    cmp builtin.bpf fresh.bpf
'
command -v strace >/dev/null && test_set_prereq STRACE
# libseccomp exports the compiled program through a memfd named "seccomp".
# (LeakSanitizer cannot run under ptrace: off for the sanitized build.)
test_expect_success STRACE 'the default profile is not compiled at start-up' '
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o trace -e trace=memfd_create \
        "$BWRAPPER" --ro-bind / / --seccomp-profile default true &&
    ! grep -q "memfd_create(\"seccomp\"" trace &&
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o trace -e trace=memfd_create \
        "$BWRAPPER" --ro-bind / / --seccomp-profile "$PWD/fresh.json" true &&
    grep -q "memfd_create(\"seccomp\"" trace
'
test_expect_success PROBE '--print-seccomp-bpf gives bwrap --seccomp the same filter' '
    "$BWRAPPER" --seccomp-profile default --print-seccomp-bpf >default.bpf &&
    "$BWRAP" --ro-bind / / --dev /dev --seccomp 3 "$PROBE" ptrace getpid 3<default.bpf >out &&
    grep -qx "ptrace EPERM" out &&
    grep -qx "getpid ok" out
'
test_expect_success '--print-seccomp-bpf without a profile is an error' '
    test_expect_code 1 "$BWRAPPER" --print-seccomp-bpf 2>err &&
    grep -q "^bwrapper: --print-seccomp-bpf needs --seccomp-profile" err
'

test_done

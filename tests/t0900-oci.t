#!/bin/sh
test_description='OCI back end: --emit-oci and --runtime runc, crun, runsc against the native run'
. "$(dirname "$0")/lib.sh"

schema_dir=/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema
[ -f "$schema_dir/config-schema.json" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null &&
    test_set_prereq SCHEMA

oci_setup

printf 'line one\nline two\n' >data
mkdir -p lower upper/d rw && echo lower >lower/f && echo upper >upper/g && echo host >rw/h
top=$(pwd)

# The same command line natively and under runtime $1: stdout and exit
# status must agree, and no bundle may be left behind.
same_as_native() {
    rt=$1
    shift
    { "$BWRAPPER" $ROOT_ARGS "$@" >expect.out 2>expect.err 7<data; echo "exit $?" >>expect.out; } &&
    # a case must run natively: bwrapper failing alike would prove nothing
    ! grep "^bwrapper:" expect.err &&
    { "$BWRAPPER" --runtime "$rt" $ROOT_ARGS "$@" >actual.out 2>actual.err 7<data; echo "exit $?" >>actual.out; } &&
    test_cmp expect.out actual.out && nothing_left
}

# TAGS|ARGS: u runs under runc and crun (unprivileged), s under runsc (root).
cat >cases <<'CASES'
us|true
us|sh -c "exit 7"
us|echo hello
us|--tmpfs /tmp sh -c "echo data >/tmp/f && cat /tmp/f"
us|--dir /a/b sh -c "test -d /a/b && echo yes"
us|--symlink /usr/bin /x readlink /x
us|--file 7 /f cat /f
us|--ro-bind-data 7 /data sh -c "cat /data; echo more 2>/dev/null >>/data; echo \$?"
us|--bind-data 7 /data sh -c "echo more >>/data; cat /data"
us|--setenv FOO bar printenv FOO
us|--clearenv --setenv A 1 /usr/bin/printenv A
us|--chdir /usr/bin pwd
us|--unshare-uts --hostname sandbox hostname
us|--unshare-pid --as-pid-1 --proc /proc sh -c "echo \$\$"
us|--dev /dev sh -c "echo x >/dev/null && test -c /dev/zero && echo ok"
u|--unshare-net --unshare-pid --proc /proc sh -c "wc -l </proc/net/dev"
us|--tmpfs /t --perms 0700 --dir /t/d find /t/d -maxdepth 0 -printf "%m\\n"
u|--size 1048576 --tmpfs /t df -B1 --output=size /t
us|--ro-bind /dev /hostdev sh -c "touch /hostdev/shm/bwrapper-rro 2>/dev/null && echo wrote; rm -f /hostdev/shm/bwrapper-rro"
us|--chdir /bin sh -c "echo \$PWD; pwd"
us|--tmpfs /a/b --chmod 0700 /a --bind /tmp /c/d/e --dir /m/n --ro-bind-data 7 /q/r/s find /a /c /c/d /m /q /q/r -maxdepth 0 -printf "%m %p\\n"
us|--rw "$top/rw" --chdir "$top/rw" sh -c "mkdir ../new; echo \$?; echo y >y && cat y && rm y"
us|--rlimit core=0 --rlimit nofile=64:128 sh -c "ulimit -c; ulimit -Hc; ulimit -n; ulimit -Hn"
us|--bind "$top/rw" /rw --remount-ro /rw sh -c "echo x 2>/dev/null >/rw/new; echo \$?"
u|--unshare-pid --proc /proc grep Cap /proc/self/status
u|--seccomp-profile default unshare -U true
us|--rlimit nofile=64 sh -c "ulimit -n"
u|--overlay-src "$top/lower" --overlay-src "$top/upper" --ro-overlay /o cat /o/f /o/g
u|--overlay-src "$top/lower" --tmp-overlay /o sh -c "echo new >/o/n && cat /o/f /o/n"
us|--dir /a --chmod 0700 /a find /a -maxdepth 0 -printf "%m\\n"
us|--ro-bind "$top/rw" /rw cat /rw/h
CASES

test_expect_success 'at least 15 command lines for each runtime' '
    test $(grep -c "^[a-z]*u[a-z]*|" cases) -ge 15 &&
    test $(grep -c "^[a-z]*s[a-z]*|" cases) -ge 15
'

n=0
runsc_refused=0
while IFS='|' read -r tags case_args; do
    n=$((n + 1))
    eval "set -- $case_args"
    # Every bundle validates, whichever runtime it is written for.
    "$BWRAPPER" --emit-oci "emit-$n" $ROOT_ARGS "$@" 7<data >/dev/null 2>&1
    # (or refuses it by name: runsc would drop overlays and seccomp)
    "$BWRAPPER" --emit-oci "emit-runsc-$n" --runtime runsc $ROOT_ARGS "$@" 7<data >/dev/null 2>emit.err ||
        { grep -q "runsc ignores" emit.err && runsc_refused=$((runsc_refused + 1)); }
    case $tags in *u*)
        test_expect_success RUNC "runc: $case_args" 'eval "set -- $case_args" && same_as_native runc "$@"'
        test_expect_success CRUN "crun: $case_args" 'eval "set -- $case_args" && same_as_native crun "$@"'
    esac
    case $tags in *s*)
        test_expect_success RUNSC "runsc: $case_args" 'eval "set -- $case_args" && same_as_native runsc "$@"'
    esac
done <cases

cat >validate.py <<'PY'
import json, sys, jsonschema
schema_dir = sys.argv[1]
with open(schema_dir + "/config-schema.json") as f:
    schema = json.load(f)
resolver = jsonschema.RefResolver("file://" + schema_dir + "/", schema)
validator = jsonschema.Draft4Validator(schema, resolver=resolver)
bad = 0
for path in sys.argv[2:]:
    with open(path) as f:
        for err in validator.iter_errors(json.load(f)):
            print(f"{path}: {'/'.join(map(str, err.path))}: {err.message}")
            bad = 1
sys.exit(bad)
PY

test_expect_success SCHEMA 'every emitted config.json validates against the runtime-spec schema' '
    test_when_finished "rm -rf emit-*" &&
    test $(ls -d emit-*/config.json | wc -l) -eq $((2 * n - runsc_refused)) && test $runsc_refused -eq 3 &&
    /usr/bin/python3 validate.py "$schema_dir" emit-*/config.json
'
test_done

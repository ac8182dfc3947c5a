#!/bin/sh
test_description='the default seccomp profile denies io_uring (EPERM): natively, under --profile agent and in OCI bundles'
. "$(dirname "$0")/lib.sh"

PROBE=$tests_dir/bin/probe
[ -x "$PROBE" ] && test_set_prereq PROBE
SANDBOX_ARGS="--ro-bind / / --dev /dev"
CALLS="io_uring_setup io_uring_enter io_uring_register"
printf "%s EPERM\n" $CALLS >denied

oci_setup

# io_uring_setup is probed with valid arguments (it makes a ring): only a
# policy can refuse it.  A kernel without io_uring tests nothing here.
test_expect_success PROBE 'outside any sandbox, the probe makes an io_uring ring' '
    "$PROBE" io_uring_setup >outside &&
    { grep -qx "io_uring_setup ok" outside && test_set_prereq IO_URING ||
        say "io_uring_setup fails outside the sandbox ($(cat outside)): io_uring tests skipped"; }
'

test_expect_success IO_URING 'without a seccomp profile, io_uring works in the sandbox' '
    "$BWRAPPER" $SANDBOX_ARGS "$PROBE" io_uring_setup >out &&
    echo "io_uring_setup ok" >expect && test_cmp expect out
'

test_expect_success IO_URING '--seccomp-profile default: io_uring_setup, _enter and _register fail with EPERM' '
    "$BWRAPPER" $SANDBOX_ARGS --seccomp-profile default "$PROBE" $CALLS >out &&
    test_cmp denied out
'

test_expect_success IO_URING '--profile agent: io_uring_setup, _enter and _register fail with EPERM' '
    "$BWRAPPER" --profile agent --ro "$tests_dir/bin" -- "$PROBE" $CALLS </dev/null >out &&
    test_cmp denied out
'

test_expect_success '--print-seccomp gives the reason for each io_uring rule' '
    "$BWRAPPER" --print-seccomp --seccomp-profile default >profile.json &&
    /usr/bin/python3 -c "
import json, sys
rules = json.load(open(\"profile.json\"))[\"syscalls\"]
for call in sys.argv[1:]:
    r = [r for r in rules if call in r[\"names\"]]
    assert len(r) == 1, (call, r)
    r = r[0]
    assert r[\"action\"] == \"SCMP_ACT_ERRNO\" and r[\"errnoRet\"] == 1 and not r.get(\"args\"), r
    assert \"seccomp never sees\" in r[\"comment\"], r
" $CALLS
'

test_expect_success 'the OCI bundle of the default profile denies io_uring with EPERM' '
    "$BWRAPPER" $ROOT_ARGS --seccomp-profile default --emit-oci "$PWD/bundle" true &&
    /usr/bin/python3 -c "
import json, sys
rules = json.load(open(\"bundle/config.json\"))[\"linux\"][\"seccomp\"][\"syscalls\"]
for call in sys.argv[1:]:
    assert [r for r in rules if call in r[\"names\"] and r[\"action\"] == \"SCMP_ACT_ERRNO\"
            and r[\"errnoRet\"] == 1 and not r.get(\"args\")], call
" $CALLS
'

for rt in runc crun; do
    RT=$(echo $rt | tr a-z A-Z)
    test_expect_success "IO_URING,$RT" "--runtime $rt: io_uring works without the profile, fails with EPERM under it" "
        \"\$BWRAPPER\" --runtime $rt \$ROOT_ARGS --ro-bind \"\$tests_dir/bin\" /probe /probe/probe io_uring_setup >out &&
        echo 'io_uring_setup ok' >expect && test_cmp expect out &&
        \"\$BWRAPPER\" --runtime $rt \$ROOT_ARGS --ro-bind \"\$tests_dir/bin\" /probe --seccomp-profile default \
            /probe/probe \$CALLS >out &&
        test_cmp denied out && nothing_left
    "
done

test_done

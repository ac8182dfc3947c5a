#!/bin/sh
test_description='OCI back end: attacks on the bundle, the runtime and the host, each run for real'
. "$(dirname "$0")/lib.sh"

oci_setup

test_expect_success RUNC '--bind / / --tmpfs /tmp: the runtime runs, and /tmp holds no stray mask' '
    "$BWRAPPER" --runtime runc --bind / / --tmpfs /tmp sh -c "ls -A /tmp" >out &&
    test_must_be_empty out && nothing_left
'

test_expect_success 'runsc: an overlay is refused, naming the option and runsc, not dropped' '
    mkdir -p lower &&
    test_must_fail "$BWRAPPER" --emit-oci emitted --runtime runsc $ROOT_ARGS --overlay-src lower \
        --tmp-overlay /o true 2>err &&
    grep -F -e "--tmp-overlay /o: runsc ignores overlay mounts" err && test ! -e emitted
'

test_expect_success 'runsc: --seccomp-profile is refused, naming it and runsc, not dropped' '
    test_must_fail "$BWRAPPER" --emit-oci emitted --runtime runsc $ROOT_ARGS --seccomp-profile default true 2>err &&
    grep -F -e "--seccomp-profile: runsc ignores" err && test ! -e emitted
'

test_done

#!/bin/sh
test_description='overlay options: --overlay-src with --overlay, --tmp-overlay, --ro-overlay (bwrap 0.11)'
. "$(dirname "$0")/lib.sh"

# The system bwrap is 0.8, which has no overlay options: these tests check
# bwrapper against bubblewrap 0.11's documented behaviour and its own test
# suite (tests/test-run.sh upstream), not against the installed binary.

sandbox() {
    "$BWRAPPER" $ROOT_ARGS "$@"
}

here=$PWD

# The layers, as upstream's test: lower1 {a=1 b=2}, lower2 {b=3 c=c}, upper {a=4}.
reset_layers() {
    chmod -R u+rwx upper work 2>/dev/null
    rm -rf lower1 lower2 upper work &&
    mkdir lower1 lower2 upper work &&
    printf 1 >lower1/a && printf 2 >lower1/b &&
    printf 3 >lower2/b && printf c >lower2/c &&
    printf 4 >upper/a
}
# overlayfs leaves a mode-000 work/work behind: let the trash be removed.
cleanup_work='chmod -R u+rwx "$here/work" "$here/upper" 2>/dev/null; :'

# What the host holds under the lower layers, to prove it did not change.
snapshot() {
    find lower1 lower2 -exec stat -c "%n %F %s %a" {} + | sort
}

test_expect_success '--tmp-overlay merges the layers: the last --overlay-src wins' '
    reset_layers &&
    sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower2" --tmp-overlay /m \
        sh -c "cat /m/a /m/b /m/c; echo; ls /m" >out &&
    printf "13c\na\nb\nc\n" >expect &&
    test_cmp expect out
'

test_expect_success '--overlay puts RWSRC on top of the lower layers' '
    reset_layers &&
    test_when_finished "$cleanup_work" &&
    sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower2" \
        --overlay "$here/upper" "$here/work" /m sh -c "cat /m/a /m/b /m/c" >out &&
    printf 43c >expect &&
    test_cmp expect out
'

test_expect_success 'writes through --overlay land in RWSRC on the host, lower layers untouched' '
    reset_layers &&
    test_when_finished "$cleanup_work" &&
    snapshot >before &&
    sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower2" \
        --overlay "$here/upper" "$here/work" /m sh -c "printf 5 >/m/b; echo new >/m/new; cat /m/b" >out &&
    printf 5 >expect &&
    test_cmp expect out &&
    test_cmp expect upper/b &&
    echo new >expect &&
    test_cmp expect upper/new &&
    snapshot >after &&
    test_cmp before after
'

test_expect_success 'deleting a lower file through --overlay leaves a whiteout in RWSRC only' '
    reset_layers &&
    test_when_finished "$cleanup_work" &&
    sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower2" \
        --overlay "$here/upper" "$here/work" /m sh -c "rm /m/c && test ! -e /m/c" &&
    test "$(stat -c "%F %t:%T" upper/c)" = "character special file 0:0" &&
    test -f lower2/c &&
    sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower2" \
        --overlay "$here/upper" "$here/work" /m test ! -e /m/c
'

test_expect_success '--overlay accepts relative host paths' '
    reset_layers &&
    test_when_finished "$cleanup_work" &&
    sandbox --overlay-src lower1 --overlay upper work /m sh -c "cat /m/a /m/b; printf x >/m/rel" >out &&
    printf 42 >expect &&
    test_cmp expect out &&
    test -f upper/rel
'

test_expect_success 'overlay paths may hold spaces, quotes, colons, commas and backslashes' '
    mkdir "lower \":,\\" "upper \":,\\" "work \":,\\" &&
    test_when_finished "chmod -R u+rwx \"$here/work \\\":,\\\\\" 2>/dev/null; :" &&
    printf 1 >"lower \":,\\/a" &&
    sandbox --overlay-src "lower \":,\\" --overlay "upper \":,\\" "work \":,\\" /x \
        sh -c "cat /x/a; printf 2 >/x/a; cat /x/a" >out &&
    printf 12 >expect &&
    test_cmp expect out &&
    printf 1 >expect && test_cmp expect "lower \":,\\/a" &&
    printf 2 >expect && test_cmp expect "upper \":,\\/a"
'

test_expect_success '--tmp-overlay: writes are visible inside, and gone after the run' '
    reset_layers &&
    mkdir -p bk &&
    snapshot >bk/layers-before &&
    find . -path ./bk -prune -o -print | sort >bk/tree-before &&
    sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower2" --tmp-overlay /m \
        sh -c "printf 4 >/m/b; echo n >/m/new; rm /m/c; cat /m/b /m/new; ls /m" >bk/out &&
    printf "4n\na\nb\nnew\n" >bk/expect &&
    test_cmp bk/expect bk/out &&
    snapshot >bk/layers-after &&
    test_cmp bk/layers-before bk/layers-after &&
    find . -path ./bk -prune -o -print | sort >bk/tree-after &&
    test_cmp bk/tree-before bk/tree-after &&
    sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower2" --tmp-overlay /m \
        sh -c "cat /m/b /m/c; test ! -e /m/new" >out &&
    printf 3c >expect &&
    test_cmp expect out
'

test_expect_success 'each overlay takes only the --overlay-src given since the previous one' '
    reset_layers &&
    sandbox --overlay-src "$here/lower1" --tmp-overlay /x --overlay-src "$here/lower2" --tmp-overlay /y \
        sh -c "cat /x/b; printf 4 >/x/b; cat /x/b; cat /y/b; test ! -e /x/c && test ! -e /y/a" >out &&
    printf 243 >expect &&
    test_cmp expect out &&
    printf 2 >expect && test_cmp expect lower1/b &&
    printf 3 >expect && test_cmp expect lower2/b
'

test_expect_success '--ro-overlay gives a read-only merged view' '
    reset_layers &&
    test_must_fail sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower2" --ro-overlay /m \
        sh -c "cat /m/a /m/b /m/c >&3; printf 4 >/m/b" 3>out 2>err &&
    printf 13c >expect &&
    test_cmp expect out &&
    grep -q "Read-only file system" err &&
    printf 3 >expect && test_cmp expect lower2/b
'

test_expect_success 'an overlay destination gets its missing parents' '
    reset_layers &&
    sandbox --overlay-src "$here/lower1" --tmp-overlay /x/y/z cat /x/y/z/a >out &&
    printf 1 >expect &&
    test_cmp expect out
'

test_expect_success 'a later mount covers part of an overlay' '
    reset_layers &&
    mkdir lower1/sub &&
    sandbox --overlay-src "$here/lower1" --tmp-overlay /m --tmpfs /m/sub \
        sh -c "stat -f -c %T /m/sub; cat /m/a" >out &&
    printf "tmpfs\n1" >expect &&
    test_cmp expect out &&
    rmdir lower1/sub
'

# ---- errors, worded as bwrap 0.11 words them ----

test_expect_success '--overlay without --overlay-src fails' '
    test_expect_code 1 "$BWRAPPER" --overlay upper work /m true 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: --overlay requires at least one --overlay-src" err
'

test_expect_success '--tmp-overlay without --overlay-src fails' '
    test_expect_code 1 "$BWRAPPER" --tmp-overlay /m true 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: --tmp-overlay requires at least one --overlay-src" err
'

test_expect_success '--ro-overlay needs two --overlay-src' '
    test_expect_code 1 "$BWRAPPER" --ro-overlay /m true 2>err &&
    grep -q "^bwrapper: --ro-overlay requires at least two --overlay-src" err &&
    test_expect_code 1 "$BWRAPPER" --overlay-src /usr --ro-overlay /m true 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: --ro-overlay requires at least two --overlay-src" err
'

test_expect_success 'a trailing --overlay-src fails' '
    test_expect_code 1 "$BWRAPPER" --overlay-src /usr true 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: --overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay" err
'

test_expect_success '--overlay-src followed by another kind of option fails' '
    test_expect_code 1 "$BWRAPPER" --overlay-src /usr --chdir / --tmp-overlay /m true 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: --overlay-src must be followed by another --overlay-src" err &&
    test_expect_code 1 "$BWRAPPER" --overlay-src /usr --bind /usr /x --tmp-overlay /m true 2>err &&
    grep -q "^bwrapper: --overlay-src must be followed by another --overlay-src" err
'

test_expect_success 'a missing overlay source fails with one line naming it' '
    test_expect_code 1 sandbox --overlay-src "$here/no-such-layer" --tmp-overlay /m true 2>err &&
    test_line_count = 1 err &&
    grep -q "^bwrapper: .*no-such-layer" err
'

test_expect_success 'overlapping overlay directories are refused, saying so' '
    reset_layers &&
    mkdir lower1/inner &&
    test_expect_code 1 sandbox --overlay-src "$here/lower1" --overlay-src "$here/lower1/inner" --tmp-overlay /m true 2>err &&
    test_line_count = 1 err &&
    grep -qi "overlap" err
'

# bwrap 0.11 always mounts with userxattr, so overlay metadata (opaque
# directories, redirects) lives in user.overlay.* whether or not a user
# namespace is in use, and an upper layer reads the same either way.
test_expect_success ROOT 'as root, an upper layer reads the same with and without a user namespace' '
    reset_layers &&
    test_when_finished "$cleanup_work" &&
    mkdir lower1/dir && echo old >lower1/dir/f &&
    sandbox --overlay-src "$here/lower1" --overlay "$here/upper" "$here/work" /m \
        sh -c "rm -r /m/dir && mkdir /m/dir && ls -A /m/dir" >out &&
    test_must_be_empty out &&
    sandbox --overlay-src "$here/lower1" --overlay "$here/upper" "$here/work" /m ls -A /m/dir >out &&
    test_must_be_empty out &&
    sandbox --unshare-user --overlay-src "$here/lower1" --overlay "$here/upper" "$here/work" /m ls -A /m/dir >out &&
    test_must_be_empty out
'

test_expect_success ROOT '--tmp-overlay of the host root keeps the host untouched' '
    "$BWRAPPER" --overlay-src / --tmp-overlay / --proc /proc --dev /dev \
        sh -c "echo inside >\"$here/written-in-overlay\" && cat \"$here/written-in-overlay\"" >out &&
    echo inside >expect &&
    test_cmp expect out &&
    test ! -e written-in-overlay
'

test_done

#!/bin/sh
test_description='--stage: writes staged in a private overlay, listed exactly, then committed (all or nothing), discarded or kept'
. "$(dirname "$0")/lib.sh"

BOX="$ROOT_ARGS --proc /proc --dev /dev"
here=$PWD
# Stages go here, so that a test sees what a run left behind.
XDG_RUNTIME_DIR=$here/run
mkdir -m 0700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
no_stage_left() {
    test -z "$(ls -A "$XDG_RUNTIME_DIR")" || { ls -la "$XDG_RUNTIME_DIR"; false; }
}
the_stage() {
    ls -d "$XDG_RUNTIME_DIR"/bwrapper-stage-*
}

# The project every test starts from.
make_base() {
    rm -rf base && mkdir -p base/d/sub base/e base/keep &&
    echo old >base/d/oldfile && echo deep >base/d/sub/deeper &&
    echo one >base/a && printf "line1\nline2\n" >base/text &&
    echo x >base/e/x && echo k >base/keep/k && chmod 640 base/keep/k &&
    ln -s a base/link-to-a
}

# A tree as find and stat see it: names, types, modes, sizes, link targets,
# link counts; plus every file's bytes.
tree_of() {
    (cd "$1" && find . -path ./run -prune -o -printf "%p %y %m %s %l %n\n" | sort &&
        find . -type f -exec sha256sum {} + | sort -k 2)
}

# same_as_rw CMD: CMD (run by sh in the project) under --rw on one copy and
# under --stage with --stage-end commit on another leaves the same tree.
same_as_rw() {
    make_base &&
    rm -rf rw staged && cp -a base rw && cp -a base staged &&
    "$BWRAPPER" $BOX --rw "$here/rw" --chdir "$here/rw" sh -c "$1" &&
    "$BWRAPPER" $BOX --stage "$here/staged" --stage-end commit --chdir "$here/staged" sh -c "$1" &&
    tree_of rw >expect && tree_of staged >actual &&
    test_cmp expect actual &&
    no_stage_left
}

test_expect_success '--print-plan shows --stage as an exposed overlay of PATH, and its ending' '
    make_base &&
    "$BWRAPPER" --print-plan --stage base --stage-end keep --changes-fd 7 true >plan &&
    grep -q "\"stage\": true" plan && grep -q "\"kind\": \"overlay\"" plan &&
    grep -q "\"expose\": true" plan && grep -q "\"end\": \"keep\"" plan &&
    grep -q "\"changes-fd\": 7" plan && grep -q "\"path\": \"$here/base\"" plan &&
    "$BWRAPPER" --print-plan --commit somedir | grep -q "\"action\": \"commit\""
'

test_expect_success 'bad --stage options are refused before anything runs' '
    echo f >afile &&
    test_must_fail "$BWRAPPER" --stage afile true 2>err && grep -q "^bwrapper: --stage afile: not a directory$" err &&
    test_must_fail "$BWRAPPER" --stage nope true 2>err && grep -q "^bwrapper: --stage nope: No such file" err &&
    test_must_fail "$BWRAPPER" --stage base --stage base true 2>err && grep -q "only one --stage" err &&
    test_must_fail "$BWRAPPER" --stage-end keep true 2>err && grep -q "^bwrapper: --stage-end requires --stage$" err &&
    test_must_fail "$BWRAPPER" --changes-fd 1 true 2>err && grep -q "^bwrapper: --changes-fd requires --stage$" err &&
    test_must_fail "$BWRAPPER" --stage base --stage-end maybe true 2>err && grep -q "expected commit, discard, keep or ask" err &&
    test_must_fail "$BWRAPPER" --stage base --runtime runc true 2>err && grep -q "not supported with --runtime" err &&
    test_must_fail "$BWRAPPER" --commit x true 2>err && grep -q "take no command" err &&
    no_stage_left
'

test_expect_success 'writes never reach PATH while the stage is kept, and the path of the stage is printed' '
    make_base && tree_of base >before &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end keep --chdir "$here/base" sh -c "echo new >a; rm e/x; cat a" >out 2>err &&
    echo new >expect && test_cmp expect out &&
    tree_of base >after && test_cmp before after &&
    stage=$(the_stage) && grep -q "staged in $stage " err &&
    test "$(stat -c %a "$stage")" = 700 &&
    "$BWRAPPER" --discard "$stage" && no_stage_left
'

test_expect_success 'the sandbox cannot see the stage directory' '
    make_base &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end discard sh -c "ls -a \"\$0\" /tmp" "$XDG_RUNTIME_DIR" >out 2>&1;
    ! grep -q bwrapper-stage out &&
    test_must_fail "$BWRAPPER" --bind / / --stage "$here/base" true 2>err &&
    grep -q "the sandbox could see the stage" err && no_stage_left
'

test_expect_success '--changes-fd lists every change, each deletion under a replaced directory included' '
    make_base &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end discard --changes-fd 3 --chdir "$here/base" \
        sh -c "rm -r d && mkdir d && touch d/new && echo more >>a && rm e/x && ln -s a newlink && chmod 600 keep/k" 3>changes &&
    cat >expect <<-EOF &&
	{"path":"$here/base/a","change":"modified","type":"file","size":9}
	{"path":"$here/base/d","change":"replaced","type":"dir","size":0}
	{"path":"$here/base/d/new","change":"added","type":"file","size":0}
	{"path":"$here/base/d/oldfile","change":"deleted","type":"file","size":4}
	{"path":"$here/base/d/sub","change":"deleted","type":"dir","size":0}
	{"path":"$here/base/d/sub/deeper","change":"deleted","type":"file","size":5}
	{"path":"$here/base/e/x","change":"deleted","type":"file","size":2}
	{"path":"$here/base/keep/k","change":"metadata","type":"file","size":2}
	{"path":"$here/base/newlink","change":"added","type":"symlink","size":1}
	EOF
	test_cmp expect changes && no_stage_left
'

# A JSON string holds UTF-8 only: a name in another encoding is given as
# its bytes in hex, as --print-plan gives one, and the line stays JSON.
test_expect_success '--changes-fd: a file name that is not UTF-8 is {"hex": ...}, and every line is JSON' '
    make_base &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end discard --changes-fd 3 --chdir "$here/base" \
        sh -c "touch \"\$(printf \"bad\\377name\")\" ok" 3>changes &&
    hex=$(printf "%s/bad\377name" "$here/base" | od -An -tx1 | tr -d " \n") &&
    cat >expect <<-EOF &&
	{"path":{"hex":"$hex"},"change":"added","type":"file","size":0}
	{"path":"$here/base/ok","change":"added","type":"file","size":0}
	EOF
	test_cmp expect changes &&
    /usr/bin/python3 -c "import json, sys; [json.loads(l) for l in open(sys.argv[1], encoding=\"utf-8\")]" changes &&
    no_stage_left
'

test_expect_success 'a stage of a path that is not UTF-8 is kept, reviewed and committed (stage.json could not be written)' '
    bad="$here/bad$(printf "\377")dir" && rm -rf "$bad" && mkdir "$bad" && echo a >"$bad/f" &&
    "$BWRAPPER" $BOX --stage "$bad" --stage-end keep -- sh -c "echo b >\"\$0/f\"" "$bad" 2>err &&
    stage=$(the_stage) && grep -q "staged in $stage " err &&
    "$BWRAPPER" --diff "$stage" >diff && grep -x "+b" diff &&
    "$BWRAPPER" --commit "$stage" && echo b >expect && test_cmp expect "$bad/f" && no_stage_left
'

test_expect_success 'a file opened for writing but left as it was is no change' '
    make_base &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end keep --changes-fd 3 --chdir "$here/base" sh -c ": >>a" 3>changes 2>err &&
    test_must_be_empty changes && no_stage_left
'

test_expect_success 'commit = --rw: add' 'same_as_rw "echo new >new && mkdir -p n/m && echo z >n/m/z && mkdir empty"'
test_expect_success 'commit = --rw: modify' 'same_as_rw "echo more >>a && printf changed >text"'
test_expect_success 'commit = --rw: delete' 'same_as_rw "rm a e/x && rm -r d"'
test_expect_success 'commit = --rw: rm -r d; mkdir d; touch d/new' 'same_as_rw "rm -r d && mkdir d && touch d/new"'
test_expect_success 'commit = --rw: a file replaced by a directory and back' 'same_as_rw "rm a && mkdir a && echo in >a/in && rm -r e && echo file >e"'
test_expect_success 'commit = --rw: rename' 'same_as_rw "mv a b && mv d dd && mv e/x e/y"'
test_expect_success 'commit = --rw: chmod' 'same_as_rw "chmod 600 text && chmod 700 keep && chmod 751 ."'
test_expect_success 'commit = --rw: symlink' 'same_as_rw "ln -s nowhere dangling && rm link-to-a && ln -s text link-to-a"'
test_expect_success 'commit = --rw: hard links' 'same_as_rw "echo h >h1 && ln h1 h2 && ln h1 d/h3"'
test_expect_success 'commit = --rw: a new name for a host file' 'same_as_rw "ln a a-too && ln text d/text-too && echo more >>text"'
# overlayfs in a user namespace has no index: a copy-up breaks a host hard
# link, and the command sees the other name unchanged; so does the commit.
test_expect_success 'a host file with two names, changed through one: committed as the command saw it' '
    make_base && ln base/a base/a2 &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end commit --chdir "$here/base" sh -c "echo more >>a; cat a2" >out &&
    echo one >expect && test_cmp expect out && test_cmp expect base/a2 &&
    printf "one\nmore\n" >expect && test_cmp expect base/a &&
    test "$(stat -c %h base/a)" = 1 && test "$(stat -c %h base/a2)" = 1
'
test_expect_success 'commit = --rw: names with spaces, dots and a newline' 'same_as_rw "echo x >\"sp ace\" && echo y >a..b && echo z >\"\$(printf \"new\\nline\")\" && rm -r d && mkdir \"d d\""'
test_expect_success 'commit = --rw: a fifo' 'same_as_rw "mkfifo fifo"'

test_expect_success 'commit = --rw: a 1 GB sparse file keeps its holes' '
    same_as_rw "truncate -s 1G sparse && printf data | dd of=sparse bs=1 seek=500000000 conv=notrunc 2>/dev/null" &&
    test "$(stat -c %s staged/sparse)" = 1073741824 &&
    test "$(stat -c %b staged/sparse)" -lt 1024
'

test_expect_success 'commit = --rw: 10,000 small files' '
    same_as_rw "mkdir many && cd many && /usr/bin/python3 -c \"
for i in range(10000):
    open(\\\"f%d\\\" % i, \\\"w\\\").write(str(i))\"" &&
    test "$(ls staged/many | wc -l)" = 10000
'

test_expect_success 'discard leaves PATH byte-identical, times and inodes included' '
    make_base &&
    (cd base && find . -printf "%p %i %m %s %T@ %C@\n" | sort) >before &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end discard --chdir "$here/base" \
        sh -c "rm -r d && echo x >a && mkdir new && chmod 700 keep" &&
    (cd base && find . -printf "%p %i %m %s %T@ %C@\n" | sort) >after &&
    test_cmp before after && no_stage_left
'

test_expect_success 'keep, then --diff shows a unified diff and --commit applies the stage' '
    make_base && rm -rf rw && cp -a base rw &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end keep --chdir "$here/base" sh -c "printf \"line1\nline two\n\" >text" 2>err &&
    stage=$(the_stage) &&
    "$BWRAPPER" --diff "$stage" >diff &&
    cat >expect <<-\EOF &&
	--- a/text
	+++ b/text
	@@ -1,2 +1,2 @@
	 line1
	-line2
	+line two
	EOF
	test_cmp expect diff &&
	"$BWRAPPER" --commit "$stage" && no_stage_left &&
	printf "line1\nline two\n" >expect && test_cmp expect base/text
'

test_expect_success '--discard DIR removes a kept stage and changes nothing' '
    make_base && tree_of base >before &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end keep --chdir "$here/base" sh -c "echo y >a" 2>err &&
    "$BWRAPPER" --discard "$(the_stage)" && no_stage_left &&
    tree_of base >after && test_cmp before after
'

test_expect_success 'a path changed on the host since the run began: the commit refuses, names it, changes nothing' '
    make_base &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end keep --chdir "$here/base" \
        sh -c "echo sandbox >a && echo sandbox >fresh && rm e/x" 2>err &&
    stage=$(the_stage) &&
    echo editor >base/a && echo editor >base/fresh &&
    tree_of base >before &&
    test_must_fail "$BWRAPPER" --commit "$stage" 2>err &&
    grep -q "^bwrapper: --commit $stage: refused, nothing changed: 2 paths changed on the host since the run began: $here/base/a, $here/base/fresh$" err &&
    tree_of base >after && test_cmp before after &&
    test -d "$stage" && "$BWRAPPER" --discard "$stage" && no_stage_left
'

test_expect_success 'a host change during the run is a conflict too' '
    make_base &&
    test_must_fail "$BWRAPPER" $BOX --bind "$here/base" /elsewhere --stage "$here/base" --stage-end commit \
        --chdir "$here/base" sh -c "echo sandbox >a && echo host >/elsewhere/a" 2>err &&
    grep -q "refused, nothing changed: 1 path changed on the host since the run began: $here/base/a$" err &&
    echo host >expect && test_cmp expect base/a &&
    "$BWRAPPER" --discard "$(the_stage)" && no_stage_left
'

# The steps of a commit are counted by a test-only hook (each new content,
# the journal, each operation): kill -9 after each number of steps, then
# --commit DIR again must give the full result.
test_expect_success 'a commit killed at any step is finished by --commit DIR' '
    cmd="rm -r d && mkdir d && touch d/new && echo more >>a && rm e/x && mv text moved && ln -s a l2 && mkdir -p n/m && echo z >n/m/z && chmod 700 keep" &&
    make_base && rm -rf rw && cp -a base rw &&
    "$BWRAPPER" $BOX --rw "$here/rw" --chdir "$here/rw" sh -c "$cmd" &&
    tree_of rw >expect &&
    n=0 && killed=0 &&
    while :; do
        make_base &&
        "$BWRAPPER" $BOX --stage "$here/base" --stage-end keep --chdir "$here/base" sh -c "$cmd" 2>err &&
        stage=$(the_stage) &&
        { BWRAPPER_TEST_COMMIT_KILL_AFTER=$n "$BWRAPPER" --commit "$stage"; st=$?; } &&
        if test $st = 0; then break; fi &&
        test $st = 137 && killed=$((killed + 1)) &&
        "$BWRAPPER" --commit "$stage" &&
        tree_of base >actual && test_cmp expect actual && no_stage_left || return 1
        n=$((n + 1))
    done &&
    test $killed -ge 15
'

test_expect_success 'a commit killed before its journal can still be discarded, leaving PATH as it was' '
    make_base && tree_of base >before &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end keep --chdir "$here/base" sh -c "echo x >new1 && echo y >new2" 2>err &&
    stage=$(the_stage) &&
    test_expect_code 137 env BWRAPPER_TEST_COMMIT_KILL_AFTER=1 "$BWRAPPER" --commit "$stage" &&
    "$BWRAPPER" --discard "$stage" && no_stage_left &&
    tree_of base >after && test_cmp before after
'

test_expect_success 'a commit killed after its journal cannot be discarded, only finished' '
    make_base &&
    "$BWRAPPER" $BOX --stage "$here/base" --stage-end keep --chdir "$here/base" sh -c "echo x >new1" 2>err &&
    stage=$(the_stage) &&
    test_expect_code 137 env BWRAPPER_TEST_COMMIT_KILL_AFTER=2 "$BWRAPPER" --commit "$stage" &&
    test_must_fail "$BWRAPPER" --discard "$stage" 2>err && grep -q "a commit of it is under way" err &&
    "$BWRAPPER" --commit "$stage" && no_stage_left && echo x >expect && test_cmp expect base/new1
'

test_expect_success '--profile agent with --stage instead of --rw' '
    make_base &&
    "$BWRAPPER" --profile agent --stage "$here/base" --stage-end commit --chdir "$here/base" sh -c "echo agent >a" &&
    echo agent >expect && test_cmp expect base/a && no_stage_left
'

test_expect_success 'a stage directory that is not private is refused' '
    mkdir -m 755 notastage &&
    test_must_fail "$BWRAPPER" --commit notastage 2>err && grep -q "not a private stage directory" err &&
    chmod 700 notastage &&
    test_must_fail "$BWRAPPER" --commit notastage 2>err && grep -q "not a stage directory" err
'

test_expect_success DRIVE 'ask on a terminal: the list is shown and "c" commits' '
    make_base &&
    drive -e "[c]ommit" -s "c\n" -- "$BWRAPPER" $BOX --stage "$here/base" --chdir "$here/base" sh -c "echo asked >a" &&
    status_is 0 && grep -q "modified  *$here/base/a" out &&
    echo asked >expect && test_cmp expect base/a && no_stage_left
'

test_expect_success DRIVE 'ask on a terminal: "d" discards' '
    make_base &&
    drive -e "[c]ommit" -s "d\n" -- "$BWRAPPER" $BOX --stage "$here/base" --chdir "$here/base" sh -c "echo asked >a" &&
    status_is 0 && echo one >expect && test_cmp expect base/a && no_stage_left
'

test_expect_success 'the command'"'"'s exit status passes through' '
    make_base &&
    test_expect_code 3 "$BWRAPPER" $BOX --stage "$here/base" --stage-end discard --chdir "$here/base" sh -c "echo q >q; exit 3"
'

test_done

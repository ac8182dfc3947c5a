#!/bin/sh
test_description='the parser: each option lands in the plan with bwrap'"'"'s meaning (--print-plan)'
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# plan ARGS...: bwrapper's plan for ARGS, as JSON, into plan.json.
plan() {
    "$BWRAPPER" --print-plan "$@" >plan.json
}

# steps: one line per step of plan.json, in plan order: the kind, the fields
# that are present (src, work, dest, fd, perms, size, layers), then the flags
# that are set.  "readonly" is shown only where it is a choice the option
# makes (binds, bind-data, overlays), not for --remount-ro whose kind says it.
steps() {
    "$PY" - <<'EOF'
import json
p = json.load(open("plan.json"))
for s in p["steps"]:
    out = [s["kind"]]
    for k in ("src", "work", "dest", "fd"):
        if k in s:
            out.append("%s=%s" % (k, s[k]))
    if "perms" in s:
        out.append("perms=%04o" % int(s["perms"], 8))
    if "size" in s:
        out.append("size=%d" % s["size"])
    if "layers" in s:
        out.append("layers=" + ",".join(s["layers"]))
    if s.get("readonly") and s["kind"] in ("bind", "bind-data", "overlay"):
        out.append("readonly")
    for flag in ("devices", "try", "tmp"):
        if s.get(flag):
            out.append(flag)
    print(" ".join(out))
EOF
}

# pq EXPR: evaluate a Python expression over the plan p; strings are printed
# as they are, anything else as compact JSON with sorted keys.
pq() {
    "$PY" -c '
import json, sys
p = json.load(open("plan.json"))
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$1"
}

# nul_words WORD...: the words, each ended by a NUL, as --args reads them.
nul_words() {
    printf '%s\0' "$@"
}

# ---- bind-like options: kind, source, destination and flags ----

test_expect_success '--bind is a read-write bind without devices' '
    plan --bind /srv/a /a true &&
    echo "bind src=/srv/a dest=/a" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--bind-try is --bind that tolerates a missing source' '
    plan --bind-try /srv/a /a true &&
    echo "bind src=/srv/a dest=/a try" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--dev-bind keeps device nodes usable' '
    plan --dev-bind /dev /dev true &&
    echo "bind src=/dev dest=/dev devices" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--dev-bind-try is --dev-bind that tolerates a missing source' '
    plan --dev-bind-try /dev/x /x true &&
    echo "bind src=/dev/x dest=/x devices try" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--ro-bind is a read-only bind' '
    plan --ro-bind /usr /usr true &&
    echo "bind src=/usr dest=/usr readonly" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--ro-bind-try is --ro-bind that tolerates a missing source' '
    plan --ro-bind-try /opt /opt true &&
    echo "bind src=/opt dest=/opt readonly try" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--bind-fd and --ro-bind-fd bind an fd, read-write and read-only' '
    plan --bind-fd 5 /rw --ro-bind-fd 6 /ro true &&
    cat >expect <<-\EOF &&
	bind dest=/rw fd=5
	bind dest=/ro fd=6 readonly
	EOF
    steps >actual &&
    test_cmp expect actual
'

test_expect_success 'destination-only options: --remount-ro --proc --dev --tmpfs --mqueue --dir' '
    plan --remount-ro /r --proc /proc --dev /dev --tmpfs /tmp --mqueue /dev/mqueue --dir /d true &&
    cat >expect <<-\EOF &&
	remount-ro dest=/r
	proc dest=/proc
	dev dest=/dev
	tmpfs dest=/tmp
	mqueue dest=/dev/mqueue
	dir dest=/d
	EOF
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--file, --bind-data, --ro-bind-data take FD then DEST' '
    plan --file 3 /f --bind-data 4 /b --ro-bind-data 5 /r true &&
    cat >expect <<-\EOF &&
	file dest=/f fd=3
	bind-data dest=/b fd=4
	bind-data dest=/r fd=5 readonly
	EOF
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--symlink TARGET DEST: the first argument is the link target' '
    plan --symlink usr/lib /lib true &&
    echo "symlink src=usr/lib dest=/lib" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--chmod OCTAL PATH records the mode for PATH' '
    plan --chmod 1750 /srv true &&
    echo "chmod dest=/srv perms=1750" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--overlay-src layers then --overlay RWSRC WORKDIR DEST, first source at the bottom' '
    plan --overlay-src /low --overlay-src /mid --overlay /up /work /dest true &&
    echo "overlay src=/up work=/work dest=/dest layers=/low,/mid" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--tmp-overlay uses a private upper layer and only the sources since the last overlay' '
    plan --overlay-src /a --tmp-overlay /x --overlay-src /b --overlay-src /c --tmp-overlay /y true &&
    cat >expect <<-\EOF &&
	overlay dest=/x layers=/a tmp
	overlay dest=/y layers=/b,/c tmp
	EOF
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--ro-overlay is a read-only union of its sources' '
    plan --overlay-src /a --overlay-src /b --ro-overlay /u true &&
    echo "overlay dest=/u layers=/a,/b readonly" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success 'steps keep the order of the command line, whatever their kind' '
    plan --tmpfs /t --symlink a /s --ro-bind /usr /usr --dir /d --proc /proc \
         --bind /srv /srv --chmod 0700 /d --file 3 /f --remount-ro /srv --dev /dev true &&
    printf "%s\n" tmpfs symlink bind dir proc bind chmod file remount-ro dev >expect &&
    pq "\"\\n\".join(s[\"kind\"] for s in p[\"steps\"])" >actual &&
    test_cmp expect actual &&
    printf "%s\n" /t /s /usr /d /proc /srv /d /f /srv /dev >expect &&
    pq "\"\\n\".join(s[\"dest\"] for s in p[\"steps\"])" >actual &&
    test_cmp expect actual
'

# ---- --perms and --size bind to the next option only ----

test_expect_success '--perms applies to the next --dir only' '
    plan --perms 0700 --dir /a --dir /b true &&
    test "$(pq "int(p[\"steps\"][0][\"perms\"], 8) == 0o700")" = true &&
    # the second --dir has bwrap'"'"'s default (0755), explicit or implied
    test "$(pq "int(p[\"steps\"][1].get(\"perms\", \"0755\"), 8) == 0o755")" = true
'

test_expect_success '--perms applies to --tmpfs, --file, --bind-data and --ro-bind-data' '
    plan --perms 1777 --tmpfs /t --perms 0640 --file 3 /f \
         --perms 0604 --bind-data 4 /b --perms 0444 --ro-bind-data 5 /r true &&
    cat >expect <<-\EOF &&
	tmpfs dest=/t perms=1777
	file dest=/f fd=3 perms=0640
	bind-data dest=/b fd=4 perms=0604
	bind-data dest=/r fd=5 perms=0444 readonly
	EOF
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--size applies to the next --tmpfs only' '
    plan --size 1048576 --tmpfs /a --tmpfs /b true &&
    cat >expect <<-\EOF &&
	tmpfs dest=/a size=1048576
	tmpfs dest=/b
	EOF
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--perms and --size both reach the same --tmpfs, in either order' '
    plan --perms 0700 --size 8192 --tmpfs /a --size 4096 --perms 0750 --tmpfs /b true &&
    cat >expect <<-\EOF &&
	tmpfs dest=/a perms=0700 size=8192
	tmpfs dest=/b perms=0750 size=4096
	EOF
    steps >actual &&
    test_cmp expect actual
'

# ---- namespaces ----

test_expect_success '--unshare-all asks for user-try, ipc, pid, net, uts and cgroup-try' '
    plan --unshare-all true &&
    echo "[\"cgroup-try\", \"ipc\", \"net\", \"pid\", \"user-try\", \"uts\"]" >expect &&
    pq "sorted(p[\"namespaces\"])" >actual &&
    test_cmp expect actual
'

test_expect_success '--share-net after --unshare-all keeps the host network, nothing else' '
    plan --unshare-all --share-net true &&
    echo "[\"cgroup-try\", \"ipc\", \"pid\", \"user-try\", \"uts\"]" >expect &&
    pq "sorted(p[\"namespaces\"])" >actual &&
    test_cmp expect actual
'

test_expect_success '--share-net before --unshare-all is overridden by it (options apply in order)' '
    plan --share-net --unshare-all true &&
    test "$(pq "\"net\" in p[\"namespaces\"]")" = true
'

test_expect_success 'each --unshare-* option asks for its own namespace' '
    for pair in user:user user-try:user-try ipc:ipc pid:pid net:net uts:uts \
                cgroup:cgroup cgroup-try:cgroup-try
    do
        opt=${pair%%:*} ns=${pair#*:} &&
        plan --unshare-$opt true &&
        echo "[\"$ns\"]" >expect &&
        pq "p[\"namespaces\"]" >actual &&
        test_cmp expect actual || return 1
    done
'

# ---- environment and identity ----

test_expect_success '--setenv, --unsetenv and --clearenv are kept in command-line order' '
    plan --setenv A 1 --unsetenv B --clearenv --setenv C 2 --unsetenv A true &&
    cat >expect <<-\EOF &&
	set A=1
	unset B
	clear
	set C=2
	unset A
	EOF
    pq "\"\\n\".join(\"clear\" if e.get(\"clear\") else (\"set %s=%s\" % (e[\"set\"], e[\"value\"]) if \"set\" in e else \"unset \" + e[\"unset\"]) for e in p[\"env\"])" >actual &&
    test_cmp expect actual
'

test_expect_success '--setenv keeps its value verbatim: spaces, "=", empty' '
    plan --setenv A "x  y" --setenv B "k=v" --setenv C "" true &&
    echo "[[\"A\", \"x  y\"], [\"B\", \"k=v\"], [\"C\", \"\"]]" >expect &&
    pq "[[e[\"set\"], e[\"value\"]] for e in p[\"env\"]]" >actual &&
    test_cmp expect actual
'

test_expect_success BWRAP,SANDBOX 'the environment operations run in order, as in bwrap' '
    same_as_bwrap $ROOT_ARGS --setenv A 1 --setenv B 2 --clearenv --setenv C 3 \
        --setenv D 4 --unsetenv D sh -c "echo \"\${A-unset} \${B-unset} \${C-unset} \${D-unset}\""
'

test_expect_success '--uid, --gid, --hostname, --chdir and --argv0 are recorded' '
    plan --unshare-user --uid 1234 --gid 5678 --unshare-uts --hostname box \
         --chdir /work --argv0 name0 true &&
    echo "[1234, 5678, \"box\", \"/work\", \"name0\"]" >expect &&
    pq "[p[\"uid\"], p[\"gid\"], p[\"hostname\"], p[\"chdir\"], p[\"argv0\"]]" >actual &&
    test_cmp expect actual
'

test_expect_success 'a plain command line sets no identity, no namespace, no step' '
    plan true &&
    echo "[[], [], [], []]" >expect &&
    pq "[p[\"namespaces\"], p[\"steps\"], p[\"env\"], [k for k in (\"uid\", \"gid\", \"hostname\", \"chdir\", \"argv0\", \"caps\") if k in p]]" >actual &&
    test_cmp expect actual
'

# ---- capabilities ----

test_expect_success '--cap-add/--cap-drop take CAP_ names in any case, and bare names' '
    plan --cap-add CAP_NET_ADMIN --cap-add cap_sys_chroot --cap-add net_raw \
         --cap-drop CAP_SYS_ADMIN --cap-drop mknod true &&
    echo "[[\"CAP_NET_ADMIN\", \"CAP_NET_RAW\", \"CAP_SYS_CHROOT\"], [\"CAP_MKNOD\", \"CAP_SYS_ADMIN\"]]" >expect &&
    pq "[sorted(c.upper() for c in p[\"caps\"][\"add\"]), sorted(c.upper() for c in p[\"caps\"][\"drop\"])]" >actual &&
    test_cmp expect actual
'

test_expect_success '--cap-add ALL then --cap-drop one: that one is not added' '
    plan --cap-add ALL --cap-drop CAP_SYS_ADMIN true &&
    echo "[false, true, true, true]" >expect &&
    pq "[\"CAP_SYS_ADMIN\" in [c.upper() for c in p[\"caps\"][\"add\"]], \"CAP_SYS_ADMIN\" in [c.upper() for c in p[\"caps\"][\"drop\"]], all(c in [x.upper() for x in p[\"caps\"][\"add\"]] for c in (\"CAP_CHOWN\", \"CAP_NET_ADMIN\", \"CAP_SETFCAP\", \"CAP_SYS_CHROOT\")), len(p[\"caps\"][\"add\"]) >= 37]" >actual &&
    test_cmp expect actual
'

test_expect_success '--cap-drop ALL then --cap-add one keeps exactly that one' '
    plan --cap-drop ALL --cap-add CAP_CHOWN true &&
    echo "[\"CAP_CHOWN\"]" >expect &&
    pq "[c.upper() for c in p[\"caps\"][\"add\"]]" >actual &&
    test_cmp expect actual &&
    test "$(pq "\"CAP_CHOWN\" in [c.upper() for c in p[\"caps\"][\"drop\"]]")" = false
'

# ---- lock files, fds, flags ----

test_expect_success '--lock-file is repeatable and kept in order' '
    plan --lock-file /b --lock-file /a --lock-file /c true &&
    echo "[\"/b\", \"/a\", \"/c\"]" >expect &&
    pq "p[\"lock-files\"]" >actual &&
    test_cmp expect actual
'

test_expect_success 'fd options record their fd numbers' '
    plan --sync-fd 11 --block-fd 12 --info-fd 13 --json-status-fd 14 \
         --unshare-user --userns-block-fd 15 true &&
    echo "[11, 12, 13, 14, 15]" >expect &&
    pq "[p[k] for k in (\"sync-fd\", \"block-fd\", \"info-fd\", \"json-status-fd\", \"userns-block-fd\")]" >actual &&
    test_cmp expect actual
'

test_expect_success '--add-seccomp-fd is repeatable, in order; --seccomp gives one fd' '
    plan --add-seccomp-fd 21 --add-seccomp-fd 20 true &&
    echo "[21, 20]" >expect &&
    pq "p[\"seccomp-fds\"]" >actual &&
    test_cmp expect actual &&
    plan --seccomp 22 true &&
    echo "[22]" >expect &&
    pq "p[\"seccomp-fds\"]" >actual &&
    test_cmp expect actual
'

test_expect_success '--new-session, --die-with-parent, --as-pid-1, --level-prefix set their flags' '
    plan true &&
    echo "[false, false, false, false]" >expect &&
    pq "[p[k] for k in (\"new-session\", \"die-with-parent\", \"as-pid-1\", \"level-prefix\")]" >actual &&
    test_cmp expect actual &&
    plan --new-session --die-with-parent --unshare-pid --as-pid-1 --level-prefix true &&
    echo "[true, true, true, true]" >expect &&
    pq "[p[k] for k in (\"new-session\", \"die-with-parent\", \"as-pid-1\", \"level-prefix\")]" >actual &&
    test_cmp expect actual
'

# ---- where the command starts ----

test_expect_success '"--" ends the options: what follows is the command, even if it looks like one' '
    plan --dir /d -- --bind /a /b &&
    echo "[\"--bind\", \"/a\", \"/b\"]" >expect &&
    pq "p[\"command\"]" >actual &&
    test_cmp expect actual &&
    echo "dir dest=/d" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success 'the first non-option word starts the command; later options are its arguments' '
    plan --dir /d echo --tmpfs /t -- x &&
    echo "[\"echo\", \"--tmpfs\", \"/t\", \"--\", \"x\"]" >expect &&
    pq "p[\"command\"]" >actual &&
    test_cmp expect actual &&
    test "$(pq "len(p[\"steps\"])")" = 1
'

test_expect_success '--print-plan needs no command and exits 0' '
    "$BWRAPPER" --print-plan --tmpfs /t >plan.json &&
    echo "[]" >expect &&
    pq "p[\"command\"]" >actual &&
    test_cmp expect actual
'

# ---- --args FD ----

test_expect_success '--args words are parsed in place, between the options around it' '
    nul_words --setenv A "x y" --dir /from-file >args &&
    plan --tmpfs /before --args 3 --dir /after cmd arg 3<args &&
    cat >expect <<-\EOF &&
	tmpfs dest=/before
	dir dest=/from-file
	dir dest=/after
	EOF
    steps >actual &&
    test_cmp expect actual &&
    echo "[[\"A\", \"x y\"], [\"cmd\", \"arg\"]]" >expect &&
    pq "[[p[\"env\"][0][\"set\"], p[\"env\"][0][\"value\"]], p[\"command\"]]" >actual &&
    test_cmp expect actual
'

test_expect_success '--args: an empty word is a word; the last word needs no final NUL' '
    printf "%s\0%s\0\0%s\0%s" --setenv E --dir /last >args &&
    plan --args 3 true 3<args &&
    echo "dir dest=/last" >expect &&
    steps >actual &&
    test_cmp expect actual &&
    echo "[\"E\", \"\"]" >expect &&
    pq "[p[\"env\"][0][\"set\"], p[\"env\"][0][\"value\"]]" >actual &&
    test_cmp expect actual
'

test_expect_success '--args can be given twice, each fd read in turn' '
    nul_words --dir /one >args1 &&
    nul_words --dir /two >args2 &&
    plan --args 3 --dir /mid --args 4 true 3<args1 4<args2 &&
    printf "dir dest=%s\n" /one /mid /two >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success '--perms before --args applies to the first option read from it (as bwrap)' '
    nul_words --dir /x >args &&
    plan --perms 0700 --args 3 true 3<args &&
    echo "dir dest=/x perms=0700" >expect &&
    steps >actual &&
    test_cmp expect actual
'

test_expect_success BWRAP,SANDBOX 'a --perms before --args reaches the --dir in the file, same as bwrap' '
    nul_words --dir /x >args &&
    # each run gets its own open file: a shared one would be at EOF for the second
    "$BWRAP" $ROOT_ARGS --perms 0700 --args 3 stat -c %a /x 3<args >expect &&
    "$BWRAPPER" $ROOT_ARGS --perms 0700 --args 3 stat -c %a /x 3<args >actual &&
    echo 700 >want && test_cmp want expect && test_cmp expect actual
'

test_expect_success BWRAP,SANDBOX 'the --args fd is closed before the command runs, other fds stay (as bwrap)' '
    nul_words --dir /x >args &&
    same_as_bwrap $ROOT_ARGS --unshare-pid --proc /proc --args 3 \
        sh -c "for fd in 3 4; do test -e /proc/self/fd/\$fd && echo \$fd open || echo \$fd closed; done" \
        3<args 4<args &&
    printf "3 closed\n4 open\nexit 0\n" >expect &&
    test_cmp expect actual.out
'

# ---- --print-plan does nothing ----

test_expect_success SANDBOX 'without --print-plan, this command line creates files on the host (sanity check)' '
    here=$(pwd) &&
    mkdir real &&
    echo data >data &&
    "$BWRAPPER" --ro-bind / / --bind "$here/real" "$here/real" --dir "$here/real/d" \
        --file 3 "$here/real/f" --tmpfs "$here/real/t" true 3<data &&
    test -d real/d && test -f real/f && test -d real/t
'

test_expect_success '--print-plan shows text that is not UTF-8 as {"hex": ...}, never drops it' '
    ff=$(printf "\377") &&
    plan --setenv "V$ff" "x$ff" --hostname "h$ff" --chdir "/c$ff" --lock-file "/l$ff" \
         --bind "/s$ff" "/d$ff" -- "$ff" x "a${ff}b" &&
    "$PY" -c "
import json
p = json.load(open(\"plan.json\", encoding=\"utf-8\"))
h = lambda b: {\"hex\": b.hex()}
assert p[\"command\"] == [h(b\"\\xff\"), \"x\", h(b\"a\\xffb\")], p[\"command\"]
assert p[\"env\"] == [{\"set\": h(b\"V\\xff\"), \"value\": h(b\"x\\xff\")}], p[\"env\"]
assert p[\"hostname\"] == h(b\"h\\xff\") and p[\"chdir\"] == h(b\"/c\\xff\"), p
assert p[\"lock-files\"] == [h(b\"/l\\xff\")], p[\"lock-files\"]
s = p[\"steps\"][0]
assert (s[\"src\"], s[\"dest\"], s[\"option\"]) == (h(b\"/s\\xff\"), h(b\"/d\\xff\"), h(b\"--bind /s\\xff /d\\xff\")), s
"
'

test_expect_success '--print-plan keeps UTF-8 text as it is, escapes included' '
    plan -- "é" "{\"hex\": \"ff\"}" &&
    pq "p[\"command\"]" >actual &&
    echo "[\"\\u00e9\", \"{\\\"hex\\\": \\\"ff\\\"}\"]" >expect &&
    test_cmp expect actual
'

test_expect_success '--print-plan creates no destination and runs no command' '
    here=$(pwd) &&
    mkdir plan-only &&
    echo data >data &&
    "$BWRAPPER" --print-plan --ro-bind / / --bind "$here/plan-only" "$here/plan-only" \
        --dir "$here/plan-only/d" --file 3 "$here/plan-only/f" --tmpfs "$here/plan-only/t" \
        --symlink x "$here/plan-only/l" --lock-file "$here/plan-only/lock" \
        touch "$here/plan-only/ran" 3<data >plan.json &&
    ls -A plan-only >actual &&
    test_must_be_empty actual
'

test_expect_success '--print-plan reads none of the fds it is given (except --args)' '
    printf "0123456789abcdef" >data &&
    {
        "$BWRAPPER" --print-plan --file 3 /f --bind-data 3 /b --ro-bind-data 3 /r \
            --seccomp 3 --block-fd 3 --sync-fd 3 --info-fd 3 true 3<&0 >plan.json &&
        cat >after
    } <data &&
    test_cmp data after
'

test_expect_success '--print-plan accepts fds that are not open: it only records them' '
    plan --file 97 /f --bind-fd 98 /b --add-seccomp-fd 99 --userns 96 true &&
    echo "[97, 98, [99], 96]" >expect &&
    pq "[p[\"steps\"][0][\"fd\"], p[\"steps\"][1][\"fd\"], p[\"seccomp-fds\"], p[\"userns-fd\"]]" >actual &&
    test_cmp expect actual
'

test_done

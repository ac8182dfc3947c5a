#!/bin/sh
test_description='--pty through OCI runtimes: process.terminal, --console-socket and the relay'
. "$(dirname "$0")/lib.sh"

schema_dir=/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema
[ -f "$schema_dir/config-schema.json" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null &&
    test_set_prereq SCHEMA
oci_setup

BOX="$ROOT_ARGS --proc /proc --dev /dev"
export BOX
# runtimes start slower than the native sandbox: drive (lib.sh) waits longer
DRIVE_TIMEOUT=20
# A loop the command can be interrupted in; READY once its trap is set.
wait_loop='echo READY; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; echo no signal'

test_expect_success DRIVE,SCHEMA '--emit-oci --pty: process.terminal, and consoleSize from the caller'"'"'s terminal' '
    drive -z 33x101 -- "$BWRAPPER" --emit-oci b1 $BOX --pty true && status_is 0 &&
    /usr/bin/python3 -c "import json, sys; p = json.load(open(\"b1/config.json\"))[\"process\"]; \
        print(p[\"terminal\"], p[\"consoleSize\"])" >actual &&
    echo "True {'"'"'height'"'"': 33, '"'"'width'"'"': 101}" >expect && test_cmp expect actual &&
    /usr/bin/python3 -c "import json, jsonschema, sys; \
        jsonschema.validate(json.load(open(\"b1/config.json\")), json.load(open(\"$schema_dir/config-schema.json\")), \
        resolver=jsonschema.RefResolver(\"file://$schema_dir/\", None))"
'

test_expect_success '--emit-oci --pty without a terminal: no consoleSize; without --pty: no terminal' '
    "$BWRAPPER" --emit-oci b2 $BOX --pty true </dev/null >/dev/null 2>&1 &&
    "$BWRAPPER" --emit-oci b3 $BOX true &&
    /usr/bin/python3 -c "import json; a = json.load(open(\"b2/config.json\"))[\"process\"]; \
        b = json.load(open(\"b3/config.json\"))[\"process\"]; \
        print(a[\"terminal\"], \"consoleSize\" in a, b[\"terminal\"])" >actual &&
    echo "True False False" >expect && test_cmp expect actual
'

for rt in runc crun runsc; do
    RT=$(echo $rt | tr a-z A-Z)
    # gVisor's own devpts: tty(1) cannot name it (its statx is refused),
    # but the command is on a terminal all the same
    if [ $rt = runsc ]; then on_tty='test -t 0 && test -t 1 && test -t 2 && echo on a terminal'
    else on_tty='tty; test -t 0 && test -t 1 && test -t 2 && echo on a terminal'; fi

    test_expect_success DRIVE,$RT "$rt: the command is on the container's own pty" '
        drive -- "$BWRAPPER" --runtime $rt $BOX --pty sh -c "$on_tty" &&
        status_is 0 && grep -qx "on a terminal" out &&
        { test $rt = runsc || grep -qx "/dev/pts/0" out; } && nothing_left
    '

    test_expect_success DRIVE,$RT "$rt: stty size inside is the caller's, and follows a resize" '
        drive -z 33x101 -e READY -r 40x132 -e "size:" -- "$BWRAPPER" --runtime $rt $BOX --pty sh -c "
            stty size; trap \"echo size:\\\$(stty size); exit 0\" WINCH; $wait_loop" &&
        status_is 0 && grep -qx "33 101" out && grep -qx "size:40 132" out && nothing_left
    '

    test_expect_success DRIVE,$RT "$rt: an interactive shell answers typed input" '
        drive -e "PROMPT> " -s "echo \$((6 * 7))\n" -e 42 -e "PROMPT> " -s "exit 5\n" -- \
            "$BWRAPPER" --runtime $rt $BOX --unshare-all --new-session --pty \
            --setenv PS1 "PROMPT> " bash --norc --noprofile -i &&
        status_is 5 && grep -q "^42$" out && nothing_left
    '

    test_expect_success DRIVE,$RT "$rt: Ctrl-C interrupts the command inside, not bwrapper" '
        drive -e READY -s "\x03" -- "$BWRAPPER" --runtime $rt $BOX --pty sh -c "
            trap \"echo caught INT; exit 7\" INT; $wait_loop" &&
        status_is 7 && grep -q "caught INT" out && nothing_left
    '

    test_expect_success DRIVE,$RT "$rt: SIGTERM to bwrapper goes to the command; the terminal is restored" '
        drive -g -e READY -k 15 -- "$BWRAPPER" --runtime $rt $BOX --pty sh -c "
            trap \"echo caught TERM; exit 3\" TERM; $wait_loop" &&
        status_is 3 && grep -q "caught TERM" out && nothing_left
    '

    test_expect_success DRIVE,$RT "$rt: killed at --timeout (SIGKILL after an ignored SIGTERM): 124, terminal restored" '
        drive -g -- "$BWRAPPER" --runtime $rt $BOX --timeout 1 --pty sh -c "trap \"\" TERM; $wait_loop" &&
        status_is 124 && ! grep -q "no signal" out && nothing_left
    '

    test_expect_success DRIVE,$RT "$rt: all output arrives, and the exit status passes through" '
        drive -- "$BWRAPPER" --runtime $rt $BOX --pty sh -c "seq 1 20000; exit 42" &&
        status_is 42 && seq 1 20000 >expect && test_cmp expect out && nothing_left
    '

    test_expect_success $RT "$rt: stdin not a terminal: input is relayed, its end is the terminal's EOF" '
        printf "hello\nworld" | "$BWRAPPER" --runtime $rt $BOX --pty wc -c >out.raw &&
        tr -d "\r" <out.raw >out &&
        printf "hello\nworld11\n" >expect && test_cmp expect out && nothing_left
    '

    test_expect_success DRIVE,$RT "$rt: stty -g of the caller's terminal is the same before and after" '
        drive -- sh -c "stty -g; \"\$BWRAPPER\" --runtime $rt \$BOX --pty sh -c \"stty raw -echo; exit 3\";
            echo status \$?; stty -g" &&
        status_is 0 && grep -qx "status 3" out &&
        sed -n 1p out >before && sed -n "\$p" out >after && test_cmp before after && nothing_left
    '
done

# A command inside pushing a line into its terminal's input (TIOCSTI), and
# the caller's shell reading the next line after it: what the user typed.
cat >tiocsti.py <<\EOF
import fcntl, sys, termios
for c in sys.argv[1].encode():
    fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))
EOF
cat >caller.sh <<\EOF
"$BWRAPPER" --runtime "$1" $BOX --ro-bind "$PWD/tiocsti.py" /tiocsti.py --pty python3 /tiocsti.py "echo INJECTED
"
echo READY
read line
echo "read:$line"
EOF
for rt in runc crun; do
    RT=$(echo $rt | tr a-z A-Z)
    test_expect_success DRIVE,$RT "$rt: TIOCSTI from inside cannot inject into the caller's terminal" '
        drive -e READY -s "typed\n" -e "read:" -- sh caller.sh $rt &&
        status_is 0 && grep -q "^read:typed$" out && nothing_left
    '
done

test_done

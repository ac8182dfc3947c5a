#!/bin/sh
test_description='--allow-net: only the listed hosts, through the proxy, each connection reported'
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# The host's servers: an HTTP server on two loopback ports, the first to
# be listed, the second never (so a refusal there is the rule's, not an
# empty port).  /hello, /host (the Host header it was sent) and /big/N (N
# bytes of a fixed pattern).  A CONNECT through the proxy reaches the
# same server: the tunnel's far end.  The ports come on one line once
# both listen.
cat >server.py <<\EOF
import http.server, socketserver, sys, threading
BLOCK = bytes(range(256)) * 4096
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == "/hello": body = b"hello\n"
        elif self.path == "/host": body = (self.headers.get("Host", "") + "\n").encode()
        elif self.path.startswith("/big/"):
            n = int(self.path[5:])
            self.send_response(200); self.send_header("Content-Length", str(n)); self.end_headers()
            while n > 0:
                chunk = BLOCK[:n]; self.wfile.write(chunk); n -= len(chunk)
            return
        else: self.send_error(404); return
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128
servers = [S(("127.0.0.1", 0), H) for _ in range(2)]
for s in servers: threading.Thread(target=s.serve_forever, daemon=True).start()
print(*(s.server_address[1] for s in servers), flush=True)
threading.Event().wait(900)  # a backstop: the test stops it long before
EOF

# In the sandbox: talk to the proxy by hand, so that nothing (curl's or
# Python's NO_PROXY handling) chooses for the test.
cat >client.py <<\EOF
import hashlib, os, socket, sys, threading
PROXY = (os.environ.get("PROXY_ADDRESS", "127.0.0.1"), 3128)
def tunnel(host, port):
    s = socket.create_connection(PROXY)
    s.sendall(b"CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n" % ((host.encode(), port.encode()) * 2))
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        if not b: break
        head += b
    return s, head.split(b"\r\n")[0].decode()
def get(s, path):
    s.sendall(b"GET %s HTTP/1.0\r\n\r\n" % path.encode())
    data = b""
    while True:
        b = s.recv(1 << 20)
        if not b: break
        data += b
    return data.split(b"\r\n\r\n", 1)[1]
def raw(request):
    s = socket.create_connection(PROXY)
    s.sendall(request.encode().decode("unicode_escape").encode("latin1"))
    return s.recv(4096).split(b"\r\n")[0].decode()
mode = sys.argv[1]
if mode == "tunnel":
    s, status = tunnel(sys.argv[2], sys.argv[3])
    print(status)
    if " 200 " in status: sys.stdout.write(get(s, sys.argv[4]).decode())
elif mode == "raw":
    print(raw(sys.argv[2]))
elif mode == "parallel":
    n, ok, lock = int(sys.argv[2]), [], threading.Lock()
    opened = threading.Barrier(n)
    def one():
        s, status = tunnel(sys.argv[3], sys.argv[4])
        opened.wait(timeout=60)  # all n tunnels open at once
        body = get(s, "/hello")
        with lock: ok.append(status.split()[1] == "200" and body == b"hello\n")
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(sum(ok))
elif mode == "big":
    s, status = tunnel(sys.argv[2], sys.argv[3])
    h, total = hashlib.sha256(), 0
    s.sendall(b"GET /big/%s HTTP/1.0\r\n\r\n" % sys.argv[4].encode())
    buf = b""
    while b"\r\n\r\n" not in buf: buf += s.recv(65536)
    body = buf.split(b"\r\n\r\n", 1)[1]
    while True:
        h.update(body); total += len(body)
        body = s.recv(1 << 20)
        if not body: break
    print(total, h.hexdigest())
elif mode == "direct":
    try:
        socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
        print("connected")
    except OSError as e:
        print("refused" if isinstance(e, ConnectionRefusedError) else type(e).__name__, e.errno)
EOF

# report_has JQ-FILTER: some line of report.jsonl matches (jq -e).
report_has() {
    jq -e -s "map(select($1)) | length > 0" report.jsonl >/dev/null || {
        echo "no report line with $1:"; cat report.jsonl; return 1; }
}

# (The trash directory's name has a space: it is bound by its own word.)
here=$(pwd)
SB="$ROOT_ARGS --proc /proc --dev /dev"
# box ARGS...: bwrapper with the sandbox above, reports to report.jsonl.
box() {
    "$BWRAPPER" $SB --ro-bind "$here" /t --report-fd 3 "$@" 3>report.jsonl
}

# Names resolve on the host: a private /etc/hosts for bwrapper (bwrap
# binds it over the host's, in a mount namespace of bwrapper's own).
cat >hosts <<\EOF
127.0.0.1 localhost
127.0.0.1 api.test
127.0.0.1 a.wild.test
169.254.169.254 metadata.wild.test
10.1.2.3 private.wild.test
EOF
chmod 644 hosts
# box_hosts ARGS...: box, with the names above.
box_hosts() {
    "$BWRAP" --dev-bind / / --ro-bind "$here/hosts" /etc/hosts -- \
        "$BWRAPPER" $SB --ro-bind "$here" /t --report-fd 3 "$@" 3>report.jsonl
}
"$BWRAP" --dev-bind / / --ro-bind "$here/hosts" /etc/hosts -- "$BWRAPPER" --ro-bind / / true 2>/dev/null &&
    test_set_prereq HOSTS

test_expect_success SANDBOX 'start the host servers' '
    mkfifo ports &&
    { "$PY" server.py >ports 2>server.err </dev/null 3>&- 4>&- & } &&
    echo $! >server.pid &&
    read PORT PORT2 <ports &&
    test -n "$PORT2" &&
    echo "$PORT $PORT2" >ports.txt
'
read PORT PORT2 <ports.txt 2>/dev/null

test_expect_success '--print-plan: the rules, a network namespace, the proxy variables last' '
    "$BWRAPPER" --clearenv --allow-net "Example.COM" --allow-net "*.pkg.dev:8443" --allow-net "[::1]:80" \
        --setenv HTTP_PROXY http://elsewhere --print-plan true >plan.json &&
    jq -e ".namespaces == [\"net\"]" plan.json &&
    jq -e ".\"allow-net\".allow[0] == {\"rule\":\"Example.COM\",\"host\":\"example.com\",\"wildcard\":false,\"address\":false,\"ports\":[443,80]}" plan.json &&
    jq -e ".\"allow-net\".allow[1] | .wildcard and .host == \"pkg.dev\" and .ports == [8443]" plan.json &&
    jq -e ".\"allow-net\".allow[2] | .address and .host == \"::1\"" plan.json &&
    jq -e "[.env[] | select(.set == \"HTTP_PROXY\")] | last | .value == \"http://127.0.0.1:3128\"" plan.json &&
    jq -e "[.env[] | select(.set == \"NO_PROXY\")] | last | .value == \"localhost,127.0.0.1,::1\"" plan.json
'

test_expect_success SANDBOX 'the command sees the proxy variables, after --clearenv and over --setenv' '
    box --allow-net api.test --setenv HTTPS_PROXY http://elsewhere --clearenv -- /usr/bin/env >env.out &&
    for v in HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
    do
        grep -x "$v=http://127.0.0.1:3128" env.out || return 1
    done &&
    grep -x "NO_PROXY=localhost,127.0.0.1,::1" env.out &&
    grep -x "no_proxy=localhost,127.0.0.1,::1" env.out
'

test_expect_success SANDBOX 'a listed address and port: CONNECT reaches it, reported at the end with its bytes' '
    box --allow-net 127.0.0.1:$PORT -- "$PY" /t/client.py tunnel 127.0.0.1 $PORT /hello >out &&
    printf "HTTP/1.1 200 Connection established\nhello\n" >expect &&
    test_cmp expect out &&
    test_line_count = 1 report.jsonl &&
    report_has ".kind == \"net\" and .host == \"127.0.0.1\" and .port == $PORT and .decision == \"allow\" and .rule == \"127.0.0.1:$PORT\" and .method == \"CONNECT\" and .received > 6 and .bytes == .sent + .received"
'

test_expect_success SANDBOX 'a listed address and port: a plain http:// request reaches it (curl through the proxy)' '
    box --allow-net 127.0.0.1:$PORT -- curl -sS --noproxy "" http://127.0.0.1:$PORT/hello >out &&
    echo hello >expect &&
    test_cmp expect out &&
    report_has ".decision == \"allow\" and .method == \"GET\" and .port == $PORT"
'

test_expect_success SANDBOX 'http://: the server gets the target'"'"'s Host, not the client'"'"'s' '
    box --allow-net 127.0.0.1:$PORT -- curl -sS --noproxy "" -H "Host: other.example" http://127.0.0.1:$PORT/host >out &&
    echo "127.0.0.1:$PORT" >expect &&
    test_cmp expect out
'

test_expect_success SANDBOX 'an unlisted port of a listed address is refused (403) and reported' '
    box --allow-net 127.0.0.1:$PORT -- "$PY" /t/client.py tunnel 127.0.0.1 $PORT2 /hello >out &&
    grep "^HTTP/1.1 403 " out &&
    test_line_count = 1 report.jsonl &&
    report_has ".decision == \"deny\" and .port == $PORT2 and .rule == null and (.reason | test(\"not in --allow-net\"))"
'

test_expect_success SANDBOX 'an unlisted name for a listed address (localhost for 127.0.0.1) is refused' '
    box --allow-net 127.0.0.1:$PORT -- "$PY" /t/client.py tunnel localhost $PORT /hello >out &&
    grep "^HTTP/1.1 403 " out &&
    report_has ".decision == \"deny\" and .host == \"localhost\""
'

test_expect_success SANDBOX 'unlisted names and addresses, the metadata address among them, are refused' '
    box --allow-net 127.0.0.1:$PORT -- sh -c "
        \"$PY\" /t/client.py tunnel example.invalid 443 / &&
        \"$PY\" /t/client.py tunnel 169.254.169.254 80 / &&
        \"$PY\" /t/client.py tunnel 127.0.0.2 $PORT /" >out &&
    test $(grep -c "^HTTP/1.1 403 " out) = 3 &&
    test_line_count = 3 report.jsonl &&
    report_has ".host == \"example.invalid\" and .decision == \"deny\"" &&
    report_has ".host == \"169.254.169.254\" and .decision == \"deny\"" &&
    report_has ".host == \"127.0.0.2\" and .decision == \"deny\""
'

test_expect_success SANDBOX 'a connection around the proxy fails: the sandbox has only its loopback' '
    box --allow-net 127.0.0.1:$PORT -- sh -c "
        \"$PY\" /t/client.py direct 127.0.0.1 $PORT &&
        \"$PY\" /t/client.py direct 192.0.2.1 80" >out &&
    printf "refused 111\nOSError 101\n" >expect &&
    test_cmp expect out &&
    test_must_be_empty report.jsonl
'

# /proc/net/tcp and tcp6 lines of a listening socket on port 3128 (0C38),
# of the network namespace of whoever reads it.
listeners='cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk "\$4 == \"0A\" && \$2 ~ /:0C38\$/"'

test_expect_success SANDBOX 'nothing listens on the host: the proxy'"'"'s socket is the sandbox'"'"'s' '
    mkfifo to_box from_box &&
    { box --allow-net 127.0.0.1:$PORT -- sh -c "$listeners | wc -l; read x" <to_box >from_box & } &&
    pid=$! &&
    exec 8>to_box &&
    read inside <from_box &&
    test "$inside" = 1 &&
    eval "$listeners" >host.out &&
    echo >&8 && exec 8>&- &&
    wait $pid &&
    test_must_be_empty host.out
'

# IPv6 in a new network namespace: its loopback has ::1 once up.
"$BWRAPPER" --ro-bind / / --unshare-net cat /proc/net/if_inet6 2>/dev/null | grep -q "^0*1 .* lo\$" &&
    test_set_prereq IPV6

test_expect_success SANDBOX,IPV6 'the proxy answers at [::1]:3128 too (localhost as IPv6)' '
    box --allow-net 127.0.0.1:$PORT --setenv PROXY_ADDRESS ::1 -- \
        "$PY" /t/client.py tunnel 127.0.0.1 $PORT /hello >out &&
    printf "HTTP/1.1 200 Connection established\nhello\n" >expect &&
    test_cmp expect out &&
    report_has ".decision == \"allow\" and .port == $PORT"
'

test_expect_success SANDBOX 'malformed requests get 400 and a report line' '
    box --allow-net 127.0.0.1:$PORT -- sh -c "
        \"$PY\" /t/client.py raw \"GET /hello HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n\" &&
        \"$PY\" /t/client.py raw \"CONNECT 127.0.0.1 HTTP/1.1\\r\\n\\r\\n\" &&
        \"$PY\" /t/client.py raw \"GET http://user@127.0.0.1:$PORT/ HTTP/1.1\\r\\n\\r\\n\" &&
        \"$PY\" /t/client.py raw \"hello\\r\\n\\r\\n\"" >out &&
    test $(grep -c "^HTTP/1.1 400 " out) = 4 &&
    test_line_count = 4 report.jsonl
'

test_expect_success SANDBOX 'http://: a Host behind a bare CR or LF, a space before its colon or a fold is refused (400)' '
    box --allow-net 127.0.0.1:$PORT -- sh -c "
        \"$PY\" /t/client.py raw \"GET http://127.0.0.1:$PORT/host HTTP/1.1\\r\\nX: a\\nHost: other\\r\\n\\r\\n\" &&
        \"$PY\" /t/client.py raw \"GET http://127.0.0.1:$PORT/host HTTP/1.1\\r\\nX: a\\rHost: other\\r\\n\\r\\n\" &&
        \"$PY\" /t/client.py raw \"GET http://127.0.0.1:$PORT/host HTTP/1.1\\r\\nHost : other\\r\\n\\r\\n\" &&
        \"$PY\" /t/client.py raw \"GET http://127.0.0.1:$PORT/host HTTP/1.1\\r\\n Host: other\\r\\n\\r\\n\"" >out &&
    test $(grep -c "^HTTP/1.1 400 " out) = 4 &&
    report_has ".decision == \"deny\" and .reason == \"a CR or LF alone in the request\"" &&
    report_has ".decision == \"deny\" and .reason == \"malformed header lines\""
'

test_expect_success SANDBOX,HOSTS 'a listed name and port is reached (resolved on the host)' '
    box_hosts --allow-net api.test:$PORT -- "$PY" /t/client.py tunnel api.test $PORT /hello >out &&
    grep -x hello out &&
    report_has ".host == \"api.test\" and .decision == \"allow\" and .rule == \"api.test:$PORT\" and .address == \"127.0.0.1\""
'

test_expect_success SANDBOX,HOSTS 'a name matched by a wildcard is refused the loopback, private and metadata addresses' '
    box_hosts --allow-net "*.wild.test:$PORT" -- sh -c "
        \"$PY\" /t/client.py tunnel a.wild.test $PORT /hello &&
        \"$PY\" /t/client.py tunnel metadata.wild.test $PORT / &&
        \"$PY\" /t/client.py tunnel private.wild.test $PORT /" >out &&
    test $(grep -c "^HTTP/1.1 403 " out) = 3 &&
    report_has ".host == \"a.wild.test\" and .decision == \"deny\" and .rule == \"*.wild.test:$PORT\" and (.reason | test(\"loopback address 127.0.0.1\"))" &&
    report_has ".host == \"metadata.wild.test\" and (.reason | test(\"link-local address 169.254.169.254\"))" &&
    report_has ".host == \"private.wild.test\" and (.reason | test(\"private address 10.1.2.3\"))"
'

test_expect_success SANDBOX,HOSTS '...unless that address is listed by itself; a wildcard does not match its apex' '
    box_hosts --allow-net "*.wild.test:$PORT" --allow-net 127.0.0.1:$PORT -- sh -c "
        \"$PY\" /t/client.py tunnel a.wild.test $PORT /hello &&
        \"$PY\" /t/client.py tunnel wild.test $PORT /hello" >out &&
    grep -x hello out &&
    report_has ".host == \"a.wild.test\" and .decision == \"allow\"" &&
    report_has ".host == \"wild.test\" and .decision == \"deny\""
'

# A resolution that waits: /etc/resolv.conf and /etc/hosts are fifos.  The
# resolver's open() of the first waits for a helper (so the test knows the
# resolution has begun), and its open() of the second for ever, since
# nothing writes there.  Meanwhile a connection to a listed address must go
# through: the proxy resolves in a child, never in its own loop.  (timeout
# 60 only ends a run that would otherwise hang.)
test_expect_success SANDBOX,HOSTS 'a name still resolving does not hold the other connections' '
    mkfifo resolv.fifo hosts.fifo go &&
    { timeout 60 sh -c "exec 9>resolv.fifo && exec 9>&- && echo >go" & } &&
    helper=$! &&
    timeout 60 "$BWRAP" --die-with-parent --dev-bind / / --bind "$here/resolv.fifo" /etc/resolv.conf \
        --bind "$here/hosts.fifo" /etc/hosts -- \
        "$BWRAPPER" $SB --ro-bind "$here" /t --report-fd 3 \
        --allow-net "*.wild.test:$PORT" --allow-net 127.0.0.1:$PORT -- sh -c "
            \"$PY\" /t/client.py tunnel slow.wild.test $PORT / >/dev/null &
            read x </t/go &&
            \"$PY\" /t/client.py tunnel 127.0.0.1 $PORT /hello" 3>report.jsonl >out;
    wait $helper &&
    grep -x hello out &&
    jq -e -s ".[0].host == \"127.0.0.1\" and .[0].decision == \"allow\"" report.jsonl
'

test_expect_success SANDBOX '50 connections at once, each reported' '
    box --allow-net 127.0.0.1:$PORT -- "$PY" /t/client.py parallel 50 127.0.0.1 $PORT >out &&
    echo 50 >expect &&
    test_cmp expect out &&
    test $(jq -s "map(select(.decision == \"allow\" and .received > 0)) | length" report.jsonl) = 50
'

test_expect_success SANDBOX '100 MB through the proxy, byte for byte' '
    n=104857600 &&
    "$PY" -c "
import hashlib
block, n, h = bytes(range(256)) * 4096, $n, hashlib.sha256()
while n > 0: h.update(block[:n]); n -= len(block[:n])
print($n, h.hexdigest())" >expect &&
    box --allow-net 127.0.0.1:$PORT -- "$PY" /t/client.py big 127.0.0.1 $PORT $n >out &&
    test_cmp expect out &&
    report_has ".decision == \"allow\" and .received > $n"
'

test_expect_success SANDBOX 'the command cannot write to the report fd' '
    box --allow-net 127.0.0.1:$PORT -- sh -c "echo forged >&3" 2>err;
    test_must_be_empty report.jsonl
'

test_expect_success SANDBOX '--profile agent with --allow-net: tool caches in the private /tmp' '
    "$BWRAPPER" --profile agent --allow-net pypi.org -- sh -c \
        "echo \$XDG_CACHE_HOME \$PIP_CACHE_DIR \$npm_config_cache && mkdir -p \$PIP_CACHE_DIR \$npm_config_cache" >out &&
    echo "/tmp/.cache /tmp/.cache/pip /tmp/.cache/npm" >expect &&
    test_cmp expect out &&
    "$BWRAPPER" --profile agent --allow-net pypi.org --setenv PIP_CACHE_DIR /tmp/mine --print-plan true >plan.json &&
    jq -e "[.env[] | select(.set == \"PIP_CACHE_DIR\")] | map(.value) == [\"/tmp/mine\"]" plan.json
'

test_expect_success '--print-guarantees: net-allowlist instead of no-network' '
    "$BWRAPPER" --unshare-all --allow-net pypi.org --print-guarantees true >g.json &&
    jq -e ".guarantees[\"net-allowlist\"].kept" g.json &&
    jq -e ".guarantees | has(\"no-network\") | not" g.json &&
    "$BWRAPPER" --unshare-all --print-guarantees true >g.json &&
    jq -e ".guarantees | has(\"no-network\") and (has(\"net-allowlist\") | not)" g.json
'

# ---- bad input: a table, as t0110's ----
# Each line: the start of the one error line (after "bwrapper: "), "|",
# then the arguments.  Exit 1, that one line, and the command never ran.
cat >bad-input.table <<\TABLE
--allow-net : empty host name                              | --allow-net ""
--allow-net :443: empty host name                          | --allow-net :443
--allow-net a.com:: the port must be a number from 1 to 65535 | --allow-net a.com:
--allow-net a.com:0: the port must be a number              | --allow-net a.com:0
--allow-net a.com:65536: the port must be a number          | --allow-net a.com:65536
--allow-net a.com:+80: the port must be a number            | --allow-net a.com:+80
--allow-net a.com:0x50: the port must be a number           | --allow-net a.com:0x50
--allow-net *: a wildcard for every host is no allowlist    | --allow-net "*"
--allow-net *.: a wildcard for every host is no allowlist   | --allow-net "*."
--allow-net *:443: a wildcard for every host                | --allow-net "*:443"
--allow-net *.com: a wildcard over a whole top-level domain | --allow-net "*.com"
--allow-net a.*.com: '*' only as the whole first label      | --allow-net "a.*.com"
--allow-net *a.com: '*' only as the whole first label       | --allow-net "*a.com"
--allow-net *.1.2.3.4: a wildcard takes a domain name       | --allow-net "*.1.2.3.4"
--allow-net a..com: empty label in the host name            | --allow-net a..com
--allow-net a.com.: empty label in the host name            | --allow-net a.com.
--allow-net -a.com: a label of a host name cannot start or end with '-' | --allow-net -a.com
--allow-net a b: not a host name or IP address             | --allow-net "a b"
--allow-net 127.1: not a host name or IP address           | --allow-net 127.1
--allow-net 2130706433: not a host name or IP address      | --allow-net 2130706433
--allow-net ::1:x: an IPv6 address with a port goes in brackets | --allow-net ::1:x
--allow-net [::1: expected [IPv6-ADDRESS]:PORT             | --allow-net "[::1"
--allow-net [a.com]:80: not an IPv6 address in brackets    | --allow-net "[a.com]:80"
--allow-net a.com: not with --share-net                    | --unshare-all --share-net --allow-net a.com
--allow-net a.com: not with --share-net                    | --allow-net a.com --unshare-all --share-net
--allow-net a.com: not supported with --isolation landlock | --isolation landlock --allow-net a.com
--allow-net a.com: not supported with --runtime            | --runtime runc --allow-net a.com
--allow-net a.com: not supported with --emit-oci           | --emit-oci /nonexistent/b --allow-net a.com
--report-fd 1: reports --allow-net's connections, and no --allow-net is given | --report-fd 1
Invalid fd: 99 is not open (--report-fd 99)                 | --allow-net a.com --report-fd 99
TABLE

# A host directory the sandbox could write to: a command that ran would
# leave $markdir/ran.
markdir=$(mktemp -d "${TMPDIR:-/tmp}/bwrapper-t0860.XXXXXX") || error "cannot make a scratch directory"

test_expect_success 'bad --allow-net input: exit 1, one line naming it, nothing run (the table)' '
    test_when_finished "rm -rf \"$markdir\"" &&
    while IFS="|" read -r want args
    do
        want=$(echo "$want" | sed "s/ *\$//") &&
        eval "test_expect_code 1 \"\$BWRAPPER\" $ROOT_ARGS --bind $markdir $markdir $args touch $markdir/ran" 2>err &&
        test_line_count = 1 err &&
        case "$(cat err)" in
        "bwrapper: $want"*) ;;
        *) echo "expected \"bwrapper: $want...\", got: $(cat err)"; false ;;
        esac &&
        test ! -e $markdir/ran || { echo "failed: $want | $args"; return 1; }
    done <bad-input.table
'

test_expect_success SANDBOX 'stop the host servers' '
    kill $(cat server.pid)
'

test_done

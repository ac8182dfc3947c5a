#!/usr/bin/python3
"""make bench's proxy case: throughput through --allow-net's proxy against a
direct loopback transfer of the same bytes, and against the best a plain
user-space relay does on the same transfer (the yardstick).

Usage: bench_net.py ROUNDS MB [RELAY]   (BWRAPPER in the environment)
A host server on 127.0.0.1 sends MB MiB to each connection.  Each round
fetches them once directly, once through each of RELAY's ways (bench_relay.c,
outside any sandbox: "splice" and "copy"), and once from a sandbox
(--ro-bind / / --allow-net 127.0.0.1:PORT) through a CONNECT tunnel,
interleaved.  Every column's client is the same process (this script's
--fetch, started afresh), so each pays the same: the clock runs from the
first byte asked for (after the tunnel is open) to the end.  Prints each
column's median MiB/s and the median over rounds of its ratio to that
round's direct transfer, and whether the proxy's meets the goal (0.80).
       bench_net.py --fetch PORT [PROXY_PORT]   (the client: prints seconds)
"""
import os, socket, statistics, subprocess, sys, threading, time

GOAL = 0.80

def serve(listener, size):
    block = memoryview(bytes(1 << 20))
    while True:
        conn, _ = listener.accept()
        def send(c=conn):
            with c:
                for _ in range(size >> 20):
                    c.sendall(block)
        threading.Thread(target=send, daemon=True).start()

def fetch(port, proxy_port=None):
    s = socket.create_connection(("127.0.0.1", proxy_port or port))
    total = 0
    if proxy_port:
        s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n" % port)
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        if b" 200 " not in head.split(b"\r\n")[0]:
            sys.exit("bench_net: the proxy said " + head.split(b"\r\n")[0].decode())
        total = len(head.split(b"\r\n\r\n", 1)[1])
    buf = bytearray(1 << 20)
    t0 = time.perf_counter()
    while True:
        n = s.recv_into(buf)
        if n == 0:
            break
        total += n
    return time.perf_counter() - t0, total

def run_fetch(cmd, size, what):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()
    secs, total = float(out[0]), int(out[1])
    if total != size:
        sys.exit(f"bench_net: {total} bytes {what}, of {size}")
    return size / secs / (1 << 20)

def main():
    if sys.argv[1] == "--fetch":
        secs, total = fetch(*map(int, sys.argv[2:]))
        print(secs, total)
        return
    rounds, mb = int(sys.argv[1]), int(sys.argv[2])
    size = mb << 20
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    threading.Thread(target=serve, args=(listener, size), daemon=True).start()
    client = [sys.executable, os.path.abspath(__file__), "--fetch"]
    columns = {"direct": client + [str(port)]}
    relays = []
    for way in ["splice", "copy"] if len(sys.argv) > 3 else []:
        relays.append(subprocess.Popen([sys.argv[3], str(port), way], stdout=subprocess.PIPE, text=True))
        columns["relay-" + way] = client + [relays[-1].stdout.readline().strip()]
    columns["proxy"] = [os.environ["BWRAPPER"], "--ro-bind", "/", "/", "--allow-net", "127.0.0.1:%d" % port,
                        "--"] + client + [str(port), "3128"]
    speeds = {name: [] for name in columns}
    for _ in range(rounds + 1):  # the first round warms caches, and is not counted
        for name, cmd in columns.items():
            speeds[name].append(run_fetch(cmd, size, name))
    for r in relays:
        r.kill()
    direct = speeds["direct"][1:]
    for name in columns:
        if name == "direct":
            continue
        mine = speeds[name][1:]
        ratio = statistics.median(m / d for m, d in zip(mine, direct))
        goal = f"goal >= {GOAL:.2f}: {'met' if ratio >= GOAL else 'MISSED'}" if name == "proxy" else "(yardstick)"
        print(f"{name:12} {statistics.median(direct):9.0f} {statistics.median(mine):11.0f} {ratio:7.2f}   {goal}",
              flush=True)

main()

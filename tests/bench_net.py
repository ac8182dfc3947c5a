#!/usr/bin/python3
"""make bench's proxy case: throughput through --allow-net's proxy against a
direct loopback transfer of the same bytes.

Usage: bench_net.py ROUNDS MB       (BWRAPPER in the environment)
A host server on 127.0.0.1 sends MB MiB to each connection.  Each round
fetches them once directly and once from a sandbox (--ro-bind / /
--allow-net 127.0.0.1:PORT) through a CONNECT tunnel, interleaved; the
clock runs from the first byte asked for (after the tunnel is open) to the
end.  Prints "proxy direct_MiBps proxied_MiBps ratio" with medians, and
whether the ratio meets the goal (0.80).
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
    me = os.path.abspath(__file__)
    box = [os.environ["BWRAPPER"], "--ro-bind", "/", "/", "--allow-net", "127.0.0.1:%d" % port, "--",
           sys.executable, me, "--fetch", str(port), "3128"]
    direct, proxied = [], []
    for _ in range(rounds + 1):  # the first round warms caches, and is not counted
        secs, total = fetch(port)
        out = subprocess.run(box, check=True, capture_output=True, text=True).stdout.split()
        psecs, ptotal = float(out[0]), int(out[1])
        if total != size or ptotal != size:
            sys.exit(f"bench_net: {total} bytes direct, {ptotal} through the proxy, of {size}")
        direct.append(size / secs / (1 << 20))
        proxied.append(size / psecs / (1 << 20))
    d, p = statistics.median(direct[1:]), statistics.median(proxied[1:])
    print(f"proxy {d:9.0f} {p:11.0f} {p / d:7.2f}   goal >= {GOAL:.2f}: {'met' if p / d >= GOAL else 'MISSED'}",
          flush=True)

main()

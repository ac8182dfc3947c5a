#!/usr/bin/python3
"""Interleaved start-up timing of bwrapper against the system bwrap.

Usage: bench.py RUNS NAME ARGS...   (ARGS without the program; run as-is)
Each round runs bwrap then bwrapper (posix_spawn, wait), so both see the
same machine state; prints "NAME bwrap_ms bwrapper_ms ratio" with medians.
       bench.py --commands RUNS NAME A_ARGV... -- B_ARGV...
The same for two whole command lines: "NAME a_ms b_ms b/a".
"""
import os, statistics, sys, time

def spawn_wait(argv):
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
    _, status = os.waitpid(pid, 0)
    dt = (time.perf_counter_ns() - t0) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv)}: exit {os.waitstatus_to_exitcode(status)}")
    return dt

def main():
    if sys.argv[1] == "--commands":
        runs, name, rest = int(sys.argv[2]), sys.argv[3], sys.argv[4:]
        cut = rest.index("--")
        first, second = rest[:cut], rest[cut + 1:]
    else:
        runs, name, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
        first, second = [os.environ["BWRAP"]] + args, [os.environ["BWRAPPER"]] + args
    spawn_wait(first); spawn_wait(second)   # warm caches
    a, b = [], []
    for _ in range(runs):
        a.append(spawn_wait(first))
        b.append(spawn_wait(second))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{name:<4} {ma:9.2f} {mb:11.2f} {mb / ma:7.2f}", flush=True)

main()

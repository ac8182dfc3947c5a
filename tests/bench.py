#!/usr/bin/python3
"""Interleaved start-up timing of bwrapper against the system bwrap.

Usage: bench.py RUNS NAME ARGS...   (ARGS without the program; run as-is)
Each round runs bwrap then bwrapper (posix_spawn, wait), so both see the
same machine state; prints "NAME bwrap_ms bwrapper_ms ratio" with medians.
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
    runs, name, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    bwrap, bwrapper = os.environ["BWRAP"], os.environ["BWRAPPER"]
    spawn_wait([bwrap] + args); spawn_wait([bwrapper] + args)   # warm caches
    a, b = [], []
    for _ in range(runs):
        a.append(spawn_wait([bwrap] + args))
        b.append(spawn_wait([bwrapper] + args))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{name:<4} {ma:9.2f} {mb:11.2f} {mb / ma:7.2f}", flush=True)

main()

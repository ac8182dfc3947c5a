#!/usr/bin/python3
"""Interleaved start-up timing of bwrapper against the system bwrap.

Usage: bench.py RUNS NAME ARGS...   (ARGS without the program; run as-is)
Each round runs bwrap then bwrapper (posix_spawn, wait), so both see the
same machine state; prints "NAME bwrap_ms bwrapper_ms ratio" with medians.
       bench.py --commands [--fd3 PATH] [--goal R] RUNS NAME A_ARGV... -- B_ARGV...
The same for two whole command lines: "NAME a_ms b_ms b/a".  --fd3 opens
PATH on fd 3 of every run of A (bwrap's --seccomp 3 reads it to the end);
--goal R adds whether b/a is at most R.
"""
import os, statistics, sys, time

def spawn_wait(argv, fd3=None):
    actions = [(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)]
    if fd3:
        actions.append((os.POSIX_SPAWN_OPEN, 3, fd3, os.O_RDONLY, 0))
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    dt = (time.perf_counter_ns() - t0) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv)}: exit {os.waitstatus_to_exitcode(status)}")
    return dt

def main():
    args, fd3, goal = sys.argv[1:], None, None
    if args[0] == "--commands":
        args = args[1:]
        while args[0] in ("--fd3", "--goal"):
            if args[0] == "--fd3":
                fd3 = args[1]
            else:
                goal = float(args[1])
            args = args[2:]
        runs, name, rest = int(args[0]), args[1], args[2:]
        cut = rest.index("--")
        first, second = rest[:cut], rest[cut + 1:]
    else:
        runs, name, args = int(args[0]), args[1], args[2:]
        first, second = [os.environ["BWRAP"]] + args, [os.environ["BWRAPPER"]] + args
    spawn_wait(first, fd3); spawn_wait(second)   # warm caches
    a, b = [], []
    for _ in range(runs):
        a.append(spawn_wait(first, fd3))
        b.append(spawn_wait(second))
    ma, mb = statistics.median(a), statistics.median(b)
    verdict = "" if goal is None else f"   goal <= {goal:.2f}: {'met' if mb / ma <= goal else 'MISSED'}"
    print(f"{name:<5} {ma:9.2f} {mb:11.2f} {mb / ma:7.2f}{verdict}", flush=True)

main()

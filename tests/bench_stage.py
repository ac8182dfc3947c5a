#!/usr/bin/python3
"""make bench, case "stage": the time of `bwrapper --commit DIR` against
`cp -a` of the same upper layer onto a copy of the same project, followed
by `sync -f` of the copy: a commit is durable when it ends (it syncs the
new contents before its journal decides it), so the yardstick is too.
Everything is synced before each timed step, so neither pays for the
other's writeback.

Usage: bench_stage.py RUNS NAME SHELL_COMMAND
Each round: a fresh project, SHELL_COMMAND run in it under --stage with
--stage-end keep (not timed), a copy of the project; then, timed, the
commit of the stage and `cp -a UPPER/. COPY`.  Prints
"NAME cp_ms commit_ms ratio" with medians.
"""
import glob, os, shutil, statistics, subprocess, sys, tempfile, time

BWRAPPER = os.environ["BWRAPPER"]
SYSTEM = ["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
          "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev"]

def timed(argv):
    t0 = time.perf_counter_ns()
    subprocess.run(argv, check=True)
    return (time.perf_counter_ns() - t0) / 1e6

def main():
    runs, name, command = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    cp, commit = [], []
    for _ in range(runs):
        work = tempfile.mkdtemp(prefix="bwrapper-bench-stage.")
        try:
            run = os.path.join(work, "run")
            os.mkdir(run, 0o700)
            proj, copy = os.path.join(work, "proj"), os.path.join(work, "copy")
            os.mkdir(proj)
            env = dict(os.environ, XDG_RUNTIME_DIR=run)
            subprocess.run([BWRAPPER] + SYSTEM + ["--stage", proj, "--stage-end", "keep", "--chdir", proj,
                                                  "sh", "-c", command], check=True, env=env,
                           stderr=subprocess.DEVNULL)
            stage, = glob.glob(os.path.join(run, "bwrapper-stage-*"))
            shutil.copytree(proj, copy, symlinks=True)
            os.sync()
            cp.append(timed(["sh", "-c", 'cp -a "$1"/. "$2" && sync -f "$2"', "cp",
                             os.path.join(stage, "upper"), copy]))
            os.sync()
            commit.append(timed([BWRAPPER, "--commit", stage]))
        finally:
            subprocess.run(["rm", "-rf", work], check=True)
    mc, mb = statistics.median(cp), statistics.median(commit)
    print(f"{name:<12} {mc:9.2f} {mb:11.2f} {mb / mc:7.2f}", flush=True)

main()

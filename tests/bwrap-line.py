#!/usr/bin/python3
"""The bwrap command line for the same sandbox as a bwrapper plan.

Usage: bwrapper --print-plan ARGS... | bwrap-line.py SECCOMP_FD
Prints bwrap's options, one per line, for the plan on stdin: the same
mounts in the same order, namespaces, environment, capabilities and flags,
with the plan's seccomp profile as --seccomp SECCOMP_FD (a program from
bwrapper --print-seccomp-bpf).  What bwrap cannot say the same way is an
error rather than an approximation, so a benchmark never compares two
different sandboxes.  --rw/--ro is a plain bind only where the exposed
path's parent is already a mount point of the plan (bwrapper then makes no
read-only directory tmpfs to hold it).
"""
import json, os, sys

def fail(why):
    sys.exit(f"bwrap-line: {why}")

def main():
    plan = json.load(sys.stdin)
    out = []
    ns = set(plan["namespaces"])
    if ns == {"user-try", "ipc", "pid", "net", "uts", "cgroup-try"}:
        out.append("--unshare-all")
    else:
        for n in sorted(ns):
            out.append("--unshare-" + n)
    mounted = set()
    for s in plan["steps"]:
        kind, dest = s["kind"], s["dest"]
        if "perms" in s or "size" in s or s.get("try"):
            fail(f"{s['option']}: --perms, --size and -try are not translated")
        if kind == "bind" and s.get("expose"):
            if os.path.dirname(dest) not in mounted:
                fail(f"{s['option']}: the parent of {dest} is no mount point of the plan")
            out += ["--ro-bind" if s["readonly"] else "--bind", s["src"], dest]
        elif kind == "bind":
            opt = "--ro-bind" if s["readonly"] else "--dev-bind" if s["devices"] else "--bind"
            out += [opt, s["src"], dest]
        elif kind == "symlink":
            out += ["--symlink", s["src"], dest]
        elif kind in ("proc", "dev", "tmpfs", "mqueue", "dir"):
            out += ["--" + kind, dest]
        else:
            fail(f"{s['option']}: not translated")
        if kind != "symlink":
            mounted.add(dest)
    for e in plan["env"]:
        if e.get("clear"):
            out.append("--clearenv")
        elif "set" in e:
            out += ["--setenv", e["set"], e["value"]]
        else:
            out += ["--unsetenv", e["unset"]]
    if plan["caps"]["add"]:
        fail("--cap-add is not translated")
    for cap in plan["caps"]["drop"]:
        out += ["--cap-drop", cap.upper()]
    for flag in ("new-session", "die-with-parent", "as-pid-1"):
        if plan[flag]:
            out.append("--" + flag)
    if plan["seccomp-fds"] or plan["rlimits"] or plan["pty"] or plan.get("timeout"):
        fail("--seccomp, --rlimit, --pty and --timeout are not translated")
    if plan["seccomp-profile"]:
        out += ["--seccomp", sys.argv[1]]
    # bwrap's --remount-ro is not recursive: the root tmpfs only, as
    # bwrapper's read-only root.
    if plan["root-readonly"]:
        out += ["--remount-ro", "/"]
    print("\n".join(out))

main()

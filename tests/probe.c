/* Test helper: try system calls and print how each ended.
 *
 *   probe NAME...   prints "NAME ok" or "NAME EPERM" (the errno's name)
 *
 * Each call gets arguments that make it fail harmlessly or do nothing, even
 * as root outside any sandbox: a bad flag, a NULL pointer, a missing path.
 * So "EPERM" means something refused the call itself (a seccomp filter or a
 * missing capability), and anything else means it reached the kernel's
 * argument checks. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MISSING "/nonexistent-bwrapper-probe"

/* clone with FLAGS: the child exits at once; 0 or -1 with errno. */
static long try_clone(unsigned long flags)
{
    long pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
    if (pid == 0)
        _exit(0);
    if (pid > 0) {
        waitpid((pid_t)pid, NULL, 0);
        return 0;
    }
    return -1;
}

/* getpid through the i386 entry point (int 0x80, i386 number 20), in a
 * child: a kernel without IA32 emulation answers with SIGSEGV, reported
 * as ENOEXEC ("this ABI is not there"). */
static long i386_getpid(void)
{
#ifdef __x86_64__
    pid_t pid = fork();
    if (pid == 0) {
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory", "r8", "r9", "r10", "r11");
        _exit(ret < 0 && ret > -4096 ? (int)-ret : 0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    errno = WIFEXITED(status) ? WEXITSTATUS(status) : ENOEXEC;
    return errno ? -1 : 0;
#else
    errno = ENOEXEC;
    return -1;
#endif
}

static long try_call(const char *name)
{
    char c = 'x';
    if (!strcmp(name, "kexec_load"))
        return syscall(SYS_kexec_load, 0, 1000, NULL, 0); /* > KEXEC_SEGMENT_MAX */
    if (!strcmp(name, "kexec_file_load"))
        return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, ~0UL);
    if (!strcmp(name, "open_by_handle_at"))
        return syscall(SYS_open_by_handle_at, -1, NULL, 0);
    if (!strcmp(name, "perf_event_open"))
        return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
    if (!strcmp(name, "process_vm_readv"))
        return syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0);
    if (!strcmp(name, "process_vm_writev"))
        return syscall(SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, 0);
    if (!strcmp(name, "ptrace"))
        return syscall(SYS_ptrace, 0x7fff, 0, NULL, NULL); /* bad request, no tracee */
    if (!strcmp(name, "reboot"))
        return syscall(SYS_reboot, 0, 0, 0, NULL); /* bad magic */
    if (!strcmp(name, "request_key"))
        return syscall(SYS_request_key, NULL, NULL, NULL, 0);
    if (!strcmp(name, "add_key"))
        return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0);
    if (!strcmp(name, "keyctl"))
        return syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0);
    if (!strcmp(name, "set_mempolicy"))
        return syscall(SYS_set_mempolicy, 0, NULL, 0); /* MPOL_DEFAULT: no change */
    if (!strcmp(name, "swapon"))
        return syscall(SYS_swapon, MISSING, 0);
    if (!strcmp(name, "swapoff"))
        return syscall(SYS_swapoff, MISSING);
    if (!strcmp(name, "syslog"))
        return syscall(SYS_syslog, 10, NULL, 0); /* SYSLOG_ACTION_SIZE_BUFFER */
    if (!strcmp(name, "umount2"))
        return syscall(SYS_umount2, MISSING, 0);
    if (!strcmp(name, "unshare"))
        return syscall(SYS_unshare, 0);
    if (!strcmp(name, "setns"))
        return syscall(SYS_setns, -1, 0);
    if (!strcmp(name, "uselib"))
        return syscall(SYS_uselib, MISSING);
    if (!strcmp(name, "userfaultfd"))
        return syscall(SYS_userfaultfd, ~0U);
    if (!strcmp(name, "mount"))
        return syscall(SYS_mount, MISSING, MISSING, NULL, 0, NULL);
    if (!strcmp(name, "pivot_root"))
        return syscall(SYS_pivot_root, MISSING, MISSING);
    if (!strcmp(name, "init_module"))
        return syscall(SYS_init_module, NULL, 0, "");
    if (!strcmp(name, "finit_module"))
        return syscall(SYS_finit_module, -1, "", 0);
    if (!strcmp(name, "delete_module"))
        return syscall(SYS_delete_module, "bwrapper_probe_none", 04000 /* O_NONBLOCK */);
    if (!strcmp(name, "bpf"))
        return syscall(SYS_bpf, 0x7fff, NULL, 0);
    if (!strcmp(name, "fsopen"))
        return syscall(SYS_fsopen, "bwrapper-probe-nofs", 0);
    if (!strcmp(name, "fsconfig"))
        return syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0);
    if (!strcmp(name, "fsmount"))
        return syscall(SYS_fsmount, -1, 0, 0);
    if (!strcmp(name, "fspick"))
        return syscall(SYS_fspick, -1, MISSING, 0);
    if (!strcmp(name, "move_mount"))
        return syscall(SYS_move_mount, -1, MISSING, -1, MISSING, 0);
    if (!strcmp(name, "open_tree"))
        return syscall(SYS_open_tree, -1, MISSING, 0);
    if (!strcmp(name, "mount_setattr"))
        return syscall(SYS_mount_setattr, -1, MISSING, 0, NULL, 0);
    if (!strcmp(name, "acct"))
        return syscall(SYS_acct, MISSING);
    if (!strcmp(name, "quotactl"))
        return syscall(SYS_quotactl, 0, MISSING, 0, NULL);
    if (!strcmp(name, "io_uring_setup")) { /* valid: a real ring, closed at once */
        struct io_uring_params params;
        memset(&params, 0, sizeof params);
        long fd = syscall(SYS_io_uring_setup, 8, &params);
        if (fd >= 0)
            close((int)fd);
        return fd < 0 ? -1 : 0;
    }
    if (!strcmp(name, "io_uring_enter"))
        return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
    if (!strcmp(name, "io_uring_register"))
        return syscall(SYS_io_uring_register, -1, 0, NULL, 0);
    if (!strcmp(name, "clone3"))
        return syscall(SYS_clone3, NULL, 0);
    if (!strcmp(name, "clone"))
        return try_clone(0);
    if (!strcmp(name, "clone-newuser"))
        return try_clone(CLONE_NEWUSER);
    if (!strcmp(name, "clone-newns"))
        return try_clone(CLONE_NEWUSER | CLONE_NEWNS);
    if (!strcmp(name, "clone-newnet"))
        return try_clone(CLONE_NEWUSER | CLONE_NEWNET);
    /* one flag alone: needs CAP_SYS_ADMIN (run under --cap-add ALL) */
    if (!strcmp(name, "clone-only-newns"))
        return try_clone(CLONE_NEWNS);
    if (!strcmp(name, "clone-only-newuts"))
        return try_clone(CLONE_NEWUTS);
    if (!strcmp(name, "clone-only-newipc"))
        return try_clone(CLONE_NEWIPC);
    if (!strcmp(name, "clone-only-newpid"))
        return try_clone(CLONE_NEWPID);
    if (!strcmp(name, "clone-only-newnet"))
        return try_clone(CLONE_NEWNET);
    if (!strcmp(name, "clone-only-newcgroup"))
        return try_clone(CLONE_NEWCGROUP);
    if (!strcmp(name, "tiocsti")) /* on stdin: a terminal, or ENOTTY */
        return ioctl(0, TIOCSTI, &c);
    if (!strcmp(name, "tiocsti-high")) /* the same request with high bits set */
        return syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | 0x100000000UL, &c);
    if (!strcmp(name, "tioclinux")) {
        char sub = 0;
        return ioctl(0, TIOCLINUX, &sub);
    }
    if (!strcmp(name, "personality-query"))
        return personality(0xffffffff) == -1 ? -1 : 0;
    if (!strcmp(name, "personality-linux32"))
        return personality(PER_LINUX32) == -1 ? -1 : 0;
    if (!strcmp(name, "personality-noaslr"))
        return personality(ADDR_NO_RANDOMIZE) == -1 ? -1 : 0;
    if (!strcmp(name, "personality-exec"))
        return syscall(SYS_personality, 0x80000000UL | READ_IMPLIES_EXEC) == -1 ? -1 : 0;
    if (!strcmp(name, "i386-getpid"))
        return i386_getpid();
    if (!strcmp(name, "x32-getpid"))
        return syscall(0x40000000 | 39 /* x32 getpid */);
    if (!strcmp(name, "getpid"))
        return syscall(SYS_getpid);
    if (!strcmp(name, "mkdir-0700"))
        return syscall(SYS_mkdirat, -100, MISSING "/x", 0700);
    if (!strcmp(name, "mkdir-0755"))
        return syscall(SYS_mkdirat, -100, MISSING "/x", 0755);
    fprintf(stderr, "probe: unknown call %s\n", name);
    _exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        errno = 0;
        long r = try_call(argv[i]);
        /* Undo a personality change so later probes see the usual one. */
        personality(PER_LINUX);
        printf("%s %s\n", argv[i], r == -1 ? strerrorname_np(errno) : "ok");
    }
    return 0;
}

/* bwrapper's pid 1 under runc and crun: `INIT --oci-init PREFIX COMMAND...`
 * runs COMMAND, passes on the signals sent to it, reaps, and exits with
 * COMMAND's status; its failures are one line starting with PREFIX
 * ("bwrapper", "bwrap", with --level-prefix's "<3>").
 *
 * A program of its own, apart from bwrapper's binary, and where the
 * architecture allows without libc: the runtime execs it in every sandbox,
 * and a static glibc program spends some 0.3 ms of each start on a
 * virtual machine in CPUID (glibc's cpu features and cache sizes, each
 * CPUID a trap to the hypervisor), a third of bwrapper's own cost under
 * crun.  bwrapper carries it (oci-init-program.c) and gives it to the
 * runtime as fd 3 (see runtime.c's init_program). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "oci-init.h"


#if defined(__x86_64__) || defined(__aarch64__)
/* System calls without libc: -errno on failure, as the kernel returns. */
static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#else
    register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c,
                  x3 __asm__("x3") = d, x4 __asm__("x4") = e, x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
#endif
}
#define START_WITHOUT_LIBC 1
#else
/* Elsewhere libc's syscall(), with its errno made the kernel's -errno. */
#include <unistd.h>
static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(n, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}
#endif
#define sys(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static _Noreturn void exit_with(int status)
{
    for (;;)
        sys(SYS_exit_group, status, 0, 0);
}

static size_t length(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* glibc's words for what these calls can fail with. */
static const char *error_text(long err)
{
    switch (err) {
    case EPERM: return "Operation not permitted";
    case ENOENT: return "No such file or directory";
    case EIO: return "Input/output error";
    case E2BIG: return "Argument list too long";
    case ENOEXEC: return "Exec format error";
    case EBADF: return "Bad file descriptor";
    case EAGAIN: return "Resource temporarily unavailable";
    case ENOMEM: return "Cannot allocate memory";
    case EACCES: return "Permission denied";
    case EFAULT: return "Bad address";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case EINVAL: return "Invalid argument";
    case ENFILE: return "Too many open files in system";
    case EMFILE: return "Too many open files";
    case ETXTBSY: return "Text file busy";
    case ENAMETOOLONG: return "File name too long";
    case ELOOP: return "Too many levels of symbolic links";
    case ELIBBAD: return "Accessing a corrupted shared library";
    default: return "Unknown error";
    }
}

/* One line on stderr, "PREFIX: WHAT NAME: error" (ERR: -errno, or 0),
 * written at once (as util.c's die), and exit 1. */
static _Noreturn void fail(const char *prefix, const char *what, const char *name, long err)
{
    char line[4096];
    size_t n = 0;
    const char *parts[] = {prefix, ": ", what, name ? " " : "", name ? name : "", err ? ": " : "",
                           err ? error_text(-err) : ""};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        for (const char *c = parts[i]; *c && n < sizeof line - 1; c++)
            line[n++] = *c;
    line[n++] = '\n';
    sys(SYS_write, 2, line, n);
    exit_with(1);
}

/* execvp(3): FILE with a slash as it is, else each directory of PATH (by
 * default glibc's "/bin:/usr/bin"; an empty entry is the current
 * directory), a file without #! run by /bin/sh.  The error: EACCES if a
 * file was found but could not be run, else the last one. */
static long exec_command(char **argv, char **envp)
{
    const char *file = argv[0], *path = "/bin:/usr/bin";
    for (char **e = envp; *e; e++)
        if ((*e)[0] == 'P' && (*e)[1] == 'A' && (*e)[2] == 'T' && (*e)[3] == 'H' && (*e)[4] == '=')
            path = *e + 5;
    size_t file_len = length(file);
    bool has_slash = false;
    for (const char *c = file; *c; c++)
        has_slash |= *c == '/';
    if (*file == '\0')
        return -ENOENT;
    long err = -ENOENT;
    bool denied = false;
    for (const char *dir = path;; dir++) {
        char buf[4096];
        const char *full = file;
        if (!has_slash) {
            size_t dir_len = 0;
            while (dir[dir_len] && dir[dir_len] != ':')
                dir_len++;
            if (dir_len + 1 + file_len + 1 > sizeof buf)
                err = -ENAMETOOLONG;
            else {
                for (size_t i = 0; i < dir_len; i++)
                    buf[i] = dir[i];
                size_t at = dir_len;
                if (dir_len)
                    buf[at++] = '/';
                for (size_t i = 0; i <= file_len; i++)
                    buf[at + i] = file[i];
                full = buf;
            }
            dir += dir_len;
        }
        if (full != file || has_slash) {
            err = sys(SYS_execve, full, argv, envp);
            if (err == -ENOEXEC) {
                /* as glibc: a script without #!, run by the shell */
                size_t n = 0;
                while (argv[n])
                    n++;
                char *sh_argv[n + 2];
                sh_argv[0] = (char *)"/bin/sh";
                sh_argv[1] = (char *)full;
                for (size_t i = 1; i <= n; i++)
                    sh_argv[i + 1] = argv[i];
                err = sys(SYS_execve, "/bin/sh", sh_argv, envp);
            }
            denied |= err == -EACCES;
            if (has_slash || (err != -ENOENT && err != -ENOTDIR && err != -EACCES && err != -ENAMETOOLONG &&
                              err != -ESTALE && err != -ENODEV && err != -ETIMEDOUT))
                return err;
        }
        if (*dir == '\0')
            return denied ? -EACCES : err;
    }
}

static void init_main(char **argv, char **envp)
{
    sys(SYS_close, INIT_SELF, 0, 0); /* nothing the command should hold */
    size_t argc = 0;
    while (argv[argc])
        argc++;
    const char *prefix = argc > 2 ? argv[2] : "bwrapper";
    char **command = argv + (argc > 3 ? 3 : argc);
    /* the runtime is done: say so, and give the command our caller's
     * stderr (absent with --pty) */
    if (sys(SYS_fcntl, INIT_STARTED, F_GETFD, 0) >= 0) {
        sys(SYS_write, INIT_STARTED, "", 1);
        sys(SYS_close, INIT_STARTED, 0, 0);
    }
    long err;
    if (sys(SYS_fcntl, INIT_STDERR, F_GETFD, 0) >= 0 &&
        ((err = sys(SYS_dup3, INIT_STDERR, 2, 0)) < 0 || (err = sys(SYS_close, INIT_STDERR, 0, 0)) < 0))
        fail(prefix, "--oci-init:", "fd 4", err);
    /* The command runs as our uid: dumpable, we would be its to ptrace
     * and to write into through /proc/1/mem, outside its --rlimit (which
     * the runtime set on us, pid 1, before the command inherits it).  The
     * command's exec makes it dumpable again; we stay as we are. */
    if ((err = sys(SYS_prctl, PR_SET_DUMPABLE, 0, 0)) < 0)
        fail(prefix, "--oci-init: prctl(PR_SET_DUMPABLE)", NULL, err);
    if (command[0] == NULL)
        fail(prefix, "--oci-init: no command", NULL, 0);
    unsigned long long all = ~0ULL, old = 0; /* the kernel's sigset_t: 64 signals */
    sys6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, sizeof all, 0, 0);
    /* A seccomp profile that forbids fork is already ours: the command
     * then becomes pid 1 itself (natively pid 1 forks before the filter). */
    long pid = sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
    if (pid <= 0) {
        sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, sizeof old, 0, 0);
        fail(prefix, "execvp", command[0], exec_command(command, envp));
    }
    for (;;) {
        /* siginfo_t's first ints: si_signo, si_errno, si_code */
        int info[32];
        long sig = sys6(SYS_rt_sigtimedwait, (long)&all, (long)info, 0, sizeof all, 0, 0);
        if (sig == SIGCHLD) {
            int st;
            for (long done; (done = sys6(SYS_wait4, -1, (long)&st, WNOHANG, 0, 0, 0)) > 0;)
                if (done == pid) /* the rest of the namespace ends with us */
                    exit_with(WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255);
        } else if (sig > 0 && info[2] <= 0) {
            /* sent by a process (the runtime passing on ours); a terminal's
             * (si_code SI_KERNEL) reached the command itself, in our
             * process group */
            sys(SYS_kill, pid, sig, 0);
        }
    }
}

#ifdef START_WITHOUT_LIBC
/* The kernel's initial stack: argc, argv[], NULL, envp[], NULL. */
__attribute__((used)) static void start(long *sp)
{
    char **argv = (char **)(sp + 1);
    init_main(argv, argv + sp[0] + 1);
}
#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n\txor %ebp, %ebp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start\n\thlt\n");
#else
__asm__(".text\n.global _start\n_start:\n\tmov x29, #0\n\tmov x30, #0\n\tmov x0, sp\n\tbl start\n\tbrk #0\n");
#endif
#else
int main(int argc, char **argv, char **envp)
{
    (void)argc;
    init_main(argv, envp);
    return 1;
}
#endif

#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <talloc.h>
#include <unistd.h>

#include "util.h"

struct seccomp_programs {
    struct sock_fprog *progs;
    size_t n;
};

struct seccomp_programs *seccomp_load(void *mem, const struct plan *p)
{
    struct seccomp_programs *s = talloc_zero(mem, struct seccomp_programs);
    s->progs = talloc_array(s, struct sock_fprog, p->n_seccomp_fds);
    for (size_t i = 0; i < p->n_seccomp_fds; i++) {
        size_t len;
        char *data = read_fd_all(s, p->seccomp_fds[i], &len);
        if (data == NULL)
            die_errno("Can't read seccomp data");
        close(p->seccomp_fds[i]);
        if (len == 0 || len % 8 != 0)
            die("Invalid seccomp data, must be multiple of 8");
        if (len / sizeof(struct sock_filter) > BPF_MAXINSNS)
            die("Invalid seccomp data, more than %u instructions", BPF_MAXINSNS);
        s->progs[i] = (struct sock_fprog){.len = (unsigned short)(len / 8), .filter = (struct sock_filter *)data};
    }
    s->n = p->n_seccomp_fds;
    return s;
}

void seccomp_apply(const struct seccomp_programs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &s->progs[i]) != 0) {
            if (errno == EINVAL)
                die("Unable to set up system call filtering as requested: prctl(PR_SET_SECCOMP) reported EINVAL. (Hint: this requires a kernel configured with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER.)");
            die_errno("prctl(PR_SET_SECCOMP)");
        }
    }
}

/* Choosing and installing the seccomp programs: bwrap's fd programs as
 * given, the profile's from the build-time compile when that stands for a
 * compile here, else compiled now (seccomp.c). */
#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <talloc.h>
#include <unistd.h>

#include "util.h"

struct seccomp_programs {
    struct sock_fprog *progs;
    size_t n;
    const struct sock_fprog *profile; /* the profile's, among them; NULL if none */
};

/* The build-time program is exactly what a compile would give here when
 * every input of that compile is the same.  The profile is: seccomp-gen
 * builds it with this same code.  What else a compile reads is checked
 * here: the native architecture (a cross build's generator ran on another
 * one), libseccomp's version (the sanitized build links it dynamically,
 * and an upgrade may emit other code), and which rules apply, which
 * Docker's includes/excludes decide from the architecture, the
 * capabilities the sandbox keeps and the running kernel (minKernel).  The
 * generator compiled for no capabilities, as the agent profile keeps
 * none; a rule that depends on one the sandbox keeps shows up as a
 * difference in the applying rules.  Any difference: compile now. */
static bool builtin_stands_for_compile(void *mem, const struct seccomp_profile *p, uint64_t caps)
{
    const struct seccomp_builtin *b = &seccomp_default_builtin;
    const struct scmp_version *v = seccomp_version();
    if (!seccomp_profile_is_default(p) || b->arch != seccomp_arch_native() || v == NULL ||
        v->major != b->lib_major || v->minor != b->lib_minor || v->micro != b->lib_micro)
        return false;
    return strcmp(seccomp_rules_applying(mem, p, caps), b->applying) == 0;
}

static struct sock_fprog profile_program(void *mem, const struct seccomp_profile *p, uint64_t caps)
{
    void *tmp = talloc_new(mem);
    bool builtin = builtin_stands_for_compile(tmp, p, caps);
    talloc_free(tmp);
    return builtin ? seccomp_default_builtin.prog : seccomp_compile(mem, p, caps);
}

struct seccomp_programs *seccomp_prepare(void *mem, const struct plan *p, uint64_t caps)
{
    struct seccomp_programs *s = talloc_zero(mem, struct seccomp_programs);
    s->progs = talloc_array(s, struct sock_fprog, p->n_seccomp_fds + 1);
    for (size_t i = 0; i < p->n_seccomp_fds; i++)
        s->progs[s->n++] = (struct sock_fprog){.len = p->seccomp_fds[i].n_insns,
                                               .filter = (struct sock_filter *)p->seccomp_fds[i].insns};
    if (p->seccomp_profile) {
        s->progs[s->n] = profile_program(s, p->seccomp_profile, caps);
        s->profile = &s->progs[s->n++];
    }
    return s;
}

const struct sock_fprog *seccomp_profile_program(const struct seccomp_programs *s)
{
    return s->profile;
}

void seccomp_install(const struct seccomp_programs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &s->progs[i]) != 0) {
            if (errno == EINVAL)
                die("Unable to set up system call filtering as requested: prctl(PR_SET_SECCOMP) reported EINVAL. (Hint: this requires a kernel configured with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER.)");
            die_errno("prctl(PR_SET_SECCOMP)");
        }
    }
}

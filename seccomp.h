/* Seccomp: bwrap's classic-BPF programs (--seccomp, --add-seccomp-fd) and
 * JSON profiles (--seccomp-profile), compiled with libseccomp.  seccomp.c
 * describes and compiles profiles; seccomp-load.c chooses and installs the
 * programs; seccomp-gen.c compiles the default profile at build time. */
#ifndef BWRAPPER_SECCOMP_H
#define BWRAPPER_SECCOMP_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

struct seccomp_programs;

/* --seccomp-profile ARG: "default" or a JSON file in the OCI / Docker
 * shape.  Any error names the offending entry and exits. */
struct seccomp_profile *seccomp_profile_read(void *mem_ctx, const char *arg);
/* The profile as JSON, in the shape seccomp_profile_read reads. */
json_t *seccomp_profile_to_json(const struct seccomp_profile *profile);

/* The profile as OCI's linux.seccomp for a process that keeps the
 * capabilities CAPS: Docker's conditional rules decided here, and only
 * keys the runtime-spec schema knows. */
json_t *seccomp_profile_to_oci_json(const struct seccomp_profile *profile, uint64_t caps);

/* --seccomp FD, --add-seccomp-fd FD (OPTION, for errors): read FD, close
 * it, and check the program as the kernel will; any problem exits. */
struct seccomp_fd_program seccomp_fd_read(void *mem_ctx, int fd, const char *option);
/* Compile the profile with libseccomp, for a process that keeps the
 * capabilities CAPS, and export the classic-BPF program, so the profile is
 * installed exactly like bwrap's fd programs. */
struct sock_fprog seccomp_compile(void *mem_ctx, const struct seccomp_profile *profile, uint64_t caps);
/* Per rule, '1' if it applies here for CAPS, else '0': what Docker's
 * includes/excludes decide from the architecture, the capabilities and
 * the running kernel, that is every input of a compile but the profile. */
char *seccomp_rules_applying(void *mem_ctx, const struct seccomp_profile *profile, uint64_t caps);
/* Is this the built-in profile (--seccomp-profile default)? */
bool seccomp_profile_is_default(const struct seccomp_profile *profile);

/* The default profile compiled at build time by seccomp-gen (the
 * generated seccomp-default.c), with what that compile depended on. */
struct seccomp_builtin {
    uint32_t arch;          /* seccomp_arch_native() */
    unsigned lib_major, lib_minor, lib_micro; /* libseccomp's version */
    const char *applying;   /* seccomp_rules_applying() for caps 0 */
    struct sock_fprog prog;
};
extern const struct seccomp_builtin seccomp_default_builtin;

/* Read and check every program the plan names, and compile its profile
 * for a sandbox that keeps the capabilities CAPS, before anything starts. */
struct seccomp_programs *seccomp_prepare(void *mem_ctx, const struct plan *plan, uint64_t caps);
/* The program made from the plan's --seccomp-profile, or NULL. */
const struct sock_fprog *seccomp_profile_program(const struct seccomp_programs *progs);
/* Install them in the order given (the kernel runs the last one first). */
void seccomp_install(const struct seccomp_programs *progs);

#endif

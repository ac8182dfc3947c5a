/* Seccomp: bwrap's classic-BPF programs (--seccomp, --add-seccomp-fd) and
 * JSON profiles (--seccomp-profile), compiled with libseccomp. */
#ifndef BWRAPPER_SECCOMP_H
#define BWRAPPER_SECCOMP_H

#include <jansson.h>
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

/* Read and check every program the plan names, and compile its profile
 * for a sandbox that keeps the capabilities CAPS, before anything starts. */
struct seccomp_programs *seccomp_prepare(void *mem_ctx, const struct plan *plan, uint64_t caps);
/* Install them in the order given (the kernel runs the last one first). */
void seccomp_install(const struct seccomp_programs *progs);

#endif

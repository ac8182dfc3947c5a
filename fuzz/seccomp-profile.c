/* Fuzz target: a JSON seccomp profile (--seccomp-profile FILE), read,
 * printed back (--print-seccomp), turned into an OCI bundle's
 * linux.seccomp, and compiled to BPF as the native executor does.
 *
 * Input: the file's content. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <talloc.h>
#include <unistd.h>

#include "../plan.h"
#include "../seccomp.h"
#include "harness.h"

static void read_profile(void *ctx, void *arg)
{
    const char *path = arg;
    struct seccomp_profile *profile = seccomp_profile_read(ctx, path);
    seccomp_profile_json(ctx, profile);
    json_decref(seccomp_profile_to_oci_json(profile, 0));
    json_decref(seccomp_profile_to_oci_json(profile, ~(uint64_t)0));
    struct plan plan = {.seccomp_profile = profile};
    seccomp_prepare(ctx, &plan, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_memfd(data, size);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    fuzz_run(read_profile, path);
    close(fd);
    return 0;
}

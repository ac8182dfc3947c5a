/* Fuzz target: a classic-BPF program given with --seccomp FD (or
 * --add-seccomp-fd), read and checked by seccomp_fd_read before anything
 * starts.  It is never installed: the kernel's own check is not ours.
 *
 * Input: the program, as bwrap reads it (struct sock_filter, native
 * byte order). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <talloc.h>
#include <unistd.h>

#include "../plan.h"
#include "../seccomp.h"
#include "harness.h"

static void read_program(void *ctx, void *arg)
{
    int *fd = arg;
    (void)seccomp_fd_read(ctx, *fd, "--seccomp 3");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_memfd(data, size);
    struct stat ours, now;
    fstat(fd, &ours);
    fuzz_run(read_program, &fd);
    /* seccomp_fd_read closes the fd once read; a rejection may come first. */
    if (fstat(fd, &now) == 0 && now.st_ino == ours.st_ino && now.st_dev == ours.st_dev)
        close(fd);
    return 0;
}

/* Fuzz target: the command line, parsed into a plan and printed, as
 * `bwrapper --print-plan ARGS...` does (plan_from_argv, plan_to_json,
 * seccomp_profile_json).
 *
 * Input: the arguments, NUL-separated.  Whatever follows the first
 * ARGS_MARK is the content of fd ARGS_FD, for `--args 100` or
 * `--seccomp 100`. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <unistd.h>

#include "../plan.h"
#include "harness.h"

#define ARGS_FD 100
static const char ARGS_MARK[] = "\xff--args-fd\xff";

struct input {
    int argc;
    const char *const *argv;
};

static void print_plan(void *ctx, void *arg)
{
    const struct input *in = arg;
    enum print_what print;
    struct plan *plan = plan_from_argv(ctx, in->argc, in->argv, &print);
    plan_to_json(ctx, plan);
    if (plan->seccomp_profile)
        seccomp_profile_json(ctx, plan->seccomp_profile);
}

/* --args, --seccomp and --add-seccomp-fd read and close the fd they name
 * while parsing: only ARGS_FD may be named, or the input could block on,
 * read or close the fuzzer's own fds. */
static bool names_other_fd(const struct input *in)
{
    for (int i = 0; i + 1 < in->argc; i++) {
        if (strcmp(in->argv[i], "--args") != 0 && strcmp(in->argv[i], "--seccomp") != 0 &&
            strcmp(in->argv[i], "--add-seccomp-fd") != 0)
            continue;
        char *end;
        long fd = strtol(in->argv[i + 1], &end, 10);
        if (end != in->argv[i + 1] && *end == '\0' && fd != ARGS_FD)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void *mem = talloc_new(NULL);
    const uint8_t *mark = memmem(data, size, ARGS_MARK, sizeof ARGS_MARK - 1);
    size_t words_len = mark ? (size_t)(mark - data) : size;
    char *words = talloc_size(mem, words_len + 1);
    memcpy(words, data, words_len);
    words[words_len] = '\0';

    const char **argv = talloc_array(mem, const char *, words_len + 2);
    int argc = 0;
    for (size_t i = 0; i < words_len; i += strlen(words + i) + 1)
        argv[argc++] = words + i;
    argv[argc] = NULL;
    struct input in = {argc, argv};

    if (!names_other_fd(&in)) {
        if (mark) {
            size_t off = (size_t)(mark - data) + sizeof ARGS_MARK - 1;
            int fd = fuzz_memfd(data + off, size - off);
            if (dup2(fd, ARGS_FD) != ARGS_FD)
                abort();
            close(fd);
        }
        fuzz_run(print_plan, &in);
        close(ARGS_FD); /* if --args did not */
    }
    talloc_free(mem);
    return 0;
}

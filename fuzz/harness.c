#define _GNU_SOURCE
#include "harness.h"

#include <jansson.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <talloc.h>
#include <unistd.h>

#include "../util.h"

/* ---- jansson's allocations, tracked ---- */

/* A rejected profile leaves the parsed JSON unreleased, as the process
 * would exit: keep every live jansson block on a list to free them all. */
struct block {
    struct block *prev, *next;
    max_align_t align[];
};
static struct block live = {&live, &live};

static void *tracked_malloc(size_t size)
{
    struct block *b = malloc(sizeof *b + size);
    if (b == NULL)
        return NULL;
    b->next = live.next;
    b->prev = &live;
    live.next->prev = b;
    live.next = b;
    return b->align;
}

static void tracked_free(void *ptr)
{
    if (ptr == NULL)
        return;
    struct block *b = (struct block *)((char *)ptr - offsetof(struct block, align));
    b->prev->next = b->next;
    b->next->prev = b->prev;
    free(b);
}

static size_t free_all_tracked(void)
{
    size_t n = 0;
    while (live.next != &live) {
        tracked_free(live.next->align);
        n++;
    }
    return n;
}

/* bwrapper frees json_dumps's text with free(), as jansson documents for
 * its default allocator (--wrap=json_dumps): hand it a malloc'd copy. */
char *__real_json_dumps(const json_t *json, size_t flags);
char *__wrap_json_dumps(const json_t *json, size_t flags);

char *__wrap_json_dumps(const json_t *json, size_t flags)
{
    char *tracked = __real_json_dumps(json, flags);
    char *text = tracked ? strdup(tracked) : NULL;
    tracked_free(tracked);
    return text;
}

/* ---- libseccomp's filter, tracked (--wrap=seccomp_init,seccomp_release) ---- */

scmp_filter_ctx __real_seccomp_init(uint32_t def_action);
void __real_seccomp_release(scmp_filter_ctx ctx);
scmp_filter_ctx __wrap_seccomp_init(uint32_t def_action);
void __wrap_seccomp_release(scmp_filter_ctx ctx);

static scmp_filter_ctx open_filter;

scmp_filter_ctx __wrap_seccomp_init(uint32_t def_action)
{
    open_filter = __real_seccomp_init(def_action);
    return open_filter;
}

void __wrap_seccomp_release(scmp_filter_ctx ctx)
{
    if (ctx == open_filter)
        open_filter = NULL;
    __real_seccomp_release(ctx);
}

/* ---- exit() as die() (--wrap=exit): --help, --version, the usage ---- */

_Noreturn void __real_exit(int status);
_Noreturn void __wrap_exit(int status);

_Noreturn void __wrap_exit(int status)
{
    if (die_jump)
        longjmp(*die_jump, 1);
    __real_exit(status);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    json_set_alloc_funcs(tracked_malloc, tracked_free);
    return 0;
}

bool fuzz_run(void (*fn)(void *ctx, void *arg), void *arg)
{
    jmp_buf back;
    /* volatile: read after longjmp */
    void *volatile ctx = talloc_new(NULL);
    bool returned = false;
    if (setjmp(back) == 0) {
        die_jump = &back;
        fn(ctx, arg);
        returned = true;
    }
    die_jump = NULL;
    level_prefix = false; /* --level-prefix sets it for the process */
    talloc_free(ctx);
    if (open_filter) {
        __real_seccomp_release(open_filter);
        open_filter = NULL;
    }
    /* After a normal return every jansson value must be released: one
     * still held is a leak in bwrapper. */
    size_t left = free_all_tracked();
    if (returned && left > 0) {
        fprintf(stderr, "fuzz: %zu jansson blocks leaked\n", left);
        abort();
    }
    return returned;
}

int fuzz_memfd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0 || write_all(fd, data, size) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
        perror("fuzz: memfd");
        abort();
    }
    return fd;
}

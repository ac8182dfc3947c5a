/* What the libFuzzer targets share: die() and exit() return to the target
 * (util.c's die_jump), and everything a rejected input left behind is
 * freed, so the fuzzer goes on and LeakSanitizer sees only real leaks. */
#ifndef BWRAPPER_FUZZ_HARNESS_H
#define BWRAPPER_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Run FN(CTX, ARG) with CTX a fresh talloc context.  A die() or exit()
 * inside returns here; CTX, the jansson values and the libseccomp filter
 * still held are freed either way.  Returns true if FN returned. */
bool fuzz_run(void (*fn)(void *ctx, void *arg), void *arg);

/* A memfd holding SIZE bytes of DATA, at offset 0. */
int fuzz_memfd(const uint8_t *data, size_t size);

#endif

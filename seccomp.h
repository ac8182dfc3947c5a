/* Seccomp: classic-BPF programs from --seccomp / --add-seccomp-fd. */
#ifndef BWRAPPER_SECCOMP_H
#define BWRAPPER_SECCOMP_H

#include "plan.h"

struct seccomp_programs;

/* Read and check every program the plan names, before anything starts. */
struct seccomp_programs *seccomp_load(void *mem_ctx, const struct plan *plan);
/* Install them in the order given (the kernel runs the last one first). */
void seccomp_apply(const struct seccomp_programs *progs);

#endif

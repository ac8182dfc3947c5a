/* bwrapper's pid 1 under runc and crun (oci-init.c): how runtime.c and
 * oci.c give it to the runtime, and what it finds there. */
#ifndef BWRAPPER_OCI_INIT_H
#define BWRAPPER_OCI_INIT_H

/* Its fds: itself (the runtime passes our fd 3 on, --preserve-fds), our
 * caller's stderr for the command, and a pipe to say the runtime is done
 * (the last two only where runtime.c can tell a runtime's failure from
 * the command's: report_start_fds). */
enum { INIT_SELF = 3, INIT_STDERR = 4, INIT_STARTED = 5 };

/* process.args[0] of a bundle with it: INIT_SELF, inside. */
#define INIT_PATH "/proc/self/fd/3"

/* The program, built from oci-init.c and carried in bwrapper
 * (oci-init-program.c). */
extern const unsigned char oci_init_program[], oci_init_program_end[];

#endif

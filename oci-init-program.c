/* bwrapper's pid 1 under runc and crun, built from oci-init.c by the
 * Makefile (OCI_INIT_PROGRAM names the file), as bytes in bwrapper:
 * runtime.c hands them to the runtime (init_program). */
#include "oci-init.h"

__asm__(".section .rodata\n"
        ".balign 16\n"
        ".globl oci_init_program\n"
        ".hidden oci_init_program\n"
        "oci_init_program:\n"
        ".incbin \"" OCI_INIT_PROGRAM "\"\n"
        ".globl oci_init_program_end\n"
        ".hidden oci_init_program_end\n"
        "oci_init_program_end:\n"
        ".previous\n");

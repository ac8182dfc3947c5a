# bwrapper: see README.md.  `make deps` installs what the build and the
# tests need (Debian); `make check` runs the tests; SANITIZE=1 builds with
# ASan+UBSan.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# bash-completion.pc hard-codes its datadir: ask relative to ours.
BASHCOMPDIR ?= $(shell pkg-config --define-variable=datadir=$(PREFIX)/share --variable=completionsdir bash-completion 2>/dev/null || echo $(PREFIX)/share/bash-completion/completions)
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(shell pkg-config --define-variable=datadir=$(PREFIX)/share --variable=completionsdir fish 2>/dev/null || echo $(PREFIX)/share/fish/vendor_completions.d)
DESTDIR ?=

PKGS := talloc libcap libseccomp jansson
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -D_FORTIFY_SOURCE=2 -fstack-protector-strong $(shell pkg-config --cflags $(PKGS))

ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1
LDFLAGS += -fsanitize=address,undefined
LDLIBS += $(shell pkg-config --libs $(PKGS))
BUILD := build-san
else
# A static PIE: no dynamic loader and no shared-library relocations at
# start-up, which is about a millisecond of every sandbox's launch.
LDFLAGS += -static-pie
LDLIBS += $(shell pkg-config --static --libs $(PKGS))
BUILD := build
endif

SRCS := bwrapper.c plan.c run.c oci.c oci-process.c bundle.c runtime.c mounts.c caps.c seccomp.c seccomp-load.c pty.c util.c landlock.c guarantees.c stage.c changes.c commit.c netallow.c proxy.c netns.c inside.c
OBJS := $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/seccomp-default.o $(BUILD)/oci-init-program.o
# The build-time generator: seccomp.c's code, run here on the default
# profile, writes its program as C (seccomp-gen.c says why).  It is built
# for, and run on, the architecture built for: a cross build runs it under
# emulation (binfmt_misc with qemu-user).  bwrapper checks what the program
# was compiled for at run time, and compiles instead when anything differs.
GEN_OBJS := $(BUILD)/seccomp-gen.o $(BUILD)/seccomp.o $(BUILD)/caps.o $(BUILD)/util.o

# Debian packages for the build and for the tests (reference bwrap, TAP
# tools, shells); `make deps` installs only the missing ones.
DEB_BUILD := gcc make pkg-config libtalloc-dev libcap-dev libseccomp-dev libjansson-dev
DEB_TEST := bubblewrap perl sharness strace python3-seccomp python3-jsonschema util-linux iproute2 procps passwd \
            bash-completion zsh fish runc crun runsc containerd golang-github-opencontainers-specs-dev
DEB_BENCH := hyperfine
# libFuzzer (make fuzz): clang-14's runtime is in libclang-rt-14-dev.
DEB_FUZZ := clang libclang-rt-14-dev

.PHONY: all check deps install install-bwrap-alias bench fuzz clean FORCE

all: bwrapper

bwrapper: $(OBJS) .link-flags
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

# Relink when switching between the plain and the sanitized build.
.link-flags: FORCE
	@echo '$(BUILD) $(CC) $(LDFLAGS) $(LDLIBS)' | cmp -s - $@ || echo '$(BUILD) $(CC) $(LDFLAGS) $(LDLIBS)' >$@

$(BUILD)/%.o: %.c $(wildcard *.h) | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/seccomp-gen: $(GEN_OBJS) .link-flags
	$(CC) $(LDFLAGS) -o $@ $(GEN_OBJS) $(LDLIBS)

$(BUILD)/seccomp-default.c: $(BUILD)/seccomp-gen
	$< >$@.tmp && mv $@.tmp $@

$(BUILD)/seccomp-default.o: $(BUILD)/seccomp-default.c $(wildcard *.h)
	$(CC) $(CFLAGS) -I. -c -o $@ $<

$(BUILD):
	mkdir -p $@

# bwrapper's pid 1 under runc and crun (oci-init.c): a program of its own,
# without libc on x86_64 and aarch64 (its header says why), never
# sanitized, carried in bwrapper as bytes (oci-init-program.c).  gcc would
# make its copying loops calls of a memcpy it does not have.
INIT_CFLAGS := -O2 -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
               -fno-stack-protector -fno-asynchronous-unwind-tables -fPIE -static-pie -s -Wl,-z,noseparate-code \
               $(shell $(CC) -fno-tree-loop-distribute-patterns -E -x c /dev/null >/dev/null 2>&1 && \
                   echo -fno-tree-loop-distribute-patterns)
ifneq ($(filter x86_64-% aarch64-%,$(shell $(CC) -dumpmachine)),)
INIT_CFLAGS += -ffreestanding -nostdlib
endif
$(BUILD)/oci-init: oci-init.c oci-init.h | $(BUILD)
	$(CC) $(INIT_CFLAGS) -o $@ $<

$(BUILD)/oci-init-program.o: oci-init-program.c oci-init.h $(BUILD)/oci-init
	$(CC) $(CFLAGS) -DOCI_INIT_PROGRAM='"$(BUILD)/oci-init"' -c -o $@ $<

# Test helpers: plain builds (never sanitized), copied with the tests.
TEST_BINS := tests/bin/probe tests/bin/ptydrive
tests/bin/%: tests/%.c
	@mkdir -p tests/bin
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -o $@ $<

check: bwrapper $(TEST_BINS)
	tests/run-all

deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH) $(DEB_FUZZ); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    $$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y --no-install-recommends $$missing; \
	else echo "all dependencies present"; fi

install: bwrapper
	install -D -m 0755 bwrapper $(DESTDIR)$(BINDIR)/bwrapper
	install -D -m 0644 bwrapper.1 $(DESTDIR)$(MANDIR)/man1/bwrapper.1
	install -D -m 0644 completions/bwrapper.bash $(DESTDIR)$(BASHCOMPDIR)/bwrapper
	install -D -m 0644 completions/_bwrapper $(DESTDIR)$(ZSHCOMPDIR)/_bwrapper
	install -D -m 0644 completions/bwrapper.fish $(DESTDIR)$(FISHCOMPDIR)/bwrapper.fish

install-bwrap-alias: install
	ln -sf bwrapper $(DESTDIR)$(BINDIR)/bwrap
	ln -sf bwrapper $(DESTDIR)$(BASHCOMPDIR)/bwrap
	ln -sf bwrapper.fish $(DESTDIR)$(FISHCOMPDIR)/bwrap.fish

bench: bwrapper
	tests/bench

# libFuzzer targets (fuzz/*.c), built with clang under ASan+UBSan, where
# die() and exit() return to the target (FUZZING_BUILD_MODE...: util.c).
# `make fuzz` runs each for FUZZ_SECONDS from the seeds in fuzz/corpus/
# (new inputs go to build-fuzz/corpus/, crashes to build-fuzz/crash-*).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := argv seccomp-profile seccomp-bpf proxy-request
FUZZ_CFLAGS := -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(shell pkg-config --cflags $(PKGS))
FUZZ_OBJS := $(SRCS:%.c=build-fuzz/%.o) build-fuzz/seccomp-default.o build-fuzz/oci-init-program.o build-fuzz/harness.o
FUZZ_WRAP := -Wl,--wrap=exit,--wrap=json_dumps,--wrap=seccomp_init,--wrap=seccomp_release

build-fuzz/%.o: %.c $(wildcard *.h) | build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
build-fuzz/seccomp-default.o: $(BUILD)/seccomp-default.c | build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I. -c -o $@ $<
build-fuzz/oci-init-program.o: oci-init-program.c oci-init.h $(BUILD)/oci-init | build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DOCI_INIT_PROGRAM='"$(BUILD)/oci-init"' -c -o $@ $<
# main() is libFuzzer's.
build-fuzz/bwrapper.o: bwrapper.c $(wildcard *.h) | build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Dmain=bwrapper_main -Wno-missing-prototypes -c -o $@ $<
build-fuzz/%.o: fuzz/%.c fuzz/harness.h $(wildcard *.h) | build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
build-fuzz/fuzz-%: build-fuzz/%.o $(FUZZ_OBJS) Makefile
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_WRAP) -o $@ $(filter %.o,$^) $(shell pkg-config --libs $(PKGS))
.PRECIOUS: build-fuzz/%.o
build-fuzz:
	mkdir -p $@

# Option names, from the one option table, as the argv target's dictionary.
build-fuzz/argv.dict: bwrapper | build-fuzz
	./bwrapper --help | sed -n 's/^    \(--[a-z0-9-]*\).*/"\1"/p' >$@

# -close_fd_mask=3: the rejections' messages would drown the fuzzer's;
# setsid: an input naming /dev/tty must not wait for a terminal.
fuzz: $(FUZZ_TARGETS:%=build-fuzz/fuzz-%) build-fuzz/argv.dict
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p build-fuzz/corpus/$$t && \
	    setsid -w build-fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=3 -artifact_prefix=build-fuzz/ \
	        $$( [ $$t = argv ] && echo -dict=build-fuzz/argv.dict ) \
	        build-fuzz/corpus/$$t fuzz/corpus/$$t </dev/null || exit 1; \
	done

clean:
	rm -rf build build-san build-fuzz bwrapper .link-flags tests/bin

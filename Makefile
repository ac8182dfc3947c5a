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

SRCS := bwrapper.c plan.c run.c oci.c mounts.c caps.c seccomp.c seccomp-load.c pty.c util.c landlock.c guarantees.c stage.c changes.c commit.c
OBJS := $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/seccomp-default.o
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
            bash-completion zsh fish runc crun runsc golang-github-opencontainers-specs-dev
DEB_BENCH := hyperfine

.PHONY: all check deps install install-bwrap-alias bench clean FORCE

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

# Test helpers: plain builds (never sanitized), copied with the tests.
TEST_BINS := tests/bin/probe tests/bin/ptydrive
tests/bin/%: tests/%.c
	@mkdir -p tests/bin
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -o $@ $<

check: bwrapper $(TEST_BINS)
	tests/run-all

deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH); do \
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

clean:
	rm -rf build build-san bwrapper .link-flags tests/bin

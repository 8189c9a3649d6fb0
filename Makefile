# Holdfast: top-level, non-recursive Makefile.  Each folder contributes a
# module.mk; objects land in build/, dependencies are tracked with -MMD -MP.
#
#   make              build build/holdfast, build/hfctl, build/hf-push
#   make run          install what is missing, build, start the demo relay
#   make check        install what is missing, build, run every test
#   make bench        relay latency and CPU figures
#   make bench-failover  failover gap, revert, slate and merge-loss figures
#   make bench-linkem  hf-linkem forwarding rate and CPU
#   make bench-fec    residual loss and overhead of FEC and RTX per loss rate
#   make bench-abr    how fast hf-push follows a link whose capacity drops
#   make drill        every shipped drill scenario, one table of SLOs
#   make drill-netns  the same with network namespaces and veth pairs (root)
#   WERROR=1          turn warnings into errors
#   SANITIZE=1        AddressSanitizer + UndefinedBehaviorSanitizer build
#                     (objects go to build-asan/ so both builds coexist)

CC ?= cc
SHELL := /bin/bash

# Compile on every core unless told otherwise (`make -j1`): `make check`
# builds two flavours of every object, and its 15-minute budget on 2 cores
# is better spent on tests than on a serial compile.  Tests themselves run
# one at a time inside their recipes, so this changes nothing there.
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
endif

ifeq ($(SANITIZE),1)
B := build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B := build
SAN_FLAGS :=
endif

PKGS := glib-2.0 gobject-2.0 gio-2.0 gstreamer-1.0 gstreamer-base-1.0 \
        gstreamer-app-1.0 gstreamer-net-1.0 gstreamer-rtp-1.0 gstreamer-sdp-1.0 \
        gstreamer-video-1.0 libsoup-3.0 json-glib-1.0 srt
TEST_PKGS := gstreamer-check-1.0

# pkg-config is only consulted when a build needs it: `make deps` must run on
# a machine that does not have it yet.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS))

WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
        -Wformat=2 -Wshadow -Wpointer-arith -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(WARN) $(SAN_FLAGS) -I. \
             -DHF_VERSION=\"$(VERSION)\" -DGST_USE_UNSTABLE_API $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

LIBS_ALL :=
BINS :=
# Test lists: tests/module.mk and the tools' fragments add to them.
UNIT_TESTS :=
FUZZ_TARGETS :=
# Sources outside the libraries that `make fuzz` compiles into its targets.
FUZZ_EXTRA_SRCS :=

.PHONY: all deps run check check-unit check-e2e check-asan bench bench-failover \
        drill fuzz format clean
all: $(B)/holdfast $(B)/hfctl $(B)/hf-push

# On a machine that has never seen the project, the very first `make`, `make
# run` or `make check` installs the Debian packages it lacks before anything
# asks pkg-config for flags.  The check is quick and silent when all is there.
ifeq ($(filter clean deps format,$(MAKECMDGOALS)),)
ifneq ($(shell tools/install-deps.sh --check >/dev/null 2>&1 && echo ok),ok)
$(info holdfast: installing missing Debian packages (tools/install-deps.sh))
DEPS_LOG := $(shell tools/install-deps.sh >&2; echo $$?)
ifneq ($(DEPS_LOG),0)
$(error tools/install-deps.sh failed; run it by hand to see why)
endif
endif
endif

include ingest/module.mk
include failover/module.mk
include abr/module.mk
include relay/module.mk
include tools/module.mk
include tests/module.mk

# Objects that print the version are rebuilt when `git describe` changes.
.PHONY: FORCE
$(B)/version.stamp: FORCE
	@mkdir -p $(B)
	@echo '$(VERSION)' | cmp -s - $@ 2>/dev/null || echo '$(VERSION)' > $@
$(B)/tools/holdfast.o $(B)/tools/hf-push.o $(B)/tools/hfctl.o \
  $(B)/relay/hf-api.o $(B)/tools/hf-bench-common.o \
  $(B)/tools/hf-bench-failover.o $(B)/tools/hf-bench-latency.o: $(B)/version.stamp

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Packages: tools/install-deps.sh --check is quick and silent when all is
# there; otherwise it installs only what is missing.
deps:
	@tools/install-deps.sh

run: all
	tools/run-demo.sh $(B)

check: all
	$(MAKE) --no-print-directory check-unit
	$(MAKE) --no-print-directory check-e2e
ifneq ($(SANITIZE),1)
	$(MAKE) --no-print-directory SANITIZE=1 check-asan
endif

bench: all $(B)/hf-bench-latency
	tools/bench.sh $(B)

bench-failover: all $(B)/hf-bench-failover
	tools/bench-failover.sh $(B)

.PHONY: bench-fec bench-abr
bench-fec: all $(B)/hf-linkem
	tools/bench-fec.sh $(B)

bench-abr: all $(B)/hf-linkem $(B)/hf-probe
	tools/bench-abr.sh $(B)

# GStreamer's own formatting (its gst-indent settings of GNU indent), on .c
# files only, as GStreamer does: indent mangles headers around G_BEGIN_DECLS.
format:
	@command -v indent >/dev/null || { echo "make format needs GNU indent (apt-get install indent)"; exit 1; }
	indent --braces-on-if-line --case-brace-indentation0 --case-indentation2 \
	  --braces-after-struct-decl-line --line-length80 --no-tabs --cuddle-else \
	  --dont-line-up-parentheses --continuation-indentation4 --honour-newlines \
	  --tab-size8 --indent-level2 --leave-preprocessor-space \
	  $$(git ls-files '*.c')
	@find . -name '*.c~' -o -name '*.h~' | xargs rm -f

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)

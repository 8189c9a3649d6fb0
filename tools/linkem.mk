# hf-linkem, the UDP link impairment proxy, and hf-udpgen, the traffic
# generator and receiver its tests and benchmark measure it with.
#
#   make bench-linkem   throughput and CPU of one link (tools/bench-linkem.sh)
#
# The impairment model (hf-impair.c) and the control parser
# (hf-linkem-ctl.c) are plain C + GLib: the unit test and the fuzz target
# link them as extra objects.

LINKEM_OBJS := $(B)/tools/hf-linkem.o $(B)/tools/hf-impair.o \
               $(B)/tools/hf-linkem-ctl.o

all: $(B)/hf-linkem $(B)/hf-udpgen

$(B)/hf-linkem: $(LINKEM_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/hf-udpgen: $(B)/tools/hf-udpgen.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/tools/hf-linkem.o: $(B)/version.stamp

UNIT_TESTS += test-impair test-linkem-ctl
FUZZ_TARGETS += fuzz-linkem-ctl
FUZZ_EXTRA_SRCS += tools/hf-impair.c tools/hf-linkem-ctl.c

$(B)/tests/test-impair: $(B)/tools/hf-impair.o
$(B)/tests/test-linkem-ctl: $(B)/tools/hf-linkem-ctl.o $(B)/tools/hf-impair.o
$(B)/tests/fuzz-linkem-ctl: $(B)/tools/hf-linkem-ctl.o $(B)/tools/hf-impair.o

check-e2e check-asan: $(B)/hf-linkem $(B)/hf-udpgen

.PHONY: bench-linkem
bench-linkem: $(B)/hf-linkem $(B)/hf-udpgen
	tools/bench-linkem.sh $(B)

# hf-probe: the synthetic viewer (tools/hf-probe.c) around its player model
# (tools/hf-probe-model.c: plain C, time passed in, unit-tested).  It reads
# the picture marks (failover/hf-mark.c) that hf-push and the builtin slate
# draw.
all: $(B)/hf-probe
check-e2e check-asan: $(B)/hf-probe

$(B)/hf-probe: $(B)/tools/hf-probe.o $(B)/tools/hf-probe-model.o \
  $(B)/failover/hf-mark.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/tools/hf-probe.o: $(B)/version.stamp

# hf-push draws the LIVE mark into every frame.
$(B)/hf-push: $(B)/failover/hf-mark.o

UNIT_TESTS += test-mark test-probe-model
FUZZ_TARGETS += fuzz-mark

# The model is a tool's file, not in a library.
$(B)/tests/test-probe-model: $(B)/tools/hf-probe-model.o

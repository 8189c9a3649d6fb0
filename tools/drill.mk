# hf-drill: the drill runner (scenario parser, report, main) and the
# shipped scenarios (tools/drills/, run by tools/drill.sh).
HF_DRILL_OBJS := $(B)/tools/hf-scenario.o $(B)/tools/hf-drill-report.o

all: $(B)/hf-drill

$(B)/hf-drill: $(B)/tools/hf-drill.o $(HF_DRILL_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

UNIT_TESTS += test-scenario test-drill-report
FUZZ_TARGETS += fuzz-scenario
FUZZ_EXTRA_SRCS += tools/hf-scenario.c

$(B)/tests/test-scenario $(B)/tests/test-drill-report \
  $(B)/tests/fuzz-scenario: $(HF_DRILL_OBJS)

# Every shipped scenario against the demo topology, one table at the end.
# (make check runs the short set, kill-primary and both-down, as e2e tests.)
drill: all $(B)/hf-linkem $(B)/hf-probe $(B)/hf-drill
	tools/drill.sh $(B)

check-e2e: $(B)/hf-drill

# The same drills with the pushers, origin and edge in network namespaces
# joined by veth pairs (needs root; says so and skips otherwise).
drill-netns: all $(B)/hf-linkem $(B)/hf-probe $(B)/hf-drill
	tools/drill.sh --netns $(B)

.PHONY: drill-netns

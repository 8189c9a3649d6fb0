# Observability (issue 5): hf-hooksink, a webhook receiver that prints what
# it gets as JSON lines (the alert tests use it; so can an engineer trying
# a [server] webhook), and the tests of /metrics, the event stream, alerts
# and the dashboard (tests/e2e/t-observe.sh, t-hfctl.sh, t-dashboard.sh).

all: $(B)/hf-hooksink
check-e2e check-asan: $(B)/hf-hooksink $(B)/hf-linkem $(B)/hfctl

$(B)/hf-hooksink: $(B)/tools/hf-hooksink.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# hfctl's SSE parser reads what a relay (or anything on its port) sends.
FUZZ_TARGETS += fuzz-sse
FUZZ_EXTRA_SRCS += tools/hf-sse.c
$(B)/tests/fuzz-sse: $(B)/tools/hf-sse.o

# The daemon's command line lives here with the other main()s; the daemon
# itself is the relay/ library.
$(B)/holdfast: $(B)/tools/holdfast.o $(HF_LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# hf-push sends through the abr module's "hfrtpsink" (feedback, RTX) and
# the ingest module's FEC encoder.
$(B)/hf-push: $(B)/tools/hf-push.o $(B)/libhf-abr.a $(B)/libhf-ingest.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(filter-out %.o,$^) \
	  $(PKG_LIBS) -lm

# hfctl: its commands (hfctl.c), its table and JSON helpers, and the
# Server-Sent Events parser and client of `events -f` (hf-sse.c, fuzzed).
$(B)/hfctl: $(B)/tools/hfctl.o $(B)/tools/hf-ctl-out.o $(B)/tools/hf-sse.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# What the two benchmark helpers share: frame hashing, pipelines, figures,
# the relay's API.
HF_BENCH_COMMON := $(B)/tools/hf-bench-common.o

# Benchmark helper (make bench): measures pusher -> viewer latency per frame.
$(B)/hf-bench-latency: $(B)/tools/hf-bench-latency.o $(HF_BENCH_COMMON)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Benchmark helper (make bench-failover): what a viewer sees when the relay's
# inputs die (failover gap, revert, slate, merge loss).
$(B)/hf-bench-failover: $(B)/tools/hf-bench-failover.o $(HF_BENCH_COMMON)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The drill tools, one fragment each: link impairment proxy, viewer probe,
# drill runner.
include tools/linkem.mk
include tools/probe.mk
include tools/drill.mk
include tools/observe.mk

# Tests.  Unit tests are Check programs (linked with gstreamer-check-1.0
# alone: it carries its own libcheck); fuzz targets build two ways: with
# clang's libFuzzer (`make fuzz`, for long runs) and with a plain driver
# that replays the seed corpus plus a bounded number of random mutations
# (run by `make check`, under ASan+UBSan in the sanitizer pass).

UNIT_TESTS += test-config test-rtpstats test-tsgop test-switch \
              test-switch-property test-ratewindow test-health test-select \
              test-slate test-merge test-hfswitch test-events \
              test-alerts test-webhook test-metrics \
              test-fec test-ratectl test-rtcpfb test-rung test-ladder
FUZZ_TARGETS += fuzz-config fuzz-tsgop fuzz-sdp fuzz-rtpstats \
                fuzz-alert-expr fuzz-fec fuzz-rtcpfb fuzz-rung-gate

UNIT_BINS := $(UNIT_TESTS:%=$(B)/tests/%)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(B)/tests/%)

# Objects before the static libraries on the link line, extra objects
# (added below) included: the libraries resolve what any object needs.
$(B)/tests/test-%: $(B)/tests/unit/test-%.o $(HF_LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(filter-out %.o,$^) \
	  $(TEST_LIBS) $(PKG_LIBS) -lm

# The switch's simulator and checker, shared by its two test programs.
$(B)/tests/test-switch $(B)/tests/test-switch-property: \
  $(B)/tests/unit/switch-sim.o

$(B)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(B)/tests/fuzz-%: $(B)/tests/fuzz/fuzz-%.o $(B)/tests/fuzz/driver.o $(HF_LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Long fuzzing with libFuzzer (needs clang): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 30
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang"; exit 1; }
	@mkdir -p build-fuzz
	@for t in $(FUZZ_TARGETS); do \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -I. $(PKG_CFLAGS) \
	    -DHF_VERSION=\"fuzz\" -o build-fuzz/$$t tests/fuzz/$$t.c \
	    $(INGEST_SRCS) $(RELAY_SRCS) $(FAILOVER_SRCS) $(ABR_SRCS) \
	    $(FUZZ_EXTRA_SRCS) $(PKG_LIBS) -lm || exit 1; \
	  mkdir -p build-fuzz/corpus-$$t; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=build-fuzz/$$t- build-fuzz/corpus-$$t \
	    tests/fuzz/corpus/$${t#fuzz-} || exit 1; \
	done

# Every unit test and every fuzz driver (seeds + FUZZ_RUNS mutations).
FUZZ_RUNS ?= 20000
check-unit: $(UNIT_BINS) $(FUZZ_BINS)
	@tests/run-unit.sh $(B) "$(UNIT_TESTS)" "$(FUZZ_TARGETS)" $(FUZZ_RUNS)

check-e2e: $(B)/holdfast $(B)/hf-push $(B)/hfctl
	@tests/e2e/run.sh $(B)

# The sanitizer pass: unit tests, fuzz drivers and the end-to-end tests
# that throw garbage at the relay, in an ASan+UBSan build; GLib's slice
# allocator off, so that LeakSanitizer sees the small blocks it hands out.
check-asan: $(B)/holdfast $(B)/hf-push $(UNIT_BINS) $(FUZZ_BINS)
	@tests/run-unit.sh $(B) "$(UNIT_TESTS)" "$(FUZZ_TARGETS)" $(FUZZ_RUNS)
	@G_SLICE=always-malloc HF_E2E_ONLY="$(ASAN_E2E)" tests/e2e/run.sh $(B)
ASAN_E2E ?= srt_push_pull garbage_does_not_hurt failover_kill_primary \
            slate_when_all_inputs_die linkem_bad_control linkem_restore_all \
            probe_live_slate_live event_stream_live alerts_webhook_primary_dies

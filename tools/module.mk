$(B)/hf-push: $(B)/tools/hf-push.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/hfctl: $(B)/tools/hfctl.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Benchmark helper (make bench): measures pusher -> viewer latency per frame.
$(B)/hf-bench-latency: $(B)/tools/hf-bench-latency.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

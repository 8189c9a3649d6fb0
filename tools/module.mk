$(B)/hf-push: $(B)/tools/hf-push.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/hfctl: $(B)/tools/hfctl.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

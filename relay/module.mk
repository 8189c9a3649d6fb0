RELAY_SRCS := relay/hf-config.c relay/hf-tsgop.c relay/hf-srt.c \
              relay/hf-output.c relay/hf-stream.c relay/hf-api.c \
              relay/hf-events.c relay/hf-programmux.c \
              relay/hf-alerts.c relay/hf-webhook.c relay/hf-metrics.c \
              relay/hf-ladder.c
RELAY_OBJS := $(RELAY_SRCS:%.c=$(B)/%.o)

$(B)/libhf-relay.a: $(RELAY_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# Link order: a library before the ones it uses.
HF_LIBS := $(B)/libhf-relay.a $(B)/libhf-failover.a $(B)/libhf-ingest.a \
           $(B)/libhf-abr.a

# The dashboard (relay/www/) is compiled into the relay as a GResource, so
# that the daemon is one file and serves the page it was built with.
HF_WWW := relay/www/index.html relay/www/app.js relay/www/style.css
$(B)/relay/hf-www.c: relay/www/holdfast.gresource.xml $(HF_WWW)
	@mkdir -p $(dir $@)
	glib-compile-resources --generate-source --c-name hf_www \
	  --sourcedir relay/www --target $@ $<
$(B)/relay/hf-www.o: $(B)/relay/hf-www.c
	$(CC) $(filter-out -W%,$(ALL_CFLAGS)) -c -o $@ $<
$(B)/libhf-relay.a: $(B)/relay/hf-www.o
# `make fuzz` compiles the sources itself: the generated one too.
FUZZ_EXTRA_SRCS += $(B)/relay/hf-www.c
fuzz: $(B)/relay/hf-www.c

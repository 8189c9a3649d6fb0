RELAY_SRCS := relay/hf-config.c relay/hf-tsgop.c relay/hf-srt.c \
              relay/hf-output.c relay/hf-stream.c relay/hf-api.c \
              relay/hf-events.c relay/hf-programmux.c
RELAY_OBJS := $(RELAY_SRCS:%.c=$(B)/%.o)

$(B)/libhf-relay.a: $(RELAY_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# Link order: a library before the ones it uses.
HF_LIBS := $(B)/libhf-relay.a $(B)/libhf-failover.a $(B)/libhf-ingest.a \
           $(B)/libhf-abr.a

INGEST_SRCS := ingest/hf-url.c ingest/hf-rtpstats.c ingest/hf-input.c \
               ingest/hf-input-repair.c \
               ingest/hf-fec.c ingest/gsthffec.c
INGEST_OBJS := $(INGEST_SRCS:%.c=$(B)/%.o)

$(B)/libhf-ingest.a: $(INGEST_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

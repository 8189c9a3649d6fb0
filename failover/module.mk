FAILOVER_SRCS := failover/hf-health.c failover/hf-select.c \
                 failover/hf-slate.c failover/hf-merge.c failover/hf-switch.c \
                 failover/gsthfswitch.c failover/gsthfmerge.c \
                 failover/hf-elements.c failover/hf-mark.c
FAILOVER_OBJS := $(FAILOVER_SRCS:%.c=$(B)/%.o)

$(B)/libhf-failover.a: $(FAILOVER_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

FAILOVER_SRCS := failover/hf-select.c failover/hf-switch.c
FAILOVER_OBJS := $(FAILOVER_SRCS:%.c=$(B)/%.o)

$(B)/libhf-failover.a: $(FAILOVER_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

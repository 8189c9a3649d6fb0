ABR_SRCS := abr/hf-ratewindow.c
ABR_OBJS := $(ABR_SRCS:%.c=$(B)/%.o)

$(B)/libhf-abr.a: $(ABR_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

ABR_SRCS := abr/hf-ratewindow.c abr/hf-rtcpfb.c abr/hf-ratectl.c \
            abr/gsthfrtpsink.c
ABR_SRCS += abr/hf-rung.c
ABR_OBJS := $(ABR_SRCS:%.c=$(B)/%.o)

$(B)/libhf-abr.a: $(ABR_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

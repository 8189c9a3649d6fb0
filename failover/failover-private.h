/* Declarations shared inside failover/ only. */
#ifndef HF_FAILOVER_PRIVATE_H
#define HF_FAILOVER_PRIVATE_H

#include "failover/hf-failover.h"

G_BEGIN_DECLS

/* The elements' types (gsthfswitch.c, gsthfmerge.c). */
GType gst_hf_switch_get_type (void);
GType gst_hf_merge_get_type (void);

G_END_DECLS
#endif

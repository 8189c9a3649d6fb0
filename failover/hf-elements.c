/* Registers the failover module's elements, so that ingest/ and relay/ can
 * make them by name ("hfmerge", "hfswitch") without including this
 * module's element headers.  Any thread, after gst_init (). */
#include "failover/failover-private.h"

gboolean
hf_failover_register_elements (void)
{
  gboolean ok = TRUE;

  ok &= gst_element_register (NULL, "hfswitch", GST_RANK_NONE,
      gst_hf_switch_get_type ());
  ok &= gst_element_register (NULL, "hfmerge", GST_RANK_NONE,
      gst_hf_merge_get_type ());
  return ok;
}

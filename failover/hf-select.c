/* The on-air decision: plain C, time passed in, no state of its own.
 *
 * Today: the highest-priority input that is delivering.  The failover issue
 * adds health states, hysteresis and revert hold-down here.
 */
#include "failover/hf-failover.h"

gint
hf_select_on_air (const HfSelectInput * inputs, guint n_inputs, gint64 now_us,
    gint64 timeout_us)
{
  guint i;

  for (i = 0; i < n_inputs; i++) {
    if (inputs[i].last_video_us != 0 &&
        now_us - inputs[i].last_video_us <= timeout_us)
      return (gint) i;
  }
  return -1;
}

/* Sliding-window rate meter (see hf-abr.h).
 *
 * The window is a ring of equal buckets; adding advances the ring to the
 * bucket that holds @now_us, zeroing the buckets it skips, so a meter that
 * sees no traffic reads 0 once a whole window has passed.  No thread of its
 * own: callers serialise access.
 */
#include "abr/hf-abr.h"

#include <string.h>


void
hf_rate_window_init (HfRateWindow * w, gint64 window_us)
{
  memset (w, 0, sizeof (*w));
  w->window_us = MAX (window_us, HF_RATE_WINDOW_BUCKETS);
  w->bucket_us = w->window_us / HF_RATE_WINDOW_BUCKETS;
}

static void
hf_rate_window_advance (HfRateWindow * w, gint64 now_us)
{
  gint64 steps;
  guint i;

  if (!w->started) {
    w->started = TRUE;
    w->head_start_us = now_us - (now_us % w->bucket_us);
    w->started_us = now_us;
    return;
  }
  if (now_us < w->head_start_us + w->bucket_us)
    return;                     /* still in the newest bucket (or time went back) */

  steps = (now_us - w->head_start_us) / w->bucket_us;
  if (steps >= HF_RATE_WINDOW_BUCKETS) {
    memset (w->bytes, 0, sizeof (w->bytes));
    memset (w->packets, 0, sizeof (w->packets));
  } else {
    for (i = 0; i < steps; i++) {
      w->head = (w->head + 1) % HF_RATE_WINDOW_BUCKETS;
      w->bytes[w->head] = 0;
      w->packets[w->head] = 0;
    }
  }
  if (steps >= HF_RATE_WINDOW_BUCKETS)
    w->head = (w->head + steps) % HF_RATE_WINDOW_BUCKETS;
  w->head_start_us += steps * w->bucket_us;
}

void
hf_rate_window_add (HfRateWindow * w, guint64 bytes, gint64 now_us)
{
  hf_rate_window_advance (w, now_us);
  w->bytes[w->head] += bytes;
  w->packets[w->head]++;
}

static guint64
hf_rate_window_sum (HfRateWindow * w, const guint64 * buckets, gint64 now_us,
    gint64 * span_us)
{
  guint64 sum = 0;
  guint i;

  hf_rate_window_advance (w, now_us);
  for (i = 0; i < HF_RATE_WINDOW_BUCKETS; i++)
    sum += buckets[i];
  /* The newest bucket is only partly over: measure the span actually covered,
   * i.e. the (N-1) full buckets behind it plus the part of the newest. */
  *span_us = (HF_RATE_WINDOW_BUCKETS - 1) * w->bucket_us
      + (now_us - w->head_start_us);
  if (*span_us > now_us - w->started_us)
    *span_us = now_us - w->started_us;
  if (*span_us < w->bucket_us)
    *span_us = w->bucket_us;
  return sum;
}

guint64
hf_rate_window_bps (HfRateWindow * w, gint64 now_us)
{
  gint64 span_us;
  guint64 bytes;

  if (!w->started)
    return 0;
  bytes = hf_rate_window_sum (w, w->bytes, now_us, &span_us);
  return bytes * 8 * G_USEC_PER_SEC / span_us;
}

guint64
hf_rate_window_packets (HfRateWindow * w, gint64 now_us)
{
  gint64 span_us;

  if (!w->started)
    return 0;
  return hf_rate_window_sum (w, w->packets, now_us, &span_us);
}

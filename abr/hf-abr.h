/* Holdfast ABR module: rate measurement and (later) rate control.
 *
 * Today it holds the sliding-window rate meter that every input and output
 * uses for its `bitrate_bps` figure; the receive-rate estimate that the rate
 * controller needs is the same measurement.  Plain C, time passed in, no
 * locking: the owner serialises calls.
 */
#ifndef HF_ABR_H
#define HF_ABR_H

#include <glib.h>

G_BEGIN_DECLS

#define HF_RATE_WINDOW_BUCKETS 10

/* A rate meter over a sliding window of HF_RATE_WINDOW_BUCKETS buckets. */
typedef struct
{
  gint64 window_us;             /* whole window, e.g. 1 s */
  gint64 bucket_us;
  gint64 head_start_us;         /* start time of the newest bucket */
  guint head;                   /* index of the newest bucket */
  guint64 bytes[HF_RATE_WINDOW_BUCKETS];
  guint64 packets[HF_RATE_WINDOW_BUCKETS];
  gint64 started_us;            /* time of the first add */
  gboolean started;
} HfRateWindow;

void hf_rate_window_init (HfRateWindow * w, gint64 window_us);
void hf_rate_window_add (HfRateWindow * w, guint64 bytes, gint64 now_us);
/* Bits per second over the window that ends at @now_us; 0 when nothing was
 * added during it.  A window that has not yet been running for its whole
 * length is measured over the time it has run. */
guint64 hf_rate_window_bps (HfRateWindow * w, gint64 now_us);
guint64 hf_rate_window_packets (HfRateWindow * w, gint64 now_us);

G_END_DECLS
#endif

/* Rate controllers (see hf-abr.h): the receiver-side one that turns what
 * arrives on an RTP link into a target bitrate for the sender (sent back as
 * REMB/TMMBR), and the sender-side one hf-push runs over SRT from its own
 * sender statistics.
 *
 * Receiver side, after WebRTC's delay-based and loss-based estimators:
 *  - one-way delay = arrival time - RTP timestamp (sender clock), sampled
 *    once per group of packets sharing an RTP timestamp (a frame), at the
 *    group's first packet: that packet waited only for the queue in front
 *    of the bottleneck, not for its own frame's burst.  The queueing delay
 *    is that delay minus its minimum over the last ~10 s, smoothed;
 *  - overuse: the queueing delay is above HF_RC_OVERUSE_MS and grew over the
 *    last ~100 ms (or is above HF_RC_OVERUSE_HARD_MS), or the loss is above
 *    10 %.  The target is cut to 0.85 x what arrived since the queue
 *    started to build (what the bottleneck delivers), or 0.85 x the
 *    receive rate if lower.  One frame's sample is enough: a false alarm,
 *    e.g. a keyframe burst queueing on a link with headroom, measures a
 *    delivered rate above the target and so cuts nothing;
 *  - after a cut the target holds HF_RC_HOLD_US, then grows 8 %/s near the
 *    rate that failed last and 40 %/s well below or above it, never beyond
 *    1.5 x the receive rate.
 * A sender restart (the timestamp or sequence jumps) resets the delay and
 * loss baselines instead of reading as a queue or as loss.
 *
 * Plain C, time passed in, no thread of its own and no locking: the owner
 * (one streaming thread or the control context) serialises calls.
 */
#include "abr/hf-abr.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_ratectl_debug);
#define GST_CAT_DEFAULT hf_ratectl_debug

/* Tuning.  Checked by tests/unit/test-ratectl.c's link simulation: 4 ->
 * 1.5 Mbit/s is cut below capacity ~120 ms after the first queued frame,
 * +-10 ms of jitter (queue <= 20 ms) never reads as overuse, and recovery
 * to 90 % takes ~6 s (8 %/s to 1.15 x the failed rate, then 40 %/s). */
#define HF_RC_RATE_WINDOW_US (500 * 1000)
#define HF_RC_MIN_WINDOW_US (10 * G_USEC_PER_SEC)
#define HF_RC_MIN_BUCKETS 10
#define HF_RC_OVERUSE_MS 30.0
#define HF_RC_OVERUSE_HARD_MS 150.0
#define HF_RC_GROWTH_WINDOW_US (100 * 1000)
#define HF_RC_GROWTH_MIN_MS 5.0
#define HF_RC_JITTER_FACTOR 4.0
#define HF_RC_JITTER_GAIN 8.0
#define HF_RC_QUEUE_CLEAR_MS 10.0       /* below: no queue, onset moves on */
#define HF_RC_HOLD_QUEUE_MS 25.0        /* above: no increase (draining) */
#define HF_RC_SMOOTHING 0.3     /* weight of the previous value */
#define HF_RC_MIN_CUT 0.97      /* smaller changes are no new cut */
#define HF_RC_ONSET_MIN_US (30 * 1000)
#define HF_RC_TRAIN_MIN_PACKETS 3
#define HF_RC_TRAIN_MIN_US (10 * 1000)
#define HF_RC_BACKOFF 0.85
#define HF_RC_HOLD_US (500 * 1000)
#define HF_RC_SLOW_INCREASE 0.08        /* per second, near the last failure */
#define HF_RC_FAST_INCREASE 0.40        /* per second, far from it */
#define HF_RC_NEAR_LOW 0.70     /* "near" = [0.70, 1.15] x failure */
#define HF_RC_NEAR_HIGH 1.15
#define HF_RC_RECEIVE_CAP 1.5
#define HF_RC_RECEIVE_CAP_EXTRA_BPS 10000
#define HF_RC_LOSS_INTERVAL_US (200 * 1000)
#define HF_RC_LOSS_MAX_INTERVAL_US G_USEC_PER_SEC
#define HF_RC_LOSS_MIN_PACKETS 100
#define HF_RC_LOSS_HISTORY 3    /* intervals: ~1 s at 1.5 Mbit/s */
#define HF_RC_LOSS_LOW 0.02
#define HF_RC_LOSS_HIGH 0.10
#define HF_RC_RESTART_DELAY_US (2 * G_USEC_PER_SEC)
#define HF_RC_RESTART_SEQ 3000
#define HF_RC_HISTORY 32

typedef struct
{
  gint64 at_us;
  gdouble queue_ms;
} HfRcHistory;

struct _HfRatectl
{
  guint64 min_bps, max_bps;
  gdouble target;               /* bit/s, fractional so small steps add up */
  HfRatectlState state;
  gint64 hold_until_us;
  gint64 last_increase_us;      /* last update (), 0: none yet */
  gint64 now_us;                /* latest time seen */
  gint64 last_feedback_us;
  gboolean feedback_sent;
  gboolean cut_pending;         /* a cut not yet announced by update () */
  guint64 fail_bps;             /* receive rate at the last cut, 0: none */

  HfRateWindow rate;
  guint64 bytes_total;

  /* Delay: unwrapped RTP timestamp of the current group, and the filters. */
  gboolean have_ts;
  guint32 last_rtp_ts;
  gint64 ts_ext;
  gint64 last_delay_us;
  gint64 min_bucket_start_us[HF_RC_MIN_BUCKETS];
  gint64 min_delay_us[HF_RC_MIN_BUCKETS];
  gboolean have_queue;
  gdouble queue_ms;             /* smoothed */
  HfRcHistory history[HF_RC_HISTORY];
  guint history_len, history_head;
  gdouble threshold_ms;         /* overuse above this, adapts to jitter */
  gdouble jitter_ms;
  gdouble prev_q;
  gboolean have_prev_q;
  /* The current group's train: a frame is sent as a burst, so it leaves
   * the bottleneck at the bottleneck's rate. */
  gint64 group_first_us, group_last_us;
  guint64 group_bytes;          /* after its first packet */
  guint group_packets;
  guint64 train_bps;            /* of the last complete group, 0: none */
  gint64 onset_us;              /* last group that saw no queue */
  guint64 onset_bytes;          /* bytes_total before that group */

  /* Loss over the current interval. */
  gboolean have_seq;
  guint64 max_seq;
  guint64 interval_base_seq;    /* max_seq at the interval start */
  guint64 interval_received;
  gint64 interval_start_us;
  gdouble loss_ratio;           /* over the last interval */
  /* The last HF_RC_LOSS_HISTORY intervals, for the increase gate. */
  guint64 hist_expected[HF_RC_LOSS_HISTORY], hist_lost[HF_RC_LOSS_HISTORY];
  guint hist_pos;
};

static void
hf_ratectl_init_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (hf_ratectl_debug, "hf-ratectl", 0,
        "Holdfast rate control");
    g_once_init_leave (&once, 1);
  }
}

const gchar *
hf_ratectl_state_to_string (HfRatectlState state)
{
  switch (state) {
    case HF_RATECTL_HOLD:
      return "hold";
    case HF_RATECTL_INCREASE:
      return "increase";
    case HF_RATECTL_DECREASE:
      return "decrease";
  }
  return "unknown";
}

static gdouble
hf_ratectl_clamp (gdouble v, guint64 min_bps, guint64 max_bps)
{
  if (v < (gdouble) min_bps)
    return (gdouble) min_bps;
  if (v > (gdouble) max_bps)
    return (gdouble) max_bps;
  return v;
}

static void
hf_ratectl_set_state (HfRatectl * rc, HfRatectlState state,
    const gchar * reason)
{
  if (rc->state == state)
    return;
  GST_DEBUG ("%s -> %s (%s), target %.0f bit/s",
      hf_ratectl_state_to_string (rc->state),
      hf_ratectl_state_to_string (state), reason, rc->target);
  rc->state = state;
}

/**
 * hf_ratectl_new:
 * Returns: (transfer full): a controller whose target starts at @start_bps
 * (clamped to [@min_bps, @max_bps]); free with hf_ratectl_free ().
 */
HfRatectl *
hf_ratectl_new (guint64 start_bps, guint64 min_bps, guint64 max_bps)
{
  HfRatectl *rc;

  hf_ratectl_init_debug ();
  if (max_bps < min_bps)
    max_bps = min_bps;
  rc = g_new0 (HfRatectl, 1);
  rc->min_bps = min_bps;
  rc->max_bps = max_bps;
  rc->target = hf_ratectl_clamp ((gdouble) start_bps, min_bps, max_bps);
  rc->state = HF_RATECTL_INCREASE;
  hf_rate_window_init (&rc->rate, HF_RC_RATE_WINDOW_US);
  rc->threshold_ms = HF_RC_OVERUSE_MS;
  return rc;
}

void
hf_ratectl_free (HfRatectl * rc)
{
  g_free (rc);
}

static void
hf_ratectl_reset_delay (HfRatectl * rc)
{
  memset (rc->min_bucket_start_us, 0, sizeof (rc->min_bucket_start_us));
  rc->have_queue = FALSE;
  rc->queue_ms = 0;
  rc->history_len = 0;
  rc->history_head = 0;
  rc->have_prev_q = FALSE;
  rc->onset_us = 0;
  rc->train_bps = 0;
  rc->group_packets = 0;
}

/* A group ended: its train rate, when long enough to measure. */
static void
hf_ratectl_end_group (HfRatectl * rc)
{
  gint64 span = rc->group_last_us - rc->group_first_us;

  rc->train_bps = 0;
  if (rc->group_packets >= HF_RC_TRAIN_MIN_PACKETS &&
      span >= HF_RC_TRAIN_MIN_US)
    rc->train_bps = rc->group_bytes * 8 * G_USEC_PER_SEC / (guint64) span;
}

/* The minimum one-way delay over the last ~10 s, after adding @delay_us:
 * one minimum per second in a ring of HF_RC_MIN_BUCKETS. */
static gint64
hf_ratectl_min_delay (HfRatectl * rc, gint64 delay_us, gint64 now_us)
{
  gint64 bucket_us = HF_RC_MIN_WINDOW_US / HF_RC_MIN_BUCKETS;
  gint64 start = now_us - (now_us % bucket_us);
  guint idx = (guint) ((now_us / bucket_us) % HF_RC_MIN_BUCKETS);
  gint64 min = delay_us;
  guint i;

  /* Bucket starts are never 0 once used: a start of 0 marks "empty". */
  if (rc->min_bucket_start_us[idx] != start + 1) {
    rc->min_bucket_start_us[idx] = start + 1;
    rc->min_delay_us[idx] = delay_us;
  } else if (delay_us < rc->min_delay_us[idx]) {
    rc->min_delay_us[idx] = delay_us;
  }
  for (i = 0; i < HF_RC_MIN_BUCKETS; i++) {
    if (rc->min_bucket_start_us[i] == 0 ||
        rc->min_bucket_start_us[i] - 1 <= start - HF_RC_MIN_WINDOW_US)
      continue;
    min = MIN (min, rc->min_delay_us[i]);
  }
  return min;
}

/* The smoothed queueing delay about @ago_us before @now_us: the newest
 * history entry at least that old, else the oldest there is. */
static gdouble
hf_ratectl_queue_ago (HfRatectl * rc, gint64 now_us, gint64 ago_us)
{
  guint i;

  for (i = 0; i < rc->history_len; i++) {
    const HfRcHistory *h = &rc->history[(rc->history_head + HF_RC_HISTORY - i)
        % HF_RC_HISTORY];

    if (h->at_us <= now_us - ago_us)
      return h->queue_ms;
  }
  return rc->history[(rc->history_head + HF_RC_HISTORY - rc->history_len + 1)
      % HF_RC_HISTORY].queue_ms;
}

/* The rate the bottleneck delivers, the lowest of: the receive rate; what
 * arrived since the queue started to build (when that is long enough to
 * measure); the rate at which the last frame's burst came out of it.  The
 * first is slow to follow a drop, the second can start too early (before
 * the drop, or moved by jitter), the third is one frame's worth: together
 * they cut below a new capacity with the first queued frame. */
static guint64
hf_ratectl_capacity (HfRatectl * rc, gint64 now_us)
{
  guint64 window = hf_rate_window_bps (&rc->rate, now_us);
  guint64 best = window, since = 0;

  if (rc->train_bps > 0)
    best = MIN (best, rc->train_bps);
  if (rc->onset_us != 0 && now_us - rc->onset_us >= HF_RC_ONSET_MIN_US) {
    since = (rc->bytes_total - rc->onset_bytes) * 8 * G_USEC_PER_SEC /
        (guint64) (now_us - rc->onset_us);
    best = MIN (best, since);
  }
  GST_DEBUG ("capacity %" G_GUINT64_FORMAT ": window %" G_GUINT64_FORMAT
      ", last train %" G_GUINT64_FORMAT ", since onset %" G_GUINT64_FORMAT
      " (0: none)", best, window, rc->train_bps, since);
  return best;
}

static void
hf_ratectl_cut (HfRatectl * rc, guint64 measured_bps, gdouble factor,
    gdouble min_cut, gint64 now_us, const gchar * reason)
{
  gdouble next = hf_ratectl_clamp (MIN (rc->target, measured_bps * factor),
      rc->min_bps, rc->max_bps);

  /* Overuse seen again before the sender reacted measures the same rate:
   * it extends the hold but is no new cut to announce. */
  rc->hold_until_us = now_us + HF_RC_HOLD_US;
  if (next >= min_cut * rc->target)
    return;
  GST_INFO ("cut %.0f -> %.0f bit/s (%s, measured %" G_GUINT64_FORMAT
      " bit/s, queue %.1f ms, loss %.3f)", rc->target, next, reason,
      measured_bps, rc->queue_ms, rc->loss_ratio);
  rc->target = next;
  rc->cut_pending = TRUE;
  if (measured_bps > 0)
    rc->fail_bps = measured_bps;
  hf_ratectl_set_state (rc, HF_RATECTL_DECREASE, reason);
}

/* One delay sample per group, at its first packet. */
static void
hf_ratectl_on_group (HfRatectl * rc, gint64 delay_us, gint64 now_us)
{
  gint64 min = hf_ratectl_min_delay (rc, delay_us, now_us);
  gdouble q = (delay_us - min) / 1000.0;
  gdouble growth;
  gboolean overuse;

  if (!rc->have_queue) {
    rc->queue_ms = q;
    rc->have_queue = TRUE;
  } else {
    rc->queue_ms = HF_RC_SMOOTHING * rc->queue_ms + (1 - HF_RC_SMOOTHING) * q;
  }
  if (q < HF_RC_QUEUE_CLEAR_MS) {
    rc->onset_us = now_us;
    rc->onset_bytes = rc->bytes_total;
  }

  rc->history_head = (rc->history_head + 1) % HF_RC_HISTORY;
  rc->history[rc->history_head].at_us = now_us;
  rc->history[rc->history_head].queue_ms = rc->queue_ms;
  rc->history_len = MIN (rc->history_len + 1, HF_RC_HISTORY);

  growth = rc->queue_ms - hf_ratectl_queue_ago (rc, now_us,
      HF_RC_GROWTH_WINDOW_US);
  overuse = (rc->queue_ms > rc->threshold_ms && growth > HF_RC_GROWTH_MIN_MS)
      || rc->queue_ms > MAX (HF_RC_OVERUSE_HARD_MS, 2 * rc->threshold_ms);
  if (overuse) {
    hf_ratectl_cut (rc, hf_ratectl_capacity (rc, now_us), HF_RC_BACKOFF,
        HF_RC_MIN_CUT, now_us, "delay");
  } else {
    /* The threshold follows the path's own jitter (RFC 3550-style mean
     * deviation between samples, outside overuse so that a queue building
     * up does not raise it): a path that jitters by more than ~+-10 ms
     * would otherwise read as overuse again and again. */
    if (rc->have_prev_q)
      rc->jitter_ms += (ABS (q - rc->prev_q) - rc->jitter_ms) /
          HF_RC_JITTER_GAIN;
    rc->threshold_ms = MAX (HF_RC_OVERUSE_MS, HF_RC_JITTER_FACTOR *
        rc->jitter_ms);
  }
  rc->prev_q = q;
  rc->have_prev_q = TRUE;
}

void
hf_ratectl_on_packet (HfRatectl * rc, gsize size, guint32 rtp_ts,
    guint clock_rate, guint64 ext_seq, gint64 now_us)
{
  gint64 delta_seq;

  g_return_if_fail (rc != NULL);

  if (clock_rate == 0)
    clock_rate = 90000;
  rc->now_us = MAX (rc->now_us, now_us);
  hf_rate_window_add (&rc->rate, size, now_us);
  rc->bytes_total += size;

  /* Loss accounting over extended sequence numbers. */
  delta_seq = rc->have_seq ? (gint64) (ext_seq - rc->max_seq) : 0;
  if (!rc->have_seq || delta_seq > HF_RC_RESTART_SEQ ||
      delta_seq < -HF_RC_RESTART_SEQ) {
    if (rc->have_seq) {
      GST_INFO ("sequence jumped by %" G_GINT64_FORMAT ": new loss and "
          "delay baselines (sender restart?)", delta_seq);
      hf_ratectl_reset_delay (rc);
      rc->have_ts = FALSE;
    }
    rc->have_seq = TRUE;
    rc->max_seq = ext_seq;
    rc->interval_base_seq = ext_seq - 1;
    rc->interval_received = 1;
    rc->interval_start_us = now_us;
  } else {
    if (delta_seq > 0)
      rc->max_seq = ext_seq;
    rc->interval_received++;
  }

  /* Delay: a timestamp newer than the current group starts a group. */
  if (rc->have_ts) {
    gint32 d = (gint32) (rtp_ts - rc->last_rtp_ts);

    if (d == 0) {
      /* The rest of a frame's burst: it left the bottleneck back to back. */
      if (now_us >= rc->group_last_us) {
        rc->group_last_us = now_us;
        rc->group_bytes += size;
        rc->group_packets++;
      }
      return;
    }
    if (d < 0 && -(gint64) d <= (gint64) clock_rate)
      return;                   /* an older frame, reordered: no sample */
    hf_ratectl_end_group (rc);
    if (d < 0 || (gint64) d > 10 * (gint64) clock_rate) {
      /* Back, or more than 10 s ahead: a new timeline, not time passing
       * (and never let ts_ext run away: it is scaled to microseconds). */
      GST_INFO ("RTP timestamp jumped %d: new delay baseline", d);
      hf_ratectl_reset_delay (rc);
      rc->ts_ext = rtp_ts;
    } else {
      rc->ts_ext += d;
    }
  } else {
    rc->ts_ext = rtp_ts;
    rc->have_ts = TRUE;
  }
  rc->last_rtp_ts = rtp_ts;
  rc->group_first_us = rc->group_last_us = now_us;
  rc->group_bytes = 0;
  rc->group_packets = 1;

  {
    gint64 delay_us = now_us - rc->ts_ext * G_USEC_PER_SEC / clock_rate;

    if (rc->have_queue &&
        ABS (delay_us - rc->last_delay_us) > HF_RC_RESTART_DELAY_US) {
      GST_INFO ("one-way delay jumped %" G_GINT64_FORMAT " us: new delay "
          "baseline (sender restart?)", delay_us - rc->last_delay_us);
      hf_ratectl_reset_delay (rc);
    }
    rc->last_delay_us = delay_us;
    hf_ratectl_on_group (rc, delay_us, now_us);
  }
}

/* Loss over the last few intervals: one interval of ~100 packets is too
 * noisy to allow an increase on. */
static gdouble
hf_ratectl_recent_loss (HfRatectl * rc)
{
  guint64 expected = 0, lost = 0;
  guint i;

  for (i = 0; i < HF_RC_LOSS_HISTORY; i++) {
    expected += rc->hist_expected[i];
    lost += rc->hist_lost[i];
  }
  return expected ? (gdouble) lost / expected : 0;
}

static void
hf_ratectl_check_loss (HfRatectl * rc, gint64 now_us)
{
  guint64 expected, lost;
  gint64 span = now_us - rc->interval_start_us;

  if (!rc->have_seq || span < HF_RC_LOSS_INTERVAL_US)
    return;
  expected = rc->max_seq - rc->interval_base_seq;
  if (expected < HF_RC_LOSS_MIN_PACKETS && span < HF_RC_LOSS_MAX_INTERVAL_US)
    return;

  lost = expected > rc->interval_received ?
      expected - rc->interval_received : 0;
  rc->hist_pos = (rc->hist_pos + 1) % HF_RC_LOSS_HISTORY;
  rc->hist_expected[rc->hist_pos] = expected;
  rc->hist_lost[rc->hist_pos] = lost;
  rc->loss_ratio = expected ? (gdouble) lost / expected : 0;
  GST_LOG ("loss %.3f over %" G_GUINT64_FORMAT " packets, %" G_GINT64_FORMAT
      " us", rc->loss_ratio, expected, span);
  rc->interval_base_seq = rc->max_seq;
  rc->interval_received = 0;
  rc->interval_start_us = now_us;

  /* One loss cut per hold: the interval after a cut still shows the
   * loss of the rate before it. */
  if (now_us < rc->hold_until_us)
    return;
  /* Loss between HF_RC_LOSS_LOW and HF_RC_LOSS_HIGH only stops the
   * increase (hf_ratectl_update): as in WebRTC's loss-based controller,
   * a few percent of random loss is the link's nature, which FEC and RTX
   * repair, not congestion; cutting for it would slide the stream down to
   * its minimum on any lossy link. */
  if (rc->loss_ratio > HF_RC_LOSS_HIGH)
    hf_ratectl_cut (rc, hf_rate_window_bps (&rc->rate, now_us),
        HF_RC_BACKOFF, HF_RC_MIN_CUT, now_us, "loss");
}

static void
hf_ratectl_increase (HfRatectl * rc, gint64 now_us)
{
  guint64 receive = hf_rate_window_bps (&rc->rate, now_us);
  gdouble cap = HF_RC_RECEIVE_CAP * receive + HF_RC_RECEIVE_CAP_EXTRA_BPS;
  gdouble dt = rc->last_increase_us == 0 ? 0 :
      (now_us - rc->last_increase_us) / (gdouble) G_USEC_PER_SEC;
  gdouble per_s = HF_RC_FAST_INCREASE, next;

  if (rc->fail_bps > 0 && rc->target > HF_RC_NEAR_HIGH * rc->fail_bps)
    rc->fail_bps = 0;           /* the link carries more than it did */
  if (rc->fail_bps > 0 && rc->target >= HF_RC_NEAR_LOW * rc->fail_bps)
    per_s = HF_RC_SLOW_INCREASE;

  next = rc->target * pow (1.0 + per_s, MIN (dt, 1.0));
  if (next > cap)
    next = MAX (rc->target, cap);
  rc->target = hf_ratectl_clamp (next, rc->min_bps, rc->max_bps);
}

gboolean
hf_ratectl_update (HfRatectl * rc, gint64 now_us, guint64 * target_bps)
{
  gboolean due;

  g_return_val_if_fail (rc != NULL, FALSE);

  rc->now_us = MAX (rc->now_us, now_us);
  hf_ratectl_check_loss (rc, now_us);

  if (rc->cut_pending) {
    /* stays DECREASE until the cut is announced below */
  } else if (now_us < rc->hold_until_us) {
    hf_ratectl_set_state (rc, HF_RATECTL_HOLD, "after a cut");
  } else if (hf_ratectl_recent_loss (rc) >= HF_RC_LOSS_LOW ||
      (rc->have_queue && rc->queue_ms > HF_RC_HOLD_QUEUE_MS *
          rc->threshold_ms / HF_RC_OVERUSE_MS)) {
    hf_ratectl_set_state (rc, HF_RATECTL_HOLD, "queue or loss");
  } else {
    if (rc->state != HF_RATECTL_INCREASE)
      rc->last_increase_us = now_us;
    hf_ratectl_set_state (rc, HF_RATECTL_INCREASE, "clean link");
    hf_ratectl_increase (rc, now_us);
  }
  rc->last_increase_us = now_us;

  due = rc->cut_pending || !rc->feedback_sent ||
      now_us - rc->last_feedback_us >= HF_RATECTL_FEEDBACK_US;
  if (due) {
    rc->cut_pending = FALSE;
    rc->feedback_sent = TRUE;
    rc->last_feedback_us = now_us;
    if (target_bps)
      *target_bps = (guint64) rc->target;
  }
  return due;
}

guint64
hf_ratectl_get_target (HfRatectl * rc)
{
  g_return_val_if_fail (rc != NULL, 0);
  return (guint64) rc->target;
}

HfRatectlState
hf_ratectl_get_state (HfRatectl * rc)
{
  g_return_val_if_fail (rc != NULL, HF_RATECTL_HOLD);
  return rc->state;
}

guint64
hf_ratectl_get_receive_bps (HfRatectl * rc)
{
  g_return_val_if_fail (rc != NULL, 0);
  return hf_rate_window_bps (&rc->rate, rc->now_us);
}

gdouble
hf_ratectl_get_queue_delay_ms (HfRatectl * rc)
{
  g_return_val_if_fail (rc != NULL, 0);
  return rc->queue_ms;
}

gdouble
hf_ratectl_get_loss_ratio (HfRatectl * rc)
{
  g_return_val_if_fail (rc != NULL, 0);
  return rc->loss_ratio;
}

/* ---- Sender side over SRT --------------------------------------------- */

#define HF_SRT_LOSS_WINDOW_US G_USEC_PER_SEC
#define HF_SRT_LOSS_HIGH 0.05
#define HF_SRT_LOSS_CLEAN 0.01
#define HF_SRT_BUFFER_MIN_MS 100.0
#define HF_SRT_BUFFER_RTTS 2.0
#define HF_SRT_MIN_CUT_GAP_US (600 * 1000)
#define HF_SRT_HOLD_US (1000 * 1000)
#define HF_SRT_SAMPLES 16
#define HF_SRT_MAX_GROWTH 9.0   /* of the time: cut at most to 10 % */
/* Queueing in front of a bottleneck: the send buffer (or the RTT) above
 * the smallest RTT of the last HF_SRT_MIN_RTT_US.  Above this and growing
 * is overuse, whatever the RTT itself is. */
#define HF_SRT_QUEUE_MS 60.0
#define HF_SRT_DRAIN_MS 5.0
#define HF_SRT_MIN_RTT_US (10 * G_USEC_PER_SEC)

typedef struct
{
  gint64 at_us;
  guint64 sent, bad;            /* deltas over the sample */
} HfSrtDelta;

struct _HfSrtRatectl
{
  guint64 min_bps, max_bps;
  gdouble target;
  gboolean have_prev;
  HfSrtSample prev;
  gint64 prev_us;
  HfSrtDelta deltas[HF_SRT_SAMPLES];
  guint n_deltas, head;
  gint64 last_cut_us;
  gint64 hold_until_us;
  guint64 fail_bps;
  gdouble min_rtt_ms;           /* < 0: none yet */
  gint64 min_rtt_at_us;
  gdouble queue_ms;             /* send buffer above min_rtt_ms */
};

/**
 * hf_srt_ratectl_new:
 * Returns: (transfer full): a controller whose target starts at @start_bps
 * (clamped to [@min_bps, @max_bps]); free with hf_srt_ratectl_free ().
 */
HfSrtRatectl *
hf_srt_ratectl_new (guint64 start_bps, guint64 min_bps, guint64 max_bps)
{
  HfSrtRatectl *rc;

  hf_ratectl_init_debug ();
  if (max_bps < min_bps)
    max_bps = min_bps;
  rc = g_new0 (HfSrtRatectl, 1);
  rc->min_bps = min_bps;
  rc->max_bps = max_bps;
  rc->target = hf_ratectl_clamp ((gdouble) start_bps, min_bps, max_bps);
  rc->min_rtt_ms = -1;
  return rc;
}

void
hf_srt_ratectl_free (HfSrtRatectl * rc)
{
  g_free (rc);
}

/* Loss or retransmission ratio, whichever is larger, over the last second
 * of samples. */
static gdouble
hf_srt_ratectl_bad_ratio (HfSrtRatectl * rc, gint64 now_us)
{
  guint64 sent = 0, bad = 0;
  guint i;

  for (i = 0; i < rc->n_deltas; i++) {
    const HfSrtDelta *d = &rc->deltas[(rc->head + HF_SRT_SAMPLES - i) %
        HF_SRT_SAMPLES];

    if (d->at_us <= now_us - HF_SRT_LOSS_WINDOW_US)
      break;
    sent += d->sent;
    bad += d->bad;
  }
  return sent ? (gdouble) bad / sent : 0;
}

gboolean
hf_srt_ratectl_update (HfSrtRatectl * rc, const HfSrtSample * s,
    gint64 now_us, guint64 * target_bps)
{
  guint64 before;
  gdouble ratio, threshold_ms, prev_queue_ms;
  gboolean growing, gap_ok, cut = FALSE;

  g_return_val_if_fail (rc != NULL, FALSE);
  g_return_val_if_fail (s != NULL, FALSE);

  before = (guint64) rc->target;
  if (!rc->have_prev || s->pkt_sent < rc->prev.pkt_sent ||
      s->pkt_lost < rc->prev.pkt_lost ||
      s->pkt_retrans < rc->prev.pkt_retrans || now_us <= rc->prev_us) {
    /* First sample, or the counters restarted (a reconnect). */
    rc->have_prev = TRUE;
    rc->prev = *s;
    rc->prev_us = now_us;
    rc->n_deltas = 0;
    return FALSE;
  }

  rc->head = (rc->head + 1) % HF_SRT_SAMPLES;
  rc->deltas[rc->head].at_us = now_us;
  rc->deltas[rc->head].sent = s->pkt_sent - rc->prev.pkt_sent;
  /* Lost packets only: libsrt also retransmits on a timeout when the
   * ACKs are late, and a queue that drains after a cap is lifted brings a
   * burst of those, which is no loss. */
  rc->deltas[rc->head].bad = s->pkt_lost - rc->prev.pkt_lost;
  rc->n_deltas = MIN (rc->n_deltas + 1, HF_SRT_SAMPLES);

  ratio = hf_srt_ratectl_bad_ratio (rc, now_us);
  threshold_ms = MAX (HF_SRT_BUFFER_RTTS * s->rtt_ms, HF_SRT_BUFFER_MIN_MS);
  growing = s->send_buffer_ms > rc->prev.send_buffer_ms;
  /* The RTT grows with the queue in front of the bottleneck (the send
   * buffer spans the RTT), so a threshold in RTTs alone never trips on
   * it: compare against the smallest RTT seen lately too. */
  if (s->rtt_ms > 0 && (rc->min_rtt_ms < 0 || s->rtt_ms <= rc->min_rtt_ms ||
          now_us - rc->min_rtt_at_us > HF_SRT_MIN_RTT_US)) {
    rc->min_rtt_ms = s->rtt_ms;
    rc->min_rtt_at_us = now_us;
  }
  prev_queue_ms = rc->queue_ms;
  rc->queue_ms = rc->min_rtt_ms >= 0 ?
      MAX (0.0, s->send_buffer_ms - rc->min_rtt_ms) : 0.0;

  gap_ok = rc->last_cut_us == 0 ||
      now_us - rc->last_cut_us >= HF_SRT_MIN_CUT_GAP_US;
  if (gap_ok) {
    if (s->send_buffer_ms > threshold_ms && growing)
      cut = TRUE;
    else if (rc->queue_ms > HF_SRT_QUEUE_MS && rc->queue_ms > prev_queue_ms)
      cut = TRUE;
    else if (ratio > HF_SRT_LOSS_HIGH &&
        rc->n_deltas >= 2 + (guint) ceil (MAX (s->rtt_ms, 0.0) / 200.0) &&
        rc->queue_ms > prev_queue_ms - HF_SRT_DRAIN_MS)
      /* Loss is reported a round trip (queue included) after the sending:
       * after a cut, wait for samples of the new rate; and a queue that
       * drains says the rate is already below the link's, whatever loss
       * is still being reported from before. */
      cut = TRUE;
  }

  if (cut) {
    /* What got through: the send rate less what had to be sent again, and
     * less the part that piled up.  The send buffer is time in front of a
     * bottleneck: sending at S into a link of capacity C grows it by
     * (S - C) / C per unit of time, so if it grew by g ms over t ms the
     * link carried C = S / (1 + g/t).  (A 4 Mbit/s stream into a 1.5
     * Mbit/s link grows it by 1.67 s per second: one sample is enough.) */
    /* The measured send rate counts the retransmissions too, which a
     * lossy bottleneck multiplies: the encoder's rate is what the stream
     * needs. */
    gdouble rate = s->send_rate_bps > 0 ?
        MIN (s->send_rate_bps, rc->target) : rc->target;
    gdouble dt_ms = (now_us - rc->prev_us) / 1000.0;
    gdouble grew = CLAMP ((s->send_buffer_ms - rc->prev.send_buffer_ms) /
        dt_ms, 0.0, HF_SRT_MAX_GROWTH);
    /* Loss from a full queue is what the link could not carry: what got
     * through is (1 - loss) of the rate. */
    gdouble through = rate * MIN (1.0 - MIN (ratio, 0.9), 1.0 / (1.0 + grew));

    rc->fail_bps = (guint64) MIN (through, rc->target);
    rc->target = hf_ratectl_clamp (HF_RC_BACKOFF * MIN (through, rc->target),
        rc->min_bps, rc->max_bps);
    rc->last_cut_us = now_us;
    rc->hold_until_us = now_us + HF_SRT_HOLD_US;
    /* The loss reported for a while yet is that of the rate before the
     * cut: judge the new rate on its own samples. */
    rc->n_deltas = 0;
    GST_INFO ("srt: cut to %.0f bit/s (send buffer %.0f ms, threshold %.0f "
        "ms, grew %.2f, loss/retransmit %.3f)", rc->target, s->send_buffer_ms,
        threshold_ms, grew, ratio);
  } else if (now_us >= rc->hold_until_us && ratio < HF_SRT_LOSS_CLEAN &&
      s->send_buffer_ms <= threshold_ms && rc->queue_ms <= HF_SRT_QUEUE_MS) {
    gdouble dt = MIN ((now_us - rc->prev_us) / (gdouble) G_USEC_PER_SEC, 1.0);
    gdouble per_s = HF_RC_FAST_INCREASE;

    if (rc->fail_bps > 0 && rc->target > HF_RC_NEAR_HIGH * rc->fail_bps)
      rc->fail_bps = 0;
    if (rc->fail_bps > 0 && rc->target >= HF_RC_NEAR_LOW * rc->fail_bps)
      per_s = HF_RC_SLOW_INCREASE;
    rc->target = hf_ratectl_clamp (rc->target * pow (1.0 + per_s, dt),
        rc->min_bps, rc->max_bps);
  }

  rc->prev = *s;
  rc->prev_us = now_us;
  if ((guint64) rc->target != before) {
    if (target_bps)
      *target_bps = (guint64) rc->target;
    return TRUE;
  }
  return FALSE;
}

guint64
hf_srt_ratectl_get_target (HfSrtRatectl * rc)
{
  g_return_val_if_fail (rc != NULL, 0);
  return (guint64) rc->target;
}

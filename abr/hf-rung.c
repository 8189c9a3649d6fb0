/* Rendition ladder: which rung an output sends (see hf-abr.h).
 *
 * The decision of one output, from its own link's reports: step down at
 * once on a bad report, step up one rung at a time after a clean period
 * with room to spare.  Plain C, time passed in; the output that owns it
 * serialises calls (the relay calls it on the control thread, once per
 * stats tick of the output).
 */
#include "abr/hf-abr.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_rung_debug);
#define GST_CAT_DEFAULT hf_rung_debug

struct _HfRung
{
  guint64 ladder[HF_RUNG_MAX_RUNGS];
  guint n_rungs;
  guint rung;
  gint64 clean_since_us;        /* start of the current clean run; -1: the
                                 * last report was not clean */
  gint64 last_down_us;          /* -1: never */
  gdouble last_send_buffer_ms;  /* < 0: unknown */
  guint64 last_estimate_bps;    /* the last estimate reported, 0: none yet */
  gint64 last_up_us;            /* -1: never */
  gdouble min_rtt_ms;           /* the lowest RTT reported; < 0: none */
  gboolean applying;            /* a step down not yet taken by the output */
  gint64 applied_us;            /* when the last step down was taken */
  guint up_backoff;             /* the clean period times this: 1, 2, 4, 8 */
  gboolean repaired;            /* FEC/RTX on: loss is before repair */
  gboolean estimate_capped;     /* the estimate probes at most ~1.5 x */
  /* Capped estimates, after a step up: the estimate still climbing. */
  gboolean up_pending;          /* a step up not yet taken by the output */
  gint64 up_asked_us;           /* when it was decided */
  gint64 up_applied_us;         /* when it was taken; -1: no catch-up */
  guint64 up_peak_bps;          /* the highest estimate since then */
};

HfRung *
hf_rung_new (const guint64 * ladder_bps, guint n_rungs, gint64 now_us)
{
  HfRung *r;

  g_return_val_if_fail (ladder_bps != NULL, NULL);
  g_return_val_if_fail (n_rungs >= 1 && n_rungs <= HF_RUNG_MAX_RUNGS, NULL);

  if (!hf_rung_debug)
    GST_DEBUG_CATEGORY_INIT (hf_rung_debug, "hf-rung", 0,
        "Holdfast rendition-ladder rung choice");
  r = g_new0 (HfRung, 1);
  memcpy (r->ladder, ladder_bps, n_rungs * sizeof (guint64));
  r->n_rungs = n_rungs;
  r->rung = 0;
  r->clean_since_us = now_us;
  r->last_down_us = -1;
  r->last_send_buffer_ms = -1;
  r->last_up_us = -1;
  r->up_backoff = 1;
  r->min_rtt_ms = -1;
  r->up_applied_us = -1;
  return r;
}

void
hf_rung_free (HfRung * r)
{
  g_free (r);
}

guint
hf_rung_get (HfRung * r)
{
  return r->rung;
}

guint
hf_rung_get_n_rungs (HfRung * r)
{
  return r->n_rungs;
}

guint64
hf_rung_get_bitrate (HfRung * r, guint rung)
{
  return rung < r->n_rungs ? r->ladder[rung] : 0;
}

void
hf_rung_set_link (HfRung * r, gboolean repaired, gboolean estimate_capped)
{
  g_return_if_fail (r != NULL);

  r->repaired = repaired;
  r->estimate_capped = estimate_capped;
}

/* The highest rung whose bitrate fits 0.85 x @estimate_bps; the lowest
 * rung when none does. */
static guint
hf_rung_fitting (HfRung * r, guint64 estimate_bps)
{
  guint i;

  for (i = 0; i < r->n_rungs; i++)
    if ((gdouble) r->ladder[i] <= 0.85 * (gdouble) estimate_bps)
      return i;
  return r->n_rungs - 1;
}

static void
hf_rung_set (HfRung * r, guint rung, const gchar * why)
{
  GST_INFO ("rung %u (%" G_GUINT64_FORMAT " bps) -> %u (%" G_GUINT64_FORMAT
      " bps) (%s)", r->rung, r->ladder[r->rung], rung, r->ladder[rung], why);
  r->rung = rung;
}

gboolean
hf_rung_update (HfRung * r, const HfRungReport * report, gint64 now_us,
    const gchar ** reason)
{
  gboolean lossy, growing, too_slow, clean;
  const gchar *why = NULL;
  gdouble sndbuf_limit, bad_loss, clean_loss;
  gboolean catching_up, at_cap;
  guint target;

  g_return_val_if_fail (r != NULL && report != NULL, FALSE);

  /* Nothing known (the feedback went stale): no step, no clean time. */
  if (report->loss_ratio < 0 && report->estimate_bps == 0 &&
      report->send_buffer_ms < 0) {
    r->clean_since_us = -1;
    r->last_send_buffer_ms = -1;
    return FALSE;
  }
  /* Loss that FEC/RTX repair is theirs to handle, up to what the rate
   * controller itself calls high (HF_RC_LOSS_HIGH). */
  bad_loss = r->repaired ? HF_RUNG_REPAIRED_LOSS : HF_RUNG_BAD_LOSS;
  clean_loss = r->repaired ? HF_RUNG_REPAIRED_LOSS : HF_RUNG_CLEAN_LOSS;

  /* Unacknowledged data spans about one RTT on a link that keeps up; a
   * queue in front of the bottleneck adds to it (and to the RTT, which is
   * why the lowest RTT seen is the base). */
  if (report->rtt_ms > 0 && (r->min_rtt_ms < 0 ||
          report->rtt_ms < r->min_rtt_ms))
    r->min_rtt_ms = report->rtt_ms;
  sndbuf_limit = MAX (r->min_rtt_ms, 0) + HF_RUNG_SNDBUF_MS;
  lossy = report->loss_ratio > bad_loss;
  growing = report->send_buffer_ms > sndbuf_limit &&
      r->last_send_buffer_ms >= 0 &&
      report->send_buffer_ms > r->last_send_buffer_ms;
  too_slow = report->estimate_bps > 0 &&
      report->estimate_bps < r->ladder[r->rung];
  /* A capped estimate climbs only once the receiver gets the new rung:
   * until it reaches it, only a cut says the link is too slow. */
  catching_up = r->estimate_capped && ((r->up_pending &&
          now_us - r->up_asked_us < HF_RUNG_CLEAN_US) ||
      (r->up_applied_us >= 0 && now_us - r->up_applied_us <
          HF_RUNG_CLEAN_US));
  if (catching_up && report->estimate_bps > 0) {
    if (report->estimate_bps >= r->ladder[r->rung]) {
      r->up_pending = FALSE;    /* caught up */
      r->up_applied_us = -1;
      r->up_peak_bps = 0;
    } else if (r->up_pending) {
      too_slow = FALSE;         /* it still describes the old rung */
    } else {
      r->up_peak_bps = MAX (r->up_peak_bps, report->estimate_bps);
      too_slow = (gdouble) report->estimate_bps <
          0.85 * (gdouble) r->up_peak_bps;
    }
  }
  clean = report->loss_ratio < clean_loss && !growing && !too_slow &&
      report->send_buffer_ms <= sndbuf_limit;
  r->last_send_buffer_ms = report->send_buffer_ms;
  if (report->estimate_bps > 0)
    r->last_estimate_bps = report->estimate_bps;

  if (!clean)
    r->clean_since_us = -1;
  else if (r->clean_since_us < 0)
    r->clean_since_us = now_us;

  /* Down: at once, unless a step down was just taken (the output switches
   * only at the next keyframe of the new rung: reports until then still
   * describe the old one). */
  if (lossy || growing || too_slow) {
    if (r->rung + 1 >= r->n_rungs)
      return FALSE;
    if (r->last_down_us >= 0 && now_us - r->last_down_us <
        HF_RUNG_DOWN_HOLD_US && (r->applying ||
            now_us - r->applied_us < HF_RUNG_SETTLE_US))
      return FALSE;
    target = r->rung + 1;
    if (report->estimate_bps > 0)
      target = MAX (target, hf_rung_fitting (r, report->estimate_bps));
    why = lossy ? "loss" : growing ? "send buffer growing" :
        "estimate below the rung";
    /* A step up that failed within a clean period: the link's estimate
     * was wrong (libsrt's packet-pair estimate sees the path's capacity,
     * not a shaper's rate): wait longer before the next try. */
    if (r->last_up_us >= 0 && now_us - r->last_up_us < HF_RUNG_CLEAN_US)
      r->up_backoff = MIN (r->up_backoff * 2, HF_RUNG_MAX_BACKOFF);
    r->last_up_us = -1;
    r->up_pending = FALSE;
    r->up_applied_us = -1;
    hf_rung_set (r, target, why);
    r->last_down_us = now_us;
    r->applying = TRUE;
    if (reason)
      *reason = why;
    return TRUE;
  }

  /* A rung held clean for a while after a step up: that step was good. */
  if (r->last_up_us >= 0 && now_us - r->last_up_us >= HF_RUNG_CLEAN_US) {
    r->up_backoff = 1;
    r->last_up_us = -1;
  }

  /* Up: one rung, after a clean period, with room for it. */
  if (r->rung == 0 || r->clean_since_us < 0)
    return FALSE;
  target = r->rung - 1;
  /* A receiver that probes at most ~1.5 x what it gets cannot report room
   * for a rung 2.4 x this one: at its cap, the bound is unknown. */
  at_cap = r->estimate_capped && r->last_estimate_bps > 0 &&
      (gdouble) r->last_estimate_bps >=
      HF_RUNG_CAP_FRACTION * (gdouble) r->ladder[r->rung];
  if (at_cap && (gdouble) r->last_estimate_bps <
      HF_RUNG_UP_MARGIN * (gdouble) r->ladder[target]) {
    if (now_us - r->clean_since_us < HF_RUNG_CLEAN_US * r->up_backoff)
      return FALSE;
    why = "clean link at the receiver's probing cap";
  } else if (r->last_estimate_bps > 0) {
    if (now_us - r->clean_since_us < HF_RUNG_CLEAN_US * r->up_backoff)
      return FALSE;
    if ((gdouble) r->last_estimate_bps <
        HF_RUNG_UP_MARGIN * (gdouble) r->ladder[target])
      return FALSE;
    why = "clean link with room";
  } else {
    if (now_us - r->clean_since_us < 3 * HF_RUNG_CLEAN_US * r->up_backoff)
      return FALSE;
    why = "clean link (no estimate)";
  }
  hf_rung_set (r, target, why);
  /* The next rung up needs a clean period of its own. */
  r->clean_since_us = now_us;
  r->last_up_us = now_us;
  r->up_pending = r->estimate_capped;
  r->up_asked_us = now_us;
  r->up_applied_us = -1;
  r->up_peak_bps = 0;
  if (reason)
    *reason = why;
  return TRUE;
}

void
hf_rung_applied (HfRung * r, guint rung, gint64 now_us)
{
  g_return_if_fail (r != NULL);

  if (r->applying && rung == r->rung) {
    r->applying = FALSE;
    r->applied_us = now_us;
  }
  if (r->up_pending && rung == r->rung) {
    r->up_pending = FALSE;
    r->up_applied_us = now_us;
    r->up_peak_bps = 0;
  }
}

/* hf-probe's player model (see hf-probe-model.h): freezes, timestamp
 * discontinuities, resolution changes, what is on screen, live frames lost
 * and latency, from the decoded frames and their arrival times.  Plain C,
 * time passed in; its owner serialises the calls.
 */
#include "tools/hf-probe-model.h"

#include <stdlib.h>
#include <string.h>

const gchar *
hf_probe_screen_to_string (HfProbeScreen screen)
{
  switch (screen) {
    case HF_PROBE_SCREEN_LIVE:
      return "live";
    case HF_PROBE_SCREEN_SLATE:
      return "slate";
    case HF_PROBE_SCREEN_OTHER:
      return "other";
    case HF_PROBE_SCREEN_NONE:
    case HF_PROBE_N_SCREENS:
      break;
  }
  return "none";
}

static HfProbeScreen
hf_probe_screen_of (const HfProbeFrame * frame)
{
  switch (frame->mark.kind) {
    case HF_MARK_LIVE:
      return HF_PROBE_SCREEN_LIVE;
    case HF_MARK_SLATE:
      return HF_PROBE_SCREEN_SLATE;
    case HF_MARK_NONE:
      break;
  }
  return HF_PROBE_SCREEN_OTHER;
}

void
hf_probe_model_init (HfProbeModel * model, gint64 buffer_us)
{
  g_return_if_fail (model != NULL);

  memset (model, 0, sizeof (*model));
  model->buffer_us = MAX (0, buffer_us);
  model->interval_us = HF_PROBE_FALLBACK_INTERVAL_US;
  model->last_pts_ns = -1;
  model->latency_hist = g_new0 (guint32, HF_PROBE_LATENCY_MAX_MS + 1);
  model->latency_max_ms = -1;
  model->totals.first_arrival_us = -1;
  model->totals.last_arrival_us = -1;
}

void
hf_probe_model_clear (HfProbeModel * model)
{
  g_return_if_fail (model != NULL);

  g_clear_pointer (&model->latency_hist, g_free);
}

static gint
hf_probe_compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Learns the frame interval from one PTS delta: the median of the recent
 * ones, so that a few missing frames (double deltas) or a burst do not move
 * it. */
static void
hf_probe_model_add_delta (HfProbeModel * model, gint64 delta_us)
{
  gint64 sorted[HF_PROBE_CADENCE_SAMPLES];

  /* A second or more between two frames is a gap, not a cadence. */
  if (delta_us <= 0 || delta_us >= G_USEC_PER_SEC)
    return;
  model->deltas[model->next_delta] = delta_us;
  model->next_delta = (model->next_delta + 1) % HF_PROBE_CADENCE_SAMPLES;
  if (model->n_deltas < HF_PROBE_CADENCE_SAMPLES)
    model->n_deltas++;
  if (model->n_deltas < HF_PROBE_CADENCE_MIN_SAMPLES)
    return;

  memcpy (sorted, model->deltas, model->n_deltas * sizeof (gint64));
  qsort (sorted, model->n_deltas, sizeof (gint64), hf_probe_compare_gint64);
  model->interval_us = sorted[model->n_deltas / 2];
}

static void
hf_probe_emit (HfProbeEvent * event, const HfProbeFrame * frame,
    HfProbeEventFunc func, gpointer user_data)
{
  event->frame = frame;
  if (func != NULL)
    func (event, user_data);
}

/* The gap between two LIVE counters of the same source, or -1 when the
 * second one is not the same source's next frame (it went back, or further
 * forward than @elapsed_us of frames and the slack allow). */
/* @to - @from in the mark's 24-bit counter space, from -2^23 to 2^23 - 1. */
static gint32
hf_probe_counter_diff (guint32 to, guint32 from)
{
  guint32 d = (to - from) & HF_MARK_COUNTER_MASK;

  return d >= 0x800000u ? (gint32) d - 0x1000000 : (gint32) d;
}

static gint64
hf_probe_model_counter_gap (const HfProbeModel * model, guint32 from,
    guint32 to, gint64 elapsed_us)
{
  gint32 d = hf_probe_counter_diff (to, from);
  gint64 possible = MAX (0, elapsed_us) / model->interval_us +
      HF_PROBE_SOURCE_SLACK_FRAMES;

  if (d < 1 || d > possible)
    return -1;
  return d;
}

/* A new timeline (the first frame, a reconnection, a PTS discontinuity):
 * its frame is the live edge until a more timely one comes. */
static void
hf_probe_model_reset_edge (HfProbeModel * model, gint64 lag_us,
    gint64 arrival_us)
{
  model->edge_min[0] = model->edge_min[1] = lag_us;
  model->edge_since_us = arrival_us;
  model->edge_us = lag_us;
}

/* The live edge is the smallest lag (arrival - PTS) over the last one to
 * two HF_PROBE_EDGE_WINDOW_US: the path's delay without its jitter.  It
 * falls at once (the player catches up) but rises by at most a tenth of an
 * interval per frame (less than the freeze tolerance), so that a path
 * that got slower for good is followed, in a second for 100 ms, without a
 * stall the viewer would not have seen. */
static void
hf_probe_model_update_edge (HfProbeModel * model, gint64 lag_us,
    gint64 arrival_us)
{
  gint64 target;

  if (arrival_us - model->edge_since_us >= HF_PROBE_EDGE_WINDOW_US) {
    model->edge_min[0] = model->edge_min[1];
    model->edge_min[1] = lag_us;
    model->edge_since_us = arrival_us;
  } else {
    model->edge_min[1] = MIN (model->edge_min[1], lag_us);
  }
  target = MIN (model->edge_min[0], model->edge_min[1]);
  if (target < model->edge_us)
    model->edge_us = target;
  else
    model->edge_us = MIN (target, model->edge_us + model->interval_us / 10);
}

/* When the frame goes on screen (see the header): the player model
 * itself.  Sets *discont when the frame breaks the PTS timeline, after
 * reporting why. */
static gint64
hf_probe_model_show (HfProbeModel * model, const HfProbeFrame * frame,
    gboolean * discont, HfProbeEventFunc func, gpointer user_data)
{
  HfProbeEvent ev = { 0, };
  gint64 lag_us, delta_ns, due;

  *discont = TRUE;
  if (frame->pts_ns < 0 || model->last_pts_ns < 0) {
    /* Without timestamps a frame is due a buffer after it came. */
    due = frame->arrival_us + model->buffer_us;
    if (frame->pts_ns >= 0)
      hf_probe_model_reset_edge (model, frame->arrival_us -
          frame->pts_ns / 1000, frame->arrival_us);
    return MAX (due, model->last_shown_us);
  }

  lag_us = frame->arrival_us - frame->pts_ns / 1000;
  delta_ns = frame->pts_ns - model->last_pts_ns;
  if (frame->reconnected) {
    /* A new connection: the player starts again and fills its buffer. */
    hf_probe_model_reset_edge (model, lag_us, frame->arrival_us);
  } else if (delta_ns < 0 || delta_ns > HF_PROBE_MAX_PTS_JUMP_NS) {
    ev.type = delta_ns < 0 ? HF_PROBE_EVENT_BACKWARDS : HF_PROBE_EVENT_PTS_JUMP;
    ev.pts_delta_ns = delta_ns;
    if (delta_ns < 0)
      model->totals.backwards++;
    else
      model->totals.pts_jumps++;
    hf_probe_emit (&ev, frame, func, user_data);
    /* The player carries on across the break: this frame is due one
     * interval after the last one shown (if it came late, it still waits
     * for its arrival), not a whole buffer after it came, which would
     * turn its ordinary jitter into a freeze. */
    hf_probe_model_reset_edge (model, model->last_shown_us +
        model->interval_us - model->buffer_us - frame->pts_ns / 1000,
        frame->arrival_us);
  } else {
    *discont = FALSE;
    hf_probe_model_add_delta (model, delta_ns / 1000);
    hf_probe_model_update_edge (model, lag_us, frame->arrival_us);
  }

  /* A late frame goes up as it comes; those after it catch up. */
  due = frame->pts_ns / 1000 + model->edge_us + model->buffer_us;
  return MAX (MAX (due, frame->arrival_us), model->last_shown_us);
}

/* Reports the freeze held back by hf_probe_model_check_freeze (). */
static void
hf_probe_model_emit_freeze (HfProbeModel * model, HfProbeEventFunc func,
    gpointer user_data)
{
  HfProbeEvent ev = model->freeze;

  if (!model->have_freeze)
    return;
  model->have_freeze = FALSE;
  if (ev.open) {
    model->totals.open_freeze_us = ev.duration_us;
  } else {
    model->totals.freezes++;
    model->totals.total_freeze_us += ev.duration_us;
    model->totals.max_freeze_us = MAX (model->totals.max_freeze_us,
        ev.duration_us);
  }
  hf_probe_emit (&ev, NULL, func, user_data);
}

/* A freeze is held back for one picture: if that picture stays too, the
 * two are one freeze with a picture in its middle (the viewer saw no
 * recovery), reported once, from when the first began, as long as both
 * together (the picture in the middle keeps its own interval). */
static void
hf_probe_model_hold_freeze (HfProbeModel * model, const HfProbeEvent * ev)
{
  if (!model->have_freeze) {
    model->freeze = *ev;
    model->have_freeze = TRUE;
    return;
  }
  model->freeze.duration_us += ev->duration_us;
  model->freeze.count = model->freeze.count >= 0 && ev->count >= 0 ?
      model->freeze.count + ev->count : -1;
  model->freeze.open = ev->open;
}

static void
hf_probe_model_check_freeze (HfProbeModel * model, const HfProbeFrame * frame,
    gint64 shown, gboolean discont, HfProbeEventFunc func, gpointer user_data)
{
  HfProbeEvent ev = { 0, };
  gint64 stay = shown - model->last_shown_us;

  if (stay <= 2 * model->interval_us + HF_PROBE_FREEZE_TOLERANCE_US) {
    hf_probe_model_emit_freeze (model, func, user_data);
    return;
  }

  ev.type = HF_PROBE_EVENT_FREEZE;
  ev.start_us = model->last_shown_us + model->interval_us;
  ev.duration_us = stay - model->interval_us;
  /* How many pictures the viewer missed: the live counters know best; a
   * continuous timeline knows too. */
  ev.count = -1;
  if (model->last_kind == HF_PROBE_SCREEN_LIVE
      && frame->mark.kind == HF_MARK_LIVE && model->have_live) {
    gint64 gap = hf_probe_model_counter_gap (model, model->last_counter,
        frame->mark.counter, frame->arrival_us - model->live_arrival_us);

    if (gap > 0)
      ev.count = gap - 1;
  }
  if (ev.count < 0 && !discont && frame->pts_ns >= 0) {
    gint64 delta_us = (frame->pts_ns - model->last_pts_ns) / 1000;

    ev.count = MAX (0, (delta_us + model->interval_us / 2) /
        model->interval_us - 1);
  }
  hf_probe_model_hold_freeze (model, &ev);
}

/* LIVE counters: losses, a new source, a replay after reconnecting. */
static void
hf_probe_model_track_live (HfProbeModel * model, const HfProbeFrame * frame,
    HfProbeEventFunc func, gpointer user_data)
{
  HfProbeEvent ev = { 0, };
  guint32 c = frame->mark.counter;
  gint32 back = hf_probe_counter_diff (model->live_counter, c);
  gint64 gap;

  if (!model->have_live) {
    model->have_live = TRUE;
    model->replay = FALSE;
    goto take;
  }
  if (back == 0 && frame->mark.source == model->live_source)
    return;                     /* the same picture again */

  /* Another maker's pictures (the backup pusher) are a new source however
   * close its counter is. */
  gap = frame->mark.source != model->live_source ? -1 :
      hf_probe_model_counter_gap (model, model->live_counter, c,
      frame->arrival_us - model->live_arrival_us);
  if (gap < 0 && model->replay && frame->mark.source == model->live_source
      && back > 0 && back <= HF_PROBE_REPLAY_FRAMES)
    return;                     /* seen before this connection */
  if (gap < 0) {
    ev.type = HF_PROBE_EVENT_SOURCE_CHANGE;
    ev.old_counter = model->live_counter;
    model->totals.source_changes++;
    hf_probe_emit (&ev, frame, func, user_data);
  } else if (gap - 1 > model->damaged) {
    /* Pictures shown with an unreadable mark were not lost. */
    ev.type = HF_PROBE_EVENT_FRAMES_LOST;
    ev.count = gap - 1 - model->damaged;
    ev.old_counter = model->live_counter;
    model->totals.live_frames_lost += ev.count;
    hf_probe_emit (&ev, frame, func, user_data);
  }
  model->replay = FALSE;

take:
  model->live_counter = c;
  model->live_source = frame->mark.source;
  model->live_arrival_us = frame->arrival_us;
  model->damaged = 0;
}

/* What is on screen changes once HF_PROBE_SCREEN_CONFIRM frames in a row
 * agree, so that one damaged mark is not two screen changes. */
static void
hf_probe_model_track_screen (HfProbeModel * model, const HfProbeFrame * frame,
    HfProbeScreen kind, gint64 shown, HfProbeEventFunc func, gpointer user_data)
{
  HfProbeEvent ev = { 0, };

  if (kind == model->screen) {
    model->pending_frames = 0;
    return;
  }
  if (kind != model->pending || model->pending_frames == 0) {
    model->pending = kind;
    model->pending_frames = 0;
    model->pending_since_us = shown;
  }
  model->pending_frames++;
  if (model->pending_frames < HF_PROBE_SCREEN_CONFIRM
      && model->screen != HF_PROBE_SCREEN_NONE)
    return;

  ev.type = HF_PROBE_EVENT_SCREEN;
  ev.from = model->screen;
  ev.to = kind;
  ev.start_us = model->pending_since_us;
  model->screen = kind;
  model->pending_frames = 0;
  /* Unmarked pictures on an "other" screen are a source of their own. */
  model->damaged = 0;
  hf_probe_emit (&ev, frame, func, user_data);
}

void
hf_probe_model_push (HfProbeModel * model, const HfProbeFrame * pushed,
    HfProbeEventFunc func, gpointer user_data)
{
  HfProbeFrame copy;
  const HfProbeFrame *frame = &copy;
  HfProbeScreen kind;
  HfProbeEvent ev = { 0, };
  gboolean discont = TRUE;
  gint64 shown;

  g_return_if_fail (model != NULL && pushed != NULL);
  g_return_if_fail (model->latency_hist != NULL);

  /* A picture the end of the stream pushed out had its data here in
   * time: only the lack of a next one held it in the demuxer. */
  copy = *pushed;
  if (copy.flushed && model->have_frame)
    copy.arrival_us = MIN (copy.arrival_us, model->totals.last_arrival_us +
        model->interval_us);

  kind = hf_probe_screen_of (frame);
  model->totals.frames++;
  model->totals.screen_frames[kind]++;
  if (model->totals.first_arrival_us < 0)
    model->totals.first_arrival_us = frame->arrival_us;
  model->totals.last_arrival_us = frame->arrival_us;
  if (frame->reconnected)
    model->replay = TRUE;

  if (!model->have_frame) {
    shown = frame->arrival_us + model->buffer_us;
    if (frame->pts_ns >= 0)
      hf_probe_model_reset_edge (model, frame->arrival_us -
          frame->pts_ns / 1000, frame->arrival_us);
  } else {
    if (frame->width != model->width || frame->height != model->height) {
      ev.type = HF_PROBE_EVENT_RESOLUTION;
      ev.old_width = model->width;
      ev.old_height = model->height;
      model->totals.resolution_changes++;
      hf_probe_emit (&ev, frame, func, user_data);
    }
    shown = hf_probe_model_show (model, frame, &discont, func, user_data);
    model->totals.screen_us[model->last_kind] += shown - model->last_shown_us;
    hf_probe_model_check_freeze (model, frame, shown, discont, func, user_data);
  }

  if (frame->mark.kind == HF_MARK_LIVE)
    hf_probe_model_track_live (model, frame, func, user_data);
  else if (kind == HF_PROBE_SCREEN_OTHER
      && model->screen == HF_PROBE_SCREEN_LIVE)
    model->damaged++;
  hf_probe_model_track_screen (model, frame, kind, shown, func, user_data);

  memset (&ev, 0, sizeof (ev));
  ev.type = HF_PROBE_EVENT_FRAME;
  ev.shown_us = shown;
  ev.latency_ms = -1;
  if (frame->mark.kind == HF_MARK_LIVE) {
    gint32 age = hf_mark_clock_diff ((guint32) (frame->arrival_us / 1000),
        frame->mark.clock_ms);

    if (age >= 0 && age <= HF_PROBE_LATENCY_MAX_MS) {
      ev.latency_ms = age;
      model->latency_hist[age]++;
      model->totals.latency_samples++;
      model->latency_max_ms = MAX (model->latency_max_ms, age);
    }
  }
  hf_probe_emit (&ev, frame, func, user_data);

  model->have_frame = TRUE;
  model->last_shown_us = shown;
  model->last_pts_ns = frame->pts_ns;
  model->last_kind = kind;
  model->last_counter = frame->mark.counter;
  model->width = frame->width;
  model->height = frame->height;
}

gint64
hf_probe_model_overdue_us (const HfProbeModel * model, gint64 now_us)
{
  g_return_val_if_fail (model != NULL, 0);

  if (!model->have_frame)
    return 0;
  return MAX (0, now_us - model->last_shown_us - model->interval_us);
}

void
hf_probe_model_finish (HfProbeModel * model, gint64 now_us,
    HfProbeEventFunc func, gpointer user_data)
{
  HfProbeEvent ev = { 0, };
  gint64 stay;

  g_return_if_fail (model != NULL);

  stay = model->have_frame ? now_us - model->last_shown_us : 0;
  if (stay > 0) {
    model->totals.screen_us[model->last_kind] += stay;
    /* Only time still to come counts from here on. */
    model->last_shown_us = now_us;
  }
  if (stay > 2 * model->interval_us + HF_PROBE_FREEZE_TOLERANCE_US) {
    ev.type = HF_PROBE_EVENT_FREEZE;
    ev.start_us = now_us - stay + model->interval_us;
    ev.duration_us = stay - model->interval_us;
    ev.count = -1;
    ev.open = TRUE;
    hf_probe_model_hold_freeze (model, &ev);
  }
  hf_probe_model_emit_freeze (model, func, user_data);
}

/* Nearest rank: the smallest latency at or below which @percent of the
 * samples lie. */
static gint
hf_probe_model_percentile (const HfProbeModel * model, guint percent)
{
  guint64 n = model->totals.latency_samples, rank, seen = 0;
  gint ms;

  if (n == 0)
    return -1;
  rank = MAX (1, (n * percent + 99) / 100);
  for (ms = 0; ms <= HF_PROBE_LATENCY_MAX_MS; ms++) {
    seen += model->latency_hist[ms];
    if (seen >= rank)
      return ms;
  }
  return HF_PROBE_LATENCY_MAX_MS;
}

void
hf_probe_model_get_summary (const HfProbeModel * model,
    HfProbeSummary * summary)
{
  g_return_if_fail (model != NULL && summary != NULL);
  g_return_if_fail (model->latency_hist != NULL);

  *summary = model->totals;
  summary->screen = model->screen;
  summary->interval_us = model->interval_us;
  summary->latency_median_ms = hf_probe_model_percentile (model, 50);
  summary->latency_p95_ms = hf_probe_model_percentile (model, 95);
  summary->latency_max_ms = model->latency_max_ms;
}

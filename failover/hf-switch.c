/* The selection point (see hf-failover.h): plain C, time passed in.
 *
 * Every input's streaming thread calls hf_switch_push () with each access
 * unit; one timer thread calls hf_switch_tick () every few milliseconds.
 * Under one data-plane lock (the control plane takes it only to copy
 * figures or to pin an input) the switch:
 *  - keeps each input's health (hf-health.c) and, for every input, the
 *    units since its last video keyframe (the GOP cache);
 *  - asks hf_select_decide () what should be on air;
 *  - takes an input at a keyframe: at once from its GOP cache when the
 *    on-air input is gone (failover, manual switch, slate -> live; the
 *    cached pictures are squeezed in time so that no latency is added), or
 *    at its next live keyframe for a planned revert (the on-air input is
 *    fine, so nothing needs to be squeezed);
 *  - restamps every unit onto one output timeline: one offset per take,
 *    shared by audio and video, chosen so that the output continues right
 *    after the last unit sent, never goes backwards, and keeps up with the
 *    program clock;
 *  - plays the slate loop, paced by the program clock, when nothing is
 *    alive;
 *  - records every transition as an event, handed to the owner after the
 *    lock is released.
 *
 * h264parse puts SPS/PPS before every IDR, so the first unit after every
 * take carries its parameter sets; so does the slate's first frame.
 */
#include "failover/hf-failover.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_switch_debug);
#define GST_CAT_DEFAULT hf_switch_debug

#define HF_SWITCH_DEFAULT_FRAME (GST_SECOND / 30)
/* A GOP cache longer than this (a pusher with a huge GOP, or no keyframes)
 * is dropped: the input is then taken at its next keyframe. */
#define HF_SWITCH_MAX_GOP_DURATION (10 * GST_SECOND)
#define HF_SWITCH_MAX_GOP_BYTES (16 * 1024 * 1024)
/* A take from a cached GOP squeezes the cached pictures so the output does
 * not run ahead of the program clock (see hf_switch_plan_take_locked ()).
 * If the output is already this far ahead anyway (planned takes add up to
 * a frame each), a take waits for a live keyframe instead, so latency can
 * never pile up. */
#define HF_SWITCH_MAX_LEAD (1500 * GST_MSECOND)
/* Squeezed pictures of a GOP-cache take are at least this far apart. */
#define HF_SWITCH_MIN_STEP (2 * GST_MSECOND)
/* Slate frames are sent this far ahead of the program clock. */
#define HF_SWITCH_SLATE_AHEAD (40 * GST_MSECOND)

typedef struct
{
  HfMediaKind kind;
  GstBuffer *buffer;
  GstCaps *caps;
  GstClockTime pts_rt, dts_rt;
  gint64 arrival_us;
} HfSwitchUnit;

typedef struct
{
  HfHealth health;
  guint epoch;                  /* session of the input's timestamps */
  gboolean seen;
  GArray *gop;                  /* (element-type HfSwitchUnit), from a
                                 * keyframe; empty = nothing to take from */
  gsize gop_bytes;
  GstClockTimeDiff offset;      /* output = running time + offset */
  GstClockTime start_rt;        /* running time of the keyframe taken */
  GstClockTime last_video_rt;   /* of the last picture forwarded live */
} HfSwitchInput;

struct _HfSwitch
{
  GMutex lock;                  /* guards everything below */
  HfSwitchConfig config;
  HfSwitchInput *inputs;
  gint on_air;                  /* -1: nothing, or the slate */
  gint pending;                 /* wanted, waiting for a live keyframe */
  HfEventKind pending_kind;
  gchar pending_reason[128];
  gint pinned;                  /* the operator's choice, -1 = none */
  gboolean retake;              /* the program restarted: take again */
  gboolean discont[2];
  GstClockTime last_out_dts[2]; /* per HfMediaKind */
  GstClockTime last_out_end[2];
  GstClockTime frame_dur;

  /* The slate */
  HfSlate *slate;               /* the loop to play next */
  HfSlate *playing;             /* the loop on air */
  gboolean slate_on;
  GstClockTime slate_base;      /* output time of the current loop's start */
  guint slate_vi, slate_ai;     /* next frame of each kind in the loop */
  GstClockTime slate_abase;     /* the audio's own loop start */
  gint64 slate_since_us;
  gboolean ever_on_air;         /* the slate means "paused", not "not yet" */
  gint64 first_alive_us;        /* when a first input was alive (start-up
                                 * grace for the primary) */
  gint64 last_now_us;           /* the latest "now" the switch was given */

  HfSwitchStats stats;
  GArray *events;               /* (element-type HfSwitchEvent) to hand on */

  GMutex event_lock;            /* keeps events in order across threads;
                                 * taken before `lock` is released */
  HfSwitchOutputFunc output;
  HfSwitchEventFunc event;
  gpointer user_data;
};

const gchar *
hf_event_kind_to_string (HfEventKind kind)
{
  switch (kind) {
    case HF_EVENT_INPUT_STATE:
      return "input_state";
    case HF_EVENT_SWITCH:
      return "switch";
    case HF_EVENT_REVERT:
      return "revert";
    case HF_EVENT_MANUAL:
      return "manual";
    case HF_EVENT_SLATE_ON:
      return "slate_on";
    case HF_EVENT_SLATE_OFF:
      return "slate_off";
  }
  return "unknown";
}

const gchar *
hf_switch_request_result_to_string (HfSwitchRequestResult r)
{
  switch (r) {
    case HF_SWITCH_REQUEST_DONE:
      return "done";
    case HF_SWITCH_REQUEST_PENDING:
      return "pending";
    case HF_SWITCH_REQUEST_ALREADY:
      return "already";
    case HF_SWITCH_REQUEST_AUTO:
      return "auto";
    case HF_SWITCH_REQUEST_REFUSED:
      return "refused";
  }
  return "unknown";
}

void
hf_switch_config_init (HfSwitchConfig * config, guint n_inputs)
{
  memset (config, 0, sizeof (*config));
  config->n_inputs = n_inputs;
  hf_health_config_init (&config->health);
  config->mode = HF_FAILOVER_AUTO;
  config->revert_after_us = 10 * G_USEC_PER_SEC;
  config->use_slate = TRUE;
}

static void
hf_switch_unit_clear (HfSwitchUnit * unit)
{
  gst_buffer_unref (unit->buffer);
  if (unit->caps)
    gst_caps_unref (unit->caps);
}

HfSwitch *
hf_switch_new (const HfSwitchConfig * config, HfSwitchOutputFunc output,
    HfSwitchEventFunc event, gpointer user_data)
{
  HfSwitch *sw = g_new0 (HfSwitch, 1);
  guint i;

  if (!hf_switch_debug)
    GST_DEBUG_CATEGORY_INIT (hf_switch_debug, "hf-failover", 0,
        "Holdfast failover");
  g_mutex_init (&sw->lock);
  g_mutex_init (&sw->event_lock);
  sw->config = *config;
  sw->inputs = g_new0 (HfSwitchInput, config->n_inputs);
  for (i = 0; i < config->n_inputs; i++) {
    hf_health_init (&sw->inputs[i].health, &config->health);
    sw->inputs[i].last_video_rt = GST_CLOCK_TIME_NONE;
    sw->inputs[i].gop = g_array_new (FALSE, FALSE, sizeof (HfSwitchUnit));
    g_array_set_clear_func (sw->inputs[i].gop,
        (GDestroyNotify) hf_switch_unit_clear);
  }
  sw->on_air = -1;
  sw->pending = -1;
  sw->pinned = config->mode == HF_FAILOVER_MANUAL ? 0 : -1;
  sw->last_out_dts[0] = sw->last_out_dts[1] = GST_CLOCK_TIME_NONE;
  sw->last_out_end[0] = sw->last_out_end[1] = GST_CLOCK_TIME_NONE;
  sw->frame_dur = HF_SWITCH_DEFAULT_FRAME;
  sw->stats.on_air = -1;
  sw->stats.last_out_pts = GST_CLOCK_TIME_NONE;
  sw->events = g_array_new (FALSE, FALSE, sizeof (HfSwitchEvent));
  sw->output = output;
  sw->event = event;
  sw->user_data = user_data;
  return sw;
}

void
hf_switch_free (HfSwitch * sw)
{
  guint i;

  if (!sw)
    return;
  for (i = 0; i < sw->config.n_inputs; i++)
    g_array_unref (sw->inputs[i].gop);
  if (sw->slate)
    hf_slate_unref (sw->slate);
  if (sw->playing)
    hf_slate_unref (sw->playing);
  g_array_unref (sw->events);
  g_mutex_clear (&sw->lock);
  g_mutex_clear (&sw->event_lock);
  g_free (sw->inputs);
  g_free (sw);
}

/* ---- Events -------------------------------------------------------------- */

static void G_GNUC_PRINTF (6, 7)
hf_switch_add_event_locked (HfSwitch * sw, HfEventKind kind, gint input,
    gint from, gint to, const gchar * format, ...)
{
  HfSwitchEvent ev = { 0 };
  va_list args;

  ev.kind = kind;
  ev.input = input;
  ev.from = from;
  ev.to = to;
  va_start (args, format);
  g_vsnprintf (ev.reason, sizeof (ev.reason), format, args);
  va_end (args);
  g_array_append_val (sw->events, ev);
}

/* Releases the lock, then hands the collected events on, in order. */
static void
hf_switch_unlock_and_notify (HfSwitch * sw, gint64 now_us)
{
  GArray *events = NULL;
  guint i;

  if (sw->events->len > 0) {
    events = sw->events;
    sw->events = g_array_new (FALSE, FALSE, sizeof (HfSwitchEvent));
    g_mutex_lock (&sw->event_lock);
  }
  g_mutex_unlock (&sw->lock);
  if (!events)
    return;
  for (i = 0; i < events->len; i++) {
    HfSwitchEvent *ev = &g_array_index (events, HfSwitchEvent, i);

    ev->mono_us = now_us;
    if (sw->event)
      sw->event (ev, sw->user_data);
  }
  g_mutex_unlock (&sw->event_lock);
  g_array_unref (events);
}

/* ---- Output -------------------------------------------------------------- */

static GstClockTime
hf_switch_running_time (const GstSegment * seg, GstClockTime ts)
{
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  if (!seg || seg->format != GST_FORMAT_TIME)
    return ts;
  return gst_segment_to_running_time (seg, GST_FORMAT_TIME, ts);
}

static GstClockTime
hf_switch_apply (GstClockTime rt, GstClockTimeDiff offset)
{
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return GST_CLOCK_TIME_NONE;
  if (offset < 0 && (GstClockTime) (-offset) > rt)
    return 0;
  return rt + offset;
}

/* Sends one unit stamped @pts/@dts (output time) unless it would take its
 * track backwards.  Returns TRUE when sent.  Lock held. */
static gboolean
hf_switch_emit_locked (HfSwitch * sw, gint source, HfMediaKind kind,
    GstBuffer * in, GstCaps * caps, GstClockTime out_pts,
    GstClockTime out_dts)
{
  GstClockTime order = GST_CLOCK_TIME_IS_VALID (out_dts) ? out_dts : out_pts;
  GstClockTime prev = sw->last_out_dts[kind];
  GstBuffer *out;

  if (!GST_CLOCK_TIME_IS_VALID (order))
    return FALSE;
  if (GST_CLOCK_TIME_IS_VALID (prev) && order <= prev &&
      !(kind == HF_MEDIA_AUDIO && order == prev))
    return FALSE;               /* never backwards */
  if (kind == HF_MEDIA_AUDIO && sw->discont[kind] &&
      GST_CLOCK_TIME_IS_VALID (sw->last_out_end[kind]) &&
      order < sw->last_out_end[kind])
    return FALSE;               /* overlaps audio sent before the take */

  out = gst_buffer_copy (in);
  GST_BUFFER_PTS (out) = out_pts;
  GST_BUFFER_DTS (out) = out_dts;
  if (sw->discont[kind]) {
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
    sw->discont[kind] = FALSE;
  } else {
    GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DISCONT);
  }
  sw->last_out_dts[kind] = order;
  sw->last_out_end[kind] = order + (GST_BUFFER_DURATION_IS_VALID (in) ?
      GST_BUFFER_DURATION (in) : 0);
  if (kind == HF_MEDIA_VIDEO) {
    sw->stats.video_out++;
    sw->stats.last_out_pts = out_pts;
    if (source == HF_SWITCH_SLATE)
      sw->stats.slate_frames_out++;
  } else {
    sw->stats.audio_out++;
  }
  /* Held lock: see HfSwitchOutputFunc; it keeps the order of units from
   * two threads around a take. */
  sw->output (kind, source, out, caps, sw->user_data);
  gst_buffer_unref (out);
  return TRUE;
}

/* Sends a unit of the on-air input @idx.  Lock held. */
static void
hf_switch_forward_locked (HfSwitch * sw, guint idx, HfMediaKind kind,
    GstBuffer * in, GstCaps * caps, GstClockTime pts_rt, GstClockTime dts_rt)
{
  HfSwitchInput *input = &sw->inputs[idx];

  /* Audio of the new input is taken from the keyframe's time on. */
  if (kind == HF_MEDIA_AUDIO && GST_CLOCK_TIME_IS_VALID (pts_rt) &&
      pts_rt < input->start_rt)
    return;
  /* The frame time is learnt from the source's own pace (not from the
   * output, where a gap before a take or squeezed pictures would teach it
   * nonsense): the next take goes one frame after the last picture. */
  if (kind == HF_MEDIA_VIDEO && GST_CLOCK_TIME_IS_VALID (dts_rt)) {
    if (GST_CLOCK_TIME_IS_VALID (input->last_video_rt) &&
        dts_rt > input->last_video_rt + GST_MSECOND &&
        dts_rt - input->last_video_rt < GST_SECOND / 4)
      sw->frame_dur = dts_rt - input->last_video_rt;
    input->last_video_rt = dts_rt;
  }
  if (!hf_switch_emit_locked (sw, idx, kind, in, caps,
          hf_switch_apply (pts_rt, input->offset),
          hf_switch_apply (dts_rt, input->offset)) && kind == HF_MEDIA_VIDEO)
    sw->stats.dropped_waiting_keyframe++;
}

/* ---- Slate --------------------------------------------------------------- */

static GstClockTime
hf_switch_next_start_locked (HfSwitch * sw, GstClockTime out_now)
{
  GstClockTime last = sw->last_out_dts[HF_MEDIA_VIDEO];

  if (GST_CLOCK_TIME_IS_VALID (last) && last + sw->frame_dur > out_now)
    return last + sw->frame_dur;
  return out_now;
}

static void
hf_switch_slate_on_locked (HfSwitch * sw, gint64 now_us,
    GstClockTime out_now, gint from, const gchar * reason)
{
  if (sw->playing)
    hf_slate_unref (sw->playing);
  sw->playing = hf_slate_ref (sw->slate);
  sw->slate_on = TRUE;
  sw->slate_base = hf_switch_next_start_locked (sw, out_now);
  sw->slate_abase = sw->slate_base;
  sw->slate_vi = sw->slate_ai = 0;
  sw->slate_since_us = now_us;
  sw->discont[0] = sw->discont[1] = TRUE;
  sw->stats.slate_on_air = TRUE;
  sw->stats.switches++;
  hf_switch_add_event_locked (sw, HF_EVENT_SLATE_ON, -1, from, -1, "%s",
      reason);
  GST_INFO ("on air: %d -> slate (%s)", from, reason);
}

static void
hf_switch_slate_off_locked (HfSwitch * sw, gint64 now_us, gint to,
    const gchar * reason)
{
  if (!sw->slate_on)
    return;
  sw->slate_on = FALSE;
  sw->stats.slate_on_air = FALSE;
  sw->stats.slate_us_total += now_us - sw->slate_since_us;
  hf_switch_add_event_locked (sw, HF_EVENT_SLATE_OFF, -1, -1, to, "%s",
      reason);
  GST_INFO ("on air: slate -> %d (%s)", to, reason);
}

/* Plays the slate loop up to the program clock.  Lock held. */
static void
hf_switch_play_slate_locked (HfSwitch * sw, GstClockTime out_now)
{
  HfSlate *s = sw->playing;
  GstClockTime until = out_now + HF_SWITCH_SLATE_AHEAD;
  guint guard;

  if (!s || s->video->len == 0 || s->duration == 0)
    return;
  if (!GST_CLOCK_TIME_IS_VALID (sw->slate_base)) {
    /* The program restarted under the slate: its loop starts again. */
    sw->slate_base = hf_switch_next_start_locked (sw, out_now);
    sw->slate_abase = sw->slate_base;
    sw->discont[0] = sw->discont[1] = TRUE;
  }
  for (guard = 0; guard < 1000; guard++) {
    GstBuffer *b;
    GstClockTime t;

    if (sw->slate_vi >= s->video->len) {
      /* Loop end: a newer slate (re-encoded for a new live format) takes
       * over at a loop start, which is an IDR. */
      sw->slate_base += s->duration;
      sw->slate_vi = 0;
      if (sw->slate && sw->slate != s) {
        hf_slate_unref (sw->playing);
        s = sw->playing = hf_slate_ref (sw->slate);
        sw->slate_abase = sw->slate_base;
        sw->slate_ai = 0;
        if (s->video->len == 0 || s->duration == 0)
          return;
      }
    }
    b = g_ptr_array_index (s->video, sw->slate_vi);
    t = sw->slate_base + GST_BUFFER_DTS (b);
    if (t > until)
      break;
    if (GST_BUFFER_DURATION_IS_VALID (b) && GST_BUFFER_DURATION (b) > 0)
      sw->frame_dur = GST_BUFFER_DURATION (b);
    hf_switch_emit_locked (sw, HF_SWITCH_SLATE, HF_MEDIA_VIDEO, b,
        s->video_caps, sw->slate_base + GST_BUFFER_PTS (b), t);
    sw->slate_vi++;
  }
  if (!s->audio_caps || s->audio->len == 0)
    return;
  for (guard = 0; guard < 1000; guard++) {
    GstBuffer *b;
    GstClockTime t;

    if (sw->slate_ai >= s->audio->len) {
      sw->slate_abase += s->duration;
      sw->slate_ai = 0;
    }
    b = g_ptr_array_index (s->audio, sw->slate_ai);
    t = sw->slate_abase + GST_BUFFER_PTS (b);
    if (t > until)
      break;
    hf_switch_emit_locked (sw, HF_SWITCH_SLATE, HF_MEDIA_AUDIO, b,
        s->audio_caps, t, t);
    sw->slate_ai++;
  }
}

/* ---- Takes --------------------------------------------------------------- */

/* Puts input @idx on air with its keyframe (running time @kf_rt, arrived
 * @age before now) stamped at the earliest output time that is after the
 * last unit sent and no earlier than its own arrival.  Lock held. */
static void
hf_switch_start_locked (HfSwitch * sw, guint idx, GstClockTime kf_rt,
    GstClockTime age, gint64 now_us, GstClockTime out_now, HfEventKind kind,
    const gchar * reason)
{
  GstClockTime last = sw->last_out_dts[HF_MEDIA_VIDEO];
  GstClockTime target = out_now > age ? out_now - age : 0;
  gint from = sw->slate_on ? -1 : sw->on_air;

  if (GST_CLOCK_TIME_IS_VALID (last) && last + sw->frame_dur > target)
    target = last + sw->frame_dur;
  sw->inputs[idx].offset = GST_CLOCK_DIFF (kf_rt, target);
  sw->inputs[idx].start_rt = kf_rt;
  if (sw->slate_on)
    hf_switch_slate_off_locked (sw, now_us, idx, reason);
  sw->on_air = idx;
  sw->ever_on_air = TRUE;
  sw->pending = -1;
  sw->retake = FALSE;
  sw->stats.on_air = idx;
  sw->stats.switches++;
  if (kind == HF_EVENT_REVERT)
    sw->stats.reverts++;
  else if (kind == HF_EVENT_MANUAL)
    sw->stats.manual_switches++;
  sw->discont[0] = sw->discont[1] = TRUE;
  if (from != (gint) idx)
    hf_switch_add_event_locked (sw, kind, -1, from, idx, "%s", reason);
  GST_INFO ("on air: %d -> %u (%s)", from, idx, reason);
}

/* Where a take of @idx's cached GOP would put its keyframe (@first) and
 * its newest cached picture (@last_time), both output times; @kf_out and
 * @last_out are those two cached units.  The keyframe goes right after what
 * was sent
 * last (or at its own age before now); the cached pictures are up to a GOP
 * old, so played at their own pace they would put the output that far
 * ahead of the program clock, for as long as the take lasts (and the slate
 * after it would wait that long).  Instead they are squeezed in time so the
 * newest lands at "now": the viewer sees a fast-forward blink of the
 * standby's last moments and then live pictures, with no added latency.
 * Lock held; the cache must not be empty. */
static void
hf_switch_plan_take_locked (HfSwitch * sw, guint idx, gint64 now_us,
    GstClockTime out_now, HfSwitchUnit ** kf_out, HfSwitchUnit ** last_out,
    GstClockTime * first, GstClockTime * last_time)
{
  GArray *gop = sw->inputs[idx].gop;
  HfSwitchUnit *kf = &g_array_index (gop, HfSwitchUnit, 0), *last = kf;
  GstClockTime age, target, prev = sw->last_out_dts[HF_MEDIA_VIDEO], span;
  guint i, n = 0;

  for (i = 0; i < gop->len; i++) {
    HfSwitchUnit *u = &g_array_index (gop, HfSwitchUnit, i);

    if (u->kind == HF_MEDIA_VIDEO) {
      last = u;
      n++;
    }
  }
  age = (GstClockTime) MAX (now_us - kf->arrival_us, 0) * GST_USECOND;
  target = out_now > age ? out_now - age : 0;
  if (GST_CLOCK_TIME_IS_VALID (prev) && prev + sw->frame_dur > target)
    target = prev + sw->frame_dur;
  span = last->dts_rt > kf->dts_rt ? last->dts_rt - kf->dts_rt : 0;
  *kf_out = kf;
  *last_out = last;
  *first = target;
  *last_time = target + span;
  if (target + span > out_now) {
    GstClockTime squeezed = MAX (out_now, target + (n > 0 ? n - 1 : 0) *
        HF_SWITCH_MIN_STEP);

    *last_time = MIN (squeezed, target + span);
  }
}

/* Would a take of @idx's cached GOP leave the output too far ahead of the
 * program clock?  (Only when it already is: see the plan above.)  Lock
 * held. */
static gboolean
hf_switch_gop_usable_locked (HfSwitch * sw, guint idx, gint64 now_us,
    GstClockTime out_now)
{
  HfSwitchUnit *kf, *last;
  GstClockTime first, end;

  if (sw->inputs[idx].gop->len == 0)
    return FALSE;
  hf_switch_plan_take_locked (sw, idx, now_us, out_now, &kf, &last, &first,
      &end);
  return end <= out_now + HF_SWITCH_MAX_LEAD;
}

/* Maps a cached unit's running time @t onto the squeezed output time. */
static GstClockTime
hf_switch_squeeze (GstClockTime t, GstClockTime kf_rt, GstClockTime last_rt,
    GstClockTime first, GstClockTime last_time)
{
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return GST_CLOCK_TIME_NONE;
  if (t <= kf_rt)
    return first;
  if (t > last_rt)
    return last_time + (t - last_rt);
  return first + gst_util_uint64_scale (t - kf_rt, last_time - first,
      last_rt - kf_rt);
}

/* Takes input @idx from its GOP cache: its keyframe and everything since
 * go out at once, squeezed in time when they are older than the gap they
 * fill (see hf_switch_plan_take_locked ()).  Lock held; the cache must not
 * be empty. */
static void
hf_switch_take_cached_locked (HfSwitch * sw, guint idx, gint64 now_us,
    GstClockTime out_now, HfEventKind kind, const gchar * reason)
{
  GArray *gop = sw->inputs[idx].gop;
  HfSwitchInput *input = &sw->inputs[idx];
  HfSwitchUnit *kf, *last;
  GstClockTime first, last_time, kf_rt, last_rt;
  gboolean squeeze;
  guint i;

  hf_switch_plan_take_locked (sw, idx, now_us, out_now, &kf, &last, &first,
      &last_time);
  kf_rt = kf->dts_rt;
  last_rt = last->dts_rt;
  squeeze = last_rt > kf_rt && last_time - first < last_rt - kf_rt;
  hf_switch_start_locked (sw, idx, kf_rt, out_now > first ? out_now - first :
      0, now_us, out_now, kind, reason);
  sw->stats.gop_takes++;
  if (squeeze) {
    /* Live units (and audio) continue from the newest cached picture, at
     * their own pace: one offset for both kinds from here on. */
    input->offset = GST_CLOCK_DIFF (last_rt, last_time);
    input->start_rt = last_rt;
    sw->stats.squeezed_takes++;
  }
  for (i = 0; i < gop->len; i++) {
    HfSwitchUnit *u = &g_array_index (gop, HfSwitchUnit, i);

    if (squeeze && u->kind == HF_MEDIA_VIDEO && u->dts_rt <= last_rt) {
      if (!hf_switch_emit_locked (sw, idx, HF_MEDIA_VIDEO, u->buffer,
              u->caps, hf_switch_squeeze (u->pts_rt, kf_rt, last_rt, first,
                  last_time), hf_switch_squeeze (u->dts_rt, kf_rt, last_rt,
                  first, last_time)))
        sw->stats.dropped_waiting_keyframe++;
    } else {
      /* (Squeezed: the audio of the skipped moments is not played.) */
      hf_switch_forward_locked (sw, idx, u->kind, u->buffer, u->caps,
          u->pts_rt, u->dts_rt);
    }
  }
}

static void
hf_switch_drop_gop_locked (HfSwitchInput * input)
{
  g_array_set_size (input->gop, 0);
  input->gop_bytes = 0;
}

static gboolean
hf_switch_alive (HfHealthState s)
{
  return s == HF_HEALTH_HEALTHY || s == HF_HEALTH_DEGRADED;
}

/* Re-evaluates health and the decision, and acts on it.  Lock held. */
static void
hf_switch_evaluate_locked (HfSwitch * sw, gint64 now_us, GstClockTime out_now)
{
  guint n = sw->config.n_inputs, i;
  HfSelectInput sel[MAX (n, 1)];
  HfSelectPolicy policy;
  HfSelectWhy why;
  const gchar *reason = NULL;
  gint want, current;
  gboolean current_gone;

  for (i = 0; i < n; i++) {
    HfHealth *h = &sw->inputs[i].health;
    HfHealthState old;
    const gchar *why_changed = NULL;

    if (hf_health_update (h, now_us, &old, &why_changed)) {
      hf_switch_add_event_locked (sw, HF_EVENT_INPUT_STATE, i, old,
          hf_health_get_state (h), "%s", why_changed ? why_changed : "");
      /* What a lost input cached is from before its gap: the frames in
       * between never came, so it cannot start a take. */
      if (hf_health_get_state (h) == HF_HEALTH_LOST)
        hf_switch_drop_gop_locked (&sw->inputs[i]);
    }
    sel[i].state = hf_health_get_state (h);
    sel[i].stable_us = hf_health_stable_us (h, now_us);
    sel[i].holddown_us = hf_health_holddown_us (h, now_us);
  }
  /* In auto mode a pin lasts until the pinned input is lost. */
  if (sw->config.mode == HF_FAILOVER_AUTO && sw->pinned >= 0 &&
      !hf_switch_alive (sel[sw->pinned].state)) {
    GST_INFO ("operator's pin on input %d released: it is %s", sw->pinned,
        hf_health_state_to_string (sel[sw->pinned].state));
    sw->pinned = -1;
  }

  current = sw->slate_on ? -1 : sw->on_air;
  policy.mode = sw->config.mode;
  policy.revert_after_us = sw->config.revert_after_us;
  policy.pinned = sw->pinned;
  want = hf_select_decide (sel, n, current, &policy, &why, &reason);
  if (!reason)
    reason = hf_select_why_to_string (why);
  current_gone = current < 0 || !hf_switch_alive (sel[current].state);

  /* At the start of a show the pushers connect a few milliseconds apart:
   * the first input on air is not taken while a higher-priority one that
   * has never been seen may still turn up within the input timeout (else
   * the backup would hold the air for revert-after-s). */
  if (!sw->ever_on_air && want > 0 && sw->pinned < 0) {
    if (sw->first_alive_us == 0)
      sw->first_alive_us = now_us;
    for (i = 0; i < (guint) want; i++) {
      if (sel[i].state == HF_HEALTH_IDLE &&
          now_us - sw->first_alive_us < sw->config.health.timeout_us)
        return;
    }
  }

  if (want < 0) {
    gint from = sw->on_air;

    sw->pending = -1;
    if (sw->slate_on)
      return;
    if (from >= 0) {
      sw->stats.failovers++;
      sw->on_air = -1;
      sw->stats.on_air = -1;
    } else if (!sw->ever_on_air) {
      return;                   /* not paused: never started */
    }
    if (sw->config.use_slate && sw->slate) {
      hf_switch_slate_on_locked (sw, now_us, out_now, from, reason);
    } else if (from >= 0) {
      sw->stats.switches++;
      hf_switch_add_event_locked (sw, HF_EVENT_SWITCH, -1, from, -1,
          "%s; %s", reason, sw->config.use_slate ?
          "no slate ready yet: holding the last frame" :
          "fallback = none: holding the last frame");
    }
    return;
  }

  if (want == current && !sw->retake) {
    sw->pending = -1;
    return;
  }

  {
    HfEventKind kind = why == HF_SELECT_REVERT ? HF_EVENT_REVERT :
        why == HF_SELECT_MANUAL ? HF_EVENT_MANUAL : HF_EVENT_SWITCH;
    gboolean urgent = current_gone || sw->retake || why != HF_SELECT_REVERT;

    if (urgent && hf_switch_gop_usable_locked (sw, want, now_us, out_now)) {
      /* (slate -> live is not a failover) */
      if (current >= 0 && current != want && why == HF_SELECT_FAILOVER)
        sw->stats.failovers++;
      hf_switch_take_cached_locked (sw, want, now_us, out_now, kind, reason);
      return;
    }
    if (sw->pending != want) {
      GST_DEBUG ("want input %d (%s): at its next keyframe", want, reason);
      if (current >= 0 && current != want && why == HF_SELECT_FAILOVER)
        sw->stats.failovers++;
    }
    sw->pending = want;
    sw->pending_kind = kind;
    g_strlcpy (sw->pending_reason, reason, sizeof (sw->pending_reason));
    /* The on-air input is gone and the next one has no keyframe yet: the
     * viewers hold the last picture until it comes (or the slate, once
     * nothing is alive). */
  }
}

/* ---- Entry points -------------------------------------------------------- */

static void
hf_switch_cache_locked (HfSwitch * sw, HfSwitchInput * input, HfMediaKind kind,
    GstBuffer * buf, GstCaps * caps, GstClockTime pts_rt,
    GstClockTime dts_rt, gboolean keyframe, gint64 now_us)
{
  HfSwitchUnit unit;

  if (keyframe) {
    g_array_set_size (input->gop, 0);
    input->gop_bytes = 0;
  } else if (input->gop->len == 0) {
    return;                     /* nothing to take from until a keyframe */
  } else {
    HfSwitchUnit *first = &g_array_index (input->gop, HfSwitchUnit, 0);
    GstClockTime t = GST_CLOCK_TIME_IS_VALID (dts_rt) ? dts_rt : pts_rt;

    if (input->gop_bytes > HF_SWITCH_MAX_GOP_BYTES ||
        (t > first->dts_rt && t - first->dts_rt > HF_SWITCH_MAX_GOP_DURATION)) {
      g_array_set_size (input->gop, 0);
      input->gop_bytes = 0;
      return;
    }
  }
  unit.kind = kind;
  unit.buffer = gst_buffer_ref (buf);
  unit.caps = caps ? gst_caps_ref (caps) : NULL;
  unit.pts_rt = pts_rt;
  unit.dts_rt = GST_CLOCK_TIME_IS_VALID (dts_rt) ? dts_rt : pts_rt;
  unit.arrival_us = now_us;
  g_array_append_val (input->gop, unit);
  input->gop_bytes += gst_buffer_get_size (buf);
}

void
hf_switch_push (HfSwitch * sw, guint idx, guint epoch, HfMediaKind kind,
    GstSample * sample, gint64 now_us, GstClockTime out_now)
{
  GstBuffer *in = gst_sample_get_buffer (sample);
  const GstSegment *seg = gst_sample_get_segment (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  GstClockTime pts_rt, dts_rt;
  gboolean keyframe;
  HfSwitchInput *input;

  if (!in || idx >= sw->config.n_inputs)
    return;
  pts_rt = hf_switch_running_time (seg, GST_BUFFER_PTS (in));
  dts_rt = hf_switch_running_time (seg, GST_BUFFER_DTS (in));
  if (!GST_CLOCK_TIME_IS_VALID (pts_rt) && !GST_CLOCK_TIME_IS_VALID (dts_rt))
    return;                     /* nothing to place on the timeline */
  if (!GST_CLOCK_TIME_IS_VALID (pts_rt))
    pts_rt = dts_rt;
  keyframe = kind == HF_MEDIA_VIDEO &&
      !GST_BUFFER_FLAG_IS_SET (in, GST_BUFFER_FLAG_DELTA_UNIT);

  g_mutex_lock (&sw->lock);
  sw->last_now_us = MAX (sw->last_now_us, now_us);
  input = &sw->inputs[idx];
  if (input->seen && input->epoch != epoch) {
    /* A new session (a pusher reconnected): its timestamps are a new
     * timeline.  What was cached is of the old one; if it was on air it
     * is taken again, at a keyframe, with a new offset. */
    g_array_set_size (input->gop, 0);
    input->gop_bytes = 0;
    if (sw->on_air == (gint) idx && !sw->slate_on) {
      sw->on_air = -1;
      sw->stats.on_air = -1;
      GST_INFO ("on air: input %u started a new session", idx);
    }
  }
  if (hf_health_packet_age_us (&input->health, now_us) >
      sw->config.health.timeout_us) {
    /* The first unit after a silence longer than the timeout (which the
     * ticker may not have noticed yet): the cache holds a GOP whose later
     * frames never came, and this unit cannot extend it.  If the input is
     * still the one on air (its successor waits for a keyframe, or it is
     * the only one), it must be taken again at a keyframe too: its units
     * from here on lack their references. */
    hf_switch_drop_gop_locked (input);
    if (sw->on_air == (gint) idx && !sw->slate_on)
      sw->retake = TRUE;
  }
  input->epoch = epoch;
  input->seen = TRUE;
  hf_health_packet (&input->health, now_us);
  hf_switch_cache_locked (sw, input, kind, in, caps, pts_rt, dts_rt,
      keyframe, now_us);

  if (sw->on_air == (gint) idx && !sw->slate_on && !sw->retake) {
    hf_switch_forward_locked (sw, idx, kind, in, caps, pts_rt, dts_rt);
  } else {
    /* At a keyframe, decide first unless a take already waits for it: the
     * take that this unit's arrival makes due (a revert whose time has
     * just come, the input's return) may start with it; and at the first
     * unit of an input coming back, so its return is an event on time.
     * Other units leave deciding to the ticker: a standby's every frame
     * would otherwise re-run the whole decision under the lock the on-air
     * input needs. */
    if (keyframe ? sw->pending != (gint) idx :
        !hf_switch_alive (hf_health_get_state (&input->health)))
      hf_switch_evaluate_locked (sw, now_us, out_now);
    if (sw->on_air == (gint) idx && !sw->slate_on && !sw->retake) {
      /* taken from its GOP cache, this unit included */
    } else if (sw->pending == (gint) idx && keyframe) {
      /* A planned take (or one that had no GOP to start from): at this
       * live keyframe. */
      hf_switch_start_locked (sw, idx, GST_CLOCK_TIME_IS_VALID (dts_rt) ?
          dts_rt : pts_rt, 0, now_us, out_now, sw->pending_kind,
          sw->pending_reason);
      hf_switch_forward_locked (sw, idx, kind, in, caps, pts_rt, dts_rt);
    }
  }
  hf_switch_unlock_and_notify (sw, now_us);
}

void
hf_switch_heartbeat (HfSwitch * sw, guint input, gint64 now_us)
{
  if (input >= sw->config.n_inputs)
    return;
  g_mutex_lock (&sw->lock);
  hf_health_packet (&sw->inputs[input].health, now_us);
  g_mutex_unlock (&sw->lock);
}

void
hf_switch_counters (HfSwitch * sw, guint input, gint64 now_us,
    guint64 received, guint64 lost, gdouble jitter_ms)
{
  if (input >= sw->config.n_inputs)
    return;
  g_mutex_lock (&sw->lock);
  hf_health_counters (&sw->inputs[input].health, now_us, received, lost,
      jitter_ms);
  g_mutex_unlock (&sw->lock);
}

void
hf_switch_tick (HfSwitch * sw, gint64 now_us, GstClockTime out_now)
{
  GstClockTime last;

  g_mutex_lock (&sw->lock);
  sw->last_now_us = MAX (sw->last_now_us, now_us);
  hf_switch_evaluate_locked (sw, now_us, out_now);
  if (sw->slate_on)
    hf_switch_play_slate_locked (sw, out_now);
  last = sw->last_out_dts[HF_MEDIA_VIDEO];
  sw->stats.output_lead_us = GST_CLOCK_TIME_IS_VALID (last) && last > out_now ?
      (gint64) ((last - out_now) / GST_USECOND) : 0;
  hf_switch_unlock_and_notify (sw, now_us);
}

void
hf_switch_set_slate (HfSwitch * sw, HfSlate * slate)
{
  g_mutex_lock (&sw->lock);
  if (sw->slate)
    hf_slate_unref (sw->slate);
  sw->slate = slate ? hf_slate_ref (slate) : NULL;
  g_mutex_unlock (&sw->lock);
}

HfSwitchRequestResult
hf_switch_request (HfSwitch * sw, gint input, gint64 now_us,
    GstClockTime out_now, gchar ** message)
{
  HfSwitchRequestResult r;
  gchar *msg;

  g_mutex_lock (&sw->lock);
  if (input < 0) {
    if (sw->config.mode == HF_FAILOVER_MANUAL) {
      r = HF_SWITCH_REQUEST_REFUSED;
      msg = g_strdup ("failover = manual: name the input to put on air");
    } else {
      sw->pinned = -1;
      r = HF_SWITCH_REQUEST_AUTO;
      msg = g_strdup ("back to automatic choice");
      hf_switch_evaluate_locked (sw, now_us, out_now);
    }
  } else if ((guint) input >= sw->config.n_inputs) {
    r = HF_SWITCH_REQUEST_REFUSED;
    msg = g_strdup_printf ("no input %d", input);
  } else {
    HfHealth *h = &sw->inputs[input].health;
    HfHealthState old;
    const gchar *why_changed = NULL;

    /* The request may be the first to notice a change (between ticks):
     * it is told like any other. */
    if (hf_health_update (h, now_us, &old, &why_changed)) {
      hf_switch_add_event_locked (sw, HF_EVENT_INPUT_STATE, input, old,
          hf_health_get_state (h), "%s", why_changed ? why_changed : "");
      if (hf_health_get_state (h) == HF_HEALTH_LOST)
        hf_switch_drop_gop_locked (&sw->inputs[input]);
    }
    if (!hf_switch_alive (hf_health_get_state (h))) {
      r = HF_SWITCH_REQUEST_REFUSED;
      msg = g_strdup_printf ("the input is %s: nothing to put on air",
          hf_health_state_to_string (hf_health_get_state (h)));
    } else if (sw->on_air == input && !sw->slate_on) {
      sw->pinned = input;
      r = HF_SWITCH_REQUEST_ALREADY;
      msg = g_strdup ("already on air; pinned there");
    } else {
      sw->pinned = input;
      hf_switch_evaluate_locked (sw, now_us, out_now);
      if (sw->on_air == input && !sw->slate_on) {
        r = HF_SWITCH_REQUEST_DONE;
        msg = g_strdup ("on air now, from its cached GOP");
      } else {
        r = HF_SWITCH_REQUEST_PENDING;
        msg = g_strdup ("goes on air at its next keyframe");
      }
    }
  }
  hf_switch_unlock_and_notify (sw, now_us);
  if (message)
    *message = msg;
  else
    g_free (msg);
  return r;
}

void
hf_switch_restart (HfSwitch * sw)
{
  g_mutex_lock (&sw->lock);
  sw->last_out_dts[0] = sw->last_out_dts[1] = GST_CLOCK_TIME_NONE;
  sw->last_out_end[0] = sw->last_out_end[1] = GST_CLOCK_TIME_NONE;
  if (sw->slate_on) {
    /* The slate starts its loop again (at an IDR) on the new program. */
    sw->slate_vi = sw->slate_ai = 0;
    sw->slate_base = GST_CLOCK_TIME_NONE;
  }
  if (sw->on_air >= 0)
    sw->retake = TRUE;
  g_mutex_unlock (&sw->lock);
}

gint
hf_switch_get_on_air (HfSwitch * sw)
{
  gint on_air;

  g_mutex_lock (&sw->lock);
  on_air = sw->slate_on ? -1 : sw->on_air;
  g_mutex_unlock (&sw->lock);
  return on_air;
}

void
hf_switch_get_stats (HfSwitch * sw, HfSwitchStats * stats)
{
  g_mutex_lock (&sw->lock);
  *stats = sw->stats;
  if (sw->slate_on && sw->last_now_us > sw->slate_since_us)
    stats->slate_us_total += sw->last_now_us - sw->slate_since_us;
  g_mutex_unlock (&sw->lock);
}

HfHealthState
hf_switch_get_health (HfSwitch * sw, guint input, gint64 now_us)
{
  HfHealthState s;

  if (input >= sw->config.n_inputs)
    return HF_HEALTH_IDLE;
  g_mutex_lock (&sw->lock);
  s = hf_health_get_state (&sw->inputs[input].health);
  g_mutex_unlock (&sw->lock);
  return s;
}

/* The selection point (see hf-failover.h).
 *
 * Every input's streaming thread calls hf_switch_push() with each access
 * unit.  Under one data-plane lock (never taken by the control plane for
 * longer than a copy of the figures) it updates that input's arrival time,
 * asks hf_select_on_air() which input should be on air, and:
 *  - forwards the unit if its input is on air;
 *  - switches when the wanted input delivers a video keyframe (h264parse
 *    puts SPS/PPS before every IDR, so the first frame after a switch
 *    carries its parameter sets);
 *  - drops everything else.
 * Output timestamps are input running time + the input's offset; the offset
 * is fixed when the input goes on air so that the output continues right
 * after the last unit sent, or at the program's "now" if that is later.
 * Audio of the new input is taken from the keyframe's time on.
 */
#include "failover/hf-failover.h"

GST_DEBUG_CATEGORY_STATIC (hf_failover_debug);
#define GST_CAT_DEFAULT hf_failover_debug

#define HF_SWITCH_DEFAULT_FRAME (GST_SECOND / 30)

typedef struct
{
  HfSelectInput sel;
  GstClockTimeDiff offset;      /* output = running time + offset */
  GstClockTime start_rt;        /* running time of the keyframe taken */
  guint epoch;                  /* session of the input's timestamps */
  gboolean seen;
} HfSwitchInput;

struct _HfSwitch
{
  GMutex lock;                  /* guards everything below */
  HfSwitchInput *inputs;
  guint n_inputs;
  gint64 timeout_us;
  gint on_air;
  gboolean discont[2];
  GstClockTime last_out_dts[2]; /* per HfMediaKind */
  GstClockTime last_out_end[2];
  GstClockTime frame_dur;
  HfSwitchStats stats;

  HfSwitchOutputFunc output;
  HfSwitchNotifyFunc notify;
  gpointer user_data;
};

HfSwitch *
hf_switch_new (guint n_inputs, gint64 input_timeout_us,
    HfSwitchOutputFunc output, HfSwitchNotifyFunc notify, gpointer user_data)
{
  HfSwitch *sw = g_new0 (HfSwitch, 1);

  if (!hf_failover_debug)
    GST_DEBUG_CATEGORY_INIT (hf_failover_debug, "hf-failover", 0,
        "Holdfast failover");
  g_mutex_init (&sw->lock);
  sw->inputs = g_new0 (HfSwitchInput, n_inputs);
  sw->n_inputs = n_inputs;
  sw->timeout_us = input_timeout_us;
  sw->on_air = -1;
  sw->last_out_dts[0] = sw->last_out_dts[1] = GST_CLOCK_TIME_NONE;
  sw->last_out_end[0] = sw->last_out_end[1] = GST_CLOCK_TIME_NONE;
  sw->frame_dur = HF_SWITCH_DEFAULT_FRAME;
  sw->stats.on_air = -1;
  sw->stats.last_out_pts = GST_CLOCK_TIME_NONE;
  sw->output = output;
  sw->notify = notify;
  sw->user_data = user_data;
  return sw;
}

void
hf_switch_free (HfSwitch * sw)
{
  if (!sw)
    return;
  g_mutex_clear (&sw->lock);
  g_free (sw->inputs);
  g_free (sw);
}

static GstClockTime
hf_switch_running_time (const GstSegment * seg, GstClockTime ts)
{
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  if (!seg || seg->format != GST_FORMAT_TIME)
    return ts;
  return gst_segment_to_running_time (seg, GST_FORMAT_TIME, ts);
}

/* Takes input @idx on air at the keyframe with running time @kf_rt (its
 * decode time).  Lock held. */
static void
hf_switch_take_locked (HfSwitch * sw, guint idx, GstClockTime kf_rt,
    GstClockTime out_now)
{
  GstClockTime target = out_now;
  GstClockTime last = sw->last_out_dts[HF_MEDIA_VIDEO];

  if (GST_CLOCK_TIME_IS_VALID (last) && last + sw->frame_dur > target)
    target = last + sw->frame_dur;
  sw->inputs[idx].offset = GST_CLOCK_DIFF (kf_rt, target);
  sw->inputs[idx].start_rt = kf_rt;
  sw->on_air = idx;
  sw->stats.on_air = idx;
  sw->stats.switches++;
  sw->discont[0] = sw->discont[1] = TRUE;
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

void
hf_switch_push (HfSwitch * sw, guint idx, guint epoch, HfMediaKind kind,
    GstSample * sample, gint64 now_us, GstClockTime out_now)
{
  GstBuffer *in = gst_sample_get_buffer (sample);
  const GstSegment *seg = gst_sample_get_segment (sample);
  GstClockTime pts_rt, dts_rt, key_rt;
  gboolean keyframe;
  gint want, from = -2, to = -2;
  HfSwitchInput *input;

  if (!in || idx >= sw->n_inputs)
    return;
  pts_rt = hf_switch_running_time (seg, GST_BUFFER_PTS (in));
  dts_rt = hf_switch_running_time (seg, GST_BUFFER_DTS (in));
  key_rt = GST_CLOCK_TIME_IS_VALID (dts_rt) ? dts_rt : pts_rt;
  if (!GST_CLOCK_TIME_IS_VALID (key_rt))
    return;                     /* nothing to place on the timeline */
  keyframe = kind == HF_MEDIA_VIDEO &&
      !GST_BUFFER_FLAG_IS_SET (in, GST_BUFFER_FLAG_DELTA_UNIT);

  g_mutex_lock (&sw->lock);
  input = &sw->inputs[idx];
  if (input->seen && input->epoch != epoch && sw->on_air == (gint) idx) {
    /* The on-air input came back as a new session (a pusher reconnected):
     * its timestamps are a new timeline, so it is taken again, at a
     * keyframe, with a new offset. */
    sw->on_air = -1;
    GST_INFO ("on air: input %u started a new session", idx);
  }
  input->epoch = epoch;
  input->seen = TRUE;
  if (kind == HF_MEDIA_VIDEO)
    input->sel.last_video_us = now_us;

  {
    HfSelectInput sel[sw->n_inputs];
    guint i;

    for (i = 0; i < sw->n_inputs; i++)
      sel[i] = sw->inputs[i].sel;
    want = hf_select_on_air (sel, sw->n_inputs, now_us, sw->timeout_us);
  }
  if (want == (gint) idx && sw->on_air != (gint) idx && keyframe) {
    from = sw->on_air;
    to = idx;
    hf_switch_take_locked (sw, idx, key_rt, out_now);
    GST_INFO ("on air: %d -> %u (keyframe)", from, idx);
  }

  if (sw->on_air == (gint) idx &&
      !(kind == HF_MEDIA_AUDIO && pts_rt < input->start_rt)) {
    GstClockTime out_pts = hf_switch_apply (pts_rt, input->offset);
    GstClockTime out_dts = hf_switch_apply (dts_rt, input->offset);
    GstClockTime order = GST_CLOCK_TIME_IS_VALID (out_dts) ? out_dts : out_pts;
    GstClockTime prev = sw->last_out_dts[kind];

    if (GST_CLOCK_TIME_IS_VALID (prev) && order <= prev &&
        !(kind == HF_MEDIA_AUDIO && order == prev)) {
      /* Never go backwards: a unit from before the switch point. */
      if (kind == HF_MEDIA_VIDEO)
        sw->stats.dropped_waiting_keyframe++;
    } else if (kind == HF_MEDIA_AUDIO && sw->discont[kind] &&
        GST_CLOCK_TIME_IS_VALID (prev) && order < sw->last_out_end[kind]) {
      /* Right after a switch: overlaps audio already sent from the
       * previous input. */
    } else {
      GstBuffer *out = gst_buffer_copy (in);
      GstCaps *caps = gst_sample_get_caps (sample);

      GST_BUFFER_PTS (out) = out_pts;
      GST_BUFFER_DTS (out) = out_dts;
      if (sw->discont[kind]) {
        GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
        sw->discont[kind] = FALSE;
      }
      if (kind == HF_MEDIA_VIDEO && GST_CLOCK_TIME_IS_VALID (prev) &&
          order > prev && order - prev < GST_SECOND)
        sw->frame_dur = order - prev;
      sw->last_out_dts[kind] = order;
      sw->last_out_end[kind] = order + (GST_BUFFER_DURATION_IS_VALID (in) ?
          GST_BUFFER_DURATION (in) : 0);
      if (kind == HF_MEDIA_VIDEO) {
        sw->stats.video_out++;
        sw->stats.last_out_pts = out_pts;
      } else {
        sw->stats.audio_out++;
      }
      /* Held lock: see HfSwitchOutputFunc; keeps the order of units from
       * two inputs' threads around a switch. */
      sw->output (kind, idx, out, caps, sw->user_data);
      gst_buffer_unref (out);
    }
  } else if (kind == HF_MEDIA_VIDEO && want == (gint) idx) {
    sw->stats.dropped_waiting_keyframe++;
  }
  g_mutex_unlock (&sw->lock);

  if (to != -2 && sw->notify)
    sw->notify (from, to, from < 0 ? "first input delivering" :
        (gint) to < from ? "higher-priority input delivering" :
        "on-air input stopped delivering", sw->user_data);
}

void
hf_switch_restart (HfSwitch * sw)
{
  g_mutex_lock (&sw->lock);
  sw->on_air = -1;
  sw->last_out_dts[0] = sw->last_out_dts[1] = GST_CLOCK_TIME_NONE;
  sw->last_out_end[0] = sw->last_out_end[1] = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&sw->lock);
}

gint
hf_switch_get_on_air (HfSwitch * sw, gint64 now_us)
{
  gint on_air;

  g_mutex_lock (&sw->lock);
  on_air = sw->on_air;
  if (on_air >= 0 && now_us - sw->inputs[on_air].sel.last_video_us >
      sw->timeout_us)
    on_air = -1;
  g_mutex_unlock (&sw->lock);
  return on_air;
}

void
hf_switch_get_stats (HfSwitch * sw, HfSwitchStats * stats)
{
  g_mutex_lock (&sw->lock);
  *stats = sw->stats;
  g_mutex_unlock (&sw->lock);
}

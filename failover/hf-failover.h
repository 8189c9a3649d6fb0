/* Holdfast failover module: which input is on air, and the one place where
 * the program's timeline is made.
 *
 * hf-select.c is the decision, plain C with time passed in.  hf-switch.c is
 * the selection point every input's access units go through: it asks the
 * decision which input should be on air, takes the new input at a keyframe,
 * and restamps everything onto one continuous output timeline (one offset
 * per switch, shared by audio and video).  Failover policy (health,
 * hysteresis, revert hold-down, slate) grows here without re-plumbing.
 */
#ifndef HF_FAILOVER_H
#define HF_FAILOVER_H

#include <gst/gst.h>
#include "ingest/hf-ingest.h"

G_BEGIN_DECLS

/* ---- Decision ------------------------------------------------------------ */

/* What the decision knows of one input. */
typedef struct
{
  gint64 last_video_us;         /* arrival of its last video AU; 0 = never */
} HfSelectInput;

/* The input that should be on air at @now_us: the highest-priority one
 * (lowest index) that delivered video within @timeout_us; -1 if none. */
gint hf_select_on_air (const HfSelectInput * inputs, guint n_inputs,
    gint64 now_us, gint64 timeout_us);

/* ---- Switch -------------------------------------------------------------- */

typedef struct _HfSwitch HfSwitch;

/* Receives every restamped access unit of the program, in order, on the
 * streaming thread of the input on air (@input).  @buffer and @caps are
 * (transfer none).  Called with the switch's lock held: it must not block
 * on anything that waits for the switch, and never call back into it. */
typedef void (*HfSwitchOutputFunc) (HfMediaKind kind, guint input,
    GstBuffer * buffer, GstCaps * caps, gpointer user_data);

/* Told of every take of an input (@to) and what was on air before (@from,
 * -1 = none), after the switch's lock is released, on a streaming thread. */
typedef void (*HfSwitchNotifyFunc) (gint from, gint to, const gchar * reason,
    gpointer user_data);

typedef struct
{
  gint on_air;
  guint64 switches;
  guint64 video_out;
  guint64 audio_out;
  guint64 dropped_waiting_keyframe;
  GstClockTime last_out_pts;
} HfSwitchStats;

/* (transfer full) */
HfSwitch *hf_switch_new (guint n_inputs, gint64 input_timeout_us,
    HfSwitchOutputFunc output, HfSwitchNotifyFunc notify, gpointer user_data);
void hf_switch_free (HfSwitch * sw);

/* Streaming thread of input @input.  @sample is (transfer none).  @epoch
 * identifies the input's session: when it changes, the input's timestamps
 * start a new timeline and it is taken again at its next keyframe.
 * @now_us: monotonic arrival time; @out_now: the program's running time now,
 * which the output timeline must keep up with. */
void hf_switch_push (HfSwitch * sw, guint input, guint epoch,
    HfMediaKind kind, GstSample * sample, gint64 now_us,
    GstClockTime out_now);

/* The program downstream was rebuilt: its timeline starts again.  The
 * on-air input is taken again at its next keyframe, stamped from the new
 * program's "now".  Any thread. */
void hf_switch_restart (HfSwitch * sw);

/* The on-air input (-1 when none delivered within the timeout). */
gint hf_switch_get_on_air (HfSwitch * sw, gint64 now_us);
void hf_switch_get_stats (HfSwitch * sw, HfSwitchStats * stats);

G_END_DECLS
#endif

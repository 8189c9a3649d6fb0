/* Declarations shared inside relay/ only. */
#ifndef HF_RELAY_PRIVATE_H
#define HF_RELAY_PRIVATE_H

#include "relay/hf-relay.h"

G_BEGIN_DECLS

/* An output of a stream's program (MPEG-TS): SRT listener or caller, or
 * RTP.  Created and freed on the control thread; fed on the program's
 * streaming thread. */
typedef struct _HfOutput HfOutput;

HfOutput *hf_output_new (const HfOutputSpec * spec, const gchar * name,
    GError ** error);
void hf_output_free (HfOutput * out);
/* TRUE when a connection of this output waits for a start-up GOP. */
gboolean hf_output_wants_gop (HfOutput * out);
/* Program thread: @data is whole TS packets; @gop (transfer none, may be
 * NULL) is what new connections get first. */
void hf_output_send (HfOutput * out, const guint8 * data, gsize size,
    GBytes * gop);
/* Adds this output's figures as an object to @b (control thread). */
void hf_output_add_json (HfOutput * out, JsonBuilder * b);

/* An mpegtsmux that waits at most its latency for a stream that has no
 * data (see hf-programmux.c).  (transfer floating); NULL when mpegtsmux is
 * not installed.  Any thread. */
GstElement *hf_program_mux_new (const gchar * name);

void hf_output_get_figures (HfOutput * out, HfOutputFigures * figures);

/* Ladder: the output picks one of @n_rungs rungs (@ladder_bps copied),
 * starting on the top one.  Control thread, before any send. */
void hf_output_set_ladder (HfOutput * out, const guint64 * ladder_bps,
    guint n_rungs, gint64 now_us);
/* Control thread, every HF_STREAM_OUTPUT_TICK_MS: samples the output's
 * link and, with a ladder, decides its rung (taken at that rung's next
 * keyframe).  Returns TRUE when the rung wanted changed: then @from, @to
 * are the rungs and @reason (static) why. */
gboolean hf_output_tick (HfOutput * out, gint64 now_us, guint * from,
    guint * to, const gchar ** reason);
const gchar *hf_output_get_name (HfOutput * out);
/* The rung the output sends now. */
guint hf_output_get_rung (HfOutput * out);
/* Rung @rung's TS (whole packets), on that rung's streaming thread under
 * the stream's ladder lock: sent when it is the output's rung, or from its
 * first keyframe when the output is switching to it (its @psi, PAT and
 * PMT, first).  @gop: that rung's cache, for joiners (may be NULL);
 * @video_pid: its video PID (-1 unknown). */
void hf_output_send_rung (HfOutput * out, guint rung, const guint8 * data,
    gsize size, GBytes * gop, const guint8 * psi, gsize psi_size,
    gint video_pid);

/* ---- Rendition ladder (hf-ladder.c) -------------------------------------- */

/* Which rung an output sends, switching only at keyframes.  The rungs
 * have their keyframes at the same frames, with the same PES PTS, so a
 * switch ends the old rung just before its keyframe with PTS P (its last
 * frame whole) and starts the new one at its keyframe with PTS P: the
 * output carries every frame once, none cut.  The rungs arrive on their
 * own threads: when the new rung's keyframe comes first, the new rung is
 * held back (at most HF_RUNG_GATE_MAX_HELD bytes) until the old one
 * reaches the keyframe with the same PTS; when the old one comes first,
 * its data from P on is held until the new rung shows its keyframe P (the
 * switch) or shows it is already past P (the old rung goes on, nothing
 * lost, and the switch happens at the next keyframe).
 *
 * @want (atomic, -1: none) is the rung asked for, from any thread; the
 * other fields belong to the sender, which calls the filter under its
 * lock (the stream's fan-out lock).  @current and @switches may be read
 * from another thread for stats (a stale value at worst). */
#define HF_RUNG_GATE_MAX_HELD (4 * 1024 * 1024)

typedef struct
{
  guint current;
  gint want;
  guint64 switches;
  guint64 forced;               /* switches that cut the old rung short */
  /* A switch in progress. */
  gint target;                  /* -1: none */
  gboolean old_closed;          /* the old rung reached its keyframe */
  gboolean new_started;         /* the new rung's keyframe was seen */
  GByteArray *held;             /* the new rung from its keyframe on */
  gint64 close_pts;             /* P, when old_closed (-1: unknown) */
  gint64 new_last_pts;          /* the new rung's latest video PTS since
                                 * the switch began; -1: none */
  GByteArray *old_held;         /* the old rung from P on, while waiting */
} HfRungGate;

/* What the gate lets through, in order: @first is TRUE for the first data
 * of a new rung (its keyframe's first packet; send that rung's PAT and PMT
 * before it). */
typedef void (*HfRungGateEmit) (const guint8 * data, gsize size,
    gboolean first, gpointer user_data);

void hf_rung_gate_init (HfRungGate * g, guint rung);
void hf_rung_gate_clear (HfRungGate * g);
/* Asks for @rung (any thread). */
void hf_rung_gate_request (HfRungGate * g, guint rung);
/* The rung asked for, or the current one when none is pending. */
guint hf_rung_gate_pending (HfRungGate * g);
/* @data: whole TS packets of rung @rung (@video_pid: that TS's video PID,
 * -1 unknown: no keyframe can be found, no switch happens).  Calls @emit
 * zero or more times with what the output is to send. */
void hf_rung_gate_filter (HfRungGate * g, guint rung, const guint8 * data,
    gsize size, gint video_pid, HfRungGateEmit emit, gpointer user_data);

typedef struct _HfLadder HfLadder;

/* Called on rung @rung's appsink streaming thread with whole TS packets. */
typedef void (*HfLadderTsFunc) (guint rung, const guint8 * data, gsize size,
    gpointer user_data);

/* Adds the ladder's branches to @program (not yet playing): decoding from
 * @vtee (a tee after the program's H.264 appsrc), one encoder and mux per
 * rung, the audio from @atee (NULL: video only).  (transfer full) the
 * ladder, freed with hf_ladder_free () after the program is stopped; NULL
 * and @error when an element is missing (the program is then unusable:
 * the caller drops it). */
HfLadder *hf_ladder_build (GstBin * program, GstElement * vtee,
    GstElement * atee, const guint64 * ladder_bps, guint n_rungs,
    HfLadderTsFunc func, gpointer user_data, GError ** error);
void hf_ladder_free (HfLadder * ladder);

G_END_DECLS
#endif

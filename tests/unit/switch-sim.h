/* The simulator and checker shared by the selection point's unit tests
 * (failover/hf-switch.c, driven as the relay drives it but with time
 * passed in): a small simulator plays each input as a live pusher (H.264
 * access units at 25 fps with a fixed GOP, AAC-sized audio frames that
 * arrive a little behind the video, loss figures for the health window),
 * calls hf_switch_push () at each unit's arrival time and hf_switch_tick ()
 * every 10 ms, and records every unit of the program and every event.
 * test-switch.c (the behavioural tests) and test-switch-property.c (the
 * random sequences) both link switch-sim.o.
 *
 * Every buffer carries 8 bytes of payload: input, epoch, kind, 0, frame
 * number (big-endian); the slate's frames carry input 0xff.  A checker
 * runs on every output unit (video DTS strictly increasing, audio PTS never
 * backwards, the first video unit after a take a keyframe, every delta
 * frame right after its predecessor of the same session, the output never
 * more than the allowed lead ahead of the program clock, events in time
 * order with a reason) and each test then checks its own scenario.
 *
 * Single-threaded: only the test's thread calls in, and the switch's
 * callbacks run on that thread.  The helpers that assert (hf_test_out (),
 * hf_test_assert_ok () ...) use Check's fail macros, so they belong inside
 * a Check test.
 */
#ifndef HF_TEST_SWITCH_SIM_H
#define HF_TEST_SWITCH_SIM_H

#include <gst/check/gstcheck.h>

#include "failover/hf-failover.h"

G_BEGIN_DECLS

#define HF_TEST_FRAME (40 * GST_MSECOND)        /* 25 fps video */
#define HF_TEST_AFRAME (20 * GST_MSECOND)
/* Video is reordered (B-frames): PTS is this much after DTS. */
#define HF_TEST_REORDER (2 * HF_TEST_FRAME)
/* Audio reaches the switch this much behind video of the same time. */
#define HF_TEST_AUDIO_LAG (60 * GST_MSECOND)
#define HF_TEST_TICK (10 * GST_MSECOND)
#define HF_TEST_COUNTERS_PERIOD (100 * GST_MSECOND)
/* Packets per counters period (the loss figures' scale). */
#define HF_TEST_PACKETS 50
/* Monotonic clock at program time 0 (never 0: 0 means "never"). */
#define HF_TEST_T0_US (G_GINT64_CONSTANT (1000) * G_USEC_PER_SEC)
#define HF_TEST_MAX_INPUTS 4
#define HF_TEST_SLATE_TAG 0xff
/* hf-switch.c's floor on the spacing of the squeezed pictures of a take
 * from a GOP cache. */
#define HF_TEST_MIN_STEP (2 * GST_MSECOND)
/* How far the checker lets the output run ahead of the program clock.  A
 * take from a GOP cache squeezes the cached pictures so that the newest
 * lands at the take's "now": it adds no lead of its own, except the 2 ms
 * spacing of its pictures when the output already runs ahead.  What is
 * left: a take that lands right after the last unit sent (at a live
 * keyframe, a new session, the slate) puts its first picture one of the
 * switch's frame times on, and the switch learns that time from the output
 * (anything under 250 ms).  Over the property test's 1000 sequences the
 * largest lead is 254 ms (the bound was 1.5 s and a frame while cached
 * GOPs played at their own pace); this one leaves about as much again. */
#define HF_TEST_MAX_LEAD (500 * GST_MSECOND)

#define HF_TEST_MS(ms) ((GstClockTime) (ms) * GST_MSECOND)
#define HF_TEST_US(t) ((gint64) ((t) / GST_USECOND))
/* The monotonic time of program time @t. */
#define HF_TEST_MONO(t) (HF_TEST_T0_US + HF_TEST_US (t))

typedef struct
{
  gboolean configured;
  gboolean up;                  /* delivering */
  gboolean audio;               /* has an audio track */
  guint epoch;
  guint gop;                    /* frames from keyframe to keyframe */
  guint kf_shift;               /* frame f is a keyframe when
                                 * (f + kf_shift) % gop == 0 */
  GstClockTime origin;          /* program time frame 0 arrives */
  GstClockTime base_rt;         /* running time of frame 0 */
  guint64 next_v, next_a;       /* next frame numbers */
  gdouble loss;                 /* loss ratio in its counters */
  gdouble jitter_ms;
  guint64 received, lost;
  GstClockTime down_until;      /* the property test's outages */
} HfTestSource;

typedef struct
{
  HfMediaKind kind;
  gint source;                  /* input, or HF_SWITCH_SLATE */
  guint tag, epoch;             /* from the payload */
  guint64 frame;
  GstClockTime pts, dts;
  gboolean keyframe, discont;
  GstClockTime out_now;         /* program time when it was sent */
} HfTestOut;

typedef struct
{
  HfSwitch *sw;
  HfSwitchConfig config;
  GstClockTime now;             /* program time: the switch's out_now */
  gboolean ticking;
  GstClockTime next_tick, next_counters;
  HfTestSource src[HF_TEST_MAX_INPUTS];
  GstCaps *vcaps, *acaps;
  GstSegment segment;
  gboolean keep;                /* record outputs in outs */
  GArray *outs;                 /* (element-type HfTestOut) */
  GArray *events;               /* (element-type HfSwitchEvent) */
  /* the checker */
  gboolean have_v, have_a;
  HfTestOut last_v;
  GstClockTime last_a;
  gint64 last_event_us;
  GstClockTime max_lead;
  gchar *violation;             /* the first thing found wrong */
} HfTest;

/* ---- The simulator ------------------------------------------------------- */

/* A simulator around a new switch with @config (copied), ticking, keeping
 * every output in outs.  (transfer full): free with hf_test_free (). */
HfTest *hf_test_new (const HfSwitchConfig * config);

/* The same with hf_switch_config_init ()'s defaults for @n_inputs. */
HfTest *hf_test_new_default (guint n_inputs);

/* Frees the switch, the records and @t. */
void hf_test_free (HfTest * t);

/* Input @i: a GOP of @gop frames, keyframes where (f + kf_shift) % gop is
 * 0, frame 0 at running time @base_rt arriving at program time 0.  Not up
 * yet. */
void hf_test_source (HfTest * t, guint i, guint gop, guint kf_shift,
    GstClockTime base_rt, gboolean audio);

/* Input @i starts delivering now, from the first frame due. */
void hf_test_up (HfTest * t, guint i);

/* Input @i stops delivering. */
void hf_test_down (HfTest * t, guint i);

/* Input @i starts a new session now: a new epoch and a new timeline. */
void hf_test_new_session (HfTest * t, guint i, GstClockTime base_rt,
    guint kf_shift);

/* Plays every arrival and tick up to program time @until, in time order
 * (at one instant: inputs in index order, video before audio, then the
 * tick). */
void hf_test_run_until (HfTest * t, GstClockTime until);

/* Fails the test with the checker's first violation, if any. */
void hf_test_assert_ok (HfTest * t);

/* The index of the first recorded unit from @from on that @source sent
 * as @kind, or -1. */
gint hf_test_find_out (HfTest * t, guint from, gint source, HfMediaKind kind);

/* Recorded unit @i (transfer none); fails the test when there is none. */
HfTestOut *hf_test_out (HfTest * t, gint i);

/* The last recorded unit of @kind (transfer none); fails the test when
 * there is none. */
HfTestOut *hf_test_last_out (HfTest * t, HfMediaKind kind);

/* The index of the first event from @from on of @kind (and, unless -2,
 * @ev_from -> @ev_to), or -1. */
gint hf_test_find_event (HfTest * t, guint from, HfEventKind kind,
    gint ev_from, gint ev_to);

/* Recorded event @i (transfer none); fails the test when there is none. */
HfSwitchEvent *hf_test_event (HfTest * t, gint i);

/* Takes (switch, revert, manual, slate on/off) recorded from @from on. */
guint hf_test_count_takes (HfTest * t, guint from);

/* The switch's counters now. */
HfSwitchStats hf_test_stats (HfTest * t);

/* Hands the switch a hand-made slate loop of @n_frames (an IDR, then
 * deltas), with audio when @audio; its units are tagged
 * HF_TEST_SLATE_TAG. */
void hf_test_set_slate (HfTest * t, guint n_frames, gboolean audio);

G_END_DECLS

#endif /* HF_TEST_SWITCH_SIM_H */

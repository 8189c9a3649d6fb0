/* Unit tests of the rendition ladder (relay/hf-ladder.c): an output
 * switches rung only at keyframes (the old rung's last frame whole, the
 * new rung from its keyframe, nothing of it before), whichever rung's
 * thread runs ahead; the ladder's encoders put their keyframes at the same
 * frames on every rung; the config's ladder and RTP output parameters.
 *
 * The gate tests feed hand-made TS packets (keyframe starts carry the
 * random_access_indicator, as mpegtsmux writes them) of three rungs,
 * interleaved as the rungs' streaming threads would deliver them, and
 * record what the output would send.  The encoding test runs the real
 * branches (avdec_h264, x264enc, mpegtsmux) on 95 small live frames
 * (about 3 s).
 */
#include <gst/check/gstcheck.h>

#include "relay/relay-private.h"
#include "relay/hf-tsgop.h"

#define HF_TEST_PID 0x100

/* Frame @frame's PTS (90 kHz, 30 fps), the same on every rung; near the
 * 33-bit wrap, which frame 10 crosses. */
#define HF_TEST_PTS(frame) \
  ((((G_GINT64_CONSTANT (1) << 33) - 10 * 3000) + (gint64) (frame) * 3000) \
      & ((G_GINT64_CONSTANT (1) << 33) - 1))

/* One TS packet of rung @rung, frame @frame: a frame's first packet has
 * PUSI (and the random-access flag when @key) and starts a PES with the
 * frame's PTS; @rung and @frame are written in the adaptation field or
 * payload so the test can tell packets apart. */
static void
hf_test_packet (guint8 * pkt, guint rung, guint frame, gboolean first,
    gboolean key)
{
  memset (pkt, 0xff, HF_TS_PACKET);
  pkt[0] = 0x47;
  pkt[1] = (first ? 0x40 : 0) | ((HF_TEST_PID >> 8) & 0x1f);
  pkt[2] = HF_TEST_PID & 0xff;
  if (first) {
    gint64 pts = HF_TEST_PTS (frame);
    guint8 *pes = pkt + 8;

    pkt[3] = 0x30;              /* adaptation field + payload */
    pkt[4] = 3;
    pkt[5] = key ? 0x40 : 0;
    pkt[6] = rung;
    pkt[7] = frame;
    /* PES: 00 00 01 E0, length 0, '10' flags, PTS only, 5 header bytes. */
    pes[0] = 0;
    pes[1] = 0;
    pes[2] = 1;
    pes[3] = 0xe0;
    pes[4] = 0;
    pes[5] = 0;
    pes[6] = 0x80;
    pes[7] = 0x80;
    pes[8] = 5;
    pes[9] = 0x21 | ((pts >> 29) & 0x0e);
    pes[10] = (pts >> 22) & 0xff;
    pes[11] = 0x01 | ((pts >> 14) & 0xfe);
    pes[12] = (pts >> 7) & 0xff;
    pes[13] = 0x01 | ((pts << 1) & 0xfe);
  } else {
    pkt[3] = 0x10;
    pkt[4] = rung;
    pkt[5] = frame;
  }
}

/* A buffer of one frame of @rung: @n packets, the first starting it. */
static guint8 *
hf_test_frame (guint rung, guint frame, gboolean key, guint n, gsize * size)
{
  guint8 *data = g_malloc (n * HF_TS_PACKET);
  guint i;

  for (i = 0; i < n; i++)
    hf_test_packet (data + i * HF_TS_PACKET, rung, frame, i == 0, key);
  *size = n * HF_TS_PACKET;
  return data;
}

static guint
hf_test_rung_of (const guint8 * pkt)
{
  return (pkt[1] & 0x40) ? pkt[6] : pkt[4];
}

static guint
hf_test_frame_of (const guint8 * pkt)
{
  return (pkt[1] & 0x40) ? pkt[7] : pkt[5];
}

typedef struct
{
  GByteArray *sent;             /* what the output sent, in order */
  guint firsts;                 /* pieces that started a new rung */
  gsize first_at;               /* where the last such piece started */
} HfTestOutput;

static void
hf_test_emit (const guint8 * data, gsize size, gboolean first,
    gpointer user_data)
{
  HfTestOutput *o = user_data;

  fail_unless (size % HF_TS_PACKET == 0);
  if (first) {
    o->firsts++;
    o->first_at = o->sent->len;
  }
  g_byte_array_append (o->sent, data, size);
}

/* Offers every rung's frame @frame to the gate, rungs in @order (the
 * threads' arrival order varies), as hf_output_send_rung () does. */
static void
hf_test_offer (HfRungGate * g, HfTestOutput * o, guint frame, guint gop,
    const guint * order, guint n_rungs)
{
  guint i;

  for (i = 0; i < n_rungs; i++) {
    gsize size;
    guint8 *data = hf_test_frame (order[i], frame, frame % gop == 0,
        2 + frame % 3, &size);

    hf_rung_gate_filter (g, order[i], data, size, HF_TEST_PID, hf_test_emit, o);
    g_free (data);
  }
}

/* Checks what was sent: frames 0..@n_frames-1 each exactly once, in
 * order, whole, of rung @from before frame @at and of rung @to from it
 * on, with the first packet of @to a keyframe start. */
static void
hf_test_check_sent (HfTestOutput * o, guint from, guint to, guint at,
    guint n_frames)
{
  gsize n = o->sent->len / HF_TS_PACKET, i;
  guint expect_frame = 0;
  gboolean seen_new = FALSE;

  fail_unless (n > 0);
  for (i = 0; i < n; i++) {
    const guint8 *pkt = o->sent->data + i * HF_TS_PACKET;
    guint rung = hf_test_rung_of (pkt), f = hf_test_frame_of (pkt);

    if (pkt[1] & 0x40) {
      /* A frame's first packet: the next frame, none skipped. */
      fail_unless_equals_int (f, expect_frame);
      expect_frame++;
    } else {
      /* Its other packets follow it: no frame is cut. */
      fail_unless_equals_int (f, expect_frame - 1);
    }
    if (rung == to && !seen_new) {
      seen_new = TRUE;
      fail_unless (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_PID));
      fail_unless_equals_int (f, at);
      fail_unless_equals_int (o->first_at, i * HF_TS_PACKET);
    }
    fail_unless_equals_int (rung, seen_new ? to : from);
  }
  fail_unless (seen_new);
  fail_unless_equals_int (expect_frame, n_frames);
}

GST_START_TEST (test_switch_happens_at_the_keyframe_of_both_rungs)
{
  static const guint fwd[] = { 0, 1, 2 }, rev[] = { 2, 1, 0 };
  const guint *orders[] = { fwd, rev };
  guint o_i;

  /* The new rung's frames may come before or after the old one's. */
  for (o_i = 0; o_i < 2; o_i++) {
    HfRungGate g;
    HfTestOutput o = { g_byte_array_new (), 0, 0 };
    guint frame;

    hf_rung_gate_init (&g, 0);
    /* GOP of 10 frames; the decision comes at frame 13, mid-GOP. */
    for (frame = 0; frame < 40; frame++) {
      if (frame == 13) {
        hf_rung_gate_request (&g, 2);
        fail_unless_equals_int (hf_rung_gate_pending (&g), 2);
      }
      if (frame < 20)
        fail_unless_equals_int (g.current, 0);
      hf_test_offer (&g, &o, frame, 10, orders[o_i], 3);
    }
    fail_unless_equals_int (o.firsts, 1);
    fail_unless_equals_int (g.current, 2);
    fail_unless_equals_int (g.switches, 1);
    fail_unless_equals_int (g.forced, 0);
    fail_unless_equals_int (hf_rung_gate_pending (&g), 2);
    hf_test_check_sent (&o, 0, 2, 20, 40);
    g_byte_array_unref (o.sent);
    hf_rung_gate_clear (&g);
  }
}

GST_END_TEST;

GST_START_TEST (test_new_rung_ahead_is_held_until_the_old_keyframe)
{
  static const guint only1[] = { 1 };
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  guint frame;

  hf_rung_gate_init (&g, 1);
  for (frame = 0; frame < 12; frame++)
    hf_test_offer (&g, &o, frame, 10, only1, 1);
  hf_rung_gate_request (&g, 0);
  /* Rung 0 runs three frames ahead of rung 1 (its thread is faster). */
  for (frame = 12; frame < 30; frame++) {
    gsize size;
    guint8 *data = hf_test_frame (0, frame, frame % 10 == 0, 2, &size);

    hf_rung_gate_filter (&g, 0, data, size, HF_TEST_PID, hf_test_emit, &o);
    g_free (data);
    if (frame >= 15) {
      guint f = frame - 3;

      data = hf_test_frame (1, f, f % 10 == 0, 3, &size);
      hf_rung_gate_filter (&g, 1, data, size, HF_TEST_PID, hf_test_emit, &o);
      g_free (data);
    }
    /* Rung 0's keyframe 20 came, rung 1's not yet: nothing of 0 sent. */
    if (frame == 21) {
      fail_unless_equals_int (g.current, 1);
      fail_unless_equals_int (o.firsts, 0);
      fail_unless (g.held->len > 0);
    }
  }
  fail_unless_equals_int (g.current, 0);
  hf_test_check_sent (&o, 1, 0, 20, 30);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
}

GST_END_TEST;

/* Issue 6: the switch request lands between the two rungs' copies of the
 * same keyframe (it is picked up on whichever rung's thread calls the
 * filter next).  Rungs 0 (old) and 1 (new) each deliver frames 0..149 (GOP
 * 30) in order, one rung ahead of the other: @lag >= 0, the new rung by
 * @lag frames (each frame's new copy first at 0); @lag < 0, the old rung
 * by -@lag - 1 frames.  The request comes before event @at.
 * Returns the frame at which the new rung started (G_MAXUINT: never),
 * after checking every frame went out exactly once, in order, whole. */
static guint
hf_test_interleave (gint lag, guint at)
{
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  const guint n_frames = 150;
  guint next[2] = { 0, 0 }, ev = 0, expect = 0, start = G_MAXUINT, i, n;
  gboolean new_seen = FALSE;
  guint leader = lag >= 0 ? 1 : 0;
  guint lead = lag >= 0 ? (guint) lag : (guint) (-lag - 1);

  hf_rung_gate_init (&g, 0);
  while (next[0] < n_frames || next[1] < n_frames) {
    guint rung;
    gsize size;
    guint8 *data;

    /* The leader goes first while it is not more than @lag ahead. */
    if (next[leader] < n_frames && next[leader] <= next[!leader] + lead)
      rung = leader;
    else
      rung = !leader;
    if (ev == at)
      hf_rung_gate_request (&g, 1);
    data = hf_test_frame (rung, next[rung], next[rung] % 30 == 0,
        2 + next[rung] % 3, &size);
    hf_rung_gate_filter (&g, rung, data, size, HF_TEST_PID, hf_test_emit, &o);
    g_free (data);
    next[rung]++;
    ev++;
  }

  /* Checked without an assertion per packet (each one costs a write to
   * libcheck's pipe): the first wrong packet fails the test. */
  n = o.sent->len / HF_TS_PACKET;
  for (i = 0; i < n; i++) {
    const guint8 *pkt = o.sent->data + i * HF_TS_PACKET;
    guint rung = hf_test_rung_of (pkt), f = hf_test_frame_of (pkt);
    gboolean ok;

    if (pkt[1] & 0x40)
      ok = f == expect++;
    else
      ok = f + 1 == expect;
    if (ok && rung == 1 && !new_seen) {
      new_seen = TRUE;
      start = f;
      ok = hf_ts_packet_is_keyframe_start (pkt, HF_TEST_PID) &&
          o.first_at == i * HF_TS_PACKET;
    }
    if (!ok || rung != (new_seen ? 1u : 0u))
      fail ("lag %d, request at %u: packet %u (rung %u, frame %u) out of "
          "place", lag, at, (guint) i, rung, f);
  }
  fail_unless (expect == n_frames, "lag %d, request at %u: %u frames sent",
      lag, at, expect);
  fail_unless_equals_int (o.firsts, new_seen ? 1 : 0);
  fail_unless_equals_int (g.forced, 0);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
  return start;
}

GST_START_TEST (test_request_between_the_new_and_the_old_keyframe)
{
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  guint frame;

  /* Per frame, the new rung's copy first.  The request lands after the
   * new rung's keyframe 30 and before the old one's: the new rung's 30
   * is gone, so the old rung goes on (no freeze) and the switch is at 60. */
  hf_rung_gate_init (&g, 0);
  for (frame = 0; frame < 90; frame++) {
    static const guint new_first[] = { 1, 0 };
    gsize size;
    guint8 *data;
    guint i;

    for (i = 0; i < 2; i++) {
      if (frame == 30 && i == 1)
        hf_rung_gate_request (&g, 1);
      data = hf_test_frame (new_first[i], frame, frame % 30 == 0,
          2 + frame % 3, &size);
      hf_rung_gate_filter (&g, new_first[i], data, size, HF_TEST_PID,
          hf_test_emit, &o);
      g_free (data);
    }
  }
  fail_unless_equals_int (g.current, 1);
  fail_unless_equals_int (g.switches, 1);
  hf_test_check_sent (&o, 0, 1, 60, 90);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_request_between_the_old_and_the_new_keyframe)
{
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  guint frame;

  /* Per frame, the old rung's copy first.  The request lands after the
   * old rung's keyframe 30 went out and before the new one's: the new
   * rung's 30..59 must not follow the old rung's (1 s replayed); the
   * switch is at 60. */
  hf_rung_gate_init (&g, 0);
  for (frame = 0; frame < 90; frame++) {
    static const guint old_first[] = { 0, 1 };
    gsize size;
    guint8 *data;
    guint i;

    for (i = 0; i < 2; i++) {
      if (frame == 30 && i == 1)
        hf_rung_gate_request (&g, 1);
      data = hf_test_frame (old_first[i], frame, frame % 30 == 0,
          2 + frame % 3, &size);
      hf_rung_gate_filter (&g, old_first[i], data, size, HF_TEST_PID,
          hf_test_emit, &o);
      g_free (data);
    }
  }
  fail_unless_equals_int (g.current, 1);
  fail_unless_equals_int (g.switches, 1);
  hf_test_check_sent (&o, 0, 1, 60, 90);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_every_interleaving_sends_each_frame_once)
{
  /* Either rung ahead by 0..3 frames (as the rungs' threads are), about a
   * GOP, or more; the request at every point of the first 120 events. */
  static const gint lags[] = { -41, -32, -31, -30, -4, -3, -2, -1, 0, 1, 2,
    3, 29, 30, 31, 40
  };
  guint l, at, start;

  for (l = 0; l < G_N_ELEMENTS (lags); l++) {
    gint lag = lags[l];

    for (at = 0; at < 120; at++) {
      start = hf_test_interleave (lag, at);
      /* A switch happens, at a keyframe, at most two GOPs later. */
      fail_unless (start % 30 == 0 && start <= 120, "lag %d, request at %u: "
          "new rung from frame %u", lag, at, start);
    }
  }
  /* Asked well before keyframe 30 reaches either rung: switched at 30. */
  fail_unless_equals_int (hf_test_interleave (0, 20), 30);
  fail_unless_equals_int (hf_test_interleave (3, 20), 30);
  fail_unless_equals_int (hf_test_interleave (-3, 20), 30);
}

GST_END_TEST;

/* The gate reads PES headers of the rungs' TS: garbage (random adaptation
 * field and PES lengths, PTS jumping about) is never read out of bounds
 * (ASan), goes out in whole packets, and no more than was fed goes out. */
GST_START_TEST (test_gate_survives_garbage)
{
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  GRand *rand = g_rand_new_with_seed (6);
  guint8 data[4 * HF_TS_PACKET];
  gsize fed = 0;
  guint i, j;

  hf_rung_gate_init (&g, 0);
  for (i = 0; i < 20000; i++) {
    guint rung = g_rand_int_range (rand, 0, 3);

    for (j = 0; j < sizeof (data); j++)
      data[j] = g_rand_int (rand);
    for (j = 0; j < 4; j++) {
      guint8 *pkt = data + j * HF_TS_PACKET;

      pkt[0] = 0x47;
      if (g_rand_boolean (rand)) {
        pkt[1] = 0x40 | ((HF_TEST_PID >> 8) & 0x1f);
        pkt[2] = HF_TEST_PID & 0xff;
      }
      if (g_rand_boolean (rand)) {
        guint off = 4 + ((pkt[3] & 0x20) ? 1 + MIN (pkt[4], 183) : 0);

        if (off + 3 <= HF_TS_PACKET) {
          pkt[off] = 0;
          pkt[off + 1] = 0;
          pkt[off + 2] = 1;
        }
      }
    }
    if (i % 50 == 0)
      hf_rung_gate_request (&g, g_rand_int_range (rand, 0, 3));
    hf_rung_gate_filter (&g, rung, data, sizeof (data), HF_TEST_PID,
        hf_test_emit, &o);
    fed += sizeof (data);
  }
  fail_unless (o.sent->len > 0);
  fail_unless (o.sent->len <= fed);
  fail_unless (g.held->len <= HF_RUNG_GATE_MAX_HELD + sizeof (data));
  fail_unless (g.old_held->len <= HF_RUNG_GATE_MAX_HELD + sizeof (data));
  g_rand_free (rand);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_in_the_middle_of_a_buffer)
{
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  guint8 data[4 * HF_TS_PACKET];
  guint r;

  hf_rung_gate_init (&g, 0);
  hf_rung_gate_request (&g, 1);
  /* On both rungs: the tail of frame 9, then keyframe 10. */
  for (r = 0; r < 2; r++) {
    hf_test_packet (data, r, 9, TRUE, FALSE);
    hf_test_packet (data + HF_TS_PACKET, r, 9, FALSE, FALSE);
    hf_test_packet (data + 2 * HF_TS_PACKET, r, 10, TRUE, TRUE);
    hf_test_packet (data + 3 * HF_TS_PACKET, r, 10, FALSE, TRUE);
    hf_rung_gate_filter (&g, r, data, sizeof (data), HF_TEST_PID,
        hf_test_emit, &o);
  }
  /* Rung 0's frame 9 whole, then rung 1 from its keyframe. */
  fail_unless_equals_int (o.sent->len, 4 * HF_TS_PACKET);
  fail_unless_equals_int (hf_test_rung_of (o.sent->data), 0);
  fail_unless_equals_int (hf_test_rung_of (o.sent->data + HF_TS_PACKET), 0);
  fail_unless_equals_int (hf_test_rung_of (o.sent->data + 2 * HF_TS_PACKET), 1);
  fail_unless_equals_int (hf_test_frame_of (o.sent->data + 2 * HF_TS_PACKET),
      10);
  fail_unless_equals_int (o.first_at, 2 * HF_TS_PACKET);
  /* The old rung is dropped from now on; the new one goes whole. */
  hf_rung_gate_filter (&g, 0, data, sizeof (data), HF_TEST_PID, hf_test_emit,
      &o);
  fail_unless_equals_int (o.sent->len, 4 * HF_TS_PACKET);
  hf_rung_gate_filter (&g, 1, data, sizeof (data), HF_TEST_PID, hf_test_emit,
      &o);
  fail_unless_equals_int (o.sent->len, 8 * HF_TS_PACKET);
  fail_unless_equals_int (o.firsts, 1);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_no_switch_without_a_keyframe_or_a_video_pid)
{
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  gsize size;
  guint8 *delta = hf_test_frame (1, 3, FALSE, 3, &size);
  guint8 *key = hf_test_frame (1, 10, TRUE, 3, &size);
  guint8 *old_key = hf_test_frame (0, 10, TRUE, 3, &size);

  hf_rung_gate_init (&g, 0);
  hf_rung_gate_request (&g, 1);
  hf_rung_gate_filter (&g, 1, delta, size, HF_TEST_PID, hf_test_emit, &o);
  /* PMT not seen yet: the video PID is unknown, nothing is a keyframe. */
  hf_rung_gate_filter (&g, 1, key, size, -1, hf_test_emit, &o);
  fail_unless_equals_int (o.sent->len, 0);
  fail_unless_equals_int (g.current, 0);
  /* Meanwhile the old rung flows. */
  hf_rung_gate_filter (&g, 0, delta, size, HF_TEST_PID, hf_test_emit, &o);
  fail_unless_equals_int (o.sent->len, size);
  hf_rung_gate_filter (&g, 0, old_key, size, HF_TEST_PID, hf_test_emit, &o);
  hf_rung_gate_filter (&g, 1, key, size, HF_TEST_PID, hf_test_emit, &o);
  fail_unless_equals_int (o.firsts, 1);
  fail_unless_equals_int (g.current, 1);
  fail_unless_equals_int (o.sent->len, 2 * size);
  g_free (delta);
  g_free (key);
  g_free (old_key);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_asking_for_the_current_rung_cancels_a_pending_switch)
{
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  gsize size;
  guint8 *key1 = hf_test_frame (1, 0, TRUE, 2, &size);
  guint8 *delta0 = hf_test_frame (0, 0, FALSE, 2, &size);

  hf_rung_gate_init (&g, 0);
  hf_rung_gate_request (&g, 1);
  hf_rung_gate_filter (&g, 0, delta0, size, HF_TEST_PID, hf_test_emit, &o);
  hf_rung_gate_request (&g, 0);
  hf_rung_gate_filter (&g, 0, delta0, size, HF_TEST_PID, hf_test_emit, &o);
  hf_rung_gate_filter (&g, 1, key1, size, HF_TEST_PID, hf_test_emit, &o);
  fail_unless_equals_int (o.sent->len, 2 * size);
  fail_unless_equals_int (g.current, 0);
  fail_unless_equals_int (g.switches, 0);
  fail_unless_equals_int (hf_rung_gate_pending (&g), 0);
  g_free (key1);
  g_free (delta0);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_old_rung_without_keyframe_is_cut_after_the_limit)
{
  HfRungGate g;
  HfTestOutput o = { g_byte_array_new (), 0, 0 };
  gsize size;
  guint8 *key1 = hf_test_frame (1, 0, TRUE, 100, &size);
  guint i;

  hf_rung_gate_init (&g, 0);
  hf_rung_gate_request (&g, 1);
  /* Rung 0 sends nothing more (its encoder stalled): rung 1 is held up to
   * the limit, then taken. */
  for (i = 0; g.current == 0 && i < 1000; i++)
    hf_rung_gate_filter (&g, 1, key1, size, HF_TEST_PID, hf_test_emit, &o);
  fail_unless_equals_int (g.current, 1);
  fail_unless_equals_int (g.forced, 1);
  fail_unless (o.sent->len > HF_RUNG_GATE_MAX_HELD);
  fail_unless_equals_int (o.firsts, 1);
  g_free (key1);
  g_byte_array_unref (o.sent);
  hf_rung_gate_clear (&g);
}

GST_END_TEST;

/* ---- The encoders: keyframes at the same frames on every rung ---------- */

typedef struct
{
  GMutex lock;
  HfTsGop gop[2];
  guint64 bytes[2];
} HfTestRungs;

static void
hf_test_on_rung_ts (guint rung, const guint8 * data, gsize size,
    gpointer user_data)
{
  HfTestRungs *t = user_data;

  g_mutex_lock (&t->lock);
  hf_ts_gop_push (&t->gop[rung], data, size);
  t->bytes[rung] += size;
  g_mutex_unlock (&t->lock);
}

GST_START_TEST (test_rungs_have_keyframes_at_the_same_frames)
{
  static const guint64 ladder[] = { 400000, 150000 };
  GstElement *pipe, *src, *enc, *parse, *vtee;
  GstCaps *caps;
  HfTestRungs t;
  HfLadder *ladder_obj;
  GError *error = NULL;
  GstBus *bus;
  GstMessage *msg;
  guint r;

  if (!gst_registry_check_feature_version (gst_registry_get (), "x264enc",
          1, 0, 0) ||
      !gst_registry_check_feature_version (gst_registry_get (), "avdec_h264",
          1, 0, 0)) {
    GST_WARNING ("x264enc or avdec_h264 missing: skipped");
    return;
  }
  g_mutex_init (&t.lock);
  for (r = 0; r < 2; r++) {
    hf_ts_gop_init (&t.gop[r], 8 * 1024 * 1024);
    t.bytes[r] = 0;
  }
  /* The "program": H.264 with scene cuts allowed and its own GOP (45),
   * unlike the rungs', to show the rungs follow their own settings. */
  pipe = gst_pipeline_new (NULL);
  src = gst_element_factory_make ("videotestsrc", NULL);
  enc = gst_element_factory_make ("x264enc", NULL);
  parse = gst_element_factory_make ("h264parse", NULL);
  vtee = gst_element_factory_make ("tee", NULL);
  /* Live, as a program is: the ladder's leaky queues drop raw frames only
   * when the encoders fall behind real time (a non-live source would
   * outrun them). */
  g_object_set (src, "num-buffers", 95, "pattern", 18 /* ball */ ,
      "is-live", TRUE, NULL);
  g_object_set (enc, "key-int-max", 45, "speed-preset", 1, NULL);
  gst_bin_add_many (GST_BIN (pipe), src, enc, parse, vtee, NULL);
  caps = gst_caps_from_string ("video/x-raw,width=160,height=96,"
      "framerate=30/1,format=I420");
  fail_unless (gst_element_link_filtered (src, enc, caps));
  gst_caps_unref (caps);
  fail_unless (gst_element_link_many (enc, parse, vtee, NULL));
  ladder_obj = hf_ladder_build (GST_BIN (pipe), vtee, NULL, ladder, 2,
      hf_test_on_rung_ts, &t, &error);
  fail_unless (ladder_obj != NULL, "%s", error ? error->message : "?");

  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS within 20 s");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  hf_ladder_free (ladder_obj);

  /* 95 frames, a keyframe every 30 on both rungs: frames 0, 30, 60, 90. */
  for (r = 0; r < 2; r++) {
    GST_INFO ("rung %u: %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT
        " keyframes", r, t.bytes[r], t.gop[r].keyframes);
    fail_unless (t.gop[r].have_pat && t.gop[r].have_pmt);
    fail_unless_equals_uint64 (t.gop[r].keyframes, 4);
    hf_ts_gop_clear (&t.gop[r]);
  }
  /* The rungs are different encodes: the lower one is smaller. */
  fail_unless (t.bytes[1] < t.bytes[0]);
  g_mutex_clear (&t.lock);
}

GST_END_TEST;

/* ---- Config: ladder and RTP output repair ------------------------------ */

static HfConfig *
hf_test_config (const gchar * stream_keys, GError ** error)
{
  g_autofree gchar *text = g_strdup_printf ("[server]\nhttp = 127.0.0.1:1\n"
      "[stream main]\ninputs = srt://:9001?mode=listener\n%s\n",
      stream_keys);

  return hf_config_load_data (text, strlen (text), error);
}

GST_START_TEST (test_config_reads_the_ladder)
{
  GError *error = NULL;
  HfConfig *c = hf_test_config ("ladder = 2500k,1200k,500k", &error);
  const HfStreamConfig *sc;

  fail_unless (c != NULL, "%s", error ? error->message : "?");
  sc = g_ptr_array_index (c->streams, 0);
  fail_unless_equals_int (sc->n_rungs, 3);
  fail_unless_equals_uint64 (sc->ladder_bps[0], 2500000);
  fail_unless_equals_uint64 (sc->ladder_bps[1], 1200000);
  fail_unless_equals_uint64 (sc->ladder_bps[2], 500000);
  hf_config_free (c);

  c = hf_test_config ("ladder = 2.5M; 800k", &error);
  fail_unless (c != NULL, "%s", error ? error->message : "?");
  sc = g_ptr_array_index (c->streams, 0);
  fail_unless_equals_int (sc->n_rungs, 2);
  fail_unless_equals_uint64 (sc->ladder_bps[0], 2500000);
  hf_config_free (c);

  c = hf_test_config ("", &error);
  fail_unless (c != NULL);
  fail_unless_equals_int (((HfStreamConfig *) g_ptr_array_index (c->streams,
              0))->n_rungs, 0);
  hf_config_free (c);
}

GST_END_TEST;

GST_START_TEST (test_config_refuses_bad_ladders_clearly)
{
  static const struct
  {
    const gchar *keys;
    const gchar *says;
  } bad[] = {
    {"ladder = 500k,1200k", "not below the rung before it"},
    {"ladder = 1200k,1200k", "not below the rung before it"},
    {"ladder = 60000k", "out of range"},
    {"ladder = 50k", "out of range"},
    {"ladder = 6M,5M,4M,3M,2M,1M,500k", "1 to 6"},
    {"ladder = fast", "not a bitrate"},
    {"ladder = 1200kb", "not a bitrate"},
    {"ladder = ", "1 to 6"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GError *error = NULL;
    HfConfig *c = hf_test_config (bad[i].keys, &error);

    fail_unless (c == NULL, "accepted: %s", bad[i].keys);
    fail_unless (g_error_matches (error, HF_CONFIG_ERROR,
            HF_CONFIG_ERROR_INVALID));
    fail_unless (strstr (error->message, "[stream main] ladder") != NULL,
        "%s", error->message);
    fail_unless (strstr (error->message, bad[i].says) != NULL,
        "'%s': %s", bad[i].keys, error->message);
    g_error_free (error);
  }
}

GST_END_TEST;

GST_START_TEST (test_rtp_output_repair_params)
{
  HfOutputSpec spec;
  GError *error = NULL;

  fail_unless (hf_output_spec_parse ("rtp://127.0.0.1:5000", &spec, NULL));
  fail_unless_equals_int (spec.fec_mode, HF_FEC_OFF);
  fail_if (spec.rtx);
  hf_output_spec_clear (&spec);
  fail_unless (hf_output_spec_parse ("rtp://127.0.0.1:5000?fec=auto&rtx=on",
          &spec, NULL));
  fail_unless_equals_int (spec.fec_mode, HF_FEC_AUTO);
  fail_unless (spec.rtx);
  hf_output_spec_clear (&spec);
  fail_unless (hf_output_spec_parse ("rtp://127.0.0.1:5000?fec=20&rtx=off",
          &spec, NULL));
  fail_unless_equals_int (spec.fec_mode, HF_FEC_FIXED);
  fail_unless_equals_int (spec.fec_percent, 20);
  fail_if (spec.rtx);
  hf_output_spec_clear (&spec);

  fail_if (hf_output_spec_parse ("rtp://127.0.0.1:5000?fec=lots", &spec,
          &error));
  fail_unless (strstr (error->message, "fec=lots") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  fail_if (hf_output_spec_parse ("rtp://127.0.0.1:5000?fec=0", &spec, &error));
  g_clear_error (&error);
  fail_if (hf_output_spec_parse ("rtp://127.0.0.1:5000?rtx=maybe", &spec,
          &error));
  fail_unless (strstr (error->message, "rtx=maybe") != NULL, "%s",
      error->message);
  g_clear_error (&error);
}

GST_END_TEST;

static Suite *
hf_ladder_suite (void)
{
  Suite *s = suite_create ("hf-ladder");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_switch_happens_at_the_keyframe_of_both_rungs);
  tcase_add_test (tc, test_new_rung_ahead_is_held_until_the_old_keyframe);
  tcase_add_test (tc, test_request_between_the_new_and_the_old_keyframe);
  tcase_add_test (tc, test_request_between_the_old_and_the_new_keyframe);
  tcase_add_test (tc, test_every_interleaving_sends_each_frame_once);
  tcase_add_test (tc, test_gate_survives_garbage);
  tcase_add_test (tc, test_keyframe_in_the_middle_of_a_buffer);
  tcase_add_test (tc, test_no_switch_without_a_keyframe_or_a_video_pid);
  tcase_add_test (tc,
      test_asking_for_the_current_rung_cancels_a_pending_switch);
  tcase_add_test (tc, test_old_rung_without_keyframe_is_cut_after_the_limit);
  tcase_add_test (tc, test_rungs_have_keyframes_at_the_same_frames);
  tcase_add_test (tc, test_config_reads_the_ladder);
  tcase_add_test (tc, test_config_refuses_bad_ladders_clearly);
  tcase_add_test (tc, test_rtp_output_repair_params);
  return s;
}

GST_CHECK_MAIN (hf_ladder);

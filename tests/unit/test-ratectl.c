/* Unit tests of the rate controllers (abr/hf-ratectl.c).
 *
 * The receiver-side controller runs against a simulated link, in fake
 * time: a sender emits 30 frames/s of RTP at the controller's last
 * feedback (applied HF_SIM_REACTION_US after it was sent, the feedback's
 * trip plus the encoder's reaction), each frame a burst of packets of at
 * most 1200 bytes; the packets go through a link of capacity C with a FIFO
 * queue (tail drop above a queueing delay), an optional random loss and
 * jitter, and a propagation delay; the controller sees every arrival and
 * is updated every 5 ms.  The tests check: a cut on delay growth, below
 * the new capacity within 200 ms and before any packet is lost; a cut on
 * loss; the hold after a cut; recovery to 90 % of the original rate within
 * 10 s after the link recovers; the target within [min, max]; feedback
 * every 200 ms and at once on a cut; no cut on a sender restart or on
 * +-10 ms of jitter.  The SRT controller is fed fake samples.
 *
 * Single-threaded; the random generators are seeded, so runs repeat.
 */
#include <gst/check/gstcheck.h>

#include "abr/hf-abr.h"

#define HF_SIM_FPS 30
#define HF_SIM_PACKET 1200
#define HF_SIM_CLOCK 90000
#define HF_SIM_TICK_US 1000
#define HF_SIM_UPDATE_US 5000
#define HF_SIM_REACTION_US (50 * 1000)
#define HF_SIM_PROP_US (20 * 1000)
#define HF_SIM_T0_US G_GINT64_CONSTANT (1000000007)

typedef struct
{
  gint64 arrival_us;
  gsize size;
  guint32 ts;
  guint64 ext_seq;
} HfSimPacket;

typedef struct
{
  HfRatectl *rc;
  guint64 min_bps, max_bps;
  gint64 now_us;
  GRand *rand;

  /* Sender. */
  gdouble send_bps;
  guint keyframe_every;         /* frames; 0: no keyframes */
  guint keyframe_factor;        /* a keyframe's size in frames */
  gdouble pending_bps;
  gint64 pending_at_us;
  guint64 ext_seq;
  guint32 ts_base;
  guint64 frame;
  gint64 next_frame_us;

  /* Link. */
  gdouble capacity_bps;
  gint64 queue_limit_us;
  gint64 link_free_us;
  gint64 jitter_us;
  gdouble loss;
  gint64 last_arrival_us;
  GQueue in_flight;

  /* What happened. */
  guint64 queue_drops, random_drops;
  gint64 max_queue_us;
  guint n_feedback;
  gint64 last_feedback_us;
  gint64 max_feedback_gap_us;
  guint64 min_target_seen;
  gboolean target_decreased;
  gboolean cut_without_feedback;
  guint64 announced_bps;        /* the last feedback's target */
} HfSim;

static void
hf_sim_init (HfSim * sim, guint64 start_bps, guint64 min_bps,
    guint64 max_bps, gdouble capacity_bps, guint32 seed)
{
  memset (sim, 0, sizeof (*sim));
  sim->rc = hf_ratectl_new (start_bps, min_bps, max_bps);
  sim->min_bps = min_bps;
  sim->max_bps = max_bps;
  sim->now_us = HF_SIM_T0_US;
  sim->rand = g_rand_new_with_seed (seed);
  sim->send_bps = start_bps;
  sim->pending_at_us = G_MAXINT64;
  sim->ext_seq = 70000;         /* past one wrap already */
  sim->ts_base = 0xfffff000u;   /* the timestamp wraps soon */
  sim->next_frame_us = sim->now_us;
  sim->capacity_bps = capacity_bps;
  sim->queue_limit_us = 300 * 1000;
  sim->min_target_seen = G_MAXUINT64;
  g_queue_init (&sim->in_flight);
}

static void
hf_sim_clear (HfSim * sim)
{
  g_queue_clear_full (&sim->in_flight, g_free);
  g_rand_free (sim->rand);
  hf_ratectl_free (sim->rc);
}

/* One frame at the sender's current rate, sent as a burst at now. */
static void
hf_sim_send_frame (HfSim * sim)
{
  gsize bytes = (gsize) (sim->send_bps / 8 / HF_SIM_FPS);

  if (sim->keyframe_every && sim->frame % sim->keyframe_every == 0)
    bytes *= sim->keyframe_factor;
  guint32 ts = sim->ts_base + (guint32) (sim->frame * HF_SIM_CLOCK /
      HF_SIM_FPS);

  while (bytes > 0) {
    gsize size = MIN (bytes, HF_SIM_PACKET);
    gint64 start, arrival;
    HfSimPacket *p;

    bytes -= size;
    sim->ext_seq++;
    if (sim->loss > 0 && g_rand_double (sim->rand) < sim->loss) {
      sim->random_drops++;
      continue;
    }
    start = MAX (sim->now_us, sim->link_free_us);
    if (start - sim->now_us > sim->queue_limit_us) {
      sim->queue_drops++;
      continue;
    }
    sim->max_queue_us = MAX (sim->max_queue_us, start - sim->now_us);
    sim->link_free_us = start + (gint64) (size * 8 * 1e6 / sim->capacity_bps);
    arrival = sim->link_free_us + HF_SIM_PROP_US;
    if (sim->jitter_us > 0)
      arrival += g_rand_int_range (sim->rand, -sim->jitter_us,
          sim->jitter_us + 1);
    /* Jitter without reordering: a FIFO path. */
    arrival = MAX (arrival, sim->last_arrival_us);
    sim->last_arrival_us = arrival;

    p = g_new0 (HfSimPacket, 1);
    p->arrival_us = arrival;
    p->size = size;
    p->ts = ts;
    p->ext_seq = sim->ext_seq;
    g_queue_push_tail (&sim->in_flight, p);
  }
  sim->frame++;
  sim->next_frame_us = HF_SIM_T0_US + (gint64) (sim->frame * G_USEC_PER_SEC /
      HF_SIM_FPS);
}

/* Runs the simulation until @until_us (absolute). */
static void
hf_sim_run (HfSim * sim, gint64 until_us)
{
  while (sim->now_us < until_us) {
    HfSimPacket *p;
    guint64 before, target;

    sim->now_us += HF_SIM_TICK_US;
    if (sim->now_us >= sim->pending_at_us) {
      sim->send_bps = sim->pending_bps;
      sim->pending_at_us = G_MAXINT64;
    }
    if (sim->now_us >= sim->next_frame_us)
      hf_sim_send_frame (sim);

    before = hf_ratectl_get_target (sim->rc);
    while ((p = g_queue_peek_head (&sim->in_flight)) &&
        p->arrival_us <= sim->now_us) {
      g_queue_pop_head (&sim->in_flight);
      hf_ratectl_on_packet (sim->rc, p->size, p->ts, HF_SIM_CLOCK,
          p->ext_seq, p->arrival_us);
      g_free (p);
    }
    /* Packets can cut the target between updates too. */
    if (hf_ratectl_get_target (sim->rc) < before) {
      sim->target_decreased = TRUE;
      sim->min_target_seen = MIN (sim->min_target_seen,
          hf_ratectl_get_target (sim->rc));
    }
    if ((sim->now_us - HF_SIM_T0_US) % HF_SIM_UPDATE_US != 0)
      continue;
    if (hf_ratectl_update (sim->rc, sim->now_us, &target)) {
      if (sim->n_feedback > 0)
        sim->max_feedback_gap_us = MAX (sim->max_feedback_gap_us,
            sim->now_us - sim->last_feedback_us);
      sim->n_feedback++;
      sim->last_feedback_us = sim->now_us;
      fail_unless_equals_uint64 (target, hf_ratectl_get_target (sim->rc));
      sim->pending_bps = target;
      sim->pending_at_us = sim->now_us + HF_SIM_REACTION_US;
      sim->announced_bps = target;
    } else if (hf_ratectl_get_target (sim->rc) < sim->announced_bps * 0.97) {
      /* Cut since the last feedback, and no feedback at once. */
      sim->cut_without_feedback = TRUE;
    }
    target = hf_ratectl_get_target (sim->rc);
    fail_unless (target >= sim->min_bps && target <= sim->max_bps,
        "target %" G_GUINT64_FORMAT " outside [%" G_GUINT64_FORMAT ", %"
        G_GUINT64_FORMAT "]", target, sim->min_bps, sim->max_bps);
    if (target < before)
      sim->target_decreased = TRUE;
    sim->min_target_seen = MIN (sim->min_target_seen, target);
  }
}

/* Runs until the target is below @bps or @limit_us passed; returns the
 * time it took, or -1. */
static gint64
hf_sim_time_until_below (HfSim * sim, guint64 bps, gint64 limit_us)
{
  gint64 start = sim->now_us;

  while (sim->now_us - start < limit_us) {
    hf_sim_run (sim, sim->now_us + HF_SIM_TICK_US);
    if (hf_ratectl_get_target (sim->rc) < bps)
      return sim->now_us - start;
  }
  return -1;
}

static gint64
hf_sim_time_until_above (HfSim * sim, guint64 bps, gint64 limit_us)
{
  gint64 start = sim->now_us;

  while (sim->now_us - start < limit_us) {
    hf_sim_run (sim, sim->now_us + HF_SIM_TICK_US);
    if (hf_ratectl_get_target (sim->rc) >= bps)
      return sim->now_us - start;
  }
  return -1;
}

#define HF_SIM_SECONDS(s) ((gint64) ((s) * G_USEC_PER_SEC))

GST_START_TEST (test_cuts_on_delay_growth_before_any_loss)
{
  gint64 queue_ms[] = { 100, 200, 300 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (queue_ms); i++) {
    HfSim sim;
    gint64 took, cut_at;
    guint n_feedback;
    guint64 frame;

    hf_sim_init (&sim, 4000000, 300000, 4000000, 10e6, 1 + i);
    sim.queue_limit_us = queue_ms[i] * 1000;
    hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (5));
    fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), 4000000);
    fail_if (sim.target_decreased);

    /* The link drops to 1.5 Mbit/s: the sender's next frame queues. */
    sim.capacity_bps = 1.5e6;
    n_feedback = sim.n_feedback;
    frame = sim.frame;
    while (sim.frame == frame)
      hf_sim_run (&sim, sim.now_us + HF_SIM_TICK_US);
    took = hf_sim_time_until_below (&sim, 1500000, HF_SIM_SECONDS (2));
    GST_INFO ("queue %" G_GINT64_FORMAT " ms: below 1.5 Mbit/s %"
        G_GINT64_FORMAT " ms after the first queued frame, queue %.1f ms, %"
        G_GUINT64_FORMAT " dropped", queue_ms[i], took / 1000,
        hf_ratectl_get_queue_delay_ms (sim.rc), sim.queue_drops);
    fail_unless (took >= 0 && took <= 200 * 1000,
        "queue %" G_GINT64_FORMAT " ms: target below capacity %"
        G_GINT64_FORMAT " ms after the first queued frame", queue_ms[i],
        took / 1000);
    /* The delay told it: no loss measured yet.  With a 300 ms queue
     * nothing was lost at all; a smaller queue overflows at 4 Mbit/s into
     * 1.5 within ~100 ms, before the first queued packet can arrive. */
    if (queue_ms[i] >= 300)
      fail_unless_equals_uint64 (sim.queue_drops, 0);
    fail_unless (hf_ratectl_get_loss_ratio (sim.rc) == 0);
    /* Cut at once and announced at once. */
    cut_at = sim.now_us;
    if (sim.last_feedback_us != cut_at)
      fail_unless_equals_int (hf_ratectl_get_state (sim.rc),
          HF_RATECTL_DECREASE);
    hf_sim_run (&sim, cut_at + HF_SIM_UPDATE_US);
    fail_unless (sim.n_feedback > n_feedback);
    /* The first update after the cut sent it: no 200 ms wait. */
    fail_unless (sim.last_feedback_us >= cut_at &&
        sim.last_feedback_us <= cut_at + HF_SIM_UPDATE_US);
    fail_unless_equals_int (hf_ratectl_get_state (sim.rc), HF_RATECTL_HOLD);
    /* Not cut further than the WebRTC back-off from what got through. */
    fail_unless (hf_ratectl_get_target (sim.rc) >= 0.8 * 1500000,
        "cut to %" G_GUINT64_FORMAT, hf_ratectl_get_target (sim.rc));
    fail_if (sim.cut_without_feedback);
    hf_sim_clear (&sim);
  }
}

GST_END_TEST;

GST_START_TEST (test_holds_after_cut)
{
  HfSim sim;
  guint64 cut;
  gint64 cut_at;

  hf_sim_init (&sim, 4000000, 300000, 4000000, 10e6, 7);
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (3));
  sim.capacity_bps = 1.5e6;
  fail_unless (hf_sim_time_until_below (&sim, 1500000,
          HF_SIM_SECONDS (1)) >= 0);
  cut = hf_ratectl_get_target (sim.rc);
  cut_at = sim.now_us;

  /* For ~500 ms nothing moves up, though the queue drains. */
  while (sim.now_us < cut_at + 450 * 1000) {
    hf_sim_run (&sim, sim.now_us + HF_SIM_UPDATE_US);
    fail_unless (hf_ratectl_get_target (sim.rc) <= cut);
    fail_unless (hf_ratectl_get_state (sim.rc) != HF_RATECTL_INCREASE);
  }
  /* Then it probes upward (slowly: near the rate that failed). */
  hf_sim_run (&sim, cut_at + HF_SIM_SECONDS (3));
  fail_unless (hf_ratectl_get_target (sim.rc) > cut,
      "still at %" G_GUINT64_FORMAT, hf_ratectl_get_target (sim.rc));
  fail_unless (hf_ratectl_get_target (sim.rc) < 1.15 * 1500000);
  hf_sim_clear (&sim);
}

GST_END_TEST;

GST_START_TEST (test_recovers_to_90_percent_within_10s)
{
  HfSim sim;
  gint64 took;
  guint64 drops_before;

  hf_sim_init (&sim, 4000000, 300000, 4000000, 10e6, 11);
  sim.queue_limit_us = 200 * 1000;
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (3));
  sim.capacity_bps = 1.5e6;
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (2));
  /* Adapted: the last second below capacity, at most a few drops. */
  drops_before = sim.queue_drops;
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (8));
  GST_INFO ("at 1.5 Mbit/s: target %" G_GUINT64_FORMAT ", queue %.1f ms, "
      "%" G_GUINT64_FORMAT " dropped over 8 s", hf_ratectl_get_target (sim.rc),
      hf_ratectl_get_queue_delay_ms (sim.rc), sim.queue_drops - drops_before);
  fail_unless (hf_ratectl_get_target (sim.rc) <= 1.2 * 1500000);
  fail_unless (hf_ratectl_get_target (sim.rc) >= 0.7 * 1500000);
  fail_unless (sim.queue_drops - drops_before < 10);

  sim.capacity_bps = 10e6;
  took = hf_sim_time_until_above (&sim, 3600000, HF_SIM_SECONDS (10));
  GST_INFO ("back at 90%% after %" G_GINT64_FORMAT " ms", took / 1000);
  fail_unless (took >= 0, "target %" G_GUINT64_FORMAT " after 10 s",
      hf_ratectl_get_target (sim.rc));
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (5));
  fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), 4000000);
  hf_sim_clear (&sim);
}

GST_END_TEST;

GST_START_TEST (test_probes_up_on_clean_link)
{
  HfSim sim;
  gint64 took;

  hf_sim_init (&sim, 500000, 300000, 6000000, 100e6, 3);
  took = hf_sim_time_until_above (&sim, 0.9 * 6000000, HF_SIM_SECONDS (10));
  fail_unless (took >= 0, "target %" G_GUINT64_FORMAT " after 10 s",
      hf_ratectl_get_target (sim.rc));
  fail_if (sim.target_decreased);
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (5));
  fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), 6000000);
  hf_sim_clear (&sim);
}

GST_END_TEST;

GST_START_TEST (test_cuts_on_loss)
{
  HfSim sim;
  guint64 before, receive;

  /* 20 % random loss on a fast link: no queue, loss alone. */
  hf_sim_init (&sim, 3000000, 300000, 3000000, 100e6, 5);
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (2));
  fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), 3000000);
  sim.loss = 0.2;
  fail_unless (hf_sim_time_until_below (&sim, 3000000,
          HF_SIM_SECONDS (1)) >= 0);
  receive = hf_ratectl_get_receive_bps (sim.rc);
  fail_unless (hf_ratectl_get_loss_ratio (sim.rc) > 0.1);
  fail_unless (hf_ratectl_get_target (sim.rc) <= 0.86 * receive,
      "target %" G_GUINT64_FORMAT ", receive %" G_GUINT64_FORMAT,
      hf_ratectl_get_target (sim.rc), receive);
  fail_unless (hf_ratectl_get_queue_delay_ms (sim.rc) < 5);
  hf_sim_clear (&sim);

  /* 5 %: hold, neither a cut nor an increase, for as long as it lasts
   * (starting below the maximum, so that an increase could show). */
  hf_sim_init (&sim, 2000000, 300000, 3000000, 100e6, 6);
  sim.loss = 0.05;
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (1));
  before = hf_ratectl_get_target (sim.rc);
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (5));
  fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), before);
  fail_unless (hf_ratectl_get_loss_ratio (sim.rc) > 0.02);
  hf_sim_clear (&sim);
}

GST_END_TEST;

GST_START_TEST (test_target_within_min_max)
{
  guint seed;

  /* hf_sim_run asserts [min, max] at every update. */
  for (seed = 20; seed < 24; seed++) {
    HfSim sim;

    hf_sim_init (&sim, 9000000, 800000, 2000000, 3e6, seed);
    fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), 2000000);
    hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (2));
    sim.capacity_bps = 0.3e6;   /* below min: the target stays at min */
    sim.loss = 0.3;
    hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (4));
    fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), 800000);
    sim.capacity_bps = 50e6;
    sim.loss = 0;
    hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (15));
    fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), 2000000);
    hf_sim_clear (&sim);
  }
}

GST_END_TEST;

GST_START_TEST (test_feedback_every_200ms)
{
  HfSim sim;

  hf_sim_init (&sim, 2000000, 300000, 2000000, 10e6, 8);
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (10));
  /* Updates every 5 ms: due at 200 ms, seen within one update. */
  fail_unless (sim.max_feedback_gap_us >= HF_RATECTL_FEEDBACK_US
      && sim.max_feedback_gap_us <= HF_RATECTL_FEEDBACK_US + HF_SIM_UPDATE_US,
      "gap %" G_GINT64_FORMAT, sim.max_feedback_gap_us);
  fail_unless (sim.n_feedback >= 10 * G_USEC_PER_SEC /
      (HF_RATECTL_FEEDBACK_US + HF_SIM_UPDATE_US));
  fail_unless (sim.n_feedback <= 10 * G_USEC_PER_SEC /
      HF_RATECTL_FEEDBACK_US + 1);
  hf_sim_clear (&sim);
}

GST_END_TEST;

GST_START_TEST (test_feedback_period_direct)
{
  HfRatectl *rc = hf_ratectl_new (1000000, 100000, 2000000);
  gint64 t = HF_SIM_T0_US;
  guint64 target = 0;

  /* The first update is due; the next only after the period. */
  fail_unless (hf_ratectl_update (rc, t, &target));
  fail_unless_equals_uint64 (target, 1000000);
  fail_if (hf_ratectl_update (rc, t + 100 * 1000, &target));
  fail_if (hf_ratectl_update (rc, t + 199 * 1000, &target));
  fail_unless (hf_ratectl_update (rc, t + 200 * 1000, &target));
  fail_if (hf_ratectl_update (rc, t + 201 * 1000, &target));
  hf_ratectl_free (rc);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_bursts_with_headroom_do_not_cut)
{
  HfSim sim;

  /* A keyframe 8 frames large every second, at 4 Mbit/s (~4.9 on
   * average) over 10 Mbit/s: each keyframe queues the next frames ~75 ms,
   * but the link delivers more than the target meanwhile. */
  hf_sim_init (&sim, 4000000, 300000, 4000000, 10e6, 12);
  sim.keyframe_every = HF_SIM_FPS;
  sim.keyframe_factor = 8;
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (20));
  fail_unless (sim.max_queue_us >= 50 * 1000);
  fail_if (sim.target_decreased, "cut to %" G_GUINT64_FORMAT,
      sim.min_target_seen);

  /* The same bursts over 4.5 Mbit/s, less than the average: cut. */
  sim.capacity_bps = 4.5e6;
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (5));
  fail_unless (sim.target_decreased);
  fail_unless (hf_ratectl_get_target (sim.rc) < 4000000);
  hf_sim_clear (&sim);
}

GST_END_TEST;

GST_START_TEST (test_sender_restart_no_bogus_cut)
{
  HfSim sim;
  guint i;

  hf_sim_init (&sim, 2000000, 300000, 2000000, 10e6, 9);
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (3));
  for (i = 0; i < 3; i++) {
    /* The pusher restarts: new random sequence and timestamp, after a
     * 300 ms gap. */
    sim.next_frame_us += 300 * 1000;
    sim.frame += 9;
    sim.ext_seq += g_rand_int_range (sim.rand, 5000, 60000);
    sim.ts_base += g_rand_int (sim.rand);
    hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (3));
    fail_if (sim.target_decreased, "restart %u cut to %" G_GUINT64_FORMAT,
        i, sim.min_target_seen);
  }
  /* A timestamp that goes backwards, sequence continuing. */
  sim.ts_base -= 10 * HF_SIM_CLOCK;
  hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (3));
  fail_if (sim.target_decreased);
  fail_unless_equals_uint64 (hf_ratectl_get_target (sim.rc), 2000000);
  hf_sim_clear (&sim);
}

GST_END_TEST;

GST_START_TEST (test_jitter_does_not_cut)
{
  guint seed;

  for (seed = 30; seed < 33; seed++) {
    HfSim sim;

    hf_sim_init (&sim, 3000000, 300000, 3000000, 20e6, seed);
    sim.jitter_us = 10 * 1000;
    hf_sim_run (&sim, sim.now_us + HF_SIM_SECONDS (30));
    fail_if (sim.target_decreased, "seed %u: cut to %" G_GUINT64_FORMAT,
        seed, sim.min_target_seen);
    fail_unless (hf_ratectl_get_queue_delay_ms (sim.rc) < 25);
    hf_sim_clear (&sim);
  }
}

GST_END_TEST;

/* ---- SRT ---------------------------------------------------------------- */

typedef struct
{
  HfSrtRatectl *rc;
  HfSrtSample s;
  gint64 now_us;
  guint n_changes;
} HfSrtSim;

/* One 200 ms sample: @pkts sent, @bad of them lost and retransmitted. */
static gboolean
hf_srt_sim_step (HfSrtSim * sim, guint64 pkts, guint64 bad, gdouble rtt_ms,
    gdouble buffer_ms)
{
  guint64 target;
  gboolean changed;

  sim->now_us += 200 * 1000;
  sim->s.pkt_sent += pkts;
  sim->s.pkt_lost += bad;
  sim->s.pkt_retrans += bad;
  sim->s.rtt_ms = rtt_ms;
  sim->s.send_buffer_ms = buffer_ms;
  sim->s.send_rate_bps = hf_srt_ratectl_get_target (sim->rc);
  changed = hf_srt_ratectl_update (sim->rc, &sim->s, sim->now_us, &target);
  if (changed) {
    fail_unless_equals_uint64 (target, hf_srt_ratectl_get_target (sim->rc));
    sim->n_changes++;
  }
  return changed;
}

static void
hf_srt_sim_init (HfSrtSim * sim, guint64 start, guint64 min, guint64 max)
{
  memset (sim, 0, sizeof (*sim));
  sim->rc = hf_srt_ratectl_new (start, min, max);
  sim->now_us = HF_SIM_T0_US;
}

GST_START_TEST (test_srt_cuts_on_growing_send_buffer)
{
  HfSrtSim sim;
  guint i;
  guint64 before;

  hf_srt_sim_init (&sim, 4000000, 500000, 4000000);
  for (i = 0; i < 20; i++)
    hf_srt_sim_step (&sim, 80, 0, 40, 45);
  fail_unless_equals_uint64 (hf_srt_ratectl_get_target (sim.rc), 4000000);

  /* High but shrinking: no cut. */
  hf_srt_sim_step (&sim, 80, 0, 40, 140);
  before = hf_srt_ratectl_get_target (sim.rc);
  fail_if (hf_srt_sim_step (&sim, 80, 0, 40, 120) &&
      hf_srt_ratectl_get_target (sim.rc) < before);

  /* Growing beyond max (2 x RTT, 100 ms): cut. */
  hf_srt_sim_step (&sim, 80, 0, 40, 90);
  fail_unless (hf_srt_sim_step (&sim, 80, 0, 40, 130));
  fail_unless (hf_srt_ratectl_get_target (sim.rc) <= 0.86 * 4000000);

  /* With a 100 ms RTT the threshold is 200 ms: 150 growing is fine. */
  hf_srt_ratectl_free (sim.rc);
  hf_srt_sim_init (&sim, 4000000, 500000, 4000000);
  for (i = 0; i < 5; i++)
    hf_srt_sim_step (&sim, 80, 0, 100, 100 + 10 * i);
  fail_unless_equals_uint64 (hf_srt_ratectl_get_target (sim.rc), 4000000);
  hf_srt_sim_step (&sim, 80, 0, 100, 260);
  fail_unless (hf_srt_ratectl_get_target (sim.rc) < 4000000);
  hf_srt_ratectl_free (sim.rc);
}

GST_END_TEST;

/* A link of @capacity behind SRT: the sender sends at its target, the
 * backlog that the link cannot carry piles up in the bottleneck's queue,
 * which drains at the link's capacity; what is unacknowledged in the send
 * buffer spans the RTT plus that queue. */
static void
hf_srt_sim_link (HfSrtSim * sim, gdouble capacity, gdouble * backlog_bits,
    gdouble rtt_ms)
{
  gdouble rate = hf_srt_ratectl_get_target (sim->rc);

  *backlog_bits = MAX (0.0, *backlog_bits + (rate - capacity) * 0.2);
  hf_srt_sim_step (sim, (guint64) (rate * 0.2 / 8 / 1316), 0, rtt_ms,
      rtt_ms + *backlog_bits / capacity * 1000);
}

GST_START_TEST (test_srt_follows_a_capacity_drop)
{
  HfSrtSim sim;
  gdouble backlog = 0;
  guint i;

  hf_srt_sim_init (&sim, 4000000, 300000, 4000000);
  for (i = 0; i < 10; i++)
    hf_srt_sim_link (&sim, 10e6, &backlog, 40);
  fail_unless_equals_uint64 (hf_srt_ratectl_get_target (sim.rc), 4000000);

  /* 4 -> 1.5 Mbit/s: below capacity within two samples (400 ms), and not
   * far below it. */
  for (i = 0; i < 2; i++)
    hf_srt_sim_link (&sim, 1.5e6, &backlog, 40);
  fail_unless (hf_srt_ratectl_get_target (sim.rc) < 1500000,
      "target %" G_GUINT64_FORMAT, hf_srt_ratectl_get_target (sim.rc));
  fail_unless (hf_srt_ratectl_get_target (sim.rc) >= 0.7 * 1500000);

  /* The link recovers: back at 90 % within 10 s. */
  for (i = 0; i < 50; i++)
    hf_srt_sim_link (&sim, 10e6, &backlog, 40);
  fail_unless (hf_srt_ratectl_get_target (sim.rc) >= 0.9 * 4000000,
      "target %" G_GUINT64_FORMAT, hf_srt_ratectl_get_target (sim.rc));
  hf_srt_ratectl_free (sim.rc);
}

GST_END_TEST;

GST_START_TEST (test_srt_cuts_on_loss_and_probes_up)
{
  HfSrtSim sim;
  guint i;
  guint64 cut;

  hf_srt_sim_init (&sim, 3000000, 500000, 3000000);
  for (i = 0; i < 10; i++)
    hf_srt_sim_step (&sim, 100, 2, 40, 50);     /* 2 %: tolerated */
  fail_unless_equals_uint64 (hf_srt_ratectl_get_target (sim.rc), 3000000);
  for (i = 0; i < 5 && hf_srt_ratectl_get_target (sim.rc) == 3000000; i++)
    hf_srt_sim_step (&sim, 100, 10, 40, 50);    /* 10 % */
  fail_unless (i <= 3, "no cut after %u samples at 10 %% loss", i);
  cut = hf_srt_ratectl_get_target (sim.rc);
  fail_unless (cut <= 0.86 * 3000000);

  /* Clean again: holds a moment, then climbs back within 10 s. */
  hf_srt_sim_step (&sim, 100, 0, 40, 50);
  fail_unless (hf_srt_ratectl_get_target (sim.rc) <= cut);
  for (i = 0; i < 50; i++)
    hf_srt_sim_step (&sim, 100, 0, 40, 50);
  fail_unless (hf_srt_ratectl_get_target (sim.rc) >= 0.9 * 3000000,
      "target %" G_GUINT64_FORMAT, hf_srt_ratectl_get_target (sim.rc));
  hf_srt_ratectl_free (sim.rc);
}

GST_END_TEST;

GST_START_TEST (test_srt_counter_reset_is_not_loss)
{
  HfSrtSim sim;
  guint i;

  hf_srt_sim_init (&sim, 2000000, 500000, 2000000);
  for (i = 0; i < 5; i++)
    hf_srt_sim_step (&sim, 100, 0, 40, 50);
  /* A reconnect: counters start over, lower than before. */
  sim.s.pkt_sent = 0;
  sim.s.pkt_lost = 0;
  sim.s.pkt_retrans = 0;
  for (i = 0; i < 5; i++)
    hf_srt_sim_step (&sim, 100, 0, 40, 50);
  fail_unless_equals_uint64 (hf_srt_ratectl_get_target (sim.rc), 2000000);
  /* Target clamped at construction. */
  hf_srt_ratectl_free (sim.rc);
  sim.rc = hf_srt_ratectl_new (100, 500000, 2000000);
  fail_unless_equals_uint64 (hf_srt_ratectl_get_target (sim.rc), 500000);
  hf_srt_ratectl_free (sim.rc);
}

GST_END_TEST;

static Suite *
hf_ratectl_suite (void)
{
  Suite *s = suite_create ("hf-ratectl");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_cuts_on_delay_growth_before_any_loss);
  tcase_add_test (tc, test_holds_after_cut);
  tcase_add_test (tc, test_recovers_to_90_percent_within_10s);
  tcase_add_test (tc, test_probes_up_on_clean_link);
  tcase_add_test (tc, test_cuts_on_loss);
  tcase_add_test (tc, test_target_within_min_max);
  tcase_add_test (tc, test_feedback_every_200ms);
  tcase_add_test (tc, test_feedback_period_direct);
  tcase_add_test (tc, test_keyframe_bursts_with_headroom_do_not_cut);
  tcase_add_test (tc, test_sender_restart_no_bogus_cut);
  tcase_add_test (tc, test_jitter_does_not_cut);
  tcase_add_test (tc, test_srt_cuts_on_growing_send_buffer);
  tcase_add_test (tc, test_srt_follows_a_capacity_drop);
  tcase_add_test (tc, test_srt_cuts_on_loss_and_probes_up);
  tcase_add_test (tc, test_srt_counter_reset_is_not_loss);
  return s;
}

GST_CHECK_MAIN (hf_ratectl);

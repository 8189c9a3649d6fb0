/* Unit tests of hf-linkem's impairment model (tools/hf-impair.c): loss
 * statistics from a fixed seed, the Gilbert-Elliott chain's burst length
 * and stationary loss, exact delay, jitter bounds and order, the rate
 * cap's departure spacing and tail drop, sever and restore, and what a
 * live change does to packets already held.
 *
 * Single-threaded; time is plain microseconds passed in, from a start that
 * is not a round number.  Items are heap-allocated sequence numbers, so
 * LeakSanitizer sees any packet the model loses track of.
 */
#include <gst/check/gstcheck.h>

#include "tools/hf-impair.h"

#define HF_TEST_T0 G_GINT64_CONSTANT (5000000123)
#define HF_TEST_SEED G_GUINT64_CONSTANT (20240601)

typedef struct
{
  guint dropped;                /* items freed by the model */
  guint copies;
} HfTestOwner;

static gpointer
hf_test_copy (gpointer item, gpointer user_data)
{
  HfTestOwner *owner = user_data;

  owner->copies++;
  return g_memdup2 (item, sizeof (guint64));
}

static void
hf_test_drop (gpointer item, gpointer user_data)
{
  HfTestOwner *owner = user_data;

  owner->dropped++;
  g_free (item);
}

static gpointer
hf_test_item (guint64 seq)
{
  return g_memdup2 (&seq, sizeof (seq));
}

/* Pops one due item, returns its number (G_MAXUINT64: none) and frees it. */
static guint64
hf_test_pop (HfImpair * imp, gint64 now_us)
{
  guint64 *item = hf_impair_pop (imp, now_us, NULL);
  guint64 seq;

  if (!item)
    return G_MAXUINT64;
  seq = *item;
  g_free (item);
  return seq;
}

static HfImpair *
hf_test_new (HfTestOwner * owner, guint64 seed, const HfImpairConfig * config)
{
  HfImpair *imp = hf_impair_new (seed, hf_test_copy, hf_test_drop, owner);

  memset (owner, 0, sizeof (*owner));
  if (config)
    hf_impair_set_config (imp, config, HF_TEST_T0);
  return imp;
}

/* For the long runs: items that are not allocated (the sanitizer build
 * would spend seconds on a million allocations); @user_data, if any, is an
 * HfTestOwner that counts. */
static gpointer
hf_test_copy_token (gpointer item, gpointer user_data)
{
  HfTestOwner *owner = user_data;

  if (owner)
    owner->copies++;
  return item;
}

static void
hf_test_drop_token (gpointer item, gpointer user_data)
{
  HfTestOwner *owner = user_data;

  if (owner)
    owner->dropped++;
}

/* Pushes @n packets of @size bytes, one every @gap_us from @t0; pops
 * everything due as time goes.  Returns how many were dropped for loss. */
static guint
hf_test_stream (HfImpair * imp, guint n, gsize size, gint64 t0, gint64 gap_us)
{
  guint i, lost = 0;

  for (i = 0; i < n; i++) {
    gint64 now = t0 + i * gap_us;

    while (hf_impair_pop (imp, now, NULL));
    if (hf_impair_push (imp, GUINT_TO_POINTER (i + 1), size, now) ==
        HF_IMPAIR_DROP_LOSS)
      lost++;
  }
  return lost;
}

GST_START_TEST (test_random_loss_10pct_over_20000_within_1pct)
{
  HfImpairConfig c;
  HfTestOwner owner;
  guint64 seed;

  hf_impair_config_init (&c);
  c.loss_pct = 10;
  /* The fixed seed, and nine more: the bound is not one lucky stream. */
  for (seed = HF_TEST_SEED; seed < HF_TEST_SEED + 10; seed++) {
    HfImpair *imp = hf_impair_new (seed, hf_test_copy_token,
        hf_test_drop_token, &owner);
    guint lost;

    memset (&owner, 0, sizeof (owner));
    hf_impair_set_config (imp, &c, HF_TEST_T0);
    lost = hf_test_stream (imp, 20000, 200, HF_TEST_T0, 1000);

    fail_unless (lost >= 1800 && lost <= 2200,
        "seed %" G_GUINT64_FORMAT ": %u of 20000 lost (%.2f%%)", seed, lost,
        lost / 200.0);
    fail_unless_equals_uint64 (hf_impair_get_counters (imp)->dropped_loss,
        lost);
    fail_unless_equals_uint64 (hf_impair_get_counters (imp)->packets_in, 20000);
    fail_unless_equals_int (owner.dropped, lost);
    hf_impair_free (imp);
  }
}

GST_END_TEST;

GST_START_TEST (test_gilbert_params_give_burst_and_loss)
{
  gdouble p, r;

  hf_impair_gilbert_params (0.10, 5, &p, &r);
  fail_unless (fabs (r - 0.2) < 1e-12);
  /* p / (p + r) is the stationary loss. */
  fail_unless (fabs (p / (p + r) - 0.10) < 1e-12);
}

GST_END_TEST;

GST_START_TEST (test_gilbert_elliott_mean_burst_and_stationary_loss)
{
  static const struct
  {
    gdouble loss, burst;
  } cases[] = { {10, 5}, {2, 3}, {30, 10}, {50, 1} };
  guint k;

  for (k = 0; k < G_N_ELEMENTS (cases); k++) {
    HfImpairConfig c;
    HfImpair *imp;
    guint i, n = 400000, lost = 0, run = 0, bursts = 0;
    gdouble mean, loss;

    hf_impair_config_init (&c);
    c.loss_pct = cases[k].loss;
    c.burst = cases[k].burst;
    imp = hf_impair_new (HF_TEST_SEED + k, hf_test_copy_token,
        hf_test_drop_token, NULL);
    hf_impair_set_config (imp, &c, HF_TEST_T0);
    for (i = 0; i < n; i++) {
      gint64 now = HF_TEST_T0 + i * 100;
      gboolean dropped;

      while (hf_impair_pop (imp, now, NULL));
      dropped = hf_impair_push (imp, GUINT_TO_POINTER (i + 1), 100, now) ==
          HF_IMPAIR_DROP_LOSS;
      lost += dropped;
      if (dropped)
        run++;
      else if (run) {
        bursts++;
        run = 0;
      }
    }
    mean = (gdouble) (lost - run) / bursts;
    loss = 100.0 * lost / n;
    fail_unless (fabs (mean - cases[k].burst) < 0.05 * cases[k].burst,
        "loss %g%% burst %g: mean burst %.3f", cases[k].loss,
        cases[k].burst, mean);
    fail_unless (fabs (loss - cases[k].loss) < 0.06 * cases[k].loss,
        "loss %g%% burst %g: loss %.3f%%", cases[k].loss, cases[k].burst, loss);
    hf_impair_free (imp);
  }
}

GST_END_TEST;

GST_START_TEST (test_delay_is_exact_to_the_microsecond)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  gint64 t = HF_TEST_T0 + 777;

  hf_impair_config_init (&c);
  c.delay_us = 40000;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  fail_unless_equals_int (hf_impair_push (imp, hf_test_item (1), 1316, t),
      HF_IMPAIR_PASS);
  fail_unless_equals_int64 (hf_impair_next_release (imp), t + 40000);
  fail_unless_equals_uint64 (hf_test_pop (imp, t + 39999), G_MAXUINT64);
  fail_unless_equals_uint64 (hf_test_pop (imp, t + 40000), 1);
  fail_unless_equals_int64 (hf_impair_next_release (imp), G_MAXINT64);
  fail_unless_equals_uint64 (hf_impair_get_counters (imp)->released, 1);
  fail_unless_equals_uint64 (hf_impair_get_counters (imp)->bytes_released,
      1316);
  hf_impair_free (imp);
}

GST_END_TEST;

GST_START_TEST (test_clean_link_releases_at_once_in_order)
{
  HfTestOwner owner;
  HfImpair *imp = hf_test_new (&owner, HF_TEST_SEED, NULL);
  guint64 i;

  for (i = 0; i < 100; i++)
    hf_impair_push (imp, hf_test_item (i), 10, HF_TEST_T0);
  for (i = 0; i < 100; i++)
    fail_unless_equals_uint64 (hf_test_pop (imp, HF_TEST_T0), i);
  fail_unless_equals_uint64 (hf_test_pop (imp, HF_TEST_T0), G_MAXUINT64);
  hf_impair_free (imp);
}

GST_END_TEST;

/* Pushes 20000 packets 1 ms apart under delay 40 ms jitter 10 ms and pops
 * them in time; checks each delay is within bounds.  Returns how many left
 * out of order. */
static guint
hf_test_jitter_run (gboolean reorder, gint64 * min_delay, gint64 * max_delay)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  guint i, out_of_order = 0, popped = 0;
  guint64 last = 0;
  gint64 now;
  gboolean any = FALSE;

  hf_impair_config_init (&c);
  c.delay_us = 40000;
  c.jitter_us = 10000;
  c.reorder = reorder;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  *min_delay = G_MAXINT64;
  *max_delay = 0;
  /* Pop at every microsecond a release is due, so the delay seen is
   * exactly the release time. */
  for (i = 0, now = HF_TEST_T0; popped < 20000;) {
    gint64 next_arrival = i < 20000 ? HF_TEST_T0 + i * 1000 : G_MAXINT64;
    guint64 seq;

    now = MIN (next_arrival, hf_impair_next_release (imp));
    while ((seq = hf_test_pop (imp, now)) != G_MAXUINT64) {
      gint64 delay = now - (HF_TEST_T0 + (gint64) seq * 1000);

      *min_delay = MIN (*min_delay, delay);
      *max_delay = MAX (*max_delay, delay);
      if (any && seq < last)
        out_of_order++;
      last = MAX (last, seq);
      any = TRUE;
      popped++;
    }
    if (now == next_arrival)
      hf_impair_push (imp, hf_test_item (i++), 500, now);
  }
  hf_impair_free (imp);
  return out_of_order;
}

GST_START_TEST (test_jitter_within_bounds_and_order_kept_without_reorder)
{
  gint64 min_delay, max_delay;

  fail_unless_equals_int (hf_test_jitter_run (FALSE, &min_delay,
          &max_delay), 0);
  fail_unless (min_delay >= 30000 && max_delay <= 50000,
      "delays %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " us", min_delay,
      max_delay);
}

GST_END_TEST;

GST_START_TEST (test_jitter_with_reorder_reorders_within_bounds)
{
  gint64 min_delay, max_delay;
  guint n = hf_test_jitter_run (TRUE, &min_delay, &max_delay);

  /* Packets 1 ms apart with +-10 ms of jitter: most overtake or are
   * overtaken. */
  fail_unless (n > 5000, "only %u out of order", n);
  fail_unless (min_delay >= 30000 && min_delay < 30100 &&
      max_delay <= 50000 && max_delay > 49900,
      "delays %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " us", min_delay,
      max_delay);
}

GST_END_TEST;

GST_START_TEST (test_rate_cap_spaces_departures_by_serialization_time)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  guint64 i;

  hf_impair_config_init (&c);
  c.rate_bps = 1000000;         /* 1000 bytes take 8 ms */
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (hf_impair_push (imp, hf_test_item (i), 1000,
            HF_TEST_T0), HF_IMPAIR_PASS);
  for (i = 0; i < 5; i++) {
    gint64 due = HF_TEST_T0 + (gint64) (i + 1) * 8000;

    fail_unless_equals_int64 (hf_impair_next_release (imp), due);
    fail_unless_equals_uint64 (hf_test_pop (imp, due - 1), G_MAXUINT64);
    fail_unless_equals_uint64 (hf_test_pop (imp, due), i);
  }
  /* An idle link takes the next packet at once. */
  hf_impair_push (imp, hf_test_item (9), 1000, HF_TEST_T0 + 1000000);
  fail_unless_equals_int64 (hf_impair_next_release (imp), HF_TEST_T0 + 1008000);
  fail_unless_equals_uint64 (hf_test_pop (imp, HF_TEST_T0 + 1008000), 9);
  hf_impair_free (imp);
}

GST_END_TEST;

GST_START_TEST (test_rate_cap_tail_drops_past_queue)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  guint64 i;

  hf_impair_config_init (&c);
  c.rate_bps = 1000000;
  c.queue_us = 20000;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  /* Waits of 0, 8 and 16 ms fit a 20 ms queue; 24 ms does not. */
  for (i = 0; i < 10; i++)
    fail_unless_equals_int (hf_impair_push (imp, hf_test_item (i), 1000,
            HF_TEST_T0), i < 3 ? HF_IMPAIR_PASS : HF_IMPAIR_DROP_QUEUE);
  fail_unless_equals_uint64 (hf_impair_get_counters (imp)->dropped_queue, 7);
  fail_unless_equals_int (owner.dropped, 7);
  fail_unless_equals_int (hf_impair_n_held (imp), 3);
  /* Once the queue has drained a little, it takes packets again. */
  fail_unless_equals_int (hf_impair_push (imp, hf_test_item (10), 1000,
          HF_TEST_T0 + 4000), HF_IMPAIR_PASS);
  hf_impair_free (imp);
}

GST_END_TEST;

GST_START_TEST (test_rate_cap_long_run_within_half_a_percent)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  guint i;
  gint64 now, first = 0, last = 0;
  guint64 bytes = 0, n = 0;
  gdouble kbps;

  hf_impair_config_init (&c);
  c.rate_bps = 2000000;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  /* 1316-byte packets at 3 Mbit/s for 10 s: 3.509 ms apart. */
  for (i = 0; i < 2850; i++) {
    now = HF_TEST_T0 + i * G_GINT64_CONSTANT (3509);
    while (hf_test_pop (imp, now) != G_MAXUINT64) {
      if (!n++)
        first = now;
      else
        bytes += 1316;
      last = now;
    }
    hf_impair_push (imp, hf_test_item (i), 1316, now);
  }
  /* Popped at arrival times, so allow for one arrival gap at each end. */
  kbps = bytes * 8 / ((last - first) / 1e6) / 1000;
  fail_unless (fabs (kbps - 2000) < 10, "%.1f kbit/s", kbps);
  fail_unless (hf_impair_get_counters (imp)->dropped_queue > 900);
  hf_impair_free (imp);
}

GST_END_TEST;

GST_START_TEST (test_sever_drops_held_packets_and_new_ones)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  guint64 i;

  hf_impair_config_init (&c);
  c.delay_us = 100000;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  for (i = 0; i < 10; i++)
    hf_impair_push (imp, hf_test_item (i), 100, HF_TEST_T0 + i);
  fail_unless_equals_int (hf_impair_n_held (imp), 10);

  c.severed = TRUE;
  hf_impair_set_config (imp, &c, HF_TEST_T0 + 50000);
  fail_unless_equals_int (hf_impair_n_held (imp), 0);
  fail_unless_equals_int (owner.dropped, 10);
  fail_unless_equals_uint64 (hf_impair_get_counters (imp)->dropped_sever, 10);
  fail_unless_equals_int (hf_impair_push (imp, hf_test_item (11), 100,
          HF_TEST_T0 + 50001), HF_IMPAIR_DROP_SEVER);
  fail_unless_equals_uint64 (hf_impair_get_counters (imp)->dropped_sever, 11);
  fail_unless_equals_uint64 (hf_test_pop (imp, HF_TEST_T0 + 1000000),
      G_MAXUINT64);
  hf_impair_free (imp);
}

GST_END_TEST;

GST_START_TEST (test_restore_clears_everything_and_releases_held_at_once)
{
  HfImpairConfig c, clean;
  HfTestOwner owner;
  HfImpair *imp;
  gint64 t = HF_TEST_T0;
  guint64 i;

  hf_impair_config_init (&c);
  c.delay_us = 500000;
  c.jitter_us = 100000;
  c.reorder = TRUE;
  c.rate_bps = 500000;
  c.queue_us = 1000000;
  c.dup_pct = 0;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  for (i = 0; i < 20; i++)
    hf_impair_push (imp, hf_test_item (i), 1000, t + (gint64) i * 1000);
  t += 30000;
  fail_unless_equals_int (hf_impair_n_held (imp), 20);

  hf_impair_config_init (&clean);
  hf_impair_set_config (imp, &clean, t);
  fail_unless (hf_impair_config_is_clean (hf_impair_get_config (imp)));
  /* Everything held leaves now, in the order it came. */
  for (i = 0; i < 20; i++)
    fail_unless_equals_uint64 (hf_test_pop (imp, t), i);
  /* And the link is clean: no loss, no delay, no rate. */
  for (i = 100; i < 1100; i++) {
    fail_unless_equals_int (hf_impair_push (imp, hf_test_item (i), 1316, t),
        HF_IMPAIR_PASS);
    fail_unless_equals_uint64 (hf_test_pop (imp, t), i);
  }

  /* Severed and lossy, then restored: clean again. */
  c.loss_pct = 50;
  c.severed = TRUE;
  hf_impair_set_config (imp, &c, t);
  fail_unless_equals_int (hf_impair_push (imp, hf_test_item (1), 10, t),
      HF_IMPAIR_DROP_SEVER);
  hf_impair_set_config (imp, &clean, t);
  for (i = 0; i < 1000; i++) {
    fail_unless_equals_int (hf_impair_push (imp, hf_test_item (i), 10, t),
        HF_IMPAIR_PASS);
    fail_unless_equals_uint64 (hf_test_pop (imp, t), i);
  }
  hf_impair_free (imp);
}

GST_END_TEST;

GST_START_TEST (test_lower_delay_takes_effect_for_held_packets)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  gint64 t = HF_TEST_T0;

  hf_impair_config_init (&c);
  c.delay_us = 2000000;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  hf_impair_push (imp, hf_test_item (1), 100, t);
  hf_impair_push (imp, hf_test_item (2), 100, t + 10000);

  /* 20 ms later the delay drops to 15 ms: packet 1 (20 ms old) is due at
   * once, packet 2 at its arrival + 15 ms. */
  c.delay_us = 15000;
  hf_impair_set_config (imp, &c, t + 20000);
  fail_unless_equals_uint64 (hf_test_pop (imp, t + 20000), 1);
  fail_unless_equals_int64 (hf_impair_next_release (imp), t + 25000);
  fail_unless_equals_uint64 (hf_test_pop (imp, t + 25000), 2);

  /* A higher delay leaves held packets alone. */
  hf_impair_push (imp, hf_test_item (3), 100, t + 30000);
  c.delay_us = 100000;
  hf_impair_set_config (imp, &c, t + 31000);
  fail_unless_equals_int64 (hf_impair_next_release (imp), t + 45000);
  hf_impair_free (imp);
}

GST_END_TEST;

GST_START_TEST (test_dup_makes_copies_at_its_rate)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  guint i, out = 0;

  hf_impair_config_init (&c);
  c.dup_pct = 10;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  for (i = 0; i < 20000; i++) {
    hf_impair_push (imp, hf_test_item (i), 100, HF_TEST_T0 + i);
    while (hf_test_pop (imp, HF_TEST_T0 + i) != G_MAXUINT64)
      out++;
  }
  fail_unless (owner.copies >= 1800 && owner.copies <= 2200, "%u copies",
      owner.copies);
  fail_unless_equals_uint64 (hf_impair_get_counters (imp)->duplicated,
      owner.copies);
  fail_unless_equals_int (out, 20000 + owner.copies);
  hf_impair_free (imp);
}

GST_END_TEST;

GST_START_TEST (test_same_seed_same_decisions)
{
  HfImpairConfig c;
  HfTestOwner o1, o2;
  HfImpair *a, *b;
  guint i;

  hf_impair_config_init (&c);
  c.loss_pct = 20;
  c.burst = 3;
  c.dup_pct = 5;
  c.delay_us = 10000;
  c.jitter_us = 5000;
  c.reorder = TRUE;
  a = hf_test_new (&o1, 42, &c);
  b = hf_test_new (&o2, 42, &c);
  for (i = 0; i < 5000; i++) {
    gint64 now = HF_TEST_T0 + i * 300;

    fail_unless_equals_int (hf_impair_push (a, hf_test_item (i), 100, now),
        hf_impair_push (b, hf_test_item (i), 100, now));
    fail_unless_equals_int64 (hf_impair_next_release (a),
        hf_impair_next_release (b));
  }
  hf_impair_free (a);
  hf_impair_free (b);
}

GST_END_TEST;

GST_START_TEST (test_held_packets_are_bounded)
{
  HfImpairConfig c;
  HfTestOwner owner;
  HfImpair *imp;
  guint i;

  hf_impair_config_init (&c);
  c.delay_us = HF_IMPAIR_MAX_DELAY_US;
  imp = hf_test_new (&owner, HF_TEST_SEED, &c);
  for (i = 0; i < HF_IMPAIR_MAX_HELD + 10; i++)
    hf_impair_push (imp, hf_test_item (i), 10, HF_TEST_T0 + i);
  fail_unless_equals_int (hf_impair_n_held (imp), HF_IMPAIR_MAX_HELD);
  fail_unless_equals_uint64 (hf_impair_get_counters (imp)->dropped_queue, 10);
  hf_impair_free (imp);
  /* Freeing dropped every held packet through the owner. */
  fail_unless_equals_int (owner.dropped, HF_IMPAIR_MAX_HELD + 10);
}

GST_END_TEST;

GST_START_TEST (test_config_validate_refuses_what_cannot_be)
{
  HfImpairConfig c;
  GError *error = NULL;

  hf_impair_config_init (&c);
  fail_unless (hf_impair_config_validate (&c, NULL));
  c.loss_pct = 95;
  c.burst = 2;
  fail_if (hf_impair_config_validate (&c, &error));
  fail_unless (strstr (error->message, "at most 66.6666%") != NULL,
      "%s", error->message);
  g_clear_error (&error);
  c.burst = 19;                 /* 95% needs a mean burst of 19 */
  fail_unless (hf_impair_config_validate (&c, NULL));
  c.loss_pct = 100;
  c.burst = 1;
  fail_unless (hf_impair_config_validate (&c, NULL));

  hf_impair_config_init (&c);
  c.loss_pct = NAN;
  fail_if (hf_impair_config_validate (&c, NULL));
  hf_impair_config_init (&c);
  c.burst = 0.5;
  fail_if (hf_impair_config_validate (&c, NULL));
  hf_impair_config_init (&c);
  c.delay_us = HF_IMPAIR_MAX_DELAY_US + 1;
  fail_if (hf_impair_config_validate (&c, NULL));
  hf_impair_config_init (&c);
  c.rate_bps = 999;
  fail_if (hf_impair_config_validate (&c, NULL));
  hf_impair_config_init (&c);
  c.dup_pct = 100.5;
  fail_if (hf_impair_config_validate (&c, NULL));
}

GST_END_TEST;

GST_START_TEST (test_config_to_string_says_it_as_ctl_takes_it)
{
  HfImpairConfig c;
  gchar *s;

  hf_impair_config_init (&c);
  s = hf_impair_config_to_string (&c);
  fail_unless_equals_string (s, "clean");
  g_free (s);
  c.loss_pct = 15;
  c.burst = 5;
  c.jitter_us = 80000;
  c.rate_bps = 1500000;
  s = hf_impair_config_to_string (&c);
  fail_unless_equals_string (s,
      "loss 15% burst 5 jitter 80ms rate 1500kbit queue 100ms");
  g_free (s);
}

GST_END_TEST;

static Suite *
hf_impair_suite (void)
{
  Suite *s = suite_create ("hf-impair");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_random_loss_10pct_over_20000_within_1pct);
  tcase_add_test (tc, test_gilbert_params_give_burst_and_loss);
  tcase_add_test (tc, test_gilbert_elliott_mean_burst_and_stationary_loss);
  tcase_add_test (tc, test_delay_is_exact_to_the_microsecond);
  tcase_add_test (tc, test_clean_link_releases_at_once_in_order);
  tcase_add_test (tc, test_jitter_within_bounds_and_order_kept_without_reorder);
  tcase_add_test (tc, test_jitter_with_reorder_reorders_within_bounds);
  tcase_add_test (tc, test_rate_cap_spaces_departures_by_serialization_time);
  tcase_add_test (tc, test_rate_cap_tail_drops_past_queue);
  tcase_add_test (tc, test_rate_cap_long_run_within_half_a_percent);
  tcase_add_test (tc, test_sever_drops_held_packets_and_new_ones);
  tcase_add_test (tc, test_restore_clears_everything_and_releases_held_at_once);
  tcase_add_test (tc, test_lower_delay_takes_effect_for_held_packets);
  tcase_add_test (tc, test_dup_makes_copies_at_its_rate);
  tcase_add_test (tc, test_same_seed_same_decisions);
  tcase_add_test (tc, test_held_packets_are_bounded);
  tcase_add_test (tc, test_config_validate_refuses_what_cannot_be);
  tcase_add_test (tc, test_config_to_string_says_it_as_ctl_takes_it);
  return s;
}

GST_CHECK_MAIN (hf_impair);

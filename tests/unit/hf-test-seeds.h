/* Seeded property tests for the unit tests: run many random sequences from
 * one master seed, or replay one (HF_TEST_SEQUENCE_SEED=0x...), and fail
 * with the seed that broke an invariant.  Header-only; the test's own
 * thread calls it. */
#ifndef HF_TEST_SEEDS_H
#define HF_TEST_SEEDS_H

#include <gst/check/gstcheck.h>

/* Runs one sequence from @seed; returns (transfer full) what went wrong, or
 * NULL when every invariant held. */
typedef gchar *(*HfTestSequenceFunc) (guint32 seed);

static inline void
hf_test_run_sequences (guint32 master, guint n, HfTestSequenceFunc one)
{
  const gchar *replay = g_getenv ("HF_TEST_SEQUENCE_SEED");
  GRand *rand;
  guint i;

  if (replay) {
    guint32 s = (guint32) g_ascii_strtoull (replay, NULL, 0);
    gchar *violation = one (s);

    fail_if (violation != NULL, "seed 0x%08x: %s", s, violation);
    return;
  }
  rand = g_rand_new_with_seed (master);
  for (i = 0; i < n; i++) {
    guint32 s = g_rand_int (rand);
    gchar *violation = one (s);

    fail_if (violation != NULL, "sequence %u (seed 0x%08x, from master seed "
        "0x%08x): %s", i, s, master, violation);
  }
  g_rand_free (rand);
}

#endif

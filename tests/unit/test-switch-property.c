/* The property test of the selection point (failover/hf-switch.c): a
 * thousand random sequences of inputs dying, coming back, degrading,
 * reconnecting, with now and then an operator's request, a restart of the
 * program or a new slate, each played through the simulator of
 * switch-sim.c, whose checker asserts the program's invariants on every
 * output unit (video DTS strictly increasing, audio PTS never backwards,
 * takes at keyframes, no delta frame without its reference, a bounded
 * lead over the program clock, events in order with a reason).  A program
 * of its own, apart from the behavioural tests in test-switch.c.
 *
 * Single-threaded: the switch's callbacks run on the test's thread.
 */
#include "hf-test-seeds.h"
#include "switch-sim.h"

/* ---- Property test ------------------------------------------------------- */

#define HF_TEST_SEQUENCES 1000
#define HF_TEST_SEQUENCE_LEN (20 * GST_SECOND)
#define HF_TEST_STEP (100 * GST_MSECOND)

/* One random sequence: 1-3 inputs with random GOPs and timelines, each
 * dying, coming back, losing packets (degraded), reconnecting (a new
 * session) at random; now and then an operator's request or a restart of
 * the program.  The checker asserts the program's invariants on every
 * unit.  Returns the first violation (free it) or NULL. */
static gchar *
hf_test_one_sequence (guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  HfSwitchConfig config;
  HfTest *t;
  guint n = g_rand_int_range (rand, 1, 4), i;
  GstClockTime at;
  gchar *violation;
  static const gint64 revert_after_ms[] = { 0, 500, 2000, 10000 };
  static const gdouble losses[] = { 0.0, 0.0, 0.1, 0.3 };

  hf_switch_config_init (&config, n);
  config.mode = g_rand_int_range (rand, 0, 10) == 0 ? HF_FAILOVER_MANUAL :
      HF_FAILOVER_AUTO;
  config.revert_after_us = 1000 * revert_after_ms[g_rand_int_range (rand, 0,
          G_N_ELEMENTS (revert_after_ms))];
  config.use_slate = g_rand_boolean (rand);
  t = hf_test_new (&config);
  t->keep = FALSE;
  if (g_rand_int_range (rand, 0, 4) != 0)
    hf_test_set_slate (t, g_rand_int_range (rand, 5, 30), g_rand_boolean
        (rand));
  for (i = 0; i < n; i++) {
    guint gop = g_rand_int_range (rand, 5, 80);

    hf_test_source (t, i, gop, g_rand_int_range (rand, 0, gop),
        g_rand_int_range (rand, 0, 1000) * GST_SECOND, g_rand_boolean (rand));
    if (g_rand_int_range (rand, 0, 4) != 0)
      hf_test_up (t, i);
  }

  for (at = 0; at < HF_TEST_SEQUENCE_LEN && !t->violation; at += HF_TEST_STEP) {
    hf_test_run_until (t, at + g_rand_int_range (rand, 0, HF_TEST_STEP));
    for (i = 0; i < n; i++) {
      HfTestSource *s = &t->src[i];
      guint dice = g_rand_int_range (rand, 0, 1000);

      if (dice < 40) {
        /* A death lasts longer than the timeout: a shorter gap is packet
         * loss, which the switch cannot repair (the frames never came). */
        if (s->up) {
          hf_test_down (t, i);
          s->down_until = t->now + g_rand_int_range (rand, 300, 3000) *
              GST_MSECOND;
        } else if (t->now >= s->down_until) {
          hf_test_up (t, i);
        }
      } else if (dice < 50 && s->up) {
        hf_test_new_session (t, i, g_rand_int_range (rand, 0, 1000) *
            GST_SECOND, g_rand_int_range (rand, 0, s->gop));
      } else if (dice < 80) {
        s->loss = losses[g_rand_int_range (rand, 0, G_N_ELEMENTS (losses))];
        s->jitter_ms = g_rand_int_range (rand, 0, 4) == 0 ? 80.0 : 0.0;
      }
    }
    switch (g_rand_int_range (rand, 0, 200)) {
      case 0:
        hf_switch_request (t->sw, g_rand_int_range (rand, -1, n),
            HF_TEST_MONO (t->now), t->now, NULL);
        break;
      case 1:
        /* The program downstream was rebuilt: a new timeline. */
        hf_switch_restart (t->sw);
        t->have_v = t->have_a = FALSE;
        break;
      case 2:
        hf_test_set_slate (t, g_rand_int_range (rand, 5, 30),
            g_rand_boolean (rand));
        break;
      default:
        break;
    }
  }
  hf_test_run_until (t, HF_TEST_SEQUENCE_LEN);
  violation = t->violation;
  t->violation = NULL;
  hf_test_free (t);
  g_rand_free (rand);
  return violation;
}

GST_START_TEST (test_output_never_goes_backwards_over_1000_random_sequences)
{
  /* HF_TEST_SEQUENCE_SEED=0x... replays one failed sequence. */
  hf_test_run_sequences (0x486f6c64, HF_TEST_SEQUENCES, hf_test_one_sequence);
}

GST_END_TEST;

static Suite *
hf_switch_property_suite (void)
{
  Suite *s = suite_create ("hf-switch-property");
  TCase *tc = tcase_create ("switch-property");

  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc,
      test_output_never_goes_backwards_over_1000_random_sequences);
  return s;
}

GST_CHECK_MAIN (hf_switch_property);

/* Unit tests of the on-air decision (failover/hf-select.c): a lost or
 * degraded input yields to a better one, a flapping input is not trusted
 * before its hold-down, a revert waits revert-after, manual mode and pins
 * hold, and every answer carries a reason.
 *
 * Single-threaded; the decision is a pure function, so each test states
 * the inputs' health and reads the answer.  Index 0 is the primary.
 */
#include <gst/check/gstcheck.h>

#include "failover/hf-failover.h"

#define HF_TEST_S(s) ((gint64) (s) * G_USEC_PER_SEC)

/* fail_unless () records a mark point (a write to Check's pipe) even when
 * it passes; the exhaustive test checks tens of thousands of answers
 * through this instead. */
#define hf_test_require(cond, ...) G_STMT_START {  \
    if (G_UNLIKELY (!(cond)))                      \
      ck_abort_msg (__VA_ARGS__);                  \
  } G_STMT_END
#define HF_TEST_REVERT_US HF_TEST_S (10)

/* A HEALTHY input that has been so for @stable_s, with no hold-down. */
static HfSelectInput
hf_test_healthy (gdouble stable_s)
{
  HfSelectInput in = { HF_HEALTH_HEALTHY, (gint64) (stable_s * 1e6), 0 };

  return in;
}

static HfSelectInput
hf_test_in (HfHealthState state)
{
  HfSelectInput in = { state, 0, 0 };

  return in;
}

static HfSelectPolicy
hf_test_auto (void)
{
  HfSelectPolicy p = { HF_FAILOVER_AUTO, HF_TEST_REVERT_US, -1 };

  return p;
}

/* Decides, and checks the answer and its why; the reason must be a
 * sentence whatever the answer. */
static void
hf_test_expect (const HfSelectInput * in, guint n, gint on_air,
    const HfSelectPolicy * p, gint want, HfSelectWhy want_why,
    const gchar * want_reason)
{
  HfSelectWhy why = (HfSelectWhy) 99;
  const gchar *reason = NULL;
  gint got;

  got = hf_select_decide (in, n, on_air, p, &why, &reason);
  fail_unless (got == want && why == want_why,
      "on air %d: got %d (%s), want %d (%s); reason: %s", on_air, got,
      hf_select_why_to_string (why), want, hf_select_why_to_string (want_why),
      reason ? reason : "(none)");
  fail_unless (reason != NULL && reason[0] != '\0', "no reason given");
  if (want_reason)
    fail_unless_equals_string (reason, want_reason);
}

GST_START_TEST (test_lost_primary_yields_to_backup)
{
  HfSelectInput in[2] = { hf_test_in (HF_HEALTH_LOST), hf_test_healthy (30) };
  HfSelectPolicy p = hf_test_auto ();

  hf_test_expect (in, 2, 0, &p, 1, HF_SELECT_FAILOVER,
      "the on-air input is lost");
  /* A backup that only just came up is taken too: a lost input delivers
   * nothing, so anything alive is better. */
  in[1] = hf_test_healthy (0);
  hf_test_expect (in, 2, 0, &p, 1, HF_SELECT_FAILOVER, NULL);
}

GST_END_TEST;

GST_START_TEST (test_lost_on_air_prefers_a_stable_input_to_a_flapping_one)
{
  HfSelectInput in[3] = { hf_test_in (HF_HEALTH_LOST), hf_test_healthy (3),
    hf_test_healthy (1)
  };
  HfSelectPolicy p = hf_test_auto ();

  /* Input 1 ranks higher but is still in its hold-down; input 2 is not. */
  in[1].holddown_us = HF_TEST_S (4);
  hf_test_expect (in, 3, 0, &p, 2, HF_SELECT_FAILOVER, NULL);
  /* Once through its hold-down, rank decides again. */
  in[1].stable_us = HF_TEST_S (4);
  hf_test_expect (in, 3, 0, &p, 1, HF_SELECT_FAILOVER, NULL);
}

GST_END_TEST;

GST_START_TEST (test_lost_on_air_falls_back_to_unstable_then_degraded)
{
  HfSelectInput in[3] = { hf_test_in (HF_HEALTH_LOST),
    hf_test_in (HF_HEALTH_DEGRADED), hf_test_healthy (1)
  };
  HfSelectPolicy p = hf_test_auto ();

  /* Nothing stable: HEALTHY in hold-down beats DEGRADED, whatever the
   * rank. */
  in[2].holddown_us = HF_TEST_S (8);
  hf_test_expect (in, 3, 0, &p, 2, HF_SELECT_FAILOVER, NULL);
  /* Nothing healthy: a degraded input still beats the slate. */
  in[2] = hf_test_in (HF_HEALTH_LOST);
  hf_test_expect (in, 3, 0, &p, 1, HF_SELECT_FAILOVER, NULL);
}

GST_END_TEST;

GST_START_TEST (test_nothing_alive_is_none)
{
  HfSelectInput in[3] = { hf_test_in (HF_HEALTH_LOST),
    hf_test_in (HF_HEALTH_IDLE), hf_test_in (HF_HEALTH_LOST)
  };
  HfSelectPolicy p = hf_test_auto ();

  hf_test_expect (in, 3, 0, &p, -1, HF_SELECT_NONE, "no input is alive");
  hf_test_expect (in, 3, -1, &p, -1, HF_SELECT_NONE, "no input is alive");
  hf_test_expect (in, 0, -1, &p, -1, HF_SELECT_NONE, NULL);
}

GST_END_TEST;

GST_START_TEST (test_nothing_on_air_takes_the_best_input_at_once)
{
  HfSelectInput in[3] = { hf_test_in (HF_HEALTH_DEGRADED),
    hf_test_healthy (0), hf_test_healthy (20)
  };
  HfSelectPolicy p = hf_test_auto ();

  /* At start (or off the slate) nobody waits for revert-after: the best
   * input now goes on air now. */
  in[1].holddown_us = HF_TEST_S (2);
  hf_test_expect (in, 3, -1, &p, 2, HF_SELECT_FAILOVER, "no input is on air");
  /* An index the caller no longer has counts as nothing on air. */
  hf_test_expect (in, 3, 7, &p, 2, HF_SELECT_FAILOVER, "no input is on air");
  /* An on-air input that never delivered is no better. */
  in[2] = hf_test_in (HF_HEALTH_IDLE);
  hf_test_expect (in, 3, 2, &p, 1, HF_SELECT_FAILOVER, NULL);
}

GST_END_TEST;

GST_START_TEST (test_degraded_on_air_yields_only_to_healthy)
{
  HfSelectInput in[3] = { hf_test_in (HF_HEALTH_DEGRADED),
    hf_test_in (HF_HEALTH_DEGRADED), hf_test_in (HF_HEALTH_LOST)
  };
  HfSelectPolicy p = hf_test_auto ();

  /* Degraded for degraded is a take for nothing. */
  hf_test_expect (in, 3, 0, &p, 0, HF_SELECT_STAY, NULL);
  /* Healthy but in hold-down (it has been flapping): not yet. */
  in[2] = hf_test_healthy (1);
  in[2].holddown_us = HF_TEST_S (2);
  hf_test_expect (in, 3, 0, &p, 0, HF_SELECT_STAY, NULL);
  /* Through its hold-down: go, even to a lower-priority input, and without
   * waiting revert-after. */
  in[2].stable_us = HF_TEST_S (2);
  hf_test_expect (in, 3, 0, &p, 2, HF_SELECT_FAILOVER,
      "the on-air input is degraded");
  /* A degraded backup on air yields to the primary once it is stable, not
   * only after revert-after. */
  in[0] = hf_test_healthy (0.5);
  in[2] = hf_test_in (HF_HEALTH_LOST);
  hf_test_expect (in, 3, 1, &p, 0, HF_SELECT_FAILOVER, NULL);
}

GST_END_TEST;

GST_START_TEST (test_revert_waits_revert_after)
{
  HfSelectInput in[2] = { hf_test_healthy (0), hf_test_healthy (100) };
  HfSelectPolicy p = hf_test_auto ();

  in[0].stable_us = HF_TEST_REVERT_US - 1;
  hf_test_expect (in, 2, 1, &p, 1, HF_SELECT_STAY,
      "the on-air input is healthy");
  in[0].stable_us = HF_TEST_REVERT_US;
  hf_test_expect (in, 2, 1, &p, 0, HF_SELECT_REVERT,
      "the primary has been healthy for revert-after-s");
}

GST_END_TEST;

GST_START_TEST (test_revert_waits_the_longer_hold_down)
{
  HfSelectInput in[2] = { hf_test_healthy (0), hf_test_healthy (100) };
  HfSelectPolicy p = hf_test_auto ();

  in[0].holddown_us = HF_TEST_S (16);
  in[0].stable_us = HF_TEST_S (15);
  hf_test_expect (in, 2, 1, &p, 1, HF_SELECT_STAY, NULL);
  in[0].stable_us = HF_TEST_S (16);
  hf_test_expect (in, 2, 1, &p, 0, HF_SELECT_REVERT, NULL);
}

GST_END_TEST;

GST_START_TEST (test_revert_goes_only_up_and_to_the_highest)
{
  HfSelectInput in[3] = { hf_test_healthy (60), hf_test_healthy (60),
    hf_test_healthy (60)
  };
  HfSelectPolicy p = hf_test_auto ();

  /* The primary on air never "reverts" down. */
  hf_test_expect (in, 3, 0, &p, 0, HF_SELECT_STAY, NULL);
  /* From the third input, straight to the primary, not step by step. */
  hf_test_expect (in, 3, 2, &p, 0, HF_SELECT_REVERT, NULL);
  /* The primary not ready: the second one is above us and is. */
  in[0].stable_us = HF_TEST_S (1);
  hf_test_expect (in, 3, 2, &p, 1, HF_SELECT_REVERT,
      "a higher-priority input has been healthy for revert-after-s");
  /* A degraded higher input is no reason to revert. */
  in[1] = hf_test_in (HF_HEALTH_DEGRADED);
  hf_test_expect (in, 3, 2, &p, 2, HF_SELECT_STAY, NULL);
}

GST_END_TEST;

GST_START_TEST (test_manual_mode_never_fails_over)
{
  HfSelectInput in[2] = { hf_test_in (HF_HEALTH_DEGRADED),
    hf_test_healthy (100)
  };
  HfSelectPolicy p = { HF_FAILOVER_MANUAL, HF_TEST_REVERT_US, -1 };

  /* No pin: the primary, degraded or not. */
  hf_test_expect (in, 2, 0, &p, 0, HF_SELECT_MANUAL, "the operator's choice");
  /* The primary lost: nothing, not the healthy backup. */
  in[0] = hf_test_in (HF_HEALTH_LOST);
  hf_test_expect (in, 2, 0, &p, -1, HF_SELECT_NONE, NULL);
  /* Pinned to the backup: the backup, and no revert to a healthy primary. */
  in[0] = hf_test_healthy (100);
  p.pinned = 1;
  hf_test_expect (in, 2, 1, &p, 1, HF_SELECT_MANUAL, NULL);
  in[1] = hf_test_in (HF_HEALTH_LOST);
  hf_test_expect (in, 2, 1, &p, -1, HF_SELECT_NONE, NULL);
  /* A pin beyond the inputs is nothing. */
  p.pinned = 5;
  hf_test_expect (in, 2, 0, &p, -1, HF_SELECT_NONE, NULL);
}

GST_END_TEST;

GST_START_TEST (test_pinned_input_stays_while_alive)
{
  HfSelectInput in[2] = { hf_test_healthy (100),
    hf_test_in (HF_HEALTH_DEGRADED)
  };
  HfSelectPolicy p = hf_test_auto ();

  p.pinned = 1;
  /* Degraded and with a stable primary: still the operator's choice. */
  hf_test_expect (in, 2, 1, &p, 1, HF_SELECT_MANUAL, "the operator's choice");
  /* Not on air yet (the take waits for a keyframe): still the pin. */
  hf_test_expect (in, 2, 0, &p, 1, HF_SELECT_MANUAL, NULL);
  /* Lost: the pin no longer holds and automatic choice takes over. */
  in[1] = hf_test_in (HF_HEALTH_LOST);
  hf_test_expect (in, 2, 1, &p, 0, HF_SELECT_FAILOVER,
      "the on-air input is lost");
}

GST_END_TEST;

GST_START_TEST (test_why_and_reason_may_be_null)
{
  HfSelectInput in[2] = { hf_test_in (HF_HEALTH_LOST), hf_test_healthy (1) };
  HfSelectPolicy p = hf_test_auto ();

  fail_unless_equals_int (hf_select_decide (in, 2, 0, &p, NULL, NULL), 1);
}

GST_END_TEST;

GST_START_TEST (test_why_to_string_names_every_value)
{
  static const HfSelectWhy all[] = { HF_SELECT_STAY, HF_SELECT_FAILOVER,
    HF_SELECT_REVERT, HF_SELECT_MANUAL, HF_SELECT_NONE
  };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (all); i++) {
    const gchar *name = hf_select_why_to_string (all[i]);

    fail_unless (name != NULL && strcmp (name, "unknown") != 0,
        "why %d has no name", all[i]);
    for (j = 0; j < i; j++)
      fail_if (strcmp (name, hf_select_why_to_string (all[j])) == 0,
          "two whys are called %s", name);
  }
  fail_unless_equals_string (hf_select_why_to_string (HF_SELECT_FAILOVER),
      "failover");
}

GST_END_TEST;

/* Every combination of three inputs (state x stable or in hold-down), what
 * is on air, mode and pin: the answer is consistent with the contract. */
GST_START_TEST (test_decision_invariants_hold_for_every_combination)
{
  /* Per input: 4 states x 3 stabilities (just up in hold-down, stable but
   * under revert-after, past revert-after). */
  const guint per_input = 12, n = 3;
  guint combo, total = per_input * per_input * per_input;
  gint on_air, pinned;
  guint mode;

  for (combo = 0; combo < total; combo++) {
    HfSelectInput in[3];
    guint i, c = combo;
    gint alive_best = -1;

    for (i = 0; i < n; i++, c /= per_input) {
      guint s = c % per_input;

      in[i].state = (HfHealthState) (s / 3);
      in[i].holddown_us = s % 3 == 0 ? HF_TEST_S (4) : 0;
      in[i].stable_us = in[i].state != HF_HEALTH_HEALTHY ? 0 :
          s % 3 == 2 ? HF_TEST_REVERT_US : HF_TEST_S (1);
      if (alive_best < 0 && (in[i].state == HF_HEALTH_HEALTHY
              || in[i].state == HF_HEALTH_DEGRADED))
        alive_best = (gint) i;
    }

    for (mode = 0; mode < 2; mode++) {
      for (pinned = -1; pinned < (gint) n; pinned++) {
        for (on_air = -1; on_air < (gint) n; on_air++) {
          HfSelectPolicy p = { mode, HF_TEST_REVERT_US, pinned };
          HfSelectWhy why;
          const gchar *reason = NULL;
          gint got;
          gboolean got_alive;

          got = hf_select_decide (in, n, on_air, &p, &why, &reason);
          got_alive = got >= 0 && (in[got].state == HF_HEALTH_HEALTHY
              || in[got].state == HF_HEALTH_DEGRADED);
#define HF_TEST_CTX "combo %u mode %u pinned %d on air %d -> %d (%s: %s)", \
            combo, mode, pinned, on_air, got, \
            hf_select_why_to_string (why), reason
          hf_test_require (reason != NULL && reason[0] != '\0', HF_TEST_CTX);
          hf_test_require (got >= -1 && got < (gint) n, HF_TEST_CTX);
          /* -1 exactly when NONE; anything chosen is alive. */
          hf_test_require ((got == -1) == (why == HF_SELECT_NONE), HF_TEST_CTX);
          hf_test_require (got == -1 || got_alive, HF_TEST_CTX);
          if (mode == HF_FAILOVER_MANUAL) {
            hf_test_require (got == -1 || got == MAX (pinned, 0), HF_TEST_CTX);
            continue;
          }
          /* Auto mode gives up only when nothing at all is alive. */
          hf_test_require ((got == -1) == (alive_best == -1), HF_TEST_CTX);
          if (why == HF_SELECT_STAY)
            hf_test_require (got == on_air && on_air >= 0, HF_TEST_CTX);
          if (why == HF_SELECT_FAILOVER)
            hf_test_require (got != on_air, HF_TEST_CTX);
          if (why == HF_SELECT_REVERT)
            hf_test_require (got < on_air && in[on_air].state ==
                HF_HEALTH_HEALTHY && in[got].stable_us >= HF_TEST_REVERT_US,
                HF_TEST_CTX);
          if (why == HF_SELECT_MANUAL)
            hf_test_require (got == pinned, HF_TEST_CTX);
          /* A healthy input on air never leaves for a lower one. */
          if (on_air >= 0 && in[on_air].state == HF_HEALTH_HEALTHY
              && why != HF_SELECT_MANUAL)
            hf_test_require (got <= on_air, HF_TEST_CTX);
          /* A degraded input on air never leaves for anything but a
           * stable healthy one. */
          if (on_air >= 0 && in[on_air].state == HF_HEALTH_DEGRADED
              && why != HF_SELECT_MANUAL && got != on_air)
            hf_test_require (in[got].state == HF_HEALTH_HEALTHY
                && in[got].stable_us >= in[got].holddown_us, HF_TEST_CTX);
#undef HF_TEST_CTX
        }
      }
    }
  }
}

GST_END_TEST;

static Suite *
hf_select_suite (void)
{
  Suite *s = suite_create ("hf-select");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_lost_primary_yields_to_backup);
  tcase_add_test (tc,
      test_lost_on_air_prefers_a_stable_input_to_a_flapping_one);
  tcase_add_test (tc, test_lost_on_air_falls_back_to_unstable_then_degraded);
  tcase_add_test (tc, test_nothing_alive_is_none);
  tcase_add_test (tc, test_nothing_on_air_takes_the_best_input_at_once);
  tcase_add_test (tc, test_degraded_on_air_yields_only_to_healthy);
  tcase_add_test (tc, test_revert_waits_revert_after);
  tcase_add_test (tc, test_revert_waits_the_longer_hold_down);
  tcase_add_test (tc, test_revert_goes_only_up_and_to_the_highest);
  tcase_add_test (tc, test_manual_mode_never_fails_over);
  tcase_add_test (tc, test_pinned_input_stays_while_alive);
  tcase_add_test (tc, test_why_and_reason_may_be_null);
  tcase_add_test (tc, test_why_to_string_names_every_value);
  tcase_add_test (tc, test_decision_invariants_hold_for_every_combination);
  return s;
}

GST_CHECK_MAIN (hf_select);

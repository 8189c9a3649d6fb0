/* The on-air decision: which input should be on air, given each input's
 * health, what is on air now and the operator's policy.  A pure function:
 * no time, no state, no locks; the switch (hf-switch.c) calls it with its
 * lock held, from whichever thread drives it (an input's streaming thread
 * or the ticker), and acts on the answer.
 *
 * Priority is the input's index: 0 is the primary.  Stability is what keeps
 * a flapping input off air: an input is only preferred over a live one once
 * it has been HEALTHY for its anti-flap hold-down (and, to take over from a
 * healthy lower-priority input, for revert-after as well).
 */
#include "failover/hf-failover.h"

const gchar *
hf_select_why_to_string (HfSelectWhy why)
{
  switch (why) {
    case HF_SELECT_STAY:
      return "stay";
    case HF_SELECT_FAILOVER:
      return "failover";
    case HF_SELECT_REVERT:
      return "revert";
    case HF_SELECT_MANUAL:
      return "manual";
    case HF_SELECT_NONE:
      return "none";
  }
  return "unknown";
}

static gboolean
hf_select_alive (const HfSelectInput * input)
{
  return input->state == HF_HEALTH_HEALTHY
      || input->state == HF_HEALTH_DEGRADED;
}

/* HEALTHY for at least @need_us (and never less than its own hold-down). */
static gboolean
hf_select_stable_for (const HfSelectInput * input, gint64 need_us)
{
  return input->state == HF_HEALTH_HEALTHY
      && input->stable_us >= MAX (need_us, input->holddown_us);
}

/* The highest-priority input (lowest index) in [0, @end) that is @state
 * (stable when @stable_only), or -1. */
static gint
hf_select_first (const HfSelectInput * inputs, guint end, HfHealthState state,
    gboolean stable_only)
{
  guint i;

  for (i = 0; i < end; i++) {
    if (inputs[i].state != state)
      continue;
    if (stable_only && !hf_select_stable_for (&inputs[i], 0))
      continue;
    return (gint) i;
  }
  return -1;
}

static gint
hf_select_answer (gint input, HfSelectWhy why, const gchar * reason,
    HfSelectWhy * why_out, const gchar ** reason_out)
{
  if (why_out)
    *why_out = why;
  if (reason_out)
    *reason_out = reason;
  return input;
}

/* Manual mode: the operator's input or nothing; health never moves it. */
static gint
hf_select_decide_manual (const HfSelectInput * inputs, guint n_inputs,
    const HfSelectPolicy * policy, HfSelectWhy * why, const gchar ** reason)
{
  gint want = policy->pinned >= 0 ? policy->pinned : 0;

  if ((guint) want < n_inputs && hf_select_alive (&inputs[want]))
    return hf_select_answer (want, HF_SELECT_MANUAL, "the operator's choice",
        why, reason);
  return hf_select_answer (-1, HF_SELECT_NONE,
      "the operator's input is not alive (manual mode)", why, reason);
}

/* Nothing usable on air: the best input there is, stable ones first. */
static gint
hf_select_take_any (const HfSelectInput * inputs, guint n_inputs,
    const gchar * cause, HfSelectWhy * why, const gchar ** reason)
{
  gint best;

  best = hf_select_first (inputs, n_inputs, HF_HEALTH_HEALTHY, TRUE);
  if (best < 0)
    best = hf_select_first (inputs, n_inputs, HF_HEALTH_HEALTHY, FALSE);
  if (best < 0)
    best = hf_select_first (inputs, n_inputs, HF_HEALTH_DEGRADED, FALSE);
  if (best < 0)
    return hf_select_answer (-1, HF_SELECT_NONE, "no input is alive", why,
        reason);
  return hf_select_answer (best, HF_SELECT_FAILOVER, cause, why, reason);
}

gint
hf_select_decide (const HfSelectInput * inputs, guint n_inputs,
    gint on_air, const HfSelectPolicy * policy, HfSelectWhy * why,
    const gchar ** reason)
{
  const HfSelectInput *cur;
  gint best;

  g_return_val_if_fail (inputs != NULL || n_inputs == 0, -1);
  g_return_val_if_fail (policy != NULL, -1);

  if (policy->mode == HF_FAILOVER_MANUAL)
    return hf_select_decide_manual (inputs, n_inputs, policy, why, reason);

  /* In auto mode a pin holds only while its input is alive; once it is
   * not, the ordinary rules take over (and the switch drops the pin). */
  if (policy->pinned >= 0 && (guint) policy->pinned < n_inputs
      && hf_select_alive (&inputs[policy->pinned]))
    return hf_select_answer (policy->pinned, HF_SELECT_MANUAL,
        "the operator's choice", why, reason);

  /* An index the caller no longer has (inputs removed) is as good as
   * nothing on air. */
  if (on_air < 0 || (guint) on_air >= n_inputs)
    return hf_select_take_any (inputs, n_inputs, "no input is on air", why,
        reason);

  cur = &inputs[on_air];
  switch (cur->state) {
    case HF_HEALTH_HEALTHY:{
      guint i;

      /* Only inputs above the on-air one can take over from a healthy
       * input, and only once they have proven themselves for a while:
       * each revert is a take the viewers see. */
      for (i = 0; i < (guint) on_air; i++) {
        if (hf_select_stable_for (&inputs[i], policy->revert_after_us))
          return hf_select_answer ((gint) i, HF_SELECT_REVERT, i == 0 ?
              "the primary has been healthy for revert-after-s" :
              "a higher-priority input has been healthy for revert-after-s",
              why, reason);
      }
      return hf_select_answer (on_air, HF_SELECT_STAY,
          "the on-air input is healthy", why, reason);
    }
    case HF_HEALTH_DEGRADED:
      /* A degraded input still delivers: leave it only for an input that
       * is clearly better, not for another degraded or flapping one. */
      best = hf_select_first (inputs, n_inputs, HF_HEALTH_HEALTHY, TRUE);
      if (best >= 0)
        return hf_select_answer (best, HF_SELECT_FAILOVER,
            "the on-air input is degraded", why, reason);
      return hf_select_answer (on_air, HF_SELECT_STAY,
          "the on-air input is degraded but no other input is stable",
          why, reason);
    case HF_HEALTH_LOST:
      return hf_select_take_any (inputs, n_inputs,
          "the on-air input is lost", why, reason);
    case HF_HEALTH_IDLE:
    default:
      return hf_select_take_any (inputs, n_inputs,
          "the on-air input has never delivered", why, reason);
  }
}

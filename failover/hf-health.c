/* One input's health: IDLE, HEALTHY, DEGRADED or LOST, from the arrival
 * time of its last packet and its cumulative loss and jitter figures, with
 * hysteresis (a degraded input must stay clean for a whole window before it
 * is healthy again) and an anti-flap record of its deaths (the hold-down
 * the on-air decision waits out before it trusts the input again).
 *
 * Plain C with time passed in: no clock, no locks.  The switch owns one
 * HfHealth per input and serialises every call with its own lock; the
 * threads that reach it are the inputs' streaming threads (packets,
 * counters) and the switch's ticker (updates).
 */
#include "failover/failover-private.h"

#include <string.h>

/* Fewer packets than this expected in the window say nothing about the
 * loss ratio (one lost packet of five is not 20 % loss). */
#define HF_HEALTH_MIN_EXPECTED 20

/* Samples closer together than window / this are merged, so the ring
 * always reaches back at least one whole window whatever the rate at which
 * counters come in (64 samples at window/32 span nearly two windows). */
#define HF_HEALTH_SAMPLE_DIVISOR 32

/* Reasons that carry numbers are formatted here.  The struct has no room
 * for them and the caller copies the reason at once (the switch into its
 * event), so one buffer per thread is enough. */
static __thread gchar hf_health_reason_buf[160];

const gchar *
hf_health_state_to_string (HfHealthState state)
{
  switch (state) {
    case HF_HEALTH_IDLE:
      return "idle";
    case HF_HEALTH_HEALTHY:
      return "healthy";
    case HF_HEALTH_DEGRADED:
      return "degraded";
    case HF_HEALTH_LOST:
      return "lost";
  }
  return "unknown";
}

void
hf_health_config_init (HfHealthConfig * config)
{
  g_return_if_fail (config != NULL);

  config->timeout_us = 250 * G_USEC_PER_SEC / 1000;
  config->degraded_loss_ratio = 0.05;
  config->degraded_jitter_ms = 50.0;
  config->window_us = 2 * G_USEC_PER_SEC;
}

void
hf_health_init (HfHealth * health, const HfHealthConfig * config)
{
  g_return_if_fail (health != NULL);

  memset (health, 0, sizeof (*health));
  if (config)
    health->config = *config;
  else
    hf_health_config_init (&health->config);
  health->state = HF_HEALTH_IDLE;
}

/* Index of the @i-th oldest sample. */
static guint
hf_health_sample_index (const HfHealth * health, guint i)
{
  return (health->first_sample + i) % HF_HEALTH_MAX_SAMPLES;
}

static void
hf_health_reset_window (HfHealth * health)
{
  health->n_samples = 0;
  health->first_sample = 0;
  health->window_loss = 0.0;
}

void
hf_health_packet (HfHealth * health, gint64 now_us)
{
  g_return_if_fail (health != NULL);

  /* 0 means "never": a packet at time 0 (a test clock's origin) still
   * counts.  Packets stamped on several threads may come in slightly out
   * of order: keep the latest. */
  now_us = MAX (now_us, 1);
  if (now_us > health->last_packet_us)
    health->last_packet_us = now_us;
}

void
hf_health_counters (HfHealth * health, gint64 now_us, guint64 received,
    guint64 lost, gdouble jitter_ms)
{
  guint newest, prev;
  gint64 spacing;

  g_return_if_fail (health != NULL);

  /* A NaN or negative jitter is a broken figure, not a bad link. */
  health->jitter_ms = jitter_ms >= 0.0 ? jitter_ms : 0.0;

  if (health->n_samples > 0) {
    newest = hf_health_sample_index (health, health->n_samples - 1);
    /* A received count that goes backwards belongs to a new session of
     * the input: the old samples say nothing about it.  The lost count of
     * RTP (expected - received) goes down on its own whenever a late,
     * reordered or duplicated packet arrives: it is kept at its highest
     * instead, so a link that both loses and reorders is still measured. */
    if (received < health->samples[newest].received) {
      hf_health_reset_window (health);
    } else {
      now_us = MAX (now_us, health->samples[newest].t_us);
      lost = MAX (lost, health->samples[newest].lost);
    }
  }

  spacing = health->config.window_us / HF_HEALTH_SAMPLE_DIVISOR;
  if (health->n_samples >= 2) {
    prev = hf_health_sample_index (health, health->n_samples - 2);
    /* Too close to the one before: the newest sample moves forward
     * instead, so the ring is not filled by a fast caller. */
    if (now_us - health->samples[prev].t_us < spacing)
      health->n_samples--;
  }
  if (health->n_samples == HF_HEALTH_MAX_SAMPLES) {
    health->first_sample = hf_health_sample_index (health, 1);
    health->n_samples--;
  }
  newest = hf_health_sample_index (health, health->n_samples);
  health->samples[newest].t_us = now_us;
  health->samples[newest].received = received;
  health->samples[newest].lost = lost;
  health->n_samples++;
}

/* The loss ratio over the window that ends at the newest sample and starts
 * at the newest sample at or before @now_us - window (the oldest one when
 * the record is younger than that).  Returns FALSE when fewer than
 * HF_HEALTH_MIN_EXPECTED packets were expected: then the ratio is 0. */
static gboolean
hf_health_compute_loss (const HfHealth * health, gint64 now_us,
    gdouble * ratio, gint64 * span_us)
{
  const gint64 start = now_us - health->config.window_us;
  guint i, base = 0, last;
  guint64 received, lost;

  *ratio = 0.0;
  *span_us = 0;
  if (health->n_samples < 2)
    return FALSE;

  for (i = 1; i < health->n_samples; i++) {
    if (health->samples[hf_health_sample_index (health, i)].t_us > start)
      break;
    base = i;
  }
  last = hf_health_sample_index (health, health->n_samples - 1);
  base = hf_health_sample_index (health, base);
  received = health->samples[last].received - health->samples[base].received;
  lost = health->samples[last].lost - health->samples[base].lost;
  *span_us = health->samples[last].t_us - health->samples[base].t_us;
  if (received + lost < HF_HEALTH_MIN_EXPECTED)
    return FALSE;
  *ratio = (gdouble) lost / (gdouble) (received + lost);
  return TRUE;
}

static void
hf_health_record_death (HfHealth * health, gint64 now_us)
{
  if (health->n_deaths == HF_HEALTH_MAX_DEATHS) {
    /* The oldest goes: the newest ones are what the hold-down counts. */
    memmove (health->deaths, health->deaths + 1,
        (HF_HEALTH_MAX_DEATHS - 1) * sizeof (health->deaths[0]));
    health->n_deaths--;
  }
  health->deaths[health->n_deaths++] = now_us;
}

/* Seconds for a reason: "2", "0.5", "1.3". */
static gdouble
hf_health_seconds (gint64 us)
{
  return (gdouble) ((us + 50000) / 100000) / 10.0;
}

static gboolean
hf_health_set_state (HfHealth * health, HfHealthState state, gint64 now_us,
    HfHealthState * old, const gchar ** reason, const gchar * why)
{
  if (old)
    *old = health->state;
  if (reason)
    *reason = why;
  if ((health->state == HF_HEALTH_HEALTHY
          || health->state == HF_HEALTH_DEGRADED) && state == HF_HEALTH_LOST)
    hf_health_record_death (health, now_us);
  if (state == HF_HEALTH_HEALTHY)
    health->healthy_since_us = now_us;
  health->clean_since_us = 0;
  health->state = state;
  health->state_since_us = now_us;
  return TRUE;
}

gboolean
hf_health_update (HfHealth * health, gint64 now_us, HfHealthState * old,
    const gchar ** reason)
{
  const HfHealthConfig *c;
  gboolean counted, bad_loss, bad_jitter;
  gdouble loss;
  gint64 span_us;

  g_return_val_if_fail (health != NULL, FALSE);
  c = &health->config;

  if (health->last_packet_us == 0)
    return FALSE;

  if (now_us - health->last_packet_us > c->timeout_us) {
    /* An IDLE input whose first packets came and went between two
     * updates is LOST too (it has delivered), but that is no death: it
     * was never seen up. */
    if (health->state == HF_HEALTH_LOST)
      return FALSE;
    g_snprintf (hf_health_reason_buf, sizeof (hf_health_reason_buf),
        "no packet for %" G_GINT64_FORMAT " ms",
        (now_us - health->last_packet_us) / 1000);
    return hf_health_set_state (health, HF_HEALTH_LOST, now_us, old, reason,
        hf_health_reason_buf);
  }

  if (health->state == HF_HEALTH_IDLE || health->state == HF_HEALTH_LOST) {
    /* A new run: what was lost in the gap (or in a previous session) is
     * not this run's loss, and the jitter figure is stale until the next
     * counters come in. */
    hf_health_reset_window (health);
    health->jitter_ms = 0.0;
    return hf_health_set_state (health, HF_HEALTH_HEALTHY, now_us, old,
        reason, "packets arriving");
  }

  counted = hf_health_compute_loss (health, now_us, &loss, &span_us);
  health->window_loss = loss;
  bad_loss = counted && loss > c->degraded_loss_ratio;
  bad_jitter = health->jitter_ms > c->degraded_jitter_ms;

  if (health->state == HF_HEALTH_HEALTHY) {
    if (!bad_loss && !bad_jitter)
      return FALSE;
    if (bad_loss && bad_jitter)
      g_snprintf (hf_health_reason_buf, sizeof (hf_health_reason_buf),
          "loss %.1f%% over %g s (threshold %g%%) and jitter %.0f ms "
          "(threshold %g ms)", loss * 100.0, hf_health_seconds (span_us),
          c->degraded_loss_ratio * 100.0, health->jitter_ms,
          c->degraded_jitter_ms);
    else if (bad_loss)
      g_snprintf (hf_health_reason_buf, sizeof (hf_health_reason_buf),
          "loss %.1f%% over %g s (threshold %g%%)", loss * 100.0,
          hf_health_seconds (span_us), c->degraded_loss_ratio * 100.0);
    else
      g_snprintf (hf_health_reason_buf, sizeof (hf_health_reason_buf),
          "jitter %.0f ms (threshold %g ms)", health->jitter_ms,
          c->degraded_jitter_ms);
    return hf_health_set_state (health, HF_HEALTH_DEGRADED, now_us, old,
        reason, hf_health_reason_buf);
  }

  /* DEGRADED: back to HEALTHY only when clearly clean (well under both
   * thresholds, not just under them) for a whole window, so that a link
   * hovering at the threshold does not bounce in and out. */
  if (loss >= c->degraded_loss_ratio / 2.0
      || health->jitter_ms >= 0.8 * c->degraded_jitter_ms) {
    health->clean_since_us = 0;
    return FALSE;
  }
  if (health->clean_since_us == 0) {
    health->clean_since_us = now_us;
    return FALSE;
  }
  if (now_us - health->clean_since_us < c->window_us)
    return FALSE;
  g_snprintf (hf_health_reason_buf, sizeof (hf_health_reason_buf),
      "loss %.1f%% and jitter %.0f ms under thresholds for %g s",
      loss * 100.0, health->jitter_ms,
      hf_health_seconds (now_us - health->clean_since_us));
  return hf_health_set_state (health, HF_HEALTH_HEALTHY, now_us, old, reason,
      hf_health_reason_buf);
}

HfHealthState
hf_health_get_state (const HfHealth * health)
{
  g_return_val_if_fail (health != NULL, HF_HEALTH_IDLE);

  return health->state;
}

gint64
hf_health_stable_us (const HfHealth * health, gint64 now_us)
{
  g_return_val_if_fail (health != NULL, 0);

  if (health->state != HF_HEALTH_HEALTHY)
    return 0;
  return MAX (now_us - health->healthy_since_us, 0);
}

gint64
hf_health_holddown_us (const HfHealth * health, gint64 now_us)
{
  gint64 holddown = HF_HEALTH_HOLDDOWN_BASE_US;
  guint i, recent = 0;

  g_return_val_if_fail (health != NULL, 0);

  for (i = 0; i < health->n_deaths; i++) {
    if (now_us - health->deaths[i] < HF_HEALTH_FLAP_PERIOD_US)
      recent++;
  }
  if (recent <= 1)
    return 0;
  /* Doubling step by step and capping at once keeps the shift from ever
   * overflowing, however many deaths there were. */
  for (i = 2; i < recent && holddown < HF_HEALTH_HOLDDOWN_MAX_US; i++)
    holddown *= 2;
  return MIN (holddown, HF_HEALTH_HOLDDOWN_MAX_US);
}

gdouble
hf_health_window_loss (const HfHealth * health)
{
  g_return_val_if_fail (health != NULL, 0.0);

  return health->window_loss;
}

gint64
hf_health_packet_age_us (const HfHealth * health, gint64 now_us)
{
  g_return_val_if_fail (health != NULL, -1);

  if (health->last_packet_us == 0)
    return -1;
  return MAX (now_us - health->last_packet_us, 0);
}

/* Fuzz target: the alert expression parser and the [alert NAME] rule
 * loader (relay/hf-alerts.c) on arbitrary bytes.  The same bytes are used
 * twice: as an expression (NUL-terminated copy) for hf_alert_expr_parse (),
 * and as keyfile text for hf_alert_rules_load ().  Either the result holds
 * together (a known figure and operator, a finite threshold, rules with
 * names, expressions that parse again to the same thing, for-durations of
 * 0 to 24 h) or the call refuses with an HF_CONFIG_ERROR and a message; it
 * never crashes, leaks or asserts.  Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "relay/hf-relay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HF_FUZZ_DAY_US (G_GINT64_CONSTANT (24) * 3600 * G_USEC_PER_SEC)

static void
hf_fuzz_check_error (GError * error)
{
  if (!error || error->domain != HF_CONFIG_ERROR || !error->message ||
      !*error->message || !g_utf8_validate (error->message, -1, NULL))
    abort ();
}

static void
hf_fuzz_check_expr (const gchar * text)
{
  GError *error = NULL;
  HfFigure figure = HF_FIGURE_N;
  HfAlertOp op = HF_ALERT_OP_NE;
  gdouble threshold = NAN;

  if (hf_alert_expr_parse (text, &figure, &op, &threshold, &error)) {
    if (error || (guint) figure >= HF_FIGURE_N || !isfinite (threshold) ||
        (guint) op > HF_ALERT_OP_NE || !hf_figure_to_string (figure))
      abort ();
  } else {
    hf_fuzz_check_error (error);
    g_error_free (error);
  }
}

static void
hf_fuzz_check_rules (GPtrArray * rules)
{
  guint i;

  /* The built-ins come first, whatever the file says. */
  if (rules->len < 5)
    abort ();
  for (i = 0; i < rules->len; i++) {
    const HfAlertRule *r = g_ptr_array_index (rules, i);
    HfFigure figure;
    HfAlertOp op;
    gdouble threshold;

    if (!r->name || !*r->name || !r->expr || (guint) r->figure >= HF_FIGURE_N
        || !isfinite (r->threshold) || (guint) r->op > HF_ALERT_OP_NE ||
        r->for_us < 0 || r->for_us > HF_FUZZ_DAY_US ||
        (r->severity != HF_ALERT_WARNING && r->severity != HF_ALERT_CRITICAL)
        || (r->stream && !*r->stream) || (i < 5) != (r->builtin != FALSE))
      abort ();
    /* What is kept as written parses to what is kept as numbers. */
    if (!hf_alert_expr_parse (r->expr, &figure, &op, &threshold, NULL) ||
        figure != r->figure || op != r->op || threshold != r->threshold)
      abort ();
  }
}

/* The loaded rules also go through the engine once: two evaluations over
 * one stream with one input, every figure 1, then its JSON. */
static void
hf_fuzz_run_rules (GPtrArray * rules)
{
  HfAlerts *alerts = hf_alerts_new (rules);
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) json_node_unref);
  HfAlertSample samples[2];
  JsonNode *json;
  guint f;

  hf_alert_sample_init (&samples[0], "s", NULL);
  hf_alert_sample_init (&samples[1], "s", "in");
  for (f = 0; f < HF_FIGURE_N; f++)
    samples[hf_figure_is_input (f) ? 1 : 0].values[f] = 1;
  hf_alerts_evaluate (alerts, 0, 0, samples, 2, out);
  hf_alerts_evaluate (alerts, HF_FUZZ_DAY_US, HF_FUZZ_DAY_US, samples, 2, out);
  json = hf_alerts_to_json (alerts, HF_FUZZ_DAY_US);
  if (!json || hf_alerts_get_n_rules (alerts) != rules->len)
    abort ();
  json_node_unref (json);
  hf_alerts_evaluate (alerts, HF_FUZZ_DAY_US + 1, HF_FUZZ_DAY_US + 1, NULL,
      0, out);
  g_ptr_array_unref (out);
  hf_alerts_free (alerts);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  GKeyFile *kf = g_key_file_new ();
  GError *error = NULL;

  /* 1: an expression (up to the first NUL byte). */
  hf_fuzz_check_expr (text);

  /* 2: a config file with [alert NAME] groups. */
  if (g_key_file_load_from_data (kf, (const gchar *) data, size,
          G_KEY_FILE_NONE, NULL)) {
    GPtrArray *rules = hf_alert_rules_load (kf, &error);

    if (rules) {
      if (error)
        abort ();
      hf_fuzz_check_rules (rules);
      hf_fuzz_run_rules (rules);
      g_ptr_array_unref (rules);
    } else {
      hf_fuzz_check_error (error);
      g_error_free (error);
    }
  }
  g_key_file_unref (kf);
  g_free (text);
  return 0;
}

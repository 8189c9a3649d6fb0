/* Unit tests of the alert engine (relay/hf-alerts.c): the expression
 * parser (every form with units; every kind of bad text refused with a
 * message), the rules loader (built-ins first, overrides that change only
 * what they set, new rules, errors naming group and key), and the state
 * machine with fake time: a condition fires after its for-duration and not
 * one evaluation earlier, once, and resolves once; NaN is false; inputs
 * are separate instances; a stream or input that is gone resolves; the
 * notifications' fields, ids, the recent list and the rule counters; the
 * built-in rules driven by realistic figures; and a seeded property test
 * against a model of the state machine.
 *
 * Single-threaded; time is passed in (no clock, no sleep).
 */
#include <gst/check/gstcheck.h>
#include <math.h>
#include <string.h>

#include "relay/hf-relay.h"
#include "tests/unit/hf-test-seeds.h"

/* 2024-05-01T12:34:56.789123Z */
#define HF_TEST_WALL_US G_GINT64_CONSTANT (1714566896789123)
#define HF_TEST_MONO_US G_GINT64_CONSTANT (5000000000)
#define HF_TEST_S(s) ((gint64) llround ((s) * G_USEC_PER_SEC))

/* ---- Helpers ------------------------------------------------------------- */

static GPtrArray *
hf_test_new_out (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
}

/* (transfer full) the notifications of one evaluation at @t_s seconds
 * after HF_TEST_MONO_US / HF_TEST_WALL_US. */
static GPtrArray *
hf_test_eval (HfAlerts * alerts, gdouble t_s, const HfAlertSample * samples,
    guint n)
{
  GPtrArray *out = hf_test_new_out ();

  hf_alerts_evaluate (alerts, HF_TEST_MONO_US + HF_TEST_S (t_s),
      HF_TEST_WALL_US + HF_TEST_S (t_s), samples, n, out);
  return out;
}

/* Evaluates and asserts how many notifications came out. */
static void
hf_test_eval_expect (HfAlerts * alerts, gdouble t_s,
    const HfAlertSample * samples, guint n, guint n_notes)
{
  GPtrArray *out = hf_test_eval (alerts, t_s, samples, n);

  fail_unless_equals_int (out->len, n_notes);
  g_ptr_array_unref (out);
}

static JsonObject *
hf_test_note (GPtrArray * out, guint i)
{
  fail_unless (i < out->len, "no notification %u (of %u)", i, out->len);
  fail_unless (JSON_NODE_HOLDS_OBJECT (g_ptr_array_index (out, i)));
  return json_node_get_object (g_ptr_array_index (out, i));
}

static void
hf_test_assert_note (JsonObject * o, const gchar * alert, const gchar * state,
    const gchar * stream, const gchar * input)
{
  fail_unless_equals_string (json_object_get_string_member (o, "alert"), alert);
  fail_unless_equals_string (json_object_get_string_member (o, "state"), state);
  fail_unless_equals_string (json_object_get_string_member (o, "stream"),
      stream);
  if (input) {
    fail_unless_equals_string (json_object_get_string_member (o, "input"),
        input);
  } else {
    fail_unless (json_object_get_null_member (o, "input"));
  }
}

/* (transfer full) one enabled rule "test-rule" on @expr. */
static GPtrArray *
hf_test_rule_array (const gchar * expr, gint64 for_us, const gchar * stream)
{
  GPtrArray *rules =
      g_ptr_array_new_with_free_func ((GDestroyNotify) hf_alert_rule_free);
  HfAlertRule *r = g_new0 (HfAlertRule, 1);

  r->name = g_strdup ("test-rule");
  r->expr = g_strdup (expr);
  fail_unless (hf_alert_expr_parse (expr, &r->figure, &r->op, &r->threshold,
          NULL), "bad test expression %s", expr);
  r->for_us = for_us;
  r->severity = HF_ALERT_WARNING;
  r->stream = g_strdup (stream);
  r->enabled = TRUE;
  g_ptr_array_add (rules, r);
  return rules;
}

static HfAlerts *
hf_test_alerts (const gchar * expr, gint64 for_us, const gchar * stream)
{
  GPtrArray *rules = hf_test_rule_array (expr, for_us, stream);
  HfAlerts *alerts = hf_alerts_new (rules);

  g_ptr_array_unref (rules);
  return alerts;
}

/* (transfer full) the rules of @ini, which must load. */
static GPtrArray *
hf_test_load (const gchar * ini)
{
  GKeyFile *kf = g_key_file_new ();
  GError *error = NULL;
  GPtrArray *rules;

  fail_unless (g_key_file_load_from_data (kf, ini, -1, G_KEY_FILE_NONE,
          NULL), "not a keyfile: %s", ini);
  rules = hf_alert_rules_load (kf, &error);
  fail_unless (rules != NULL, "%s: %s", ini, error ? error->message : "?");
  fail_unless (error == NULL);
  g_key_file_unref (kf);
  return rules;
}

/* Asserts that @ini is refused with a message containing @part. */
static void
hf_test_load_fails (const gchar * ini, const gchar * part)
{
  GKeyFile *kf = g_key_file_new ();
  GError *error = NULL;
  GPtrArray *rules;

  fail_unless (g_key_file_load_from_data (kf, ini, -1, G_KEY_FILE_NONE,
          NULL), "not a keyfile: %s", ini);
  rules = hf_alert_rules_load (kf, &error);
  fail_unless (rules == NULL, "accepted: %s", ini);
  fail_unless (error != NULL);
  fail_unless (g_error_matches (error, HF_CONFIG_ERROR,
          HF_CONFIG_ERROR_INVALID), "%s", error->message);
  fail_unless (strstr (error->message, part) != NULL,
      "'%s' is not in the message '%s'", part, error->message);
  g_error_free (error);
  g_key_file_unref (kf);
}

static const HfAlertRule *
hf_test_find (GPtrArray * rules, const gchar * name)
{
  guint i;

  for (i = 0; i < rules->len; i++) {
    const HfAlertRule *r = g_ptr_array_index (rules, i);

    if (g_str_equal (r->name, name))
      return r;
  }
  ck_abort_msg ("no rule %s", name);
  return NULL;
}

/* An input as a healthy relay reports it. */
static void
hf_test_healthy_input (HfAlertSample * s, const gchar * stream,
    const gchar * input, gboolean on_air)
{
  hf_alert_sample_init (s, stream, input);
  s->values[HF_FIGURE_INPUT_LOST] = 0;
  s->values[HF_FIGURE_INPUT_DEGRADED] = 0;
  s->values[HF_FIGURE_INPUT_ON_AIR] = on_air;
  s->values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.001;
  s->values[HF_FIGURE_INPUT_JITTER_SECONDS] = 0.004;
  s->values[HF_FIGURE_INPUT_RTT_SECONDS] = 0.02;
  s->values[HF_FIGURE_INPUT_BITRATE_BPS] = 4e6;
  s->values[HF_FIGURE_INPUT_LAST_PACKET_AGE_SECONDS] = 0.01;
}

/* A stream as a healthy relay reports it. */
static void
hf_test_healthy_stream (HfAlertSample * s, const gchar * stream)
{
  hf_alert_sample_init (s, stream, NULL);
  s->values[HF_FIGURE_STREAM_SLATE] = 0;
  s->values[HF_FIGURE_STREAM_ON_AIR_DEGRADED] = 0;
  s->values[HF_FIGURE_STREAM_RECENT_FAILOVERS] = 0;
  s->values[HF_FIGURE_STREAM_VIEWERS] = 3;
}

/* A sample of @stream/@input with only @figure known. */
static void
hf_test_sample (HfAlertSample * s, const gchar * stream, const gchar * input,
    HfFigure figure, gdouble v)
{
  hf_alert_sample_init (s, stream, input);
  s->values[figure] = v;
}

static HfAlertRuleStats
hf_test_stats (HfAlerts * alerts, guint i)
{
  HfAlertRuleStats st;

  hf_alerts_get_rule_stats (alerts, i, &st);
  return st;
}

/* ---- The expression parser ----------------------------------------------- */

GST_START_TEST (test_expr_parses_every_form_and_unit)
{
  static const struct
  {
    const gchar *text;
    HfFigure figure;
    HfAlertOp op;
    gdouble threshold;
  } good[] = {
    {"input.loss_ratio > 2%", HF_FIGURE_INPUT_LOSS_RATIO, HF_ALERT_OP_GT, 0.02},
    {"input.jitter_seconds>=30ms", HF_FIGURE_INPUT_JITTER_SECONDS,
        HF_ALERT_OP_GE, 0.03},
    {"input.bitrate_bps < 500k", HF_FIGURE_INPUT_BITRATE_BPS, HF_ALERT_OP_LT,
        500000},
    {"stream.slate == 1", HF_FIGURE_STREAM_SLATE, HF_ALERT_OP_EQ, 1},
    {"input.rtt_seconds > 0.2", HF_FIGURE_INPUT_RTT_SECONDS, HF_ALERT_OP_GT,
        0.2},
    {"input.bitrate_bps<=2.5M", HF_FIGURE_INPUT_BITRATE_BPS, HF_ALERT_OP_LE,
        2.5e6},
    {"  stream.viewers != 0  ", HF_FIGURE_STREAM_VIEWERS, HF_ALERT_OP_NE, 0},
    {"input.last_packet_age_seconds > 1.5 s",
        HF_FIGURE_INPUT_LAST_PACKET_AGE_SECONDS, HF_ALERT_OP_GT, 1.5},
    {"input.loss_ratio>0.5 %", HF_FIGURE_INPUT_LOSS_RATIO, HF_ALERT_OP_GT,
        0.005},
    {"input.loss_ratio > 0.02", HF_FIGURE_INPUT_LOSS_RATIO, HF_ALERT_OP_GT,
        0.02},
    {"stream.recent_failovers >= 1e1", HF_FIGURE_STREAM_RECENT_FAILOVERS,
        HF_ALERT_OP_GE, 10},
    {"input.lost==1", HF_FIGURE_INPUT_LOST, HF_ALERT_OP_EQ, 1},
    {"input.degraded != 0", HF_FIGURE_INPUT_DEGRADED, HF_ALERT_OP_NE, 0},
    {"input.on_air\t==\t0", HF_FIGURE_INPUT_ON_AIR, HF_ALERT_OP_EQ, 0},
    {"stream.on_air_degraded == 1", HF_FIGURE_STREAM_ON_AIR_DEGRADED,
        HF_ALERT_OP_EQ, 1},
    {"stream.viewers > 1k", HF_FIGURE_STREAM_VIEWERS, HF_ALERT_OP_GT, 1000},
    {"input.rtt_seconds < +.5", HF_FIGURE_INPUT_RTT_SECONDS, HF_ALERT_OP_LT,
        0.5},
    {"input.jitter_seconds > 2.5e-2s", HF_FIGURE_INPUT_JITTER_SECONDS,
        HF_ALERT_OP_GT, 0.025},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    HfFigure figure = HF_FIGURE_N;
    HfAlertOp op = HF_ALERT_OP_NE;
    gdouble threshold = NAN;
    GError *error = NULL;

    fail_unless (hf_alert_expr_parse (good[i].text, &figure, &op, &threshold,
            &error), "'%s' refused: %s", good[i].text,
        error ? error->message : "?");
    fail_unless (error == NULL);
    fail_unless_equals_int (figure, good[i].figure);
    fail_unless_equals_int (op, good[i].op);
    fail_unless (fabs (threshold - good[i].threshold) <=
        1e-12 * MAX (1, fabs (good[i].threshold)), "'%s': %g, not %g",
        good[i].text, threshold, good[i].threshold);
  }
  /* The outputs are optional. */
  fail_unless (hf_alert_expr_parse ("stream.slate == 1", NULL, NULL, NULL,
          NULL));
}

GST_END_TEST;

GST_START_TEST (test_expr_refuses_bad_text_with_a_message)
{
  static const struct
  {
    const gchar *text;
    const gchar *part;
  } bad[] = {
    {"", "empty expression"},
    {"   ", "empty expression"},
    {"input.nothing > 1", "unknown figure 'input.nothing' (known figures: "
          "input.lost, input.degraded, input.on_air, input.loss_ratio"},
    {"input.loss > 1", "stream.viewers"},
    {"> 1", "unknown figure"},
    {"Input.lost == 1", "unknown figure"},
    {"input.lost = 1", "expected a comparison"},
    {"input.lost 1", "expected a comparison"},
    {"input.lost =< 1", "expected a comparison"},
    {"input.lost", "expected a comparison"},
    {"input.lost ==", "expected a decimal number"},
    {"input.loss_ratio > nan", "expected a decimal number"},
    {"input.loss_ratio > NAN", "expected a decimal number"},
    {"input.loss_ratio > 2", "a ratio from 0 to 1"},
    {"input.loss_ratio > inf", "expected a decimal number"},
    {"input.loss_ratio > -inf", "expected a decimal number"},
    {"input.loss_ratio > infinity", "expected a decimal number"},
    {"input.loss_ratio > .", "expected a decimal number"},
    {"input.loss_ratio > %", "expected a decimal number"},
    {"input.loss_ratio > 0x10", "unknown unit 'x'"},
    {"input.loss_ratio > 1e", "unknown unit 'e'"},
    {"input.bitrate_bps > 1e999", "out of range"},
    {"input.bitrate_bps < 1e308M", "out of range"},
    {"input.loss_ratio > 2% junk", "unexpected 'junk' after the number"},
    {"input.loss_ratio > 2 3", "unexpected '3'"},
    {"input.loss_ratio > 2%%", "unexpected '%'"},
    {"input.lost == 1 == 1", "unexpected '== 1'"},
    {"input.bitrate_bps > 2 kb", "unknown unit 'kb'"},
    {"input.bitrate_bps > 2 G", "unknown unit 'G'"},
    {"input.jitter_seconds > 2%", "unit '%' makes no sense for "
          "input.jitter_seconds"},
    {"input.lost == 1k", "makes no sense for input.lost"},
    {"input.loss_ratio > 5ms", "makes no sense for input.loss_ratio"},
    {"input.bitrate_bps > 5s", "makes no sense"},
    {"input.lost == 1\xff", "unexpected '\\377'"},
    {"input.lost\x01 == 1", "expected a comparison"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    HfFigure figure = HF_FIGURE_N;
    HfAlertOp op = HF_ALERT_OP_NE;
    gdouble threshold = 42;
    GError *error = NULL;

    fail_if (hf_alert_expr_parse (bad[i].text, &figure, &op, &threshold,
            &error), "'%s' accepted", bad[i].text);
    fail_unless (g_error_matches (error, HF_CONFIG_ERROR,
            HF_CONFIG_ERROR_INVALID), "'%s': no error", bad[i].text);
    fail_unless (g_utf8_validate (error->message, -1, NULL));
    fail_unless (strstr (error->message, bad[i].part) != NULL,
        "'%s': '%s' is not in the message '%s'", bad[i].text, bad[i].part,
        error->message);
    /* Nothing written on failure. */
    fail_unless_equals_int (figure, HF_FIGURE_N);
    fail_unless_equals_int (op, HF_ALERT_OP_NE);
    fail_unless (threshold == 42);
    g_error_free (error);
  }
}

GST_END_TEST;

GST_START_TEST (test_figure_and_op_names_round_trip)
{
  static const HfAlertOp ops[] = { HF_ALERT_OP_GT, HF_ALERT_OP_GE,
    HF_ALERT_OP_LT, HF_ALERT_OP_LE, HF_ALERT_OP_EQ, HF_ALERT_OP_NE
  };
  guint f, o;

  for (f = 0; f < HF_FIGURE_N; f++) {
    const gchar *name = hf_figure_to_string (f);

    fail_unless (name != NULL);
    fail_unless_equals_int (hf_figure_is_input (f),
        g_str_has_prefix (name, "input."));
    for (o = 0; o < G_N_ELEMENTS (ops); o++) {
      g_autofree gchar *text = g_strdup_printf ("%s %s 1", name,
          hf_alert_op_to_string (ops[o]));
      HfFigure figure;
      HfAlertOp op;

      fail_unless (hf_alert_expr_parse (text, &figure, &op, NULL, NULL),
          "%s", text);
      fail_unless_equals_int (figure, f);
      fail_unless_equals_int (op, ops[o]);
    }
  }
  fail_unless (hf_figure_to_string (HF_FIGURE_N) == NULL);
  fail_if (hf_figure_is_input (HF_FIGURE_N));
  fail_unless_equals_string (hf_figure_to_string (HF_FIGURE_INPUT_LOSS_RATIO),
      "input.loss_ratio");
  fail_unless_equals_string (hf_alert_severity_to_string (HF_ALERT_CRITICAL),
      "critical");
  fail_unless_equals_string (hf_alert_severity_to_string (HF_ALERT_WARNING),
      "warning");
}

GST_END_TEST;

/* ---- Loading rules ------------------------------------------------------- */

GST_START_TEST (test_builtins_come_first_in_order_and_enabled)
{
  static const struct
  {
    const gchar *name, *expr;
    HfFigure figure;
    gint64 for_us;
    HfAlertSeverity severity;
  } expected[] = {
    {"input-lost", "input.lost == 1", HF_FIGURE_INPUT_LOST, 0,
        HF_ALERT_CRITICAL},
    {"on-air-degraded", "stream.on_air_degraded == 1",
        HF_FIGURE_STREAM_ON_AIR_DEGRADED, 0, HF_ALERT_WARNING},
    {"input-loss", "input.loss_ratio > 2%", HF_FIGURE_INPUT_LOSS_RATIO,
        10 * G_USEC_PER_SEC, HF_ALERT_WARNING},
    {"slate-on-air", "stream.slate == 1", HF_FIGURE_STREAM_SLATE, 0,
        HF_ALERT_CRITICAL},
    {"failover", "stream.recent_failovers > 0",
        HF_FIGURE_STREAM_RECENT_FAILOVERS, 0, HF_ALERT_WARNING},
  };
  GPtrArray *from_null = hf_alert_rules_load (NULL, NULL);
  GPtrArray *rules = hf_test_load ("[server]\nhttp = 127.0.0.1:8080\n\n"
      "[stream main]\ninputs = srt://:9001?mode=listener\n");
  guint i;

  fail_unless (from_null != NULL);
  fail_unless_equals_int (from_null->len, G_N_ELEMENTS (expected));
  fail_unless_equals_int (rules->len, G_N_ELEMENTS (expected));
  for (i = 0; i < G_N_ELEMENTS (expected); i++) {
    const HfAlertRule *r = g_ptr_array_index (rules, i);

    fail_unless_equals_string (r->name, expected[i].name);
    fail_unless_equals_string (r->expr, expected[i].expr);
    fail_unless_equals_int (r->figure, expected[i].figure);
    fail_unless_equals_int64 (r->for_us, expected[i].for_us);
    fail_unless_equals_int (r->severity, expected[i].severity);
    fail_unless (r->enabled);
    fail_unless (r->builtin);
    fail_unless (r->stream == NULL);
    fail_unless (r->summary != NULL);
    fail_unless_equals_string (((HfAlertRule *) g_ptr_array_index (from_null,
                i))->name, expected[i].name);
  }
  fail_unless (hf_test_find (rules, "input-loss")->threshold == 0.02);
  g_ptr_array_unref (from_null);
  g_ptr_array_unref (rules);
}

GST_END_TEST;

GST_START_TEST (test_enabled_false_turns_a_builtin_off)
{
  GPtrArray *rules = hf_test_load ("[alert slate-on-air]\nenabled = false\n");
  const HfAlertRule *r = hf_test_find (rules, "slate-on-air");

  fail_unless_equals_int (rules->len, 5);
  fail_if (r->enabled);
  fail_unless (r->builtin);
  fail_unless_equals_string (r->expr, "stream.slate == 1");
  fail_unless (hf_test_find (rules, "input-lost")->enabled);
  g_ptr_array_unref (rules);
}

GST_END_TEST;

GST_START_TEST (test_override_of_for_keeps_builtin_expr_and_severity)
{
  GPtrArray *rules = hf_test_load ("[alert input-loss]\nfor = 30s\n\n"
      "[alert input-lost]\nfor = 500ms\nstream = main\n");
  const HfAlertRule *loss = hf_test_find (rules, "input-loss");
  const HfAlertRule *lost = hf_test_find (rules, "input-lost");

  fail_unless_equals_int (rules->len, 5);
  fail_unless_equals_int64 (loss->for_us, 30 * G_USEC_PER_SEC);
  fail_unless_equals_string (loss->expr, "input.loss_ratio > 2%");
  fail_unless_equals_int (loss->figure, HF_FIGURE_INPUT_LOSS_RATIO);
  fail_unless (loss->threshold == 0.02);
  fail_unless_equals_int (loss->severity, HF_ALERT_WARNING);
  fail_unless (loss->enabled && loss->builtin);
  fail_unless (loss->summary != NULL);
  fail_unless_equals_int64 (lost->for_us, 500 * 1000);
  fail_unless_equals_int (lost->severity, HF_ALERT_CRITICAL);
  fail_unless_equals_string (lost->stream, "main");
  /* Still in the built-ins' order. */
  fail_unless (g_ptr_array_index (rules, 0) == lost);
  fail_unless (g_ptr_array_index (rules, 2) == loss);
  g_ptr_array_unref (rules);
}

GST_END_TEST;

GST_START_TEST (test_builtin_summary_follows_its_figure)
{
  GPtrArray *rules = hf_test_load ("[alert input-loss]\n"
      "expr = input.loss_ratio > 5%\n\n"
      "[alert input-lost]\nexpr = input.last_packet_age_seconds > 2s\n\n"
      "[alert failover]\nexpr = stream.recent_failovers > 3\n"
      "summary = {stream}: {value} failovers\n");
  const HfAlertRule *loss = hf_test_find (rules, "input-loss");
  const HfAlertRule *lost = hf_test_find (rules, "input-lost");
  const HfAlertRule *failover = hf_test_find (rules, "failover");

  /* Same figure: the built-in sentence stays (it names the threshold). */
  fail_unless (loss->threshold == 0.05);
  fail_unless (loss->summary != NULL);
  fail_unless (strstr (loss->summary, "{threshold}") != NULL);
  /* Another figure: "is lost" would be wrong; the made sentence is used. */
  fail_unless_equals_int (lost->figure,
      HF_FIGURE_INPUT_LAST_PACKET_AGE_SECONDS);
  fail_unless (lost->summary == NULL);
  fail_unless_equals_int (lost->severity, HF_ALERT_CRITICAL);
  fail_unless_equals_string (failover->summary, "{stream}: {value} failovers");
  g_ptr_array_unref (rules);

  /* Same figure the other way round: "losing more than" would be wrong. */
  rules = hf_test_load ("[alert input-loss]\nexpr = input.loss_ratio < 5%\n");
  loss = hf_test_find (rules, "input-loss");
  fail_unless_equals_int (loss->op, HF_ALERT_OP_LT);
  fail_unless (loss->summary == NULL);
  g_ptr_array_unref (rules);
}

GST_END_TEST;

GST_START_TEST (test_new_rule_is_appended_with_its_keys)
{
  GPtrArray *rules = hf_test_load ("[alert low-bitrate]\n"
      "expr = input.bitrate_bps < 500k\nfor = 2m\nseverity = critical\n"
      "stream = main\nsummary = {input} of {stream} is at {value}\n"
      "enabled = true\n\n"
      "[stream main]\ninputs = srt://:9001?mode=listener\n\n"
      "[alert jitter]\nexpr=input.jitter_seconds>=30ms\nfor=1.5s\n\n"
      "[alert off]\nexpr = stream.viewers == 0\nenabled = false\n"
      "stream =\nsummary =\n");
  const HfAlertRule *r;

  fail_unless_equals_int (rules->len, 8);
  r = g_ptr_array_index (rules, 5);
  fail_unless_equals_string (r->name, "low-bitrate");
  fail_unless_equals_string (r->expr, "input.bitrate_bps < 500k");
  fail_unless_equals_int (r->figure, HF_FIGURE_INPUT_BITRATE_BPS);
  fail_unless_equals_int (r->op, HF_ALERT_OP_LT);
  fail_unless (r->threshold == 500000);
  fail_unless_equals_int64 (r->for_us, 120 * G_USEC_PER_SEC);
  fail_unless_equals_int (r->severity, HF_ALERT_CRITICAL);
  fail_unless_equals_string (r->stream, "main");
  fail_unless_equals_string (r->summary, "{input} of {stream} is at {value}");
  fail_unless (r->enabled);
  fail_if (r->builtin);

  r = g_ptr_array_index (rules, 6);
  fail_unless_equals_string (r->name, "jitter");
  fail_unless_equals_int64 (r->for_us, 1500 * 1000);
  fail_unless_equals_int (r->severity, HF_ALERT_WARNING);
  fail_unless (r->stream == NULL && r->summary == NULL);
  fail_unless (r->enabled);
  fail_if (r->builtin);

  r = g_ptr_array_index (rules, 7);
  fail_unless_equals_string (r->name, "off");
  fail_if (r->enabled);
  fail_unless_equals_int64 (r->for_us, 0);
  fail_unless (r->stream == NULL && r->summary == NULL);
  g_ptr_array_unref (rules);
}

GST_END_TEST;

GST_START_TEST (test_durations)
{
  static const struct
  {
    const gchar *text;
    gint64 us;
  } good[] = {
    {"0", 0}, {"0s", 0}, {"500ms", 500000}, {"10s", 10000000},
    {"2m", 120000000}, {"1h", G_GINT64_CONSTANT (3600000000)},
    {"24h", G_GINT64_CONSTANT (86400000000)}, {"1.5s", 1500000},
    {" 10 s ", 10000000}, {"0.0", 0},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autofree gchar *ini = g_strdup_printf ("[alert x]\n"
        "expr = stream.slate == 1\nfor = %s\n", good[i].text);
    GPtrArray *rules = hf_test_load (ini);

    fail_unless_equals_int64 (hf_test_find (rules, "x")->for_us, good[i].us);
    g_ptr_array_unref (rules);
  }
}

GST_END_TEST;

GST_START_TEST (test_rules_load_refuses_bad_groups)
{
  static const struct
  {
    const gchar *ini;
    const gchar *part;
  } bad[] = {
    {"[alert x]\nexpr = stream.slate == 1\nfro = 10s\n",
        "[alert x] fro: unknown key (known keys: expr, for, severity, stream, "
          "summary, enabled)"},
    {"[alert input-lost]\nseverity = high\n",
        "[alert input-lost] severity: 'high' is not warning or critical"},
    {"[alert x]\nexpr = stream.slate == 1\nseverity = urgent\n",
        "[alert x] severity:"},
    {"[alert x]\nexpr = stream.slate == 1\nfor = 25h\n",
        "[alert x] for: a duration is at most 24h"},
    {"[alert x]\nexpr = stream.slate == 1\nfor = 10\n",
        "[alert x] for: a duration needs a unit"},
    {"[alert x]\nexpr = stream.slate == 1\nfor = ten\n",
        "[alert x] for: 'ten' is not a duration"},
    {"[alert x]\nexpr = stream.slate == 1\nfor = -1s\n",
        "[alert x] for: '-1s' is not a duration"},
    {"[alert x]\nexpr = stream.slate == 1\nfor = 10 parsecs\n",
        "[alert x] for: unknown unit 'parsecs'"},
    {"[alert x]\nexpr = stream.slate == 1\nfor =\n", "[alert x] for:"},
    {"[alert x]\nexpr = stream.slate == 1\nfor = inf s\n", "[alert x] for:"},
    {"[alert x]\nexpr = stream.slate == 1\nfor = 10s 5\n", "[alert x] for:"},
    {"[alert brand-new]\nfor = 10s\n",
        "[alert brand-new] expr: missing; a new rule needs one"},
    {"[alert bad/name]\nexpr = input.lost == 1\n", "an alert name is 1 to 64"},
    {"[alert a b]\nexpr = input.lost == 1\n", "[alert a b]: an alert name"},
    {"[alert x]\nexpr = input.nothing > 1\n",
        "[alert x] expr: unknown figure 'input.nothing' (known figures:"},
    {"[alert x]\nexpr =\n", "[alert x] expr: empty expression"},
    {"[alert input-loss]\nexpr = input.loss_ratio > 2% extra\n",
        "[alert input-loss] expr: unexpected"},
    {"[alert x]\nexpr = stream.slate == 1\nenabled = maybe\n",
        "[alert x] enabled: 'maybe' is not true or false"},
    {"[alert x]\nexpr = stream.slate == 1\nsummary = {steam} paused\n",
        "[alert x] summary: unknown placeholder {steam}"},
    {"[alert x]\nexpr = stream.slate == 1\nstream = a b\n",
        "[alert x] stream: 'a b' is not a stream name"},
    {"[alert x]\nexpr = stream.slate == 1\nsummary = caf\xe9\n",
        "[alert x] summary: the value is not UTF-8 text"},
    {"[alert x]\nexpr = stream.slate == 1\nsummary = a\\qb\n",
        "[alert x] summary: the value has a bad escape"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    hf_test_load_fails (bad[i].ini, bad[i].part);
}

GST_END_TEST;

GST_START_TEST (test_rules_load_refuses_a_long_name)
{
  g_autofree gchar *name = g_strnfill (65, 'a');
  g_autofree gchar *ok = g_strdup_printf ("[alert %.64s]\n"
      "expr = stream.slate == 1\n", name);
  g_autofree gchar *bad = g_strdup_printf ("[alert %s]\n"
      "expr = stream.slate == 1\n", name);
  GPtrArray *rules = hf_test_load (ok);

  fail_unless_equals_int (rules->len, 6);
  g_ptr_array_unref (rules);
  hf_test_load_fails (bad, "an alert name is 1 to 64");
}

GST_END_TEST;

GST_START_TEST (test_config_loader_hands_alert_groups_over)
{
  static const gchar ini[] = "[server]\nhttp = 127.0.0.1:8080\n\n"
      "[stream main]\ninputs = srt://:9001?mode=listener\n\n"
      "[alert input-loss]\nfor = 30s\n\n"
      "[alert no-viewers]\nexpr = stream.viewers < 1\nfor = 5m\n";
  GError *error = NULL;
  HfConfig *config = hf_config_load_data (ini, strlen (ini), &error);

  fail_unless (config != NULL, "%s", error ? error->message : "?");
  fail_unless (config->alert_rules != NULL);
  fail_unless_equals_int (config->alert_rules->len, 6);
  fail_unless_equals_int64 (hf_test_find (config->alert_rules,
          "input-loss")->for_us, 30 * G_USEC_PER_SEC);
  fail_unless_equals_int64 (hf_test_find (config->alert_rules,
          "no-viewers")->for_us, 300 * G_USEC_PER_SEC);
  hf_config_free (config);
}

GST_END_TEST;

/* ---- The state machine --------------------------------------------------- */

GST_START_TEST (test_fires_only_after_the_for_duration)
{
  HfAlerts *alerts = hf_test_alerts ("input.loss_ratio > 2%",
      10 * G_USEC_PER_SEC, NULL);
  HfAlertSample s;
  GPtrArray *out;
  gint t;

  hf_test_sample (&s, "main", "primary", HF_FIGURE_INPUT_LOSS_RATIO, 0.05);
  for (t = 0; t < 10; t++) {
    hf_test_eval_expect (alerts, t, &s, 1, 0);
    fail_unless_equals_int (hf_test_stats (alerts, 0).pending, 1);
    fail_unless_equals_int (hf_test_stats (alerts, 0).firing, 0);
  }
  /* 1 ms short of 10 s is not yet. */
  hf_test_eval_expect (alerts, 9.999, &s, 1, 0);
  out = hf_test_eval (alerts, 10, &s, 1);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "firing", "main",
      "primary");
  fail_unless_equals_int (hf_test_stats (alerts, 0).pending, 0);
  fail_unless_equals_int (hf_test_stats (alerts, 0).firing, 1);
  g_ptr_array_unref (out);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_fires_at_once_with_for_zero)
{
  HfAlerts *alerts = hf_test_alerts ("stream.slate == 1", 0, NULL);
  HfAlertSample s;
  GPtrArray *out;

  hf_test_sample (&s, "main", NULL, HF_FIGURE_STREAM_SLATE, 0);
  hf_test_eval_expect (alerts, 0, &s, 1, 0);
  s.values[HF_FIGURE_STREAM_SLATE] = 1;
  out = hf_test_eval (alerts, 1, &s, 1);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "firing", "main",
      NULL);
  g_ptr_array_unref (out);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_no_second_notification_while_it_keeps_holding)
{
  HfAlerts *alerts = hf_test_alerts ("input.lost == 1", 0, NULL);
  HfAlertSample s;
  HfAlertRuleStats st;
  gint t;

  hf_test_sample (&s, "main", "primary", HF_FIGURE_INPUT_LOST, 1);
  hf_test_eval_expect (alerts, 0, &s, 1, 1);
  for (t = 1; t <= 500; t++)
    hf_test_eval_expect (alerts, t * 0.5, &s, 1, 0);
  st = hf_test_stats (alerts, 0);
  fail_unless_equals_int (st.firing, 1);
  fail_unless_equals_uint64 (st.fired_total, 1);
  fail_unless_equals_uint64 (st.resolved_total, 0);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_pending_that_drops_never_fires_and_starts_over)
{
  HfAlerts *alerts = hf_test_alerts ("input.loss_ratio > 2%",
      10 * G_USEC_PER_SEC, NULL);
  HfAlertSample s;
  GPtrArray *out;
  gint t;

  hf_test_sample (&s, "main", "primary", HF_FIGURE_INPUT_LOSS_RATIO, 0.05);
  for (t = 0; t <= 9; t++)
    hf_test_eval_expect (alerts, t, &s, 1, 0);
  /* It drops at 9.5 s: no "resolved" for what never fired. */
  s.values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.01;
  hf_test_eval_expect (alerts, 9.5, &s, 1, 0);
  fail_unless_equals_int (hf_test_stats (alerts, 0).pending, 0);
  /* Holds again from 11 s: the ten seconds count from there. */
  s.values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.05;
  for (t = 11; t <= 20; t++)
    hf_test_eval_expect (alerts, t, &s, 1, 0);
  out = hf_test_eval (alerts, 21, &s, 1);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "firing", "main",
      "primary");
  fail_unless_equals_uint64 (hf_test_stats (alerts, 0).resolved_total, 0);
  g_ptr_array_unref (out);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_resolves_once_when_the_condition_goes_false)
{
  HfAlerts *alerts = hf_test_alerts ("input.jitter_seconds >= 30ms", 0, NULL);
  HfAlertSample s;
  GPtrArray *out;
  JsonObject *o;
  gint t;

  hf_test_sample (&s, "main", "primary", HF_FIGURE_INPUT_JITTER_SECONDS, 0.04);
  hf_test_eval_expect (alerts, 0, &s, 1, 1);
  s.values[HF_FIGURE_INPUT_JITTER_SECONDS] = 0.01;
  out = hf_test_eval (alerts, 4, &s, 1);
  fail_unless_equals_int (out->len, 1);
  o = hf_test_note (out, 0);
  hf_test_assert_note (o, "test-rule", "resolved", "main", "primary");
  fail_unless (json_object_get_double_member (o, "value") == 0.01);
  fail_unless (json_object_get_double_member (o, "duration_s") == 4.0);
  g_ptr_array_unref (out);
  for (t = 5; t < 50; t++)
    hf_test_eval_expect (alerts, t, &s, 1, 0);
  fail_unless_equals_uint64 (hf_test_stats (alerts, 0).resolved_total, 1);
  fail_unless_equals_int (hf_test_stats (alerts, 0).firing, 0);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_resolves_when_the_input_or_stream_is_gone)
{
  GPtrArray *rules = hf_test_load ("[alert slate-on-air]\nenabled = false\n"
      "[alert failover]\nenabled = false\n"
      "[alert on-air-degraded]\nenabled = false\n");
  HfAlerts *alerts = hf_alerts_new (rules);
  HfAlertSample s[3];
  GPtrArray *out;
  JsonObject *o;

  /* input-lost (0) fires on "backup"; input-loss (2) is pending on it. */
  hf_test_healthy_stream (&s[0], "main");
  hf_test_healthy_input (&s[1], "main", "primary", TRUE);
  hf_test_healthy_input (&s[2], "main", "backup", FALSE);
  s[2].values[HF_FIGURE_INPUT_LOST] = 1;
  s[2].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.5;
  hf_test_eval_expect (alerts, 0, s, 3, 1);
  fail_unless_equals_int (hf_test_stats (alerts, 2).pending, 1);

  /* The backup input is removed from the stream. */
  out = hf_test_eval (alerts, 3, s, 2);
  fail_unless_equals_int (out->len, 1);
  o = hf_test_note (out, 0);
  hf_test_assert_note (o, "input-lost", "resolved", "main", "backup");
  fail_unless (json_object_get_null_member (o, "value"));
  fail_unless_equals_int (hf_test_stats (alerts, 0).firing, 0);
  fail_unless_equals_int (hf_test_stats (alerts, 2).pending, 0);
  g_ptr_array_unref (out);

  /* It comes back healthy: nothing. */
  s[2].values[HF_FIGURE_INPUT_LOST] = 0;
  s[2].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0;
  hf_test_eval_expect (alerts, 4, s, 3, 0);
  g_ptr_array_unref (rules);
  hf_alerts_free (alerts);

  /* A stream figure: the whole stream goes (no samples at all). */
  alerts = hf_test_alerts ("stream.slate == 1", 0, NULL);
  hf_test_sample (&s[0], "main", NULL, HF_FIGURE_STREAM_SLATE, 1);
  hf_test_sample (&s[1], "other", NULL, HF_FIGURE_STREAM_SLATE, 1);
  hf_test_eval_expect (alerts, 0, s, 2, 2);
  out = hf_test_eval (alerts, 1, &s[1], 1);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "resolved", "main",
      NULL);
  g_ptr_array_unref (out);
  out = hf_test_eval (alerts, 2, NULL, 0);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "resolved",
      "other", NULL);
  g_ptr_array_unref (out);
  hf_test_eval_expect (alerts, 3, NULL, 0, 0);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_nan_is_false)
{
  HfAlerts *alerts = hf_test_alerts ("input.rtt_seconds != 0", 0, NULL);
  HfAlerts *lt = hf_test_alerts ("input.bitrate_bps < 500k", 0, NULL);
  HfAlertSample s;
  GPtrArray *out;

  /* Unknown (an RTP input has no RTT): not "different from 0". */
  hf_alert_sample_init (&s, "main", "rtp");
  hf_test_eval_expect (alerts, 0, &s, 1, 0);
  hf_test_eval_expect (lt, 0, &s, 1, 0);
  fail_unless_equals_int (hf_test_stats (alerts, 0).pending, 0);

  /* A firing one whose figure becomes unknown (the SRT link went down)
   * is no all-clear: it keeps firing, and resolves once the figure is
   * known again and the condition false. */
  s.values[HF_FIGURE_INPUT_RTT_SECONDS] = 0.3;
  hf_test_eval_expect (alerts, 1, &s, 1, 1);
  s.values[HF_FIGURE_INPUT_RTT_SECONDS] = NAN;
  hf_test_eval_expect (alerts, 2, &s, 1, 0);
  fail_unless_equals_int (hf_test_stats (alerts, 0).firing, 1);
  s.values[HF_FIGURE_INPUT_RTT_SECONDS] = 0;
  out = hf_test_eval (alerts, 3, &s, 1);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "resolved", "main",
      "rtp");
  g_ptr_array_unref (out);
  hf_alerts_free (alerts);
  hf_alerts_free (lt);
}

GST_END_TEST;

GST_START_TEST (test_two_inputs_of_a_stream_are_separate_instances)
{
  HfAlerts *alerts = hf_test_alerts ("input.loss_ratio > 2%",
      5 * G_USEC_PER_SEC, NULL);
  HfAlertSample s[2];
  GPtrArray *out;

  hf_test_sample (&s[0], "main", "primary", HF_FIGURE_INPUT_LOSS_RATIO, 0.1);
  hf_test_sample (&s[1], "main", "backup", HF_FIGURE_INPUT_LOSS_RATIO, 0);
  hf_test_eval_expect (alerts, 0, s, 2, 0);
  s[1].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.1;
  hf_test_eval_expect (alerts, 2, s, 2, 0);
  fail_unless_equals_int (hf_test_stats (alerts, 0).pending, 2);
  out = hf_test_eval (alerts, 5, s, 2);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "firing", "main",
      "primary");
  g_ptr_array_unref (out);
  /* primary resolves; backup goes on and fires at 7 s. */
  s[0].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0;
  out = hf_test_eval (alerts, 7, s, 2);
  fail_unless_equals_int (out->len, 2);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "resolved", "main",
      "primary");
  hf_test_assert_note (hf_test_note (out, 1), "test-rule", "firing", "main",
      "backup");
  g_ptr_array_unref (out);
  fail_unless_equals_int (hf_test_stats (alerts, 0).firing, 1);
  fail_unless_equals_int (hf_test_stats (alerts, 0).pending, 0);

  /* A stream's own sample does not feed an input rule, nor the reverse. */
  hf_alerts_free (alerts);
  alerts = hf_test_alerts ("stream.slate == 1", 0, NULL);
  hf_test_sample (&s[0], "main", "primary", HF_FIGURE_STREAM_SLATE, 1);
  hf_test_eval_expect (alerts, 0, s, 1, 0);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_stream_filter)
{
  HfAlerts *alerts = hf_test_alerts ("input.lost == 1", 0, "main");
  HfAlertSample s[3];
  GPtrArray *out;

  hf_test_sample (&s[0], "other", "primary", HF_FIGURE_INPUT_LOST, 1);
  hf_test_sample (&s[1], "main", "primary", HF_FIGURE_INPUT_LOST, 1);
  hf_test_sample (&s[2], "main2", "primary", HF_FIGURE_INPUT_LOST, 1);
  out = hf_test_eval (alerts, 0, s, 3);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "firing", "main",
      "primary");
  g_ptr_array_unref (out);
  fail_unless_equals_int (hf_test_stats (alerts, 0).firing, 1);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_disabled_rules_never_fire)
{
  GPtrArray *rules = hf_test_load ("[alert input-lost]\nenabled = false\n"
      "[alert slate-on-air]\nenabled = false\n"
      "[alert failover]\nenabled = false\n"
      "[alert on-air-degraded]\nenabled = false\n"
      "[alert input-loss]\nenabled = false\n"
      "[alert mine]\nexpr = stream.viewers >= 0\nenabled = false\n");
  HfAlerts *alerts = hf_alerts_new (rules);
  HfAlertSample s[2];
  JsonNode *json;
  JsonArray *list;
  guint i;
  gint t;

  hf_test_healthy_stream (&s[0], "main");
  hf_test_healthy_input (&s[1], "main", "primary", FALSE);
  s[0].values[HF_FIGURE_STREAM_SLATE] = 1;
  s[0].values[HF_FIGURE_STREAM_RECENT_FAILOVERS] = 4;
  s[0].values[HF_FIGURE_STREAM_ON_AIR_DEGRADED] = 1;
  s[1].values[HF_FIGURE_INPUT_LOST] = 1;
  s[1].values[HF_FIGURE_INPUT_LOSS_RATIO] = 1;
  for (t = 0; t < 60; t++)
    hf_test_eval_expect (alerts, t, s, 2, 0);
  fail_unless_equals_int (hf_alerts_get_n_rules (alerts), 6);
  for (i = 0; i < 6; i++) {
    HfAlertRuleStats st = hf_test_stats (alerts, i);

    fail_unless (st.rule != NULL);
    fail_if (st.rule->enabled);
    fail_unless (st.firing == 0 && st.pending == 0 && st.fired_total == 0);
  }
  json = hf_alerts_to_json (alerts, HF_TEST_MONO_US);
  list = json_object_get_array_member (json_node_get_object (json), "rules");
  fail_unless_equals_int (json_array_get_length (list), 6);
  fail_if (json_object_get_boolean_member (json_array_get_object_element
          (list, 5), "enabled"));
  json_node_unref (json);
  g_ptr_array_unref (rules);
  hf_alerts_free (alerts);
}

GST_END_TEST;

/* Every documented member, of its type, and no other. */
static void
hf_test_assert_shape (JsonObject * o, gboolean resolved)
{
  static const gchar *const strings[] = { "alert", "state", "severity",
    "stream", "expr", "summary", "started_at", NULL
  };
  guint i;

  fail_unless_equals_int (json_object_get_size (o), 16);
  for (i = 0; strings[i]; i++) {
    JsonNode *n = json_object_get_member (o, strings[i]);

    fail_unless (n != NULL, "no %s", strings[i]);
    fail_unless (json_node_get_value_type (n) == G_TYPE_STRING, "%s",
        strings[i]);
  }
  fail_unless (json_node_get_value_type (json_object_get_member (o,
              "id")) == G_TYPE_INT64);
  fail_unless (json_node_get_value_type (json_object_get_member (o,
              "started_mono_ms")) == G_TYPE_INT64);
  fail_unless (json_node_get_value_type (json_object_get_member (o,
              "threshold")) == G_TYPE_DOUBLE);
  fail_unless (json_node_get_value_type (json_object_get_member (o,
              "for_s")) == G_TYPE_DOUBLE);
  fail_unless (json_node_get_value_type (json_object_get_member (o,
              "duration_s")) == G_TYPE_DOUBLE);
  fail_unless (json_object_has_member (o, "input"));
  fail_unless (json_object_has_member (o, "value"));
  if (resolved) {
    fail_unless (json_node_get_value_type (json_object_get_member (o,
                "resolved_at")) == G_TYPE_STRING);
    fail_unless (json_node_get_value_type (json_object_get_member (o,
                "resolved_mono_ms")) == G_TYPE_INT64);
  } else {
    fail_unless (json_object_get_null_member (o, "resolved_at"));
    fail_unless (json_object_get_null_member (o, "resolved_mono_ms"));
  }
}

GST_START_TEST (test_notification_fields_and_types)
{
  GPtrArray *rules = hf_test_load ("[alert input-lost]\nenabled = false\n"
      "[alert input-loss]\nsummary = {input} of {stream}: {value} over "
      "{threshold}\nseverity = critical\n");
  HfAlerts *alerts = hf_alerts_new (rules);
  HfAlertSample s[2];
  GPtrArray *out;
  JsonObject *o;
  g_autofree gchar *text = NULL;
  gint t;

  hf_test_healthy_stream (&s[0], "main");
  hf_test_healthy_input (&s[1], "main", "in1", TRUE);
  s[1].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.035;
  for (t = 0; t < 10; t++)
    hf_test_eval_expect (alerts, t, s, 2, 0);
  out = hf_test_eval (alerts, 10, s, 2);
  fail_unless_equals_int (out->len, 1);
  o = hf_test_note (out, 0);
  hf_test_assert_shape (o, FALSE);
  fail_unless_equals_int64 (json_object_get_int_member (o, "id"), 1);
  hf_test_assert_note (o, "input-loss", "firing", "main", "in1");
  fail_unless_equals_string (json_object_get_string_member (o, "severity"),
      "critical");
  fail_unless_equals_string (json_object_get_string_member (o, "expr"),
      "input.loss_ratio > 2%");
  fail_unless (json_object_get_double_member (o, "value") == 0.035);
  fail_unless (json_object_get_double_member (o, "threshold") == 0.02);
  fail_unless (json_object_get_double_member (o, "for_s") == 10.0);
  fail_unless_equals_string (json_object_get_string_member (o, "summary"),
      "in1 of main: 3.5% over 2%");
  fail_unless_equals_string (json_object_get_string_member (o, "started_at"),
      "2024-05-01T12:35:06.789Z");
  fail_unless_equals_int64 (json_object_get_int_member (o,
          "started_mono_ms"), (HF_TEST_MONO_US + 10 * G_USEC_PER_SEC) / 1000);
  fail_unless (json_object_get_double_member (o, "duration_s") == 0);
  /* It serialises as JSON (no NaN or inf inside). */
  text = json_to_string (g_ptr_array_index (out, 0), FALSE);
  fail_unless (strstr (text, "\"value\":0.035") != NULL, "%s", text);
  g_ptr_array_unref (out);

  s[1].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.01;
  out = hf_test_eval (alerts, 12.5, s, 2);
  fail_unless_equals_int (out->len, 1);
  o = hf_test_note (out, 0);
  hf_test_assert_shape (o, TRUE);
  fail_unless_equals_int64 (json_object_get_int_member (o, "id"), 2);
  hf_test_assert_note (o, "input-loss", "resolved", "main", "in1");
  fail_unless (json_object_get_double_member (o, "value") == 0.01);
  fail_unless_equals_string (json_object_get_string_member (o, "summary"),
      "in1 of main: 1% over 2%");
  fail_unless_equals_string (json_object_get_string_member (o, "started_at"),
      "2024-05-01T12:35:06.789Z");
  fail_unless_equals_string (json_object_get_string_member (o, "resolved_at"),
      "2024-05-01T12:35:09.289Z");
  fail_unless_equals_int64 (json_object_get_int_member (o,
          "resolved_mono_ms"), (HF_TEST_MONO_US + 12500000) / 1000);
  fail_unless (json_object_get_double_member (o, "duration_s") == 2.5);
  g_ptr_array_unref (out);
  g_ptr_array_unref (rules);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_made_summary_and_value_formats)
{
  HfAlerts *a = hf_test_alerts ("input.bitrate_bps < 500k", 0, NULL);
  HfAlerts *b = hf_test_alerts ("stream.viewers >= 100", 0, NULL);
  HfAlerts *c = hf_test_alerts ("input.jitter_seconds > 30ms", 0, NULL);
  HfAlertSample s;
  GPtrArray *out;

  hf_test_sample (&s, "main", "primary", HF_FIGURE_INPUT_BITRATE_BPS, 250000);
  out = hf_test_eval (a, 0, &s, 1);
  fail_unless_equals_string (json_object_get_string_member (hf_test_note (out,
              0), "summary"),
      "input primary of stream main: input.bitrate_bps < 500k "
      "(now 250 kbit/s)");
  g_ptr_array_unref (out);
  hf_test_sample (&s, "main", NULL, HF_FIGURE_STREAM_VIEWERS, 120);
  out = hf_test_eval (b, 0, &s, 1);
  fail_unless_equals_string (json_object_get_string_member (hf_test_note (out,
              0), "summary"), "stream main: stream.viewers >= 100 (now 120)");
  g_ptr_array_unref (out);
  hf_test_sample (&s, "main", "b", HF_FIGURE_INPUT_JITTER_SECONDS, 0.045);
  out = hf_test_eval (c, 0, &s, 1);
  fail_unless_equals_string (json_object_get_string_member (hf_test_note (out,
              0), "summary"),
      "input b of stream main: input.jitter_seconds > 30ms (now 45 ms)");
  g_ptr_array_unref (out);
  hf_alerts_free (a);
  hf_alerts_free (b);
  hf_alerts_free (c);
}

GST_END_TEST;

GST_START_TEST (test_ids_grow_by_one_across_rules)
{
  GPtrArray *rules = hf_alert_rules_load (NULL, NULL);
  HfAlerts *alerts = hf_alerts_new (rules);
  HfAlertSample s[3];
  gint64 next = 1;
  gint t;

  for (t = 0; t < 20; t++) {
    GPtrArray *out;
    guint i;

    hf_test_healthy_stream (&s[0], "main");
    hf_test_healthy_input (&s[1], "main", "primary", t % 2 == 0);
    hf_test_healthy_input (&s[2], "main", "backup", t % 2 == 1);
    s[0].values[HF_FIGURE_STREAM_SLATE] = t % 3 == 0;
    s[0].values[HF_FIGURE_STREAM_RECENT_FAILOVERS] = t % 4;
    s[1].values[HF_FIGURE_INPUT_LOST] = t % 2;
    out = hf_test_eval (alerts, t, s, 3);
    for (i = 0; i < out->len; i++)
      fail_unless_equals_int64 (json_object_get_int_member (hf_test_note (out,
                  i), "id"), next++);
    g_ptr_array_unref (out);
  }
  fail_unless (next > 20, "only %" G_GINT64_FORMAT " notifications", next - 1);
  g_ptr_array_unref (rules);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_recent_holds_the_100_newest_first)
{
  HfAlerts *alerts = hf_test_alerts ("stream.slate == 1", 0, NULL);
  HfAlertSample s;
  JsonNode *json;
  JsonArray *recent;
  guint i;

  json = hf_alerts_to_json (alerts, HF_TEST_MONO_US);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (json_node_get_object (json), "recent")), 0);
  json_node_unref (json);

  hf_test_sample (&s, "main", NULL, HF_FIGURE_STREAM_SLATE, 0);
  for (i = 0; i < 130; i++) {
    s.values[HF_FIGURE_STREAM_SLATE] = i % 2 == 0;
    hf_test_eval_expect (alerts, i, &s, 1, 1);
  }
  json = hf_alerts_to_json (alerts, HF_TEST_MONO_US + 200 * G_USEC_PER_SEC);
  recent = json_object_get_array_member (json_node_get_object (json), "recent");
  fail_unless_equals_int (json_array_get_length (recent), 100);
  for (i = 0; i < 100; i++) {
    JsonObject *o = json_array_get_object_element (recent, i);
    gint64 id = 130 - i;

    fail_unless_equals_int64 (json_object_get_int_member (o, "id"), id);
    /* Odd ids fired, even ids resolved. */
    fail_unless_equals_string (json_object_get_string_member (o, "state"),
        id % 2 ? "firing" : "resolved");
    hf_test_assert_shape (o, id % 2 == 0);
    if (id % 2)
      fail_unless (json_object_get_double_member (o, "duration_s") == 0);
    else
      fail_unless (json_object_get_double_member (o, "duration_s") == 1);
  }
  fail_unless_equals_uint64 (hf_test_stats (alerts, 0).fired_total, 65);
  fail_unless_equals_uint64 (hf_test_stats (alerts, 0).resolved_total, 65);
  json_node_unref (json);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_rule_stats_count_instances_and_notifications)
{
  HfAlerts *alerts = hf_test_alerts ("input.loss_ratio > 2%",
      3 * G_USEC_PER_SEC, NULL);
  HfAlertSample s[3];
  HfAlertRuleStats st;

  fail_unless_equals_int (hf_alerts_get_n_rules (alerts), 1);
  st = hf_test_stats (alerts, 0);
  fail_unless_equals_string (st.rule->name, "test-rule");
  fail_unless (st.firing == 0 && st.pending == 0);
  fail_unless (st.fired_total == 0 && st.resolved_total == 0);

  hf_test_sample (&s[0], "a", "1", HF_FIGURE_INPUT_LOSS_RATIO, 0.1);
  hf_test_sample (&s[1], "a", "2", HF_FIGURE_INPUT_LOSS_RATIO, 0);
  hf_test_sample (&s[2], "b", "1", HF_FIGURE_INPUT_LOSS_RATIO, 0.1);
  hf_test_eval_expect (alerts, 0, s, 3, 0);
  st = hf_test_stats (alerts, 0);
  fail_unless_equals_int (st.pending, 2);
  fail_unless_equals_int (st.firing, 0);

  s[1].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.1;
  hf_test_eval_expect (alerts, 3, s, 3, 2);
  st = hf_test_stats (alerts, 0);
  fail_unless_equals_int (st.pending, 1);
  fail_unless_equals_int (st.firing, 2);
  fail_unless_equals_uint64 (st.fired_total, 2);

  s[0].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0;
  hf_test_eval_expect (alerts, 6, s, 3, 2);
  st = hf_test_stats (alerts, 0);
  fail_unless_equals_int (st.pending, 0);
  fail_unless_equals_int (st.firing, 2);
  fail_unless_equals_uint64 (st.fired_total, 3);
  fail_unless_equals_uint64 (st.resolved_total, 1);

  hf_test_eval_expect (alerts, 7, NULL, 0, 2);
  st = hf_test_stats (alerts, 0);
  fail_unless (st.firing == 0 && st.pending == 0);
  fail_unless_equals_uint64 (st.fired_total, 3);
  fail_unless_equals_uint64 (st.resolved_total, 3);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_to_json_lists_firing_recent_and_rules)
{
  GPtrArray *rules = hf_alert_rules_load (NULL, NULL);
  HfAlerts *alerts = hf_alerts_new (rules);
  HfAlertSample s[3];
  JsonNode *json;
  JsonObject *root, *o;
  JsonArray *firing, *list;
  gint t;

  hf_test_healthy_stream (&s[0], "main");
  hf_test_healthy_input (&s[1], "main", "primary", FALSE);
  hf_test_healthy_input (&s[2], "main", "backup", TRUE);
  s[1].values[HF_FIGURE_INPUT_LOST] = 1;
  s[1].values[HF_FIGURE_INPUT_LOSS_RATIO] = 1;
  s[2].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.04;
  for (t = 0; t <= 10; t++)
    g_ptr_array_unref (hf_test_eval (alerts, t, s, 3));
  s[2].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.06;
  g_ptr_array_unref (hf_test_eval (alerts, 11, s, 3));

  json = hf_alerts_to_json (alerts, HF_TEST_MONO_US + 12 * G_USEC_PER_SEC);
  root = json_node_get_object (json);
  fail_unless_equals_int (json_object_get_size (root), 3);
  firing = json_object_get_array_member (root, "firing");
  /* input-lost on primary, then input-loss on backup and on primary. */
  fail_unless_equals_int (json_array_get_length (firing), 3);
  o = json_array_get_object_element (firing, 0);
  hf_test_assert_shape (o, FALSE);
  fail_unless_equals_string (json_object_get_string_member (o, "alert"),
      "input-lost");
  fail_unless_equals_int64 (json_object_get_int_member (o, "id"), 1);
  fail_unless (json_object_get_double_member (o, "duration_s") == 12);
  o = json_array_get_object_element (firing, 1);
  hf_test_assert_note (o, "input-loss", "firing", "main", "backup");
  /* Its current value, not the one it fired with. */
  fail_unless (json_object_get_double_member (o, "value") == 0.06);
  fail_unless (json_object_get_double_member (o, "duration_s") == 2);
  hf_test_assert_note (json_array_get_object_element (firing, 2),
      "input-loss", "firing", "main", "primary");

  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (root, "recent")), 3);
  list = json_object_get_array_member (root, "rules");
  fail_unless_equals_int (json_array_get_length (list), 5);
  o = json_array_get_object_element (list, 2);
  fail_unless_equals_int (json_object_get_size (o), 9);
  fail_unless_equals_string (json_object_get_string_member (o, "name"),
      "input-loss");
  fail_unless_equals_string (json_object_get_string_member (o, "expr"),
      "input.loss_ratio > 2%");
  fail_unless (json_object_get_double_member (o, "for_s") == 10);
  fail_unless_equals_string (json_object_get_string_member (o, "severity"),
      "warning");
  fail_unless (json_object_get_null_member (o, "stream"));
  fail_unless (json_object_get_boolean_member (o, "enabled"));
  fail_unless (json_object_get_boolean_member (o, "builtin"));
  fail_unless_equals_int64 (json_object_get_int_member (o, "firing"), 2);
  fail_unless_equals_int64 (json_object_get_int_member (o, "pending"), 0);
  json_node_unref (json);
  g_ptr_array_unref (rules);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_a_repeated_sample_counts_once)
{
  HfAlerts *alerts = hf_test_alerts ("input.lost == 1", 0, NULL);
  HfAlertSample s[3];
  GPtrArray *out;

  hf_test_sample (&s[0], "main", "primary", HF_FIGURE_INPUT_LOST, 1);
  hf_test_sample (&s[1], "main", "primary", HF_FIGURE_INPUT_LOST, 0);
  hf_alert_sample_init (&s[2], NULL, NULL);
  out = hf_test_eval (alerts, 0, s, 3);
  fail_unless_equals_int (out->len, 1);
  hf_test_assert_note (hf_test_note (out, 0), "test-rule", "firing", "main",
      "primary");
  g_ptr_array_unref (out);
  hf_test_eval_expect (alerts, 1, s, 3, 0);
  hf_alerts_free (alerts);
}

GST_END_TEST;

GST_START_TEST (test_rules_are_copied)
{
  GPtrArray *rules = hf_test_rule_array ("stream.slate == 1", 0, NULL);
  HfAlerts *alerts = hf_alerts_new (rules);
  HfAlertSample s;
  GPtrArray *out;

  g_ptr_array_unref (rules);
  hf_test_sample (&s, "main", NULL, HF_FIGURE_STREAM_SLATE, 1);
  out = hf_test_eval (alerts, 0, &s, 1);
  fail_unless_equals_int (out->len, 1);
  fail_unless_equals_string (json_object_get_string_member (hf_test_note (out,
              0), "expr"), "stream.slate == 1");
  g_ptr_array_unref (out);
  hf_alerts_free (alerts);

  alerts = hf_alerts_new (NULL);
  fail_unless_equals_int (hf_alerts_get_n_rules (alerts), 0);
  hf_test_eval_expect (alerts, 0, &s, 1, 0);
  hf_alerts_free (alerts);
}

GST_END_TEST;

/* ---- The built-in rules on realistic figures ----------------------------- */

/* An engine with the default rules, and the samples of one stream with a
 * primary (on air) and a backup, all healthy. */
typedef struct
{
  GPtrArray *rules;
  HfAlerts *alerts;
  HfAlertSample s[3];
} HfTestRelay;

static void
hf_test_relay_init (HfTestRelay * r)
{
  r->rules = hf_alert_rules_load (NULL, NULL);
  r->alerts = hf_alerts_new (r->rules);
  hf_test_healthy_stream (&r->s[0], "main");
  hf_test_healthy_input (&r->s[1], "main", "primary", TRUE);
  hf_test_healthy_input (&r->s[2], "main", "backup", FALSE);
}

static void
hf_test_relay_clear (HfTestRelay * r)
{
  g_ptr_array_unref (r->rules);
  hf_alerts_free (r->alerts);
}

GST_START_TEST (test_builtin_input_lost_fires_critical_at_once)
{
  HfTestRelay r;
  GPtrArray *out;
  JsonObject *o;
  gint t;

  hf_test_relay_init (&r);
  for (t = 0; t < 5; t++)
    hf_test_eval_expect (r.alerts, t, r.s, 3, 0);
  /* The backup's pusher dies: lost, no packets, no bitrate. */
  r.s[2].values[HF_FIGURE_INPUT_LOST] = 1;
  r.s[2].values[HF_FIGURE_INPUT_BITRATE_BPS] = 0;
  r.s[2].values[HF_FIGURE_INPUT_LAST_PACKET_AGE_SECONDS] = 0.3;
  r.s[2].values[HF_FIGURE_INPUT_LOSS_RATIO] = NAN;
  out = hf_test_eval (r.alerts, 5, r.s, 3);
  fail_unless_equals_int (out->len, 1);
  o = hf_test_note (out, 0);
  hf_test_assert_note (o, "input-lost", "firing", "main", "backup");
  fail_unless_equals_string (json_object_get_string_member (o, "severity"),
      "critical");
  fail_unless_equals_string (json_object_get_string_member (o, "summary"),
      "input backup of stream main is lost");
  fail_unless (json_object_get_double_member (o, "value") == 1);
  g_ptr_array_unref (out);
  hf_test_relay_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_builtin_input_loss_fires_only_after_10s)
{
  HfTestRelay r;
  GPtrArray *out;
  JsonObject *o;
  gint t;

  hf_test_relay_init (&r);
  hf_test_eval_expect (r.alerts, 0, r.s, 3, 0);
  r.s[1].values[HF_FIGURE_INPUT_LOSS_RATIO] = 0.03;
  for (t = 1; t < 11; t++)
    hf_test_eval_expect (r.alerts, t, r.s, 3, 0);
  out = hf_test_eval (r.alerts, 11, r.s, 3);
  fail_unless_equals_int (out->len, 1);
  o = hf_test_note (out, 0);
  hf_test_assert_note (o, "input-loss", "firing", "main", "primary");
  fail_unless_equals_string (json_object_get_string_member (o, "severity"),
      "warning");
  fail_unless_equals_string (json_object_get_string_member (o, "summary"),
      "input primary of stream main is losing more than 2% of its packets");
  g_ptr_array_unref (out);
  hf_test_relay_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_builtin_slate_fires_slate_on_air)
{
  HfTestRelay r;
  GPtrArray *out;
  JsonObject *o;
  guint i;

  hf_test_relay_init (&r);
  hf_test_eval_expect (r.alerts, 0, r.s, 3, 0);
  /* Both inputs die; the slate goes on air. */
  for (i = 1; i <= 2; i++) {
    r.s[i].values[HF_FIGURE_INPUT_LOST] = 1;
    r.s[i].values[HF_FIGURE_INPUT_ON_AIR] = 0;
    r.s[i].values[HF_FIGURE_INPUT_BITRATE_BPS] = 0;
  }
  r.s[0].values[HF_FIGURE_STREAM_SLATE] = 1;
  out = hf_test_eval (r.alerts, 1, r.s, 3);
  fail_unless_equals_int (out->len, 3);
  hf_test_assert_note (hf_test_note (out, 0), "input-lost", "firing", "main",
      "primary");
  hf_test_assert_note (hf_test_note (out, 1), "input-lost", "firing", "main",
      "backup");
  o = hf_test_note (out, 2);
  hf_test_assert_note (o, "slate-on-air", "firing", "main", NULL);
  fail_unless_equals_string (json_object_get_string_member (o, "severity"),
      "critical");
  fail_unless_equals_string (json_object_get_string_member (o, "summary"),
      "stream main shows the slate: no input is alive");
  g_ptr_array_unref (out);
  hf_test_relay_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_builtin_failover_fires_and_resolves)
{
  HfTestRelay r;
  GPtrArray *out;
  JsonObject *o;
  gint t;

  hf_test_relay_init (&r);
  hf_test_eval_expect (r.alerts, 0, r.s, 3, 0);
  r.s[0].values[HF_FIGURE_STREAM_RECENT_FAILOVERS] = 1;
  r.s[1].values[HF_FIGURE_INPUT_ON_AIR] = 0;
  r.s[2].values[HF_FIGURE_INPUT_ON_AIR] = 1;
  out = hf_test_eval (r.alerts, 1, r.s, 3);
  fail_unless_equals_int (out->len, 1);
  o = hf_test_note (out, 0);
  hf_test_assert_note (o, "failover", "firing", "main", NULL);
  fail_unless_equals_string (json_object_get_string_member (o, "severity"),
      "warning");
  fail_unless_equals_string (json_object_get_string_member (o, "summary"),
      "stream main failed over");
  g_ptr_array_unref (out);
  for (t = 2; t < 61; t++)
    hf_test_eval_expect (r.alerts, t, r.s, 3, 0);
  /* A minute later the failover has left the window. */
  r.s[0].values[HF_FIGURE_STREAM_RECENT_FAILOVERS] = 0;
  out = hf_test_eval (r.alerts, 61, r.s, 3);
  fail_unless_equals_int (out->len, 1);
  o = hf_test_note (out, 0);
  hf_test_assert_note (o, "failover", "resolved", "main", NULL);
  fail_unless (json_object_get_double_member (o, "value") == 0);
  fail_unless (json_object_get_double_member (o, "duration_s") == 60);
  g_ptr_array_unref (out);
  hf_test_relay_clear (&r);
}

GST_END_TEST;

/* ---- Property: the engine against a model -------------------------------- */

/* 200 runs of 100 evaluations: about 0.1 s here, a few seconds under
 * ASan with fast_unwind_on_malloc=0. */
#define HF_TEST_SEQUENCES 200
#define HF_TEST_STEPS 100

typedef struct
{
  gint state;                   /* 0 inactive, 1 pending, 2 firing */
  gint64 since;
} HfTestModel;

/* One random run: a rule with a random for-duration over a stream with
 * two inputs that come and go, hold, drop and turn unknown at random
 * times.  The model says which notifications each evaluation must make. */
static gchar *
hf_test_one_sequence (guint32 seed)
{
  static const gchar *const names[2] = { "a", "b" };
  GRand *rand = g_rand_new_with_seed (seed);
  gint64 for_us = g_rand_int_range (rand, 0, 5) * G_USEC_PER_SEC / 2;
  HfAlerts *alerts = hf_test_alerts ("input.loss_ratio > 2%", for_us, NULL);
  HfTestModel model[2] = { {0, 0}, {0, 0} };
  gint64 now = 0, id = 0;
  gchar *violation = NULL;
  guint step, i;

  for (step = 0; step < HF_TEST_STEPS && !violation; step++) {
    HfAlertSample s[2];
    gboolean present[2];
    GPtrArray *out = hf_test_new_out ();
    GPtrArray *expected = g_ptr_array_new_with_free_func (g_free);
    guint n = 0;
    HfAlertRuleStats st;
    guint firing = 0, pending = 0;

    now += g_rand_int_range (rand, 0, 5) * G_USEC_PER_SEC / 4;
    for (i = 0; i < 2; i++) {
      gint r = g_rand_int_range (rand, 0, 10);
      gdouble v = r < 4 ? 0.05 : r < 7 ? 0.0 : r < 8 ? NAN : -1;

      present[i] = v != -1;
      if (!present[i])
        continue;
      hf_test_sample (&s[n++], "main", names[i], HF_FIGURE_INPUT_LOSS_RATIO, v);
      if (!isnan (v) && v > 0.02) {
        if (model[i].state == 0) {
          model[i].state = 1;
          model[i].since = now;
        }
        if (model[i].state == 1 && now - model[i].since >= for_us) {
          model[i].state = 2;
          g_ptr_array_add (expected, g_strdup_printf ("firing %s", names[i]));
        }
      } else if (isnan (v) && model[i].state == 2) {
        /* unknown: a firing one stays firing */
      } else {
        if (model[i].state == 2)
          g_ptr_array_add (expected, g_strdup_printf ("resolved %s", names[i]));
        model[i].state = 0;
      }
    }
    /* The ones that are gone come last, by name. */
    for (i = 0; i < 2; i++) {
      if (present[i])
        continue;
      if (model[i].state == 2)
        g_ptr_array_add (expected, g_strdup_printf ("resolved %s", names[i]));
      model[i].state = 0;
    }

    hf_alerts_evaluate (alerts, now, now, s, n, out);
    if (out->len != expected->len)
      violation = g_strdup_printf ("step %u: %u notifications, expected %u",
          step, out->len, expected->len);
    for (i = 0; !violation && i < out->len; i++) {
      JsonObject *o = json_node_get_object (g_ptr_array_index (out, i));
      g_autofree gchar *got = g_strdup_printf ("%s %s",
          json_object_get_string_member (o, "state"),
          json_object_get_string_member (o, "input"));

      if (json_object_get_int_member (o, "id") != ++id)
        violation = g_strdup_printf ("step %u: id %" G_GINT64_FORMAT
            ", expected %" G_GINT64_FORMAT, step,
            json_object_get_int_member (o, "id"), id);
      else if (!g_str_equal (got, g_ptr_array_index (expected, i)))
        violation = g_strdup_printf ("step %u: '%s', expected '%s'", step,
            got, (gchar *) g_ptr_array_index (expected, i));
    }
    for (i = 0; i < 2; i++) {
      firing += model[i].state == 2;
      pending += model[i].state == 1;
    }
    hf_alerts_get_rule_stats (alerts, 0, &st);
    if (!violation && (st.firing != firing || st.pending != pending))
      violation = g_strdup_printf ("step %u: %u firing %u pending, expected "
          "%u and %u", step, st.firing, st.pending, firing, pending);
    g_ptr_array_unref (out);
    g_ptr_array_unref (expected);
  }
  hf_alerts_free (alerts);
  g_rand_free (rand);
  return violation;
}

GST_START_TEST (test_engine_matches_its_model_on_random_sequences)
{
  hf_test_run_sequences (0x616c7274, HF_TEST_SEQUENCES, hf_test_one_sequence);
}

GST_END_TEST;

static Suite *
hf_alerts_suite (void)
{
  Suite *s = suite_create ("hf-alerts");
  TCase *tc = tcase_create ("general");
  TCase *property = tcase_create ("property");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_expr_parses_every_form_and_unit);
  tcase_add_test (tc, test_expr_refuses_bad_text_with_a_message);
  tcase_add_test (tc, test_figure_and_op_names_round_trip);
  tcase_add_test (tc, test_builtins_come_first_in_order_and_enabled);
  tcase_add_test (tc, test_enabled_false_turns_a_builtin_off);
  tcase_add_test (tc, test_override_of_for_keeps_builtin_expr_and_severity);
  tcase_add_test (tc, test_builtin_summary_follows_its_figure);
  tcase_add_test (tc, test_new_rule_is_appended_with_its_keys);
  tcase_add_test (tc, test_durations);
  tcase_add_test (tc, test_rules_load_refuses_bad_groups);
  tcase_add_test (tc, test_rules_load_refuses_a_long_name);
  tcase_add_test (tc, test_config_loader_hands_alert_groups_over);
  tcase_add_test (tc, test_fires_only_after_the_for_duration);
  tcase_add_test (tc, test_fires_at_once_with_for_zero);
  tcase_add_test (tc, test_no_second_notification_while_it_keeps_holding);
  tcase_add_test (tc, test_pending_that_drops_never_fires_and_starts_over);
  tcase_add_test (tc, test_resolves_once_when_the_condition_goes_false);
  tcase_add_test (tc, test_resolves_when_the_input_or_stream_is_gone);
  tcase_add_test (tc, test_nan_is_false);
  tcase_add_test (tc, test_two_inputs_of_a_stream_are_separate_instances);
  tcase_add_test (tc, test_stream_filter);
  tcase_add_test (tc, test_disabled_rules_never_fire);
  tcase_add_test (tc, test_notification_fields_and_types);
  tcase_add_test (tc, test_made_summary_and_value_formats);
  tcase_add_test (tc, test_ids_grow_by_one_across_rules);
  tcase_add_test (tc, test_recent_holds_the_100_newest_first);
  tcase_add_test (tc, test_rule_stats_count_instances_and_notifications);
  tcase_add_test (tc, test_to_json_lists_firing_recent_and_rules);
  tcase_add_test (tc, test_a_repeated_sample_counts_once);
  tcase_add_test (tc, test_rules_are_copied);
  tcase_add_test (tc, test_builtin_input_lost_fires_critical_at_once);
  tcase_add_test (tc, test_builtin_input_loss_fires_only_after_10s);
  tcase_add_test (tc, test_builtin_slate_fires_slate_on_air);
  tcase_add_test (tc, test_builtin_failover_fires_and_resolves);
  suite_add_tcase (s, property);
  tcase_set_timeout (property, 60);
  tcase_add_test (property, test_engine_matches_its_model_on_random_sequences);
  return s;
}

GST_CHECK_MAIN (hf_alerts);

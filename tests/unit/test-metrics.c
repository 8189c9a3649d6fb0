/* Unit tests of the Prometheus exposition (relay/hf-metrics.c) on
 * snapshots made by hand: every family is announced once (HELP, TYPE) with
 * its samples right after it, counters end in _total, values are in base
 * units (seconds, bytes per second), an unknown RTT is left out rather
 * than shown as 0, health is one sample per state with exactly one 1,
 * failovers carry from/to/reason, label values are escaped, and alert
 * figures appear only when there are alert rules.  (promtool checks the
 * real output of a running relay in tests/e2e/t-observe.sh.)
 */
#include <gst/check/gstcheck.h>
#include <math.h>
#include <string.h>

#include "relay/hf-relay.h"

/* A stream "main" with inputs @in0 and "backup", one SRT output. */
static void
hf_test_snapshot (HfStreamSnapshot * snap, const gchar * in0, gint on_air)
{
  HfInputSnapshot is = { 0 };
  HfOutputFigures of = { 0 };
  HfFailoverCount fc = { "primary", "backup", "input_lost", 3 };

  memset (snap, 0, sizeof (*snap));
  snap->name = "main";
  snap->on_air = on_air;
  snap->sw.switches = 4;
  snap->sw.slate_us_total = 1500000;
  snap->inputs = g_array_new (FALSE, TRUE, sizeof (HfInputSnapshot));
  snap->outputs = g_array_new (FALSE, TRUE, sizeof (HfOutputFigures));
  snap->failovers = g_array_new (FALSE, TRUE, sizeof (HfFailoverCount));

  is.name = in0;
  is.health = HF_HEALTH_LOST;
  is.on_air = on_air == 0;
  is.stats.packets = 1000;
  is.stats.bytes = 1316000;
  is.stats.bitrate_bps = 8000;
  is.stats.jitter_ms = 12.5;
  is.stats.rtt_ms = 250;
  is.stats.last_packet_age_ms = 1500;
  g_array_append_val (snap->inputs, is);
  memset (&is, 0, sizeof (is));
  is.name = "backup";
  is.health = HF_HEALTH_HEALTHY;
  is.on_air = on_air == 1;
  is.stats.rtt_ms = -1;
  is.stats.last_packet_age_ms = -1;
  g_array_append_val (snap->inputs, is);

  of.name = "out0";
  of.kind = HF_OUTPUT_SRT_LISTENER;
  of.viewers = 7;
  g_array_append_val (snap->outputs, of);
  g_array_append_val (snap->failovers, fc);
}

static gchar *
hf_test_render (HfStreamSnapshot * snap, HfAlerts * alerts)
{
  HfMetricsServer server = { 0 };
  GString *out = g_string_new (NULL);

  server.start_wall_us = G_GINT64_CONSTANT (1700000000500000);
  server.alerts = alerts;
  hf_metrics_render (out, snap, snap ? 1 : 0, &server);
  return g_string_free (out, FALSE);
}

static gboolean
hf_test_has_line (const gchar * text, const gchar * line)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  return g_strv_contains ((const gchar * const *) lines, line);
}

/* The family a sample belongs to: its name up to '{' or ' '. */
static gchar *
hf_test_sample_name (const gchar * line)
{
  return g_strndup (line, strcspn (line, "{ "));
}

GST_START_TEST (test_each_family_is_announced_once_with_its_samples_after)
{
  HfStreamSnapshot snap;
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  g_autofree gchar *current = NULL;
  guint i, families = 0;

  hf_test_snapshot (&snap, "primary", 0);
  text = hf_test_render (&snap, NULL);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] && lines[i][0]; i++) {
    if (g_str_has_prefix (lines[i], "# HELP ")) {
      g_auto (GStrv) w = g_strsplit (lines[i], " ", 4);

      fail_unless (g_strv_length (w) == 4, "HELP without text: %s", lines[i]);
      fail_if (g_hash_table_contains (seen, w[2]), "%s announced twice", w[2]);
      g_hash_table_add (seen, g_strdup (w[2]));
      g_free (current);
      current = g_strdup (w[2]);
      families++;
      /* TYPE follows HELP. */
      fail_unless (lines[i + 1] != NULL);
      fail_unless (g_str_has_prefix (lines[i + 1], "# TYPE "));
      {
        g_auto (GStrv) t = g_strsplit (lines[i + 1], " ", 4);

        fail_unless_equals_string (t[2], current);
        fail_unless (g_str_equal (t[3], "counter") ||
            g_str_equal (t[3], "gauge"), "type %s", t[3]);
        if (g_str_equal (t[3], "counter"))
          fail_unless (g_str_has_suffix (current, "_total"),
              "counter %s does not end in _total", current);
        else
          fail_if (g_str_has_suffix (current, "_total"),
              "gauge %s ends in _total", current);
        fail_unless (g_str_has_prefix (current, "holdfast_"));
      }
      i++;
    } else {
      g_autofree gchar *name = hf_test_sample_name (lines[i]);

      fail_if (lines[i][0] == '#', "stray comment: %s", lines[i]);
      fail_unless (current != NULL, "sample before any family: %s", lines[i]);
      fail_unless_equals_string (name, current);
    }
  }
  fail_unless (families >= 30, "only %u families", families);
  fail_unless (g_str_has_suffix (text, "\n"));
  hf_stream_snapshot_clear (&snap);
}

GST_END_TEST;

GST_START_TEST (test_values_are_in_base_units)
{
  HfStreamSnapshot snap;
  g_autofree gchar *text = NULL;

  hf_test_snapshot (&snap, "primary", 0);
  text = hf_test_render (&snap, NULL);
  fail_unless (hf_test_has_line (text,
          "holdfast_input_rtt_seconds{stream=\"main\",input=\"primary\"} 0.25"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_jitter_seconds{stream=\"main\",input=\"primary\"} 0.0125"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_receive_bytes_per_second{stream=\"main\",input=\"primary\"} 1000"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_last_packet_age_seconds{stream=\"main\",input=\"primary\"} 1.5"));
  fail_unless (hf_test_has_line (text,
          "holdfast_stream_slate_seconds_total{stream=\"main\"} 1.5"));
  fail_unless (hf_test_has_line (text,
          "holdfast_start_time_seconds 1700000000.5"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_bytes_total{stream=\"main\",input=\"primary\"} 1316000"));
  /* Unknown is absent, not 0. */
  fail_if (strstr (text,
          "holdfast_input_rtt_seconds{stream=\"main\",input=\"backup\"}"));
  fail_if (strstr (text,
          "holdfast_input_last_packet_age_seconds{stream=\"main\",input=\"backup\"}"));
  hf_stream_snapshot_clear (&snap);
}

GST_END_TEST;

GST_START_TEST (test_repair_rate_and_rung_figures)
{
  HfStreamSnapshot snap;
  HfInputSnapshot *in;
  HfOutputFigures rtp = { 0 };
  g_autofree gchar *text = NULL;

  hf_test_snapshot (&snap, "primary", 0);
  in = &g_array_index (snap.inputs, HfInputSnapshot, 0);
  in->stats.fec_recovered = 12;
  in->stats.fec_packets = 300;
  in->stats.fec_overhead_ratio = 0.1;
  in->stats.rtx_requested = 40;
  in->stats.rtx_received = 38;
  in->stats.residual_lost = 2;
  in->stats.residual_loss_ratio = 0.001;
  in->stats.target_bitrate_bps = 1500000;
  in->stats.queue_delay_ms = 35;
  rtp.name = "edge";
  rtp.kind = HF_OUTPUT_RTP;
  rtp.rung = 2;
  rtp.rung_bitrate_bps = 500000;
  rtp.rung_switches = 3;
  rtp.rtx_sent = 17;
  rtp.fec_packets = 90;
  rtp.fec_percent = 12.5;
  g_array_append_val (snap.outputs, rtp);
  text = hf_test_render (&snap, NULL);

  fail_unless (hf_test_has_line (text,
          "holdfast_input_fec_recovered_packets_total{stream=\"main\",input=\"primary\"} 12"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_fec_packets_total{stream=\"main\",input=\"primary\"} 300"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_fec_overhead_ratio{stream=\"main\",input=\"primary\"} 0.1"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_rtx_requested_packets_total{stream=\"main\",input=\"primary\"} 40"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_rtx_received_packets_total{stream=\"main\",input=\"primary\"} 38"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_residual_lost_packets_total{stream=\"main\",input=\"primary\"} 2"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_residual_loss_ratio{stream=\"main\",input=\"primary\"} 0.001"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_target_bitrate_bps{stream=\"main\",input=\"primary\"} 1500000"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_queue_delay_seconds{stream=\"main\",input=\"primary\"} 0.035"));
  /* No target sent to the backup's pusher: absent, not 0. */
  fail_if (strstr (text,
          "holdfast_input_target_bitrate_bps{stream=\"main\",input=\"backup\"}"));

  fail_unless (hf_test_has_line (text,
          "holdfast_output_rung{stream=\"main\",output=\"out0\"} 0"));
  fail_unless (hf_test_has_line (text,
          "holdfast_output_rung{stream=\"main\",output=\"edge\"} 2"));
  fail_unless (hf_test_has_line (text,
          "holdfast_output_rung_switches_total{stream=\"main\",output=\"edge\"} 3"));
  fail_unless (hf_test_has_line (text,
          "holdfast_output_rtx_sent_packets_total{stream=\"main\",output=\"edge\"} 17"));
  fail_unless (hf_test_has_line (text,
          "holdfast_output_fec_packets_total{stream=\"main\",output=\"edge\"} 90"));
  fail_unless (hf_test_has_line (text,
          "holdfast_output_fec_overhead_percent{stream=\"main\",output=\"edge\"} 12.5"));
  /* RTP repair figures only for RTP outputs. */
  fail_if (strstr (text,
          "holdfast_output_rtx_sent_packets_total{stream=\"main\",output=\"out0\"}"));
  fail_if (strstr (text,
          "holdfast_output_fec_overhead_percent{stream=\"main\",output=\"out0\"}"));
  hf_stream_snapshot_clear (&snap);
}

GST_END_TEST;

GST_START_TEST (test_health_is_one_sample_per_state_with_one_set)
{
  static const gchar *states[] = { "idle", "healthy", "degraded", "lost" };
  HfStreamSnapshot snap;
  g_autofree gchar *text = NULL;
  guint k;

  hf_test_snapshot (&snap, "primary", 1);
  text = hf_test_render (&snap, NULL);
  for (k = 0; k < G_N_ELEMENTS (states); k++) {
    g_autofree gchar *pri = g_strdup_printf ("holdfast_input_health{stream="
        "\"main\",input=\"primary\",state=\"%s\"} %d", states[k], k == 3);
    g_autofree gchar *bak = g_strdup_printf ("holdfast_input_health{stream="
        "\"main\",input=\"backup\",state=\"%s\"} %d", states[k], k == 1);

    fail_unless (hf_test_has_line (text, pri), "missing %s", pri);
    fail_unless (hf_test_has_line (text, bak), "missing %s", bak);
  }
  fail_unless (hf_test_has_line (text,
          "holdfast_input_on_air{stream=\"main\",input=\"backup\"} 1"));
  fail_unless (hf_test_has_line (text,
          "holdfast_input_on_air{stream=\"main\",input=\"primary\"} 0"));
  fail_unless (hf_test_has_line (text,
          "holdfast_stream_slate_on_air{stream=\"main\"} 0"));
  hf_stream_snapshot_clear (&snap);
}

GST_END_TEST;

GST_START_TEST (test_slate_on_air_shows_no_input_on_air)
{
  HfStreamSnapshot snap;
  g_autofree gchar *text = NULL;

  hf_test_snapshot (&snap, "primary", HF_SNAPSHOT_SLATE);
  text = hf_test_render (&snap, NULL);
  fail_unless (hf_test_has_line (text,
          "holdfast_stream_slate_on_air{stream=\"main\"} 1"));
  fail_if (strstr (text, "holdfast_input_on_air{stream=\"main\",input="
          "\"primary\"} 1"));
  fail_if (strstr (text, "holdfast_input_on_air{stream=\"main\",input="
          "\"backup\"} 1"));
  hf_stream_snapshot_clear (&snap);
}

GST_END_TEST;

GST_START_TEST (test_failovers_carry_from_to_and_reason)
{
  HfStreamSnapshot snap;
  g_autofree gchar *text = NULL;

  hf_test_snapshot (&snap, "primary", 1);
  text = hf_test_render (&snap, NULL);
  fail_unless (hf_test_has_line (text,
          "holdfast_stream_failovers_total{stream=\"main\",from=\"primary\","
          "to=\"backup\",reason=\"input_lost\"} 3"));
  fail_unless (hf_test_has_line (text,
          "holdfast_output_viewers{stream=\"main\",output=\"out0\","
          "kind=\"srt-listener\"} 7"));
  hf_stream_snapshot_clear (&snap);
}

GST_END_TEST;

GST_START_TEST (test_label_values_are_escaped)
{
  HfStreamSnapshot snap;
  g_autofree gchar *text = NULL;

  hf_test_snapshot (&snap, "a\"b\\c\nd", 0);
  text = hf_test_render (&snap, NULL);
  fail_unless (hf_test_has_line (text,
          "holdfast_input_packets_total{stream=\"main\",input=\"a\\\"b\\\\c"
          "\\nd\"} 1000"), "%s", text);
  hf_stream_snapshot_clear (&snap);
}

GST_END_TEST;

GST_START_TEST (test_alert_figures_only_with_rules)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GPtrArray) rules = NULL;
  g_autofree gchar *without = NULL;
  g_autofree gchar *with = NULL;
  HfAlerts *alerts;

  without = hf_test_render (NULL, NULL);
  fail_if (strstr (without, "holdfast_alerts_firing"));
  fail_unless (hf_test_has_line (without, "holdfast_streams 0"));

  rules = hf_alert_rules_load (kf, NULL);
  fail_unless (rules != NULL);
  alerts = hf_alerts_new (rules);
  with = hf_test_render (NULL, alerts);
  fail_unless (hf_test_has_line (with,
          "holdfast_alerts_firing{alert=\"input-lost\",severity=\"critical\"} 0"));
  fail_unless (hf_test_has_line (with,
          "holdfast_alert_notifications_total{alert=\"failover\","
          "severity=\"warning\",state=\"resolved\"} 0"));
  hf_alerts_free (alerts);
}

GST_END_TEST;

static Suite *
hf_metrics_suite (void)
{
  Suite *s = suite_create ("hf-metrics");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc,
      test_each_family_is_announced_once_with_its_samples_after);
  tcase_add_test (tc, test_values_are_in_base_units);
  tcase_add_test (tc, test_repair_rate_and_rung_figures);
  tcase_add_test (tc, test_health_is_one_sample_per_state_with_one_set);
  tcase_add_test (tc, test_slate_on_air_shows_no_input_on_air);
  tcase_add_test (tc, test_failovers_carry_from_to_and_reason);
  tcase_add_test (tc, test_label_values_are_escaped);
  tcase_add_test (tc, test_alert_figures_only_with_rules);
  return s;
}

GST_CHECK_MAIN (hf_metrics);

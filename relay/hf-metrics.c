/* GET /metrics: the relay's figures in the Prometheus text exposition
 * format (version 0.0.4), as MediaMTX and SRS export theirs and as
 * engineers ask of them: per stream and input packets, bytes, loss,
 * jitter, RTT, bitrate, health, what is on air, failovers by cause, slate
 * time, viewers per output; then alerts and webhook deliveries.
 *
 * Names start with holdfast_, are in base units (seconds, bytes, ratios
 * 0..1) and counters end in _total, so that promtool's lint passes and
 * rate() reads naturally.  Each family is written once, with its HELP and
 * TYPE, and then every stream's samples of it: the format wants a family's
 * samples together.  Enum-like states (health) are one sample per state,
 * 1 for the current one, so that a dashboard can colour by state and an
 * alert can sum them.
 *
 * Pure: snapshots in, text out; the API calls it on the control thread.
 */
#include "relay/relay-private.h"

#include <math.h>
#include <string.h>

/* Label values as the format wants them: backslash, double quote and
 * line feed escaped. */
static void
hf_metrics_append_escaped (GString * out, const gchar * value)
{
  const gchar *p;

  for (p = value ? value : ""; *p; p++) {
    if (*p == '\\')
      g_string_append (out, "\\\\");
    else if (*p == '"')
      g_string_append (out, "\\\"");
    else if (*p == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *p);
  }
}

static void
hf_metrics_family (GString * out, const gchar * name, const gchar * type,
    const gchar * help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
      name, type);
}

/* One sample: @name{k1="v1",...} value.  @labels: NULL-terminated pairs. */
static void
hf_metrics_sample_v (GString * out, const gchar * name, gdouble value,
    const gchar * const *labels)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  guint i;

  g_string_append (out, name);
  if (labels && labels[0]) {
    g_string_append_c (out, '{');
    for (i = 0; labels[i] && labels[i + 1]; i += 2) {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_printf (out, "%s=\"", labels[i]);
      hf_metrics_append_escaped (out, labels[i + 1]);
      g_string_append_c (out, '"');
    }
    g_string_append_c (out, '}');
  }
  g_string_append_c (out, ' ');
  if (isnan (value))
    g_string_append (out, "NaN");
  else if (isinf (value))
    g_string_append (out, value > 0 ? "+Inf" : "-Inf");
  else if (value == floor (value) && fabs (value) < 1e15)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) value);
  else                          /* 12 digits: readable, and plenty */
    g_string_append (out, g_ascii_formatd (buf, sizeof (buf), "%.12g", value));
  g_string_append_c (out, '\n');
}

#define HF_SAMPLE(out, name, value, ...) \
  G_STMT_START { \
    const gchar *const hf_labels_[] = { __VA_ARGS__, NULL }; \
    hf_metrics_sample_v (out, name, value, hf_labels_); \
  } G_STMT_END

/* A figure of every input of every stream. */
typedef gdouble (*HfInputFigureFunc) (const HfInputSnapshot * in);

static void
hf_metrics_inputs (GString * out, const HfStreamSnapshot * snaps, guint n,
    const gchar * name, const gchar * type, const gchar * help,
    HfInputFigureFunc figure, gboolean skip_nan)
{
  guint s, i;

  hf_metrics_family (out, name, type, help);
  for (s = 0; s < n; s++) {
    for (i = 0; i < snaps[s].inputs->len; i++) {
      const HfInputSnapshot *in = &g_array_index (snaps[s].inputs,
          HfInputSnapshot, i);
      gdouble v = figure (in);

      if (skip_nan && isnan (v))
        continue;
      HF_SAMPLE (out, name, v, "stream", snaps[s].name, "input", in->name);
    }
  }
}

static gdouble
hf_fig_packets (const HfInputSnapshot * in)
{
  return in->stats.packets;
}

static gdouble
hf_fig_bytes (const HfInputSnapshot * in)
{
  return in->stats.bytes;
}

static gdouble
hf_fig_lost (const HfInputSnapshot * in)
{
  return in->stats.packets_lost;
}

static gdouble
hf_fig_malformed (const HfInputSnapshot * in)
{
  return in->stats.malformed_packets;
}

static gdouble
hf_fig_restarts (const HfInputSnapshot * in)
{
  return in->stats.restarts;
}

static gdouble
hf_fig_frames (const HfInputSnapshot * in)
{
  return in->stats.access_units;
}

static gdouble
hf_fig_loss_ratio (const HfInputSnapshot * in)
{
  return in->stats.loss_ratio;
}

static gdouble
hf_fig_jitter (const HfInputSnapshot * in)
{
  return in->stats.jitter_ms / 1000.0;
}

static gdouble
hf_fig_rtt (const HfInputSnapshot * in)
{
  return in->stats.rtt_ms >= 0 ? in->stats.rtt_ms / 1000.0 : NAN;
}

static gdouble
hf_fig_rate (const HfInputSnapshot * in)
{
  return in->stats.bitrate_bps / 8.0;
}

static gdouble
hf_fig_age (const HfInputSnapshot * in)
{
  return in->stats.last_packet_age_ms >= 0 ?
      in->stats.last_packet_age_ms / 1000.0 : NAN;
}

static gdouble
hf_fig_on_air (const HfInputSnapshot * in)
{
  return in->on_air ? 1 : 0;
}

static gdouble
hf_fig_fec_recovered (const HfInputSnapshot * in)
{
  return in->stats.fec_recovered;
}

static gdouble
hf_fig_fec_packets (const HfInputSnapshot * in)
{
  return in->stats.fec_packets;
}

static gdouble
hf_fig_fec_overhead (const HfInputSnapshot * in)
{
  return in->stats.fec_overhead_ratio;
}

static gdouble
hf_fig_rtx_requested (const HfInputSnapshot * in)
{
  return in->stats.rtx_requested;
}

static gdouble
hf_fig_rtx_received (const HfInputSnapshot * in)
{
  return in->stats.rtx_received;
}

static gdouble
hf_fig_residual_lost (const HfInputSnapshot * in)
{
  return in->stats.residual_lost;
}

static gdouble
hf_fig_residual_loss_ratio (const HfInputSnapshot * in)
{
  return in->stats.residual_loss_ratio;
}

static gdouble
hf_fig_target_bitrate (const HfInputSnapshot * in)
{
  return in->stats.target_bitrate_bps > 0 ?
      (gdouble) in->stats.target_bitrate_bps : NAN;
}

static gdouble
hf_fig_queue_delay (const HfInputSnapshot * in)
{
  return in->stats.queue_delay_ms / 1000.0;
}

/* A figure of every output of every stream; NAN: no sample (e.g. an RTP
 * figure of an SRT output). */
typedef gdouble (*HfOutputFigureFunc) (const HfOutputFigures * o);

static void
hf_metrics_outputs (GString * out, const HfStreamSnapshot * snaps, guint n,
    const gchar * name, const gchar * type, const gchar * help,
    HfOutputFigureFunc figure, gboolean skip_nan)
{
  guint s, i;

  hf_metrics_family (out, name, type, help);
  for (s = 0; s < n; s++) {
    for (i = 0; i < snaps[s].outputs->len; i++) {
      const HfOutputFigures *o = &g_array_index (snaps[s].outputs,
          HfOutputFigures, i);
      gdouble v = figure (o);

      if (skip_nan && isnan (v))
        continue;
      HF_SAMPLE (out, name, v, "stream", snaps[s].name, "output", o->name);
    }
  }
}

static gdouble
hf_ofig_rung (const HfOutputFigures * o)
{
  return o->rung;
}

static gdouble
hf_ofig_rung_switches (const HfOutputFigures * o)
{
  return o->rung_switches;
}

static gdouble
hf_ofig_rtx_sent (const HfOutputFigures * o)
{
  return o->kind == HF_OUTPUT_RTP ? (gdouble) o->rtx_sent : NAN;
}

static gdouble
hf_ofig_fec_packets (const HfOutputFigures * o)
{
  return o->kind == HF_OUTPUT_RTP ? (gdouble) o->fec_packets : NAN;
}

static gdouble
hf_ofig_fec_percent (const HfOutputFigures * o)
{
  return o->kind == HF_OUTPUT_RTP ? o->fec_percent : NAN;
}

static void
hf_metrics_streams (GString * out, const HfStreamSnapshot * snaps, guint n)
{
  static const HfHealthState states[] = { HF_HEALTH_IDLE, HF_HEALTH_HEALTHY,
    HF_HEALTH_DEGRADED, HF_HEALTH_LOST
  };
  guint s, i, k;

  hf_metrics_inputs (out, snaps, n, "holdfast_input_packets_total",
      "counter", "Packets received on the input.", hf_fig_packets, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_bytes_total", "counter",
      "Bytes received on the input.", hf_fig_bytes, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_packets_lost_total",
      "counter", "Packets the input lost (sequence gaps, or SRT's count).",
      hf_fig_lost, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_malformed_packets_total",
      "counter", "Packets dropped as not parseable.", hf_fig_malformed, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_restarts_total",
      "counter", "Times the input's source ended or failed and was restarted.",
      hf_fig_restarts, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_frames_total",
      "counter", "Access units (frames) the input handed on.", hf_fig_frames,
      FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_loss_ratio", "gauge",
      "Share of packets lost over the last stats interval (about 1 s), 0..1.",
      hf_fig_loss_ratio, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_jitter_seconds", "gauge",
      "Interarrival jitter (RFC 3550) of the input.", hf_fig_jitter, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_rtt_seconds", "gauge",
      "Round-trip time to the pusher (SRT inputs only).", hf_fig_rtt, TRUE);
  hf_metrics_inputs (out, snaps, n,
      "holdfast_input_receive_bytes_per_second", "gauge",
      "Receive rate over the last second, in bytes per second (x8 for the "
      "bitrate).", hf_fig_rate, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_last_packet_age_seconds",
      "gauge", "Time since the input's last packet (absent before the first).",
      hf_fig_age, TRUE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_on_air", "gauge",
      "1 for the input on air, else 0.", hf_fig_on_air, FALSE);
  hf_metrics_inputs (out, snaps, n,
      "holdfast_input_fec_recovered_packets_total", "counter",
      "Media packets of the input rebuilt by FEC.", hf_fig_fec_recovered,
      FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_fec_packets_total",
      "counter", "FEC packets received on the input.", hf_fig_fec_packets,
      FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_fec_overhead_ratio",
      "gauge", "FEC packets per media packet over the last stats interval.",
      hf_fig_fec_overhead, FALSE);
  hf_metrics_inputs (out, snaps, n,
      "holdfast_input_rtx_requested_packets_total", "counter",
      "Packets the input asked the sender to retransmit (NACK).",
      hf_fig_rtx_requested, FALSE);
  hf_metrics_inputs (out, snaps, n,
      "holdfast_input_rtx_received_packets_total", "counter",
      "Retransmissions that arrived on the input.", hf_fig_rtx_received, FALSE);
  hf_metrics_inputs (out, snaps, n,
      "holdfast_input_residual_lost_packets_total", "counter",
      "Packets still lost after FEC and retransmission.",
      hf_fig_residual_lost, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_residual_loss_ratio",
      "gauge", "Share of packets lost after repair over the last stats "
      "interval, 0..1.", hf_fig_residual_loss_ratio, FALSE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_target_bitrate_bps",
      "gauge", "Bitrate the pusher was last asked for (REMB/TMMBR), in bits "
      "per second (absent when none).", hf_fig_target_bitrate, TRUE);
  hf_metrics_inputs (out, snaps, n, "holdfast_input_queue_delay_seconds",
      "gauge", "Estimated queueing delay on the input's link.",
      hf_fig_queue_delay, FALSE);

  hf_metrics_family (out, "holdfast_input_health", "gauge",
      "The input's health: 1 for its current state, 0 for the others.");
  for (s = 0; s < n; s++) {
    for (i = 0; i < snaps[s].inputs->len; i++) {
      const HfInputSnapshot *in = &g_array_index (snaps[s].inputs,
          HfInputSnapshot, i);

      for (k = 0; k < G_N_ELEMENTS (states); k++)
        HF_SAMPLE (out, "holdfast_input_health", in->health == states[k],
            "stream", snaps[s].name, "input", in->name, "state",
            hf_health_state_to_string (states[k]));
    }
  }

  hf_metrics_family (out, "holdfast_stream_slate_on_air", "gauge",
      "1 while the stream shows the slate (no input alive), else 0.");
  for (s = 0; s < n; s++)
    HF_SAMPLE (out, "holdfast_stream_slate_on_air",
        snaps[s].on_air == HF_SNAPSHOT_SLATE, "stream", snaps[s].name);

  hf_metrics_family (out, "holdfast_stream_failovers_total", "counter",
      "Automatic failovers away from an input on air, by the input left, "
      "where to (an input, slate or none) and why (input_lost, "
      "input_degraded, other).");
  for (s = 0; s < n; s++) {
    for (i = 0; i < snaps[s].failovers->len; i++) {
      const HfFailoverCount *f = &g_array_index (snaps[s].failovers,
          HfFailoverCount, i);

      HF_SAMPLE (out, "holdfast_stream_failovers_total", f->count, "stream",
          snaps[s].name, "from", f->from, "to", f->to, "reason", f->reason);
    }
  }

  hf_metrics_family (out, "holdfast_stream_switches_total", "counter",
      "Takes of a new source on air (the slate's included).");
  for (s = 0; s < n; s++)
    HF_SAMPLE (out, "holdfast_stream_switches_total", snaps[s].sw.switches,
        "stream", snaps[s].name);
  hf_metrics_family (out, "holdfast_stream_reverts_total", "counter",
      "Returns to a higher-priority input after its hold-down.");
  for (s = 0; s < n; s++)
    HF_SAMPLE (out, "holdfast_stream_reverts_total", snaps[s].sw.reverts,
        "stream", snaps[s].name);
  hf_metrics_family (out, "holdfast_stream_manual_switches_total", "counter",
      "Switches an operator asked for.");
  for (s = 0; s < n; s++)
    HF_SAMPLE (out, "holdfast_stream_manual_switches_total",
        snaps[s].sw.manual_switches, "stream", snaps[s].name);
  hf_metrics_family (out, "holdfast_stream_slate_seconds_total", "counter",
      "Time the slate was on air.");
  for (s = 0; s < n; s++)
    HF_SAMPLE (out, "holdfast_stream_slate_seconds_total",
        snaps[s].sw.slate_us_total / 1e6, "stream", snaps[s].name);
  hf_metrics_family (out, "holdfast_stream_program_bytes_total", "counter",
      "MPEG-TS bytes of the program sent to the outputs.");
  for (s = 0; s < n; s++)
    HF_SAMPLE (out, "holdfast_stream_program_bytes_total",
        snaps[s].program_bytes, "stream", snaps[s].name);
  hf_metrics_family (out, "holdfast_stream_program_restarts_total", "counter",
      "Times the program (mux) was rebuilt.");
  for (s = 0; s < n; s++)
    HF_SAMPLE (out, "holdfast_stream_program_restarts_total",
        snaps[s].program_restarts, "stream", snaps[s].name);
  hf_metrics_family (out, "holdfast_stream_video_frames_total", "counter",
      "Video frames the program carried (the slate's included).");
  for (s = 0; s < n; s++)
    HF_SAMPLE (out, "holdfast_stream_video_frames_total",
        snaps[s].sw.video_out, "stream", snaps[s].name);

  hf_metrics_family (out, "holdfast_output_viewers", "gauge",
      "Viewers connected to the output (an RTP output: 1 once sending).");
  for (s = 0; s < n; s++) {
    for (i = 0; i < snaps[s].outputs->len; i++) {
      const HfOutputFigures *o = &g_array_index (snaps[s].outputs,
          HfOutputFigures, i);

      HF_SAMPLE (out, "holdfast_output_viewers", o->viewers, "stream",
          snaps[s].name, "output", o->name, "kind",
          hf_output_kind_to_string (o->kind));
    }
  }
  hf_metrics_family (out, "holdfast_output_connections_total", "counter",
      "Viewer connections accepted or established.");
  for (s = 0; s < n; s++) {
    for (i = 0; i < snaps[s].outputs->len; i++) {
      const HfOutputFigures *o = &g_array_index (snaps[s].outputs,
          HfOutputFigures, i);

      HF_SAMPLE (out, "holdfast_output_connections_total", o->connections,
          "stream", snaps[s].name, "output", o->name);
    }
  }
  hf_metrics_family (out, "holdfast_output_sent_bytes_total", "counter",
      "Bytes sent to the output's viewers.");
  for (s = 0; s < n; s++) {
    for (i = 0; i < snaps[s].outputs->len; i++) {
      const HfOutputFigures *o = &g_array_index (snaps[s].outputs,
          HfOutputFigures, i);

      HF_SAMPLE (out, "holdfast_output_sent_bytes_total", o->bytes_sent,
          "stream", snaps[s].name, "output", o->name);
    }
  }
  hf_metrics_family (out, "holdfast_output_dropped_packets_total", "counter",
      "Packets not sent because a viewer's buffer was full.");
  for (s = 0; s < n; s++) {
    for (i = 0; i < snaps[s].outputs->len; i++) {
      const HfOutputFigures *o = &g_array_index (snaps[s].outputs,
          HfOutputFigures, i);

      HF_SAMPLE (out, "holdfast_output_dropped_packets_total",
          o->dropped_packets, "stream", snaps[s].name, "output", o->name);
    }
  }
  hf_metrics_outputs (out, snaps, n, "holdfast_output_rung", "gauge",
      "Rendition-ladder rung the output sends (0 is the top; the program "
      "itself when the stream has no ladder).", hf_ofig_rung, FALSE);
  hf_metrics_outputs (out, snaps, n, "holdfast_output_rung_switches_total",
      "counter", "Rung changes of the output (at keyframes).",
      hf_ofig_rung_switches, FALSE);
  hf_metrics_outputs (out, snaps, n, "holdfast_output_rtx_sent_packets_total",
      "counter", "Retransmissions (RFC 4588) sent on the RTP output.",
      hf_ofig_rtx_sent, TRUE);
  hf_metrics_outputs (out, snaps, n, "holdfast_output_fec_packets_total",
      "counter", "FEC packets sent on the RTP output.", hf_ofig_fec_packets,
      TRUE);
  hf_metrics_outputs (out, snaps, n, "holdfast_output_fec_overhead_percent",
      "gauge", "Current FEC overhead of the RTP output, in percent of the "
      "media packets.", hf_ofig_fec_percent, TRUE);
}

static void
hf_metrics_alerts (GString * out, HfAlerts * alerts)
{
  guint i, n = hf_alerts_get_n_rules (alerts);
  HfAlertRuleStats st;

  hf_metrics_family (out, "holdfast_alerts_firing", "gauge",
      "Instances of the alert rule firing now.");
  for (i = 0; i < n; i++) {
    hf_alerts_get_rule_stats (alerts, i, &st);
    HF_SAMPLE (out, "holdfast_alerts_firing", st.firing, "alert",
        st.rule->name, "severity",
        hf_alert_severity_to_string (st.rule->severity));
  }
  hf_metrics_family (out, "holdfast_alerts_pending", "gauge",
      "Instances whose condition holds, not yet for the rule's duration.");
  for (i = 0; i < n; i++) {
    hf_alerts_get_rule_stats (alerts, i, &st);
    HF_SAMPLE (out, "holdfast_alerts_pending", st.pending, "alert",
        st.rule->name);
  }
  hf_metrics_family (out, "holdfast_alert_notifications_total", "counter",
      "Alert notifications made, by rule and state (firing, resolved).");
  for (i = 0; i < n; i++) {
    hf_alerts_get_rule_stats (alerts, i, &st);
    HF_SAMPLE (out, "holdfast_alert_notifications_total", st.fired_total,
        "alert", st.rule->name, "severity",
        hf_alert_severity_to_string (st.rule->severity), "state", "firing");
    HF_SAMPLE (out, "holdfast_alert_notifications_total", st.resolved_total,
        "alert", st.rule->name, "severity",
        hf_alert_severity_to_string (st.rule->severity), "state", "resolved");
  }
}

static void
hf_metrics_webhooks (GString * out, GPtrArray * webhooks)
{
  HfWebhookStats st;
  guint i;

  hf_metrics_family (out, "holdfast_webhook_attempts_total", "counter",
      "HTTP POSTs of alert notifications, retries included.");
  for (i = 0; i < webhooks->len; i++) {
    HfWebhook *w = g_ptr_array_index (webhooks, i);

    hf_webhook_get_stats (w, &st);
    HF_SAMPLE (out, "holdfast_webhook_attempts_total", st.attempts, "url",
        hf_webhook_get_url (w));
  }
  hf_metrics_family (out, "holdfast_webhook_failed_attempts_total",
      "counter", "POSTs that failed (no answer, timeout, not 2xx).");
  for (i = 0; i < webhooks->len; i++) {
    HfWebhook *w = g_ptr_array_index (webhooks, i);

    hf_webhook_get_stats (w, &st);
    HF_SAMPLE (out, "holdfast_webhook_failed_attempts_total",
        st.failed_attempts, "url", hf_webhook_get_url (w));
  }
  hf_metrics_family (out, "holdfast_webhook_notifications_total", "counter",
      "Notifications by outcome: delivered, given_up (after every attempt "
      "failed), dropped (queue full).");
  for (i = 0; i < webhooks->len; i++) {
    HfWebhook *w = g_ptr_array_index (webhooks, i);
    const gchar *url = hf_webhook_get_url (w);

    hf_webhook_get_stats (w, &st);
    HF_SAMPLE (out, "holdfast_webhook_notifications_total", st.delivered,
        "url", url, "result", "delivered");
    HF_SAMPLE (out, "holdfast_webhook_notifications_total", st.given_up,
        "url", url, "result", "given_up");
    HF_SAMPLE (out, "holdfast_webhook_notifications_total", st.dropped,
        "url", url, "result", "dropped");
  }
  hf_metrics_family (out, "holdfast_webhook_waiting_notifications", "gauge",
      "Notifications queued for the URL, the one in flight included.");
  for (i = 0; i < webhooks->len; i++) {
    HfWebhook *w = g_ptr_array_index (webhooks, i);

    hf_webhook_get_stats (w, &st);
    HF_SAMPLE (out, "holdfast_webhook_waiting_notifications", st.waiting,
        "url", hf_webhook_get_url (w));
  }
}

/**
 * hf_metrics_render:
 * @out: (transfer none): the text is appended here
 * @snaps: (transfer none): @n_snaps stream snapshots
 * @server: (transfer none): the daemon's own figures
 *
 * Appends the whole exposition.  Any thread; pure.
 */
void
hf_metrics_render (GString * out, const HfStreamSnapshot * snaps,
    guint n_snaps, const HfMetricsServer * server)
{
  g_autofree gchar *gst = gst_version_string ();

  hf_metrics_family (out, "holdfast_build_info", "gauge",
      "Always 1; the labels say which build this is.");
  HF_SAMPLE (out, "holdfast_build_info", 1, "version", HF_VERSION,
      "gstreamer", gst);
  hf_metrics_family (out, "holdfast_start_time_seconds", "gauge",
      "When the relay started, in seconds since the Unix epoch.");
  HF_SAMPLE (out, "holdfast_start_time_seconds",
      server->start_wall_us / 1e6, NULL);
  hf_metrics_family (out, "holdfast_streams", "gauge",
      "Streams the relay serves.");
  HF_SAMPLE (out, "holdfast_streams", n_snaps, NULL);
  hf_metrics_family (out, "holdfast_http_requests_total", "counter",
      "HTTP requests answered by the API.");
  HF_SAMPLE (out, "holdfast_http_requests_total", server->http_requests, NULL);
  hf_metrics_family (out, "holdfast_http_bad_requests_total", "counter",
      "HTTP requests refused as malformed.");
  HF_SAMPLE (out, "holdfast_http_bad_requests_total",
      server->http_bad_requests, NULL);
  hf_metrics_family (out, "holdfast_events_total", "counter",
      "Events in the relay's event log so far (switches, health changes...).");
  HF_SAMPLE (out, "holdfast_events_total", server->events_total, NULL);
  hf_metrics_family (out, "holdfast_event_stream_clients", "gauge",
      "Clients of the live event stream (GET /api/v1/events/stream).");
  HF_SAMPLE (out, "holdfast_event_stream_clients", server->sse_clients, NULL);
  hf_metrics_family (out, "holdfast_event_stream_dropped_clients_total",
      "counter", "Event stream clients cut off for not reading (4 MB "
      "unsent).");
  HF_SAMPLE (out, "holdfast_event_stream_dropped_clients_total",
      server->sse_dropped_slow, NULL);

  hf_metrics_streams (out, snaps, n_snaps);
  if (server->alerts)
    hf_metrics_alerts (out, server->alerts);
  if (server->webhooks)
    hf_metrics_webhooks (out, server->webhooks);
}

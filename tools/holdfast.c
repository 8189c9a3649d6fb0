/* holdfast: the relay daemon.
 *
 *   holdfast --config FILE
 *
 * Loads and validates the config (exit 2 with a message naming the group
 * and key if it is wrong), starts every stream and the HTTP API, and runs
 * the control GMainContext until SIGINT or SIGTERM, then stops cleanly.
 * One event log is shared by every stream (they write their transitions to
 * it) and the API (which serves it); it outlives both.
 */
#include "relay/hf-relay.h"
#include "ingest/hf-fec.h"
#include "abr/hf-abr.h"

#include <glib-unix.h>
#include <locale.h>

GST_DEBUG_CATEGORY_STATIC (hf_main_debug);
#define GST_CAT_DEFAULT hf_main_debug

/* Events kept for GET /api/v1/events: minutes of a busy night's flapping,
 * for a few hundred kilobytes. */
#define HF_MAIN_EVENTS_CAPACITY 1024

/* Alert rules are evaluated this often: an input lost is told within
 * half a second of the relay deciding it. */
#define HF_MAIN_ALERTS_MS 500

typedef struct
{
  GMainLoop *loop;
  GPtrArray *streams;
  HfEvents *events;
  HfAlerts *alerts;
  GPtrArray *webhooks;          /* (element-type HfWebhook) */
  HfApi *api;
  gint signal_name;
} HfDaemon;

/* Frees what main () made, in dependency order: the streams write to the
 * event log, so it goes last. */
static void
hf_main_cleanup (HfDaemon * d)
{
  g_clear_pointer (&d->api, hf_api_free);
  g_clear_pointer (&d->webhooks, g_ptr_array_unref);
  g_clear_pointer (&d->alerts, hf_alerts_free);
  g_clear_pointer (&d->streams, g_ptr_array_unref);
  g_clear_pointer (&d->events, hf_events_free);
  g_clear_pointer (&d->loop, g_main_loop_unref);
}

static gboolean
hf_main_on_signal (gpointer user_data)
{
  HfDaemon *d = user_data;

  g_printerr ("holdfast: stopping\n");
  g_main_loop_quit (d->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
hf_main_tick (gpointer user_data)
{
  HfDaemon *d = user_data;
  gint64 now = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < d->streams->len; i++)
    hf_stream_tick (g_ptr_array_index (d->streams, i), now);
  return G_SOURCE_CONTINUE;
}

/* Control thread: the outputs' link figures and rung choice. */
static gboolean
hf_main_tick_outputs (gpointer user_data)
{
  HfDaemon *d = user_data;
  gint64 now = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < d->streams->len; i++)
    hf_stream_tick_outputs (g_ptr_array_index (d->streams, i), now);
  return G_SOURCE_CONTINUE;
}

static gboolean
hf_main_alerts (gpointer user_data)
{
  HfDaemon *d = user_data;

  hf_api_evaluate_alerts (d->api, g_get_monotonic_time (), g_get_real_time ());
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *config_path = NULL;
  gboolean version = FALSE;
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HfConfig) config = NULL;
  HfDaemon d = { 0 };
  guint i, tick, alerts, out_tick;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
        "Config file (INI)", "FILE"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL},
    {NULL}
  };

  setlocale (LC_ALL, "");
  ctx = g_option_context_new ("- live-stream relay");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("holdfast: %s\n", error->message);
    return 2;
  }
  if (version) {
    g_print ("holdfast %s (%s)\n", HF_VERSION, gst_version_string ());
    return 0;
  }
  if (!config_path) {
    g_printerr ("holdfast: --config FILE is required\n");
    return 2;
  }
  GST_DEBUG_CATEGORY_INIT (hf_main_debug, "hf-main", 0, "Holdfast daemon");
  /* gst_init () ran in g_option_context_parse (): our elements can be
   * registered now, before any stream builds a pipeline with them. */
  if (!hf_failover_register_elements ()) {
    g_printerr ("holdfast: cannot register the failover elements\n");
    return 1;
  }
  /* The RTP outputs send through "hfrtpsink", which needs the FEC
   * encoder; the RTP inputs decode FEC with "hffecdec". */
  if (!hf_fec_register_elements () || !hf_abr_register_elements ()) {
    g_printerr ("holdfast: cannot register the FEC and ABR elements\n");
    return 1;
  }

  config = hf_config_load_file (config_path, &error);
  if (!config) {
    g_printerr ("holdfast: %s: %s\n", config_path, error->message);
    return 2;
  }

  d.loop = g_main_loop_new (NULL, FALSE);
  d.events = hf_events_new (HF_MAIN_EVENTS_CAPACITY);
  d.streams = g_ptr_array_new_with_free_func ((GDestroyNotify) hf_stream_free);
  for (i = 0; i < config->streams->len; i++) {
    HfStream *s = hf_stream_new (g_ptr_array_index (config->streams, i),
        d.events);

    g_ptr_array_add (d.streams, s);
    if (!hf_stream_start (s, &error)) {
      g_printerr ("holdfast: %s\n", error->message);
      hf_main_cleanup (&d);
      return 1;
    }
  }
  d.alerts = hf_alerts_new (config->alert_rules);
  d.webhooks = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_webhook_free);
  for (i = 0; config->webhooks && config->webhooks[i]; i++) {
    HfWebhook *w = hf_webhook_new (config->webhooks[i], config->webhook,
        &error);

    if (!w) {
      g_printerr ("holdfast: [server] webhook: %s\n", error->message);
      hf_main_cleanup (&d);
      return 2;
    }
    g_ptr_array_add (d.webhooks, w);
  }
  d.api = hf_api_new (config->http_host, config->http_port, d.streams,
      d.events, &error);
  if (!d.api) {
    g_printerr ("holdfast: %s\n", error->message);
    hf_main_cleanup (&d);
    return 1;
  }
  hf_api_set_alerts (d.api, d.alerts, d.webhooks);
  g_print ("holdfast %s: %u stream(s); API on http://%s:%u/api/v1/streams, "
      "dashboard on http://%s:%u/\n",
      HF_VERSION, d.streams->len, config->http_host, config->http_port,
      config->http_host, config->http_port);

  g_unix_signal_add (SIGINT, hf_main_on_signal, &d);
  g_unix_signal_add (SIGTERM, hf_main_on_signal, &d);
  tick = g_timeout_add (1000, hf_main_tick, &d);
  alerts = g_timeout_add (HF_MAIN_ALERTS_MS, hf_main_alerts, &d);
  out_tick = g_timeout_add (HF_STREAM_OUTPUT_TICK_MS, hf_main_tick_outputs, &d);
  g_main_loop_run (d.loop);

  g_source_remove (out_tick);
  g_source_remove (tick);
  g_source_remove (alerts);
  hf_main_cleanup (&d);
  gst_deinit ();
  return 0;
}

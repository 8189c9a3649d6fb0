/* hf-hooksink: a webhook receiver for tests and for trying a relay's
 * [server] webhook by hand.
 *
 *   hf-hooksink [--host 127.0.0.1] [--port 0] [--port-file F]
 *               [--fail-first N] [--fail-status 500] [--count N]
 *               [--timeout S]
 *
 * Answers every POST: the first N with --fail-status (to make the relay
 * retry), the others 204.  Prints one JSON line per request on stdout,
 * flushed at once: {"n", "mono_ms", "status" (what it answered), "path",
 * "content_type", "body" (the JSON it got, or a string when it was not
 * JSON)}.  Says where it listens on stderr (and writes the port to
 * --port-file, so that a test can use port 0).  Stops after --count
 * requests answered 2xx, after --timeout seconds, or on SIGINT/SIGTERM.
 *
 * Threads: one, the default GMainContext.
 */
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  GMainLoop *loop;
  gint fail_first;
  gint fail_status;
  gint count;
  guint answered_ok;
  guint n;
} HfHookSink;

static void
hf_hooksink_handle (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  HfHookSink *sink = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) line = NULL;
  g_autofree gchar *text = NULL;
  const gchar *type;
  const gchar *data;
  gsize size;
  guint status;

  if (g_strcmp0 (soup_server_message_get_method (msg), "POST") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        NULL);
    return;
  }
  sink->n++;
  status = (gint) sink->n <= sink->fail_first ? (guint) sink->fail_status :
      SOUP_STATUS_NO_CONTENT;
  soup_server_message_set_status (msg, status, NULL);
  type = soup_message_headers_get_content_type
      (soup_server_message_get_request_headers (msg), NULL);
  data = g_bytes_get_data (bytes, &size);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n");
  json_builder_add_int_value (b, sink->n);
  json_builder_set_member_name (b, "mono_ms");
  json_builder_add_int_value (b, g_get_monotonic_time () / 1000);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "content_type");
  if (type)
    json_builder_add_string_value (b, type);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "body");
  if (size > 0 && json_parser_load_from_data (parser, data, size, NULL) &&
      json_parser_get_root (parser)) {
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  } else {
    g_autofree gchar *raw = g_utf8_make_valid (data ? data : "", size);

    json_builder_add_string_value (b, raw);
  }
  json_builder_end_object (b);
  line = json_builder_get_root (b);
  text = json_to_string (line, FALSE);
  printf ("%s\n", text);
  fflush (stdout);

  if (SOUP_STATUS_IS_SUCCESSFUL (status) && sink->count > 0 &&
      (gint) ++sink->answered_ok >= sink->count)
    g_main_loop_quit (sink->loop);
}

static gboolean
hf_hooksink_stop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *host = g_strdup ("127.0.0.1");
  g_autofree gchar *port_file = NULL;
  gint port = 0, timeout_s = 0;
  HfHookSink sink = { NULL, 0, 500, 0, 0, 0 };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GInetAddress) addr = NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  GSList *uris;
  guint bound = 0;
  GOptionEntry entries[] = {
    {"host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on "
          "(default 127.0.0.1)", "ADDR"},
    {"port", 0, 0, G_OPTION_ARG_INT, &port, "Port (default 0: any free one)",
        "N"},
    {"port-file", 0, 0, G_OPTION_ARG_FILENAME, &port_file,
        "Write the port here once listening", "FILE"},
    {"fail-first", 0, 0, G_OPTION_ARG_INT, &sink.fail_first,
        "Answer the first N requests with --fail-status", "N"},
    {"fail-status", 0, 0, G_OPTION_ARG_INT, &sink.fail_status,
        "Status of a failed answer (default 500)", "CODE"},
    {"count", 0, 0, G_OPTION_ARG_INT, &sink.count,
        "Stop after N requests answered 2xx", "N"},
    {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s,
        "Stop after S seconds", "S"},
    {NULL}
  };

  ctx = g_option_context_new ("- receive webhooks, print them as JSON lines");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("hf-hooksink: %s\n", error->message);
    return 2;
  }
  if (port < 0 || port > 65535 || sink.fail_first < 0 ||
      sink.fail_status < 100 || sink.fail_status > 599 || timeout_s < 0) {
    g_printerr ("hf-hooksink: bad option value (see --help)\n");
    return 2;
  }
  addr = g_inet_address_new_from_string (host);
  if (!addr) {
    g_printerr ("hf-hooksink: --host: '%s' is not an IP address\n", host);
    return 2;
  }
  sink.loop = g_main_loop_new (NULL, FALSE);
  server = soup_server_new ("server-header", "hf-hooksink", NULL);
  soup_server_add_handler (server, NULL, hf_hooksink_handle, &sink, NULL);
  sa = g_inet_socket_address_new (addr, port);
  if (!soup_server_listen (server, sa, 0, &error)) {
    g_printerr ("hf-hooksink: cannot listen on %s:%d: %s\n", host, port,
        error->message);
    return 1;
  }
  uris = soup_server_get_uris (server);
  if (uris)
    bound = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_printerr ("hf-hooksink: listening on http://%s:%u/\n", host, bound);
  if (port_file) {
    g_autofree gchar *text = g_strdup_printf ("%u\n", bound);

    if (!g_file_set_contents (port_file, text, -1, &error)) {
      g_printerr ("hf-hooksink: %s\n", error->message);
      return 1;
    }
  }
  g_unix_signal_add (SIGINT, hf_hooksink_stop, sink.loop);
  g_unix_signal_add (SIGTERM, hf_hooksink_stop, sink.loop);
  if (timeout_s > 0)
    g_timeout_add_seconds (timeout_s, hf_hooksink_stop, sink.loop);
  g_main_loop_run (sink.loop);
  g_main_loop_unref (sink.loop);
  return 0;
}

/* HTTP API on libsoup 3: JSON, on the control GMainContext.
 *
 *   GET  /api/v1/streams              every stream's figures
 *   GET  /api/v1/streams/NAME         one stream's (404, JSON error, if none)
 *   POST /api/v1/streams/NAME/switch  an operator's switch: {"input": 1},
 *                                     {"input": "backup"} or {"input": "auto"}
 *   GET  /api/v1/events?since=ID&stream=NAME
 *                                     the event log after ID (default 0)
 *   GET  /api/v1/events/stream?since=ID&stream=NAME
 *                                     the same, live: Server-Sent Events
 *                                     (see hf-api-sse below)
 *   GET  /api/v1/history?stream=NAME  the last 5 minutes, one sample a
 *                                     second, for the dashboard's charts
 *   GET  /api/v1/alerts               firing alerts, recent notifications,
 *                                     the rules, webhook deliveries
 *   GET  /api/v1/server               the daemon's own figures
 *   GET  /metrics                     Prometheus text format (hf-metrics.c)
 *   GET  /, /app.js, /style.css       the dashboard (relay/www/, built in)
 *
 * Anything else gets a JSON error: 404 for an unknown path, 405 for a
 * method the path does not take.  Requests libsoup cannot parse are
 * answered 400 by libsoup, and requests refused here as malformed (a bad
 * query or body: 400; a body over HF_API_MAX_BODY: 413) are counted too
 * (bad_requests).
 */
#include "relay/relay-private.h"

#include <libsoup/soup.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_api_debug);
#define GST_CAT_DEFAULT hf_api_debug

/* Request bodies are a few bytes of JSON: anything bigger is refused
 * before it is read into memory. */
#define HF_API_MAX_BODY (64 * 1024)

/* Requests are counted as bad when libsoup gives up on them before they
 * reach hf_api_handle(): a request line or header it cannot parse (it
 * answers 400, or just drops the message when the client has already
 * hung up).  Each started message carries a small record; the record is
 * settled when the message is destroyed.  The counters are reference
 * counted so that messages outliving the API do not touch freed memory. */
typedef struct _HfApiCounters
{
  gint bad_requests;            /* atomic */
} HfApiCounters;

typedef struct
{
  HfApiCounters *counters;      /* (owned) reference */
  gboolean handled;
  gsize body_bytes;             /* read so far (chunked bodies) */
  gboolean too_large;
} HfApiRequest;

/* One client of the live event stream. */
typedef struct
{
  HfApi *api;
  SoupServerMessage *msg;       /* (transfer none): alive until "finished" */
  gchar *stream;                /* only this stream's frames; NULL: all */
  guint64 last_id;              /* the last event id sent */
  gsize unsent;                 /* bytes queued, not yet written */
} HfSseClient;

struct _HfApi
{
  SoupServer *server;
  GPtrArray *streams;           /* (element-type HfStream) (transfer none) */
  HfEvents *events;             /* (transfer none) (nullable) */
  HfAlerts *alerts;             /* (transfer none) (nullable) */
  GPtrArray *webhooks;          /* (transfer none) (nullable) */
  guint64 requests;
  HfApiCounters *counters;
  gint64 started_us;
  gint64 started_wall_us;
  gchar *started_at;            /* ISO 8601: tells one run from another */

  /* Live event stream clients (control thread only). */
  GList *sse_clients;           /* (element-type HfSseClient) */
  guint sse_poll;               /* source id: new events, every 50 ms */
  guint sse_stats;              /* source id: a stats frame a second */
  gint64 sse_last_ping_us;
  guint64 sse_dropped_slow;
};

static void
hf_api_reply (SoupServerMessage * msg, guint status, JsonNode * node)
{
  g_autofree gchar *body = json_to_string (node, TRUE);
  gsize len = strlen (body);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
      "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, g_steal_pointer (&body), len);
}

static void
hf_api_reply_error (SoupServerMessage * msg, guint status,
    const gchar * message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hf_api_reply (msg, status, node);
}

static HfStream *
hf_api_find_stream (HfApi * api, const gchar * name)
{
  guint i;

  for (i = 0; i < api->streams->len; i++) {
    HfStream *s = g_ptr_array_index (api->streams, i);

    if (g_str_equal (hf_stream_get_name (s), name))
      return s;
  }
  return NULL;
}

static void
hf_api_streams (HfApi * api, SoupServerMessage * msg, gint64 now)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "streams");
  json_builder_begin_array (b);
  for (i = 0; i < api->streams->len; i++)
    json_builder_add_value (b,
        hf_stream_to_json (g_ptr_array_index (api->streams, i), now));
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hf_api_reply (msg, SOUP_STATUS_OK, node);
}

static void
hf_api_server (HfApi * api, SoupServerMessage * msg, gint64 now)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, HF_VERSION);
  json_builder_set_member_name (b, "uptime_s");
  json_builder_add_int_value (b, (now - api->started_us) / G_USEC_PER_SEC);
  json_builder_set_member_name (b, "started_at");
  json_builder_add_string_value (b, api->started_at);
  /* The monotonic clock every *_mono_ms figure (hf-probe, hf-push's
   * bitrate lines, the event stream) is on: lets a script put its own
   * actions on the same timeline. */
  json_builder_set_member_name (b, "mono_ms");
  json_builder_add_int_value (b, now / 1000);
  json_builder_set_member_name (b, "streams");
  json_builder_add_int_value (b, api->streams->len);
  json_builder_set_member_name (b, "http_requests");
  json_builder_add_int_value (b, api->requests);
  json_builder_set_member_name (b, "http_bad_requests");
  json_builder_add_int_value (b, hf_api_get_bad_requests (api));
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hf_api_reply (msg, SOUP_STATUS_OK, node);
}

/* A request refused as malformed: answered and counted. */
static void
hf_api_refuse (HfApi * api, SoupServerMessage * msg, guint status,
    const gchar * message)
{
  g_atomic_int_inc (&api->counters->bad_requests);
  GST_DEBUG ("refused (%u): %s", status, message);
  hf_api_reply_error (msg, status, message);
}

static void
hf_api_events (HfApi * api, SoupServerMessage * msg, GHashTable * query)
{
  const gchar *since_text = query ? g_hash_table_lookup (query, "since") : NULL;
  const gchar *stream = query ? g_hash_table_lookup (query, "stream") : NULL;
  g_autoptr (JsonNode) node = NULL;
  guint64 since = 0;

  if (!api->events) {
    hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no event log here");
    return;
  }
  if (since_text && !g_ascii_string_to_unsigned (since_text, 10, 0,
          G_MAXINT64, &since, NULL)) {
    hf_api_refuse (api, msg, SOUP_STATUS_BAD_REQUEST,
        "since: expected an event id (a whole number, 0 or more)");
    return;
  }
  if (stream && !hf_api_find_stream (api, stream)) {
    g_autofree gchar *text = g_strdup_printf ("no stream named '%s'", stream);

    hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
    return;
  }
  node = hf_events_to_json (api->events, since, stream);
  hf_api_reply (msg, SOUP_STATUS_OK, node);
}

/* Reads {"input": 1 | "name" | "auto"} from the request body.  Returns
 * (transfer full) the input as hf_stream_request_switch () takes it (an
 * integer as its decimal string), or NULL with @problem set to a static
 * sentence. */
static gchar *
hf_api_parse_switch_body (SoupServerMessage * msg, const gchar ** problem)
{
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = NULL;
  JsonNode *root, *input;
  const gchar *data;
  gsize size;

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  data = g_bytes_get_data (body, &size);
  if (size == 0 || !json_parser_load_from_data (parser, data, size, &err) ||
      !(root = json_parser_get_root (parser))) {
    *problem = "the body is not JSON: expected {\"input\": N or \"NAME\" "
        "or \"auto\"}";
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    *problem = "the body is not a JSON object: expected {\"input\": N or "
        "\"NAME\" or \"auto\"}";
    return NULL;
  }
  input = json_object_get_member (json_node_get_object (root), "input");
  if (!input) {
    *problem = "\"input\" is missing: expected {\"input\": N or \"NAME\" "
        "or \"auto\"}";
    return NULL;
  }
  if (JSON_NODE_HOLDS_VALUE (input) &&
      json_node_get_value_type (input) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (input));
  if (JSON_NODE_HOLDS_VALUE (input) &&
      json_node_get_value_type (input) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (input));
  *problem = "\"input\" must be an input's index (a whole number), its "
      "name, or \"auto\"";
  return NULL;
}

static void
hf_api_switch (HfApi * api, SoupServerMessage * msg, HfStream * stream)
{
  HfApiRequest *req = g_object_get_data (G_OBJECT (msg), "hf-request");
  g_autofree gchar *input = NULL;
  g_autoptr (JsonNode) node = NULL;
  const gchar *problem = NULL;
  guint status = 0;

  if (req && req->too_large) {
    hf_api_refuse (api, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "the body is larger than 64 KB");
    return;
  }
  input = hf_api_parse_switch_body (msg, &problem);
  if (!input) {
    hf_api_refuse (api, msg, SOUP_STATUS_BAD_REQUEST, problem);
    return;
  }
  GST_INFO ("stream %s: operator asks for input '%s'",
      hf_stream_get_name (stream), input);
  node = hf_stream_request_switch (stream, input, &status);
  if (!node) {
    hf_api_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        "the switch gave no answer");
    return;
  }
  hf_api_reply (msg, status ? status : SOUP_STATUS_OK, node);
}

static void
hf_api_method_not_allowed (SoupServerMessage * msg, const gchar * allow)
{
  g_autofree gchar *text = g_strdup_printf ("only %s is supported here",
      g_str_equal (allow, "POST") ? "POST" : "GET");

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Allow", allow);
  hf_api_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, text);
}

/* ---- Observability: metrics, history, alerts ----------------------------- */

/* Snapshots of every stream (the caller frees them with
 * hf_api_snapshots_free ()). */
static HfStreamSnapshot *
hf_api_snapshots (HfApi * api, gint64 now)
{
  HfStreamSnapshot *snaps = g_new0 (HfStreamSnapshot, api->streams->len + 1);
  guint i;

  for (i = 0; i < api->streams->len; i++)
    hf_stream_snapshot (g_ptr_array_index (api->streams, i), now, &snaps[i]);
  return snaps;
}

static void
hf_api_snapshots_free (HfApi * api, HfStreamSnapshot * snaps)
{
  guint i;

  for (i = 0; i < api->streams->len; i++)
    hf_stream_snapshot_clear (&snaps[i]);
  g_free (snaps);
}

static void
hf_api_metrics (HfApi * api, SoupServerMessage * msg, gint64 now)
{
  HfStreamSnapshot *snaps = hf_api_snapshots (api, now);
  HfMetricsServer server = { 0 };
  GString *text = g_string_sized_new (16 * 1024);
  gsize len;

  server.start_wall_us = api->started_wall_us;
  server.http_requests = api->requests;
  server.http_bad_requests = hf_api_get_bad_requests (api);
  server.events_total = api->events ? hf_events_last_id (api->events) : 0;
  server.sse_clients = g_list_length (api->sse_clients);
  server.sse_dropped_slow = api->sse_dropped_slow;
  server.alerts = api->alerts;
  server.webhooks = api->webhooks;
  hf_metrics_render (text, snaps, api->streams->len, &server);
  hf_api_snapshots_free (api, snaps);

  len = text->len;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
      "Cache-Control", "no-store");
  soup_server_message_set_response (msg,
      "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_TAKE,
      g_string_free (text, FALSE), len);
}

static void
hf_api_history (HfApi * api, SoupServerMessage * msg, GHashTable * query)
{
  const gchar *stream = query ? g_hash_table_lookup (query, "stream") : NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  guint i;

  if (stream && !hf_api_find_stream (api, stream)) {
    g_autofree gchar *text = g_strdup_printf ("no stream named '%s'", stream);

    hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
    return;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "interval_ms");
  json_builder_add_int_value (b, 1000);
  json_builder_set_member_name (b, "streams");
  json_builder_begin_array (b);
  for (i = 0; i < api->streams->len; i++) {
    HfStream *s = g_ptr_array_index (api->streams, i);

    if (!stream || g_str_equal (stream, hf_stream_get_name (s)))
      json_builder_add_value (b, hf_stream_history_to_json (s));
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hf_api_reply (msg, SOUP_STATUS_OK, node);
}

static void
hf_api_alerts (HfApi * api, SoupServerMessage * msg, gint64 now)
{
  g_autoptr (JsonNode) node = NULL;
  JsonObject *o;
  JsonArray *hooks = json_array_new ();
  guint i;

  if (api->alerts) {
    node = hf_alerts_to_json (api->alerts, now);
  } else {
    node = json_node_new (JSON_NODE_OBJECT);
    json_node_take_object (node, json_object_new ());
  }
  o = json_node_get_object (node);
  for (i = 0; api->webhooks && i < api->webhooks->len; i++)
    json_array_add_element (hooks,
        hf_webhook_to_json (g_ptr_array_index (api->webhooks, i)));
  json_object_set_array_member (o, "webhooks", hooks);
  hf_api_reply (msg, SOUP_STATUS_OK, node);
}

/* ---- The dashboard: relay/www/, compiled in as a GResource -------------- */

/* Made by glib-compile-resources from relay/www/ (relay/module.mk).  Taken
 * by name, not registered globally: the object sits in a static library
 * and would not be linked in if nothing referred to it. */
GResource *hf_www_get_resource (void);

static gboolean
hf_api_static (SoupServerMessage * msg, const gchar * path)
{
  static const struct
  {
    const gchar *path;
    const gchar *resource;
    const gchar *type;
  } files[] = {
    {"/", "/holdfast/www/index.html", "text/html; charset=utf-8"},
    {"/index.html", "/holdfast/www/index.html", "text/html; charset=utf-8"},
    {"/app.js", "/holdfast/www/app.js", "text/javascript; charset=utf-8"},
    {"/style.css", "/holdfast/www/style.css", "text/css; charset=utf-8"},
  };
  SoupMessageHeaders *h;
  GBytes *data;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++)
    if (g_str_equal (path, files[i].path))
      break;
  if (i == G_N_ELEMENTS (files))
    return FALSE;
  data = g_resource_lookup_data (hf_www_get_resource (), files[i].resource,
      G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (!data)
    return FALSE;
  h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  /* Everything the page needs comes from the relay itself. */
  soup_message_headers_replace (h, "Content-Security-Policy",
      "default-src 'self'; img-src 'self' data:; "
      "style-src 'self' 'unsafe-inline'; script-src 'self'; "
      "connect-src 'self'; frame-ancestors 'none'");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, files[i].type, SOUP_MEMORY_COPY,
      g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  g_bytes_unref (data);
  return TRUE;
}

/* ---- Live events: Server-Sent Events ---------------------------------------
 *
 * GET /api/v1/events/stream[?since=ID][&stream=NAME] (or the Last-Event-ID
 * header an EventSource sends when it reconnects) answers text/event-stream
 * and keeps the connection open:
 *
 *   retry: 2000
 *   event: hello   data: {"last_id", "oldest_id", "version", "mono_ms"}
 *   event: gap     data: {"since", "oldest_id"}   (events were missed: the
 *                                                  ring moved past since)
 *   id: N
 *   event: event   data: an event, as GET /api/v1/events gives them
 *   event: stats   data: {"mono_ms", "time", "streams": [...]} each second
 *   event: alert   data: an alert notification (hf_alerts_evaluate ())
 *   : ping         every 15 s
 *
 * Events after since are replayed first, then sent as they happen: new
 * ones are looked for every 50 ms while anyone listens (cheaper and
 * simpler than waking the control thread from the streaming threads that
 * record them).  A client that does not read (over HF_API_SSE_MAX_UNSENT
 * queued) is disconnected and counted, rather than let its backlog grow.
 */

#define HF_API_SSE_MAX_CLIENTS 64
#define HF_API_SSE_MAX_UNSENT (4 * 1024 * 1024)
#define HF_API_SSE_PING_US (15 * G_USEC_PER_SEC)

static void hf_api_sse_close (HfSseClient * c, gboolean finished);

/* Control thread: queues one frame to @c and wakes its writer. */
static void
hf_api_sse_send (HfSseClient * c, const gchar * frame, gsize len)
{
  SoupMessageBody *body;

  if (!c->msg)
    return;
  if (c->unsent + len > HF_API_SSE_MAX_UNSENT) {
    GST_WARNING ("event stream client is not reading (%" G_GSIZE_FORMAT
        " bytes unsent): disconnecting it", c->unsent);
    c->api->sse_dropped_slow++;
    hf_api_sse_close (c, FALSE);
    return;
  }
  body = soup_server_message_get_response_body (c->msg);
  soup_message_body_append (body, SOUP_MEMORY_COPY, frame, len);
  c->unsent += len;
  soup_server_message_unpause (c->msg);
}

static void
hf_api_sse_send_json (HfSseClient * c, const gchar * event, guint64 id,
    JsonNode * data)
{
  g_autofree gchar *json = json_to_string (data, FALSE);
  g_autofree gchar *frame = id ?
      g_strdup_printf ("id: %" G_GUINT64_FORMAT "\nevent: %s\ndata: %s\n\n",
      id, event, json) : g_strdup_printf ("event: %s\ndata: %s\n\n", event,
      json);

  hf_api_sse_send (c, frame, strlen (frame));
}

/* Sends @c the events after its last id (of its stream only, if any). */
static void
hf_api_sse_send_events (HfSseClient * c)
{
  g_autoptr (JsonNode) node = NULL;
  JsonObject *o;
  JsonArray *events;
  guint i, n;

  node = hf_events_to_json (c->api->events, c->last_id, c->stream);
  o = json_node_get_object (node);
  events = json_object_get_array_member (o, "events");
  n = json_array_get_length (events);
  for (i = 0; i < n && c->msg; i++) {
    JsonNode *ev = json_array_get_element (events, i);
    guint64 id = json_object_get_int_member (json_node_get_object (ev), "id");

    hf_api_sse_send_json (c, "event", id, ev);
    c->last_id = id;
  }
  /* Filtered out or none: nothing before last_id needs looking at again. */
  if (c->msg)
    c->last_id = MAX (c->last_id, (guint64) json_object_get_int_member (o,
            "last_id"));
}

static gboolean
hf_api_sse_poll (gpointer user_data)
{
  HfApi *api = user_data;
  guint64 last = hf_events_last_id (api->events);
  gint64 now = g_get_monotonic_time ();
  GList *l, *next;

  for (l = api->sse_clients; l; l = next) {
    HfSseClient *c = l->data;

    next = l->next;
    if (c->last_id < last)
      hf_api_sse_send_events (c);
  }
  if (now - api->sse_last_ping_us >= HF_API_SSE_PING_US) {
    api->sse_last_ping_us = now;
    for (l = api->sse_clients; l; l = next) {
      next = l->next;
      hf_api_sse_send (l->data, ": ping\n\n", 8);
    }
  }
  return G_SOURCE_CONTINUE;
}

/* The stats frame of @stream's figures (NULL: every stream's). */
static gchar *
hf_api_sse_stats_frame (HfApi * api, const gchar * stream, gint64 now,
    const gchar * time)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autofree gchar *json = NULL;
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mono_ms");
  json_builder_add_int_value (b, now / 1000);
  json_builder_set_member_name (b, "time");
  json_builder_add_string_value (b, time);
  json_builder_set_member_name (b, "streams");
  json_builder_begin_array (b);
  for (i = 0; i < api->streams->len; i++) {
    HfStream *s = g_ptr_array_index (api->streams, i);

    if (!stream || g_str_equal (stream, hf_stream_get_name (s)))
      json_builder_add_value (b, hf_stream_to_json (s, now));
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  json = json_to_string (node, FALSE);
  return g_strdup_printf ("event: stats\ndata: %s\n\n", json);
}

/* Once a second: every stream's figures, as GET /api/v1/streams gives
 * them; the frame of all streams is made once for all clients that take
 * all, a stream's own for each client that asked for one. */
static gboolean
hf_api_sse_stats (gpointer user_data)
{
  HfApi *api = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autofree gchar *time = hf_events_format_time (g_get_real_time ());
  g_autofree gchar *all = NULL;
  GList *l, *next;

  for (l = api->sse_clients; l; l = next) {
    HfSseClient *c = l->data;

    next = l->next;
    if (c->stream) {
      g_autofree gchar *one = hf_api_sse_stats_frame (api, c->stream, now,
          time);

      hf_api_sse_send (c, one, strlen (one));
    } else {
      if (!all)
        all = hf_api_sse_stats_frame (api, NULL, now, time);
      hf_api_sse_send (c, all, strlen (all));
    }
  }
  return G_SOURCE_CONTINUE;
}

/* Control thread: the client went away (@finished: libsoup is done with
 * the message), or is being sent away (its response is ended here). */
static void
hf_api_sse_close (HfSseClient * c, gboolean finished)
{
  HfApi *api = c->api;
  SoupServerMessage *msg = c->msg;

  if (!msg)
    return;
  c->msg = NULL;
  g_signal_handlers_disconnect_by_data (msg, c);
  api->sse_clients = g_list_remove (api->sse_clients, c);
  if (!api->sse_clients) {
    g_clear_handle_id (&api->sse_poll, g_source_remove);
    g_clear_handle_id (&api->sse_stats, g_source_remove);
  }
  GST_INFO ("event stream client gone (%u left)",
      g_list_length (api->sse_clients));
  if (!finished) {
    GSocket *sock = soup_server_message_get_socket (msg);

    soup_message_body_complete (soup_server_message_get_response_body (msg));
    soup_server_message_unpause (msg);
    /* A client sent away for not reading would otherwise keep its
     * connection and everything queued for it until it read it all:
     * shutting the socket makes libsoup fail the write and let go. */
    if (sock && c->unsent > 0)
      g_socket_shutdown (sock, TRUE, TRUE, NULL);
  }
  g_object_unref (msg);
  g_free (c->stream);
  g_free (c);
}

static void
hf_api_sse_finished (SoupServerMessage * msg, gpointer user_data)
{
  hf_api_sse_close (user_data, TRUE);
}

static void
hf_api_sse_wrote (SoupServerMessage * msg, guint size, gpointer user_data)
{
  HfSseClient *c = user_data;

  c->unsent = c->unsent > size ? c->unsent - size : 0;
}

static void
hf_api_sse_start (HfApi * api, SoupServerMessage * msg, GHashTable * query)
{
  const gchar *since_text = query ? g_hash_table_lookup (query, "since") : NULL;
  const gchar *stream = query ? g_hash_table_lookup (query, "stream") : NULL;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) hello = NULL;
  guint64 since = 0, last, oldest;
  gboolean replay = FALSE, from_other_run;
  HfSseClient *c;

  if (!api->events) {
    hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no event log here");
    return;
  }
  /* An EventSource reconnects to the URL it was opened with: the id it
   * saw last (its Last-Event-ID) is newer than that URL's since. */
  if (soup_message_headers_get_one (soup_server_message_get_request_headers
          (msg), "Last-Event-ID"))
    since_text = soup_message_headers_get_one
        (soup_server_message_get_request_headers (msg), "Last-Event-ID");
  if (since_text && !g_ascii_string_to_unsigned (since_text, 10, 0,
          G_MAXINT64, &since, NULL)) {
    hf_api_refuse (api, msg, SOUP_STATUS_BAD_REQUEST,
        "since (or Last-Event-ID): expected an event id (a whole number)");
    return;
  }
  replay = since_text != NULL;
  if (stream && !hf_api_find_stream (api, stream)) {
    g_autofree gchar *text = g_strdup_printf ("no stream named '%s'", stream);

    hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
    return;
  }
  if (g_list_length (api->sse_clients) >= HF_API_SSE_MAX_CLIENTS) {
    hf_api_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "too many event stream clients");
    return;
  }

  c = g_new0 (HfSseClient, 1);
  c->api = api;
  c->msg = g_object_ref (msg);
  c->stream = g_strdup (stream);
  last = hf_events_last_id (api->events);
  /* An id from the future was seen in an earlier run of the relay: all
   * of this run's events are new to that client (with a gap frame). */
  from_other_run = replay && since > last;
  c->last_id = !replay ? last : from_other_run ? 0 : since;
  api->sse_clients = g_list_prepend (api->sse_clients, c);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (h, "Content-Type", "text/event-stream");
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_replace (h, "X-Accel-Buffering", "no");
  /* HTTP/1.0 has no chunks: the stream ends when the connection does. */
  soup_message_headers_set_encoding (h,
      soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ?
      SOUP_ENCODING_EOF : SOUP_ENCODING_CHUNKED);
  /* Written chunks are not kept: the stream may run for days. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body
      (msg), FALSE);
  g_signal_connect (msg, "finished", G_CALLBACK (hf_api_sse_finished), c);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (hf_api_sse_wrote), c);

  {
    g_autoptr (JsonNode) probe = hf_events_to_json (api->events, last, NULL);

    oldest = json_object_get_int_member (json_node_get_object (probe),
        "oldest_id");
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "last_id");
  json_builder_add_int_value (b, last);
  json_builder_set_member_name (b, "oldest_id");
  json_builder_add_int_value (b, oldest);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, HF_VERSION);
  json_builder_set_member_name (b, "mono_ms");
  json_builder_add_int_value (b, g_get_monotonic_time () / 1000);
  /* Which run of the relay this is: event ids begin again at 1 when it
   * restarts. */
  json_builder_set_member_name (b, "started_at");
  json_builder_add_string_value (b, api->started_at);
  json_builder_end_object (b);
  hello = json_builder_get_root (b);
  hf_api_sse_send (c, "retry: 2000\n\n", 13);
  hf_api_sse_send_json (c, "hello", 0, hello);
  if (from_other_run || (replay && oldest > 1 && since + 1 < oldest)) {
    g_autofree gchar *gap = g_strdup_printf ("event: gap\ndata: {\"since\":%"
        G_GUINT64_FORMAT ",\"oldest_id\":%" G_GUINT64_FORMAT "}\n\n", since,
        oldest);

    hf_api_sse_send (c, gap, strlen (gap));
  }
  if (c->msg && replay)
    hf_api_sse_send_events (c);
  if (!c->msg)
    return;
  if (!api->sse_poll) {
    api->sse_poll = g_timeout_add (50, hf_api_sse_poll, api);
    api->sse_stats = g_timeout_add (1000, hf_api_sse_stats, api);
    api->sse_last_ping_us = g_get_monotonic_time ();
  }
  GST_INFO ("event stream client (%u), from event %" G_GUINT64_FORMAT,
      g_list_length (api->sse_clients), c->last_id);
}

/**
 * hf_api_publish_alert:
 * @notification: (transfer none): as hf_alerts_evaluate () makes them
 *
 * Sends the notification to every event stream client (of its stream, for
 * a client that asked for one).  Control thread.
 */
void
hf_api_publish_alert (HfApi * api, JsonNode * notification)
{
  const gchar *stream = NULL;
  GList *l, *next;

  if (JSON_NODE_HOLDS_OBJECT (notification))
    stream = json_object_get_string_member_with_default (json_node_get_object
        (notification), "stream", NULL);
  for (l = api->sse_clients; l; l = next) {
    HfSseClient *c = l->data;

    next = l->next;
    if (!c->stream || g_strcmp0 (c->stream, stream) == 0)
      hf_api_sse_send_json (c, "alert", 0, notification);
  }
}

/**
 * hf_api_set_alerts:
 * @alerts: (transfer none) (nullable): served at GET /api/v1/alerts and in
 *   /metrics; must outlive the API
 * @webhooks: (transfer none) (nullable) (element-type HfWebhook): likewise
 */
void
hf_api_set_alerts (HfApi * api, HfAlerts * alerts, GPtrArray * webhooks)
{
  api->alerts = alerts;
  api->webhooks = webhooks;
}

/**
 * hf_api_evaluate_alerts:
 * @now_us: monotonic
 * @wall_us: g_get_real_time () scale
 *
 * Runs the alert rules over every stream's figures now; each notification
 * is logged, sent to the live event stream's clients and queued for every
 * webhook.  Nothing without alerts.  Control thread.
 */
void
hf_api_evaluate_alerts (HfApi * api, gint64 now_us, gint64 wall_us)
{
  HfStreamSnapshot *snaps;
  g_autoptr (GArray) samples = NULL;
  g_autoptr (GPtrArray) out = NULL;
  guint i, k;

  if (!api->alerts)
    return;
  snaps = hf_api_snapshots (api, now_us);
  samples = g_array_new (FALSE, TRUE, sizeof (HfAlertSample));
  for (i = 0; i < api->streams->len; i++)
    hf_stream_snapshot_alert_samples (&snaps[i], samples);
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  hf_alerts_evaluate (api->alerts, now_us, wall_us,
      (const HfAlertSample *) samples->data, samples->len, out);
  /* The samples point into the snapshots: freed after the evaluation. */
  hf_api_snapshots_free (api, snaps);

  for (i = 0; i < out->len; i++) {
    JsonNode *n = g_ptr_array_index (out, i);
    JsonObject *o = json_node_get_object (n);
    const gchar *state = json_object_get_string_member_with_default (o,
        "state", "?");

    if (g_strcmp0 (state, "firing") == 0)
      GST_WARNING ("alert %s %s (%s): %s",
          json_object_get_string_member_with_default (o, "alert", "?"),
          state, json_object_get_string_member_with_default (o, "severity",
              "?"), json_object_get_string_member_with_default (o,
              "summary", ""));
    else
      GST_INFO ("alert %s %s: %s",
          json_object_get_string_member_with_default (o, "alert", "?"),
          state, json_object_get_string_member_with_default (o, "summary",
              ""));
    hf_api_publish_alert (api, n);
    for (k = 0; api->webhooks && k < api->webhooks->len; k++)
      hf_webhook_post (g_ptr_array_index (api->webhooks, k), n);
  }
}

/* Control thread: every request whose body was read (or refused). */
static void
hf_api_handle (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  HfApi *api = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  gint64 now = g_get_monotonic_time ();
  const gchar *prefix = "/api/v1/streams/";
  gboolean is_get;
  HfApiRequest *req;

  req = g_object_get_data (G_OBJECT (msg), "hf-request");
  if (req)
    req->handled = TRUE;
  api->requests++;
  is_get = g_strcmp0 (method, "GET") == 0 || g_strcmp0 (method, "HEAD") == 0;
  /* No keep-alive: libsoup 3.2 (Debian 12) never closes an idle
   * connection that its client closed (fixed upstream in 3.3, commit
   * d20c660), so every client that hung up would cost the relay a file
   * descriptor in CLOSE-WAIT for ever.  Closing after each answer costs a
   * TCP handshake per request, which an API polled once a second or
   * scraped every 15 s does not feel. */
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Connection", "close");

  if (g_str_has_prefix (path, prefix) && path[strlen (prefix)]) {
    g_autofree gchar *name = g_strdup (path + strlen (prefix));
    gchar *slash = strchr (name, '/');
    const gchar *tail = "";
    HfStream *stream;

    if (slash) {
      *slash = '\0';
      tail = slash + 1;
    }
    if (g_str_equal (tail, "switch")) {
      if (g_strcmp0 (method, "POST") != 0) {
        hf_api_method_not_allowed (msg, "POST");
        return;
      }
    } else if (*tail) {
      hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
      return;
    } else if (!is_get) {
      hf_api_method_not_allowed (msg, "GET, HEAD");
      return;
    }
    stream = hf_api_find_stream (api, name);
    if (!stream) {
      g_autofree gchar *text = g_strdup_printf ("no stream named '%s'", name);

      hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
    } else if (*tail) {
      hf_api_switch (api, msg, stream);
    } else {
      g_autoptr (JsonNode) node = hf_stream_to_json (stream, now);

      hf_api_reply (msg, SOUP_STATUS_OK, node);
    }
    return;
  }

  if (!is_get) {
    hf_api_method_not_allowed (msg, "GET, HEAD");
    return;
  }
  if (g_str_equal (path, "/api/v1/streams") ||
      g_str_equal (path, "/api/v1/streams/")) {
    hf_api_streams (api, msg, now);
  } else if (g_str_equal (path, "/api/v1/events")) {
    hf_api_events (api, msg, query);
  } else if (g_str_equal (path, "/api/v1/events/stream")) {
    hf_api_sse_start (api, msg, query);
  } else if (g_str_equal (path, "/api/v1/history")) {
    hf_api_history (api, msg, query);
  } else if (g_str_equal (path, "/api/v1/alerts")) {
    hf_api_alerts (api, msg, now);
  } else if (g_str_equal (path, "/metrics")) {
    hf_api_metrics (api, msg, now);
  } else if (g_str_equal (path, "/api/v1/server")) {
    hf_api_server (api, msg, now);
  } else if (hf_api_static (msg, path)) {
    /* answered */
  } else {
    hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
  }
}

/* Control thread: a chunk of a request body arrived.  Only bodies without
 * a Content-Length get here (the early handler refuses long ones): once
 * past the limit the rest is read and dropped, not kept. */
static void
hf_api_got_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer user_data)
{
  HfApiRequest *req = user_data;

  req->body_bytes += g_bytes_get_size (chunk);
  if (!req->too_large && req->body_bytes > HF_API_MAX_BODY) {
    SoupMessageBody *body = soup_server_message_get_request_body (msg);

    req->too_large = TRUE;
    soup_message_body_set_accumulate (body, FALSE);
    soup_message_body_truncate (body);
  }
}

/* Control thread: a request's headers are in, its body not yet.  A body
 * declared larger than HF_API_MAX_BODY is refused here, before libsoup
 * reads it (with "Expect: 100-continue" it is never sent; otherwise it is
 * read and dropped), and the connection is closed after the answer. */
static void
hf_api_early (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  HfApi *api = user_data;
  HfApiRequest *req = g_object_get_data (G_OBJECT (msg), "hf-request");
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > HF_API_MAX_BODY) {
    soup_message_body_set_accumulate (soup_server_message_get_request_body
        (msg), FALSE);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Connection", "close");
    if (req)
      req->handled = TRUE;
    api->requests++;
    hf_api_refuse (api, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "the body is larger than 64 KB");
  } else if (encoding != SOUP_ENCODING_CONTENT_LENGTH &&
      encoding != SOUP_ENCODING_NONE && req) {
    g_signal_connect (msg, "got-chunk", G_CALLBACK (hf_api_got_chunk), req);
  }
}

static void
hf_api_request_gone (gpointer data, GObject * where_the_object_was)
{
  HfApiRequest *req = data;

  if (!req->handled) {
    g_atomic_int_inc (&req->counters->bad_requests);
    GST_DEBUG ("a request was not understood");
  }
  g_atomic_rc_box_release (req->counters);
  g_free (req);
}

/* Control thread: a new request begins to be read. */
static void
hf_api_request_started (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  HfApi *api = user_data;
  HfApiRequest *req = g_new0 (HfApiRequest, 1);

  req->counters = g_atomic_rc_box_acquire (api->counters);
  g_object_set_data (G_OBJECT (msg), "hf-request", req);
  g_object_weak_ref (G_OBJECT (msg), hf_api_request_gone, req);
}

HfApi *
hf_api_new (const gchar * host, guint16 port, GPtrArray * streams,
    HfEvents * events, GError ** error)
{
  HfApi *api = g_new0 (HfApi, 1);
  g_autoptr (GInetAddress) addr = NULL;
  g_autoptr (GSocketAddress) sa = NULL;

  if (!hf_api_debug)
    GST_DEBUG_CATEGORY_INIT (hf_api_debug, "hf-api", 0, "Holdfast HTTP API");
  api->streams = streams;
  api->events = events;
  api->counters = g_atomic_rc_box_new0 (HfApiCounters);
  api->started_us = g_get_monotonic_time ();
  api->started_wall_us = g_get_real_time ();
  api->started_at = hf_events_format_time (api->started_wall_us);
  api->server = soup_server_new ("server-header", "holdfast/" HF_VERSION, NULL);
  soup_server_add_early_handler (api->server, NULL, hf_api_early, api, NULL);
  soup_server_add_handler (api->server, NULL, hf_api_handle, api, NULL);
  g_signal_connect (api->server, "request-started",
      G_CALLBACK (hf_api_request_started), api);

  if (g_str_equal (host, "*") || g_str_equal (host, "0.0.0.0"))
    addr = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  else if (g_str_equal (host, "localhost"))
    addr = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    addr = g_inet_address_new_from_string (host);
  if (!addr) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[server] http: '%s' is not an IP address", host);
    goto fail;
  }
  sa = g_inet_socket_address_new (addr, port);
  if (!soup_server_listen (api->server, sa, 0, error)) {
    g_prefix_error (error, "[server] http: cannot listen on %s:%u: ", host,
        port);
    goto fail;
  }
  GST_INFO ("API on http://%s:%u/api/v1/streams", host, port);
  return api;

fail:
  hf_api_free (api);
  return NULL;
}

void
hf_api_free (HfApi * api)
{
  if (!api)
    return;
  if (api->sse_clients) {
    GMainContext *ctx = g_main_context_get_thread_default ();
    gint64 until = g_get_monotonic_time () + 200 * 1000;

    while (api->sse_clients)
      hf_api_sse_close (api->sse_clients->data, FALSE);
    /* Let the streams' last chunk go out (up to 200 ms) so that clients
     * see them end, not break; the server is cut off after that. */
    while (g_get_monotonic_time () < until) {
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (1000);
    }
  }
  if (api->server) {
    soup_server_disconnect (api->server);
    g_object_unref (api->server);
  }
  g_atomic_rc_box_release (api->counters);
  g_free (api->started_at);
  g_free (api);
}

guint64
hf_api_get_bad_requests (HfApi * api)
{
  return (guint64) g_atomic_int_get (&api->counters->bad_requests);
}

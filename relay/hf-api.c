/* HTTP API on libsoup 3: JSON, on the control GMainContext.
 *
 *   GET  /api/v1/streams              every stream's figures
 *   GET  /api/v1/streams/NAME         one stream's (404, JSON error, if none)
 *   POST /api/v1/streams/NAME/switch  an operator's switch: {"input": 1},
 *                                     {"input": "backup"} or {"input": "auto"}
 *   GET  /api/v1/events?since=ID&stream=NAME
 *                                     the event log after ID (default 0)
 *   GET  /api/v1/server               the daemon's own figures
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

struct _HfApi
{
  SoupServer *server;
  GPtrArray *streams;           /* (element-type HfStream) (transfer none) */
  HfEvents *events;             /* (transfer none) (nullable) */
  guint64 requests;
  HfApiCounters *counters;
  gint64 started_us;
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
  } else if (g_str_equal (path, "/api/v1/server")) {
    hf_api_server (api, msg, now);
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
  if (api->server) {
    soup_server_disconnect (api->server);
    g_object_unref (api->server);
  }
  g_atomic_rc_box_release (api->counters);
  g_free (api);
}

guint64
hf_api_get_bad_requests (HfApi * api)
{
  return (guint64) g_atomic_int_get (&api->counters->bad_requests);
}

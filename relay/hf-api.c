/* HTTP API on libsoup 3: JSON over GET, on the control GMainContext.
 *
 *   GET /api/v1/streams          every stream's figures
 *   GET /api/v1/streams/NAME     one stream's (404 with a JSON error if none)
 *   GET /api/v1/server           the daemon's own figures
 *
 * Anything else gets a JSON error: 404 for an unknown path, 405 for a
 * method other than GET/HEAD.  Requests libsoup cannot parse are answered
 * 400 by libsoup and counted here (bad_requests).
 */
#include "relay/relay-private.h"

#include <libsoup/soup.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_api_debug);
#define GST_CAT_DEFAULT hf_api_debug

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
} HfApiRequest;

struct _HfApi
{
  SoupServer *server;
  GPtrArray *streams;           /* (element-type HfStream) (transfer none) */
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

/* Control thread: every request. */
static void
hf_api_handle (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  HfApi *api = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  gint64 now = g_get_monotonic_time ();
  const gchar *prefix = "/api/v1/streams/";
  HfApiRequest *req;

  req = g_object_get_data (G_OBJECT (msg), "hf-request");
  if (req)
    req->handled = TRUE;
  api->requests++;
  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", "GET, HEAD");
    hf_api_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        "only GET is supported here");
    return;
  }
  if (g_str_equal (path, "/api/v1/streams") ||
      g_str_equal (path, "/api/v1/streams/")) {
    hf_api_streams (api, msg, now);
  } else if (g_str_has_prefix (path, prefix) && path[strlen (prefix)]) {
    const gchar *name = path + strlen (prefix);
    HfStream *stream = hf_api_find_stream (api, name);

    if (!stream) {
      g_autofree gchar *text = g_strdup_printf ("no stream named '%s'", name);

      hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
    } else {
      g_autoptr (JsonNode) node = hf_stream_to_json (stream, now);

      hf_api_reply (msg, SOUP_STATUS_OK, node);
    }
  } else if (g_str_equal (path, "/api/v1/server")) {
    hf_api_server (api, msg, now);
  } else {
    hf_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
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
    GError ** error)
{
  HfApi *api = g_new0 (HfApi, 1);
  g_autoptr (GInetAddress) addr = NULL;
  g_autoptr (GSocketAddress) sa = NULL;

  if (!hf_api_debug)
    GST_DEBUG_CATEGORY_INIT (hf_api_debug, "hf-api", 0, "Holdfast HTTP API");
  api->streams = streams;
  api->counters = g_atomic_rc_box_new0 (HfApiCounters);
  api->started_us = g_get_monotonic_time ();
  api->server = soup_server_new ("server-header", "holdfast/" HF_VERSION, NULL);
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

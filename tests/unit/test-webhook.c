/* Unit tests of webhook delivery (relay/hf-webhook.c) against a real
 * SoupServer in this process, on 127.0.0.1 with a port picked at run time.
 * The receiver records each request (body, headers, arrival time) and
 * answers statuses from a script; it can also hold requests unanswered
 * (paused) until the test releases them, or answer each after a delay.
 *
 * Single-threaded: the webhook, the receiver and the timers all run on the
 * default main context, which the tests iterate until a condition holds
 * (each wait is bounded by a guard timer that fails the test).  Backoffs
 * are a few tens of milliseconds.
 */
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>
#include <string.h>

#include "relay/hf-relay.h"

/* Any wait longer than this is a failure. */
#define HF_TEST_GUARD_MS 10000

typedef struct
{
  SoupServer *server;
  gchar *url;                   /* http://127.0.0.1:PORT/hook */
  GPtrArray *methods;           /* (element-type gchar*) one per request */
  GPtrArray *bodies;            /* (element-type gchar*) */
  GPtrArray *content_types;     /* (element-type gchar*) */
  GPtrArray *user_agents;       /* (element-type gchar*) */
  GArray *arrivals_us;          /* (element-type gint64) monotonic */
  const guint *script;          /* statuses, in order; 200 after it */
  guint n_script;
  gboolean hold;                /* pause requests until released */
  guint delay_ms;               /* > 0: answer each request after this */
  GPtrArray *held;              /* (element-type SoupServerMessage) refs */
  GArray *held_status;          /* (element-type guint) */
  guint unanswered;             /* received, not answered yet */
  guint max_unanswered;         /* the most at one time */
} HfTestReceiver;

typedef struct
{
  HfTestReceiver *r;
  SoupServerMessage *msg;
  guint status;
} HfTestDelayed;

static void
hf_test_answer (SoupServerMessage * msg, guint status)
{
  soup_server_message_set_status (msg, status, NULL);
  if (SOUP_STATUS_IS_REDIRECTION (status))
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Location", "/elsewhere");
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      "ok", 2);
}

static gboolean
hf_test_answer_delayed (gpointer user_data)
{
  HfTestDelayed *d = user_data;

  hf_test_answer (d->msg, d->status);
  soup_server_message_unpause (d->msg);
  g_object_unref (d->msg);
  d->r->unanswered--;
  g_free (d);
  return G_SOURCE_REMOVE;
}

static void
hf_test_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  HfTestReceiver *r = user_data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  GBytes *body = soup_message_body_flatten
      (soup_server_message_get_request_body (msg));
  gint64 now = g_get_monotonic_time ();
  guint i = r->bodies->len;
  guint status = i < r->n_script ? r->script[i] : SOUP_STATUS_OK;

  g_ptr_array_add (r->methods, g_strdup (soup_server_message_get_method (msg)));
  g_ptr_array_add (r->bodies, g_strndup (g_bytes_get_data (body, NULL),
          g_bytes_get_size (body)));
  g_bytes_unref (body);
  g_ptr_array_add (r->content_types,
      g_strdup (soup_message_headers_get_one (h, "Content-Type")));
  g_ptr_array_add (r->user_agents,
      g_strdup (soup_message_headers_get_one (h, "User-Agent")));
  g_array_append_val (r->arrivals_us, now);

  if (r->hold) {
    soup_server_message_pause (msg);
    g_ptr_array_add (r->held, g_object_ref (msg));
    g_array_append_val (r->held_status, status);
    r->unanswered++;
  } else if (r->delay_ms > 0) {
    HfTestDelayed *d = g_new0 (HfTestDelayed, 1);

    d->r = r;
    d->msg = g_object_ref (msg);
    d->status = status;
    soup_server_message_pause (msg);
    r->unanswered++;
    g_timeout_add (r->delay_ms, hf_test_answer_delayed, d);
  } else {
    hf_test_answer (msg, status);
  }
  r->max_unanswered = MAX (r->max_unanswered, r->unanswered);
}

/* (transfer full) a receiver listening on 127.0.0.1, port picked by the
 * system, answering @script (@n statuses) and then 200. */
static HfTestReceiver *
hf_test_receiver_new (const guint * script, guint n)
{
  HfTestReceiver *r = g_new0 (HfTestReceiver, 1);
  GError *err = NULL;
  GSList *uris;

  r->methods = g_ptr_array_new_with_free_func (g_free);
  r->bodies = g_ptr_array_new_with_free_func (g_free);
  r->content_types = g_ptr_array_new_with_free_func (g_free);
  r->user_agents = g_ptr_array_new_with_free_func (g_free);
  r->arrivals_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->held = g_ptr_array_new ();
  r->held_status = g_array_new (FALSE, FALSE, sizeof (guint));
  r->script = script;
  r->n_script = n;

  r->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (r->server, "/hook", hf_test_handler, r, NULL);
  fail_unless (soup_server_listen_local (r->server, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, &err), "listen: %s",
      err ? err->message : "?");
  uris = soup_server_get_uris (r->server);
  fail_unless (uris != NULL);
  r->url = g_strdup_printf ("http://127.0.0.1:%d/hook",
      g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return r;
}

/* Answers every held request (with its scripted status) and stops
 * holding new ones. */
static void
hf_test_receiver_release (HfTestReceiver * r)
{
  guint i;

  r->hold = FALSE;
  for (i = 0; i < r->held->len; i++) {
    SoupServerMessage *msg = g_ptr_array_index (r->held, i);

    hf_test_answer (msg, g_array_index (r->held_status, guint, i));
    soup_server_message_unpause (msg);
    g_object_unref (msg);
    r->unanswered--;
  }
  g_ptr_array_set_size (r->held, 0);
  g_array_set_size (r->held_status, 0);
}

static void
hf_test_receiver_free (HfTestReceiver * r)
{
  /* Requests still held (a client that gave up on them) go with the
   * server's connections. */
  soup_server_disconnect (r->server);
  g_object_unref (r->server);
  g_ptr_array_set_free_func (r->held, g_object_unref);
  g_ptr_array_free (r->held, TRUE);
  g_array_free (r->held_status, TRUE);
  g_ptr_array_free (r->methods, TRUE);
  g_ptr_array_free (r->bodies, TRUE);
  g_ptr_array_free (r->content_types, TRUE);
  g_ptr_array_free (r->user_agents, TRUE);
  g_array_free (r->arrivals_us, TRUE);
  g_free (r->url);
  g_free (r);
  /* The server's connections are closed from sources of the main context:
   * let them run, or their sockets outlive the test (LeakSanitizer, in
   * one process with CK_FORK=no, sees them). */
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++);
}

/* Milliseconds between request @i - 1 and request @i. */
static gint64
hf_test_gap_ms (HfTestReceiver * r, guint i)
{
  return (g_array_index (r->arrivals_us, gint64, i) -
      g_array_index (r->arrivals_us, gint64, i - 1)) / 1000;
}

static gboolean
hf_test_flag_set (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default context until @cond holds; fails the test after
 * HF_TEST_GUARD_MS. */
#define HF_TEST_WAIT_UNTIL(cond) G_STMT_START {                          \
  gboolean expired_ = FALSE;                                             \
  guint guard_ = g_timeout_add (HF_TEST_GUARD_MS, hf_test_flag_set,      \
      &expired_);                                                        \
  while (!(cond) && !expired_)                                           \
    g_main_context_iteration (NULL, TRUE);                               \
  if (!expired_)                                                         \
    g_source_remove (guard_);                                            \
  fail_if (expired_, "waited %d ms in vain for: %s", HF_TEST_GUARD_MS,   \
      #cond);                                                            \
} G_STMT_END

/* Drives the default context for @ms: what a freed webhook left to libsoup
 * (a cancelled request's callback) runs to its end, so that the sanitizer
 * build sees any use after free or leak. */
static void
hf_test_drive (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, hf_test_flag_set, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static HfWebhookStats
hf_test_stats (HfWebhook * w)
{
  HfWebhookStats s;

  hf_webhook_get_stats (w, &s);
  return s;
}

/* Posts {"n": @n}. */
static void
hf_test_post_n (HfWebhook * w, gint n)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "n", n);
  json_node_take_object (node, o);
  hf_webhook_post (w, node);
  json_node_unref (node);
}

/* The "n" of the body the receiver got as request @i. */
static gint64
hf_test_body_n (HfTestReceiver * r, guint i)
{
  JsonNode *node = json_from_string (g_ptr_array_index (r->bodies, i), NULL);
  gint64 n;

  fail_unless (node != NULL && JSON_NODE_HOLDS_OBJECT (node),
      "request %u: body is not a JSON object", i);
  n = json_object_get_int_member (json_node_get_object (node), "n");
  json_node_unref (node);
  return n;
}

static HfWebhook *
hf_test_webhook_new (const gchar * url, gint backoff_ms, guint max_attempts)
{
  HfWebhookConfig c;
  GError *err = NULL;
  HfWebhook *w;

  hf_webhook_config_init (&c);
  c.backoff_ms = backoff_ms;
  c.max_backoff_ms = 60000;
  c.max_attempts = max_attempts;
  c.timeout_ms = 5000;
  w = hf_webhook_new (url, &c, &err);
  fail_unless (w != NULL, "hf_webhook_new: %s", err ? err->message : "?");
  return w;
}

/* (transfer full) the last_error of hf_webhook_to_json (), NULL if null. */
static gchar *
hf_test_last_error (HfWebhook * w)
{
  JsonNode *root = hf_webhook_to_json (w);
  JsonObject *o = json_node_get_object (root);
  JsonNode *e;
  gchar *text = NULL;

  fail_unless (json_object_has_member (o, "last_error"));
  e = json_object_get_member (o, "last_error");
  if (!JSON_NODE_HOLDS_NULL (e))
    text = g_strdup (json_node_get_string (e));
  json_node_unref (root);
  return text;
}

GST_START_TEST (test_retry_after_500_sends_same_body_after_backoff)
{
  static const guint script[] = { 500 };
  HfTestReceiver *r = hf_test_receiver_new (script, G_N_ELEMENTS (script));
  HfWebhook *w = hf_test_webhook_new (r->url, 20, 5);
  HfWebhookStats s;
  gchar *last_error;

  hf_test_post_n (w, 7);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).delivered == 1);

  fail_unless_equals_int (r->bodies->len, 2);
  fail_unless_equals_string (g_ptr_array_index (r->bodies, 0), "{\"n\":7}");
  fail_unless_equals_string (g_ptr_array_index (r->bodies, 1),
      g_ptr_array_index (r->bodies, 0));
  fail_unless_equals_string (g_ptr_array_index (r->methods, 1), "POST");
  fail_unless (hf_test_gap_ms (r, 1) >= 20, "retried after %" G_GINT64_FORMAT
      " ms, before the 20 ms backoff", hf_test_gap_ms (r, 1));
  fail_unless_equals_string (g_ptr_array_index (r->content_types, 0),
      "application/json");
  fail_unless_equals_string (g_ptr_array_index (r->user_agents, 0),
      "holdfast/" HF_VERSION);

  s = hf_test_stats (w);
  fail_unless_equals_uint64 (s.queued, 1);
  fail_unless_equals_uint64 (s.attempts, 2);
  fail_unless_equals_uint64 (s.failed_attempts, 1);
  fail_unless_equals_uint64 (s.delivered, 1);
  fail_unless_equals_uint64 (s.given_up, 0);
  fail_unless_equals_uint64 (s.dropped, 0);
  fail_unless_equals_int (s.waiting, 0);
  last_error = hf_test_last_error (w);
  fail_unless (last_error && strstr (last_error, "HTTP 500"),
      "last_error: %s", last_error);
  g_free (last_error);

  hf_webhook_free (w);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_backoff_doubles_each_retry)
{
  static const guint script[] = { 500, 503, 500 };
  HfTestReceiver *r = hf_test_receiver_new (script, G_N_ELEMENTS (script));
  HfWebhook *w = hf_test_webhook_new (r->url, 20, 5);
  HfWebhookStats s;
  guint i;

  hf_test_post_n (w, 1);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).delivered == 1);

  fail_unless_equals_int (r->bodies->len, 4);
  for (i = 1; i < 4; i++) {
    gint64 want = 20 << (i - 1);

    fail_unless (hf_test_gap_ms (r, i) >= want, "gap %u: %" G_GINT64_FORMAT
        " ms, want >= %" G_GINT64_FORMAT, i, hf_test_gap_ms (r, i), want);
  }
  s = hf_test_stats (w);
  fail_unless_equals_uint64 (s.attempts, 4);
  fail_unless_equals_uint64 (s.failed_attempts, 3);
  fail_unless_equals_uint64 (s.given_up, 0);

  hf_webhook_free (w);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_backoff_stops_growing_at_max_backoff)
{
  static const guint script[] = { 500, 500, 500 };
  HfTestReceiver *r = hf_test_receiver_new (script, G_N_ELEMENTS (script));
  HfWebhookConfig c;
  HfWebhook *w;

  /* Uncapped, the third delay would be 4 x 60 = 240 ms. */
  hf_webhook_config_init (&c);
  c.backoff_ms = 60;
  c.max_backoff_ms = 60;
  w = hf_webhook_new (r->url, &c, NULL);
  fail_unless (w != NULL);

  hf_test_post_n (w, 1);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).delivered == 1);
  fail_unless_equals_int (r->bodies->len, 4);
  fail_unless (hf_test_gap_ms (r, 3) >= 60);
  fail_unless (hf_test_gap_ms (r, 3) < 240, "third retry after %"
      G_GINT64_FORMAT " ms: not capped at 60", hf_test_gap_ms (r, 3));

  hf_webhook_free (w);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_gives_up_after_max_attempts_then_delivers_next)
{
  static const guint script[] = { 500, 404, 503 };
  HfTestReceiver *r = hf_test_receiver_new (script, G_N_ELEMENTS (script));
  HfWebhook *w = hf_test_webhook_new (r->url, 20, 3);
  HfWebhookStats s;

  hf_test_post_n (w, 1);
  hf_test_post_n (w, 2);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).given_up == 1);
  s = hf_test_stats (w);
  fail_unless_equals_uint64 (s.failed_attempts, 3);
  fail_unless_equals_uint64 (s.delivered, 0);

  HF_TEST_WAIT_UNTIL (hf_test_stats (w).delivered == 1);
  fail_unless_equals_int (r->bodies->len, 4);
  fail_unless_equals_int (hf_test_body_n (r, 2), 1);
  fail_unless_equals_int (hf_test_body_n (r, 3), 2);
  s = hf_test_stats (w);
  fail_unless_equals_uint64 (s.queued, 2);
  fail_unless_equals_uint64 (s.attempts, 4);
  fail_unless_equals_uint64 (s.failed_attempts, 3);
  fail_unless_equals_uint64 (s.given_up, 1);
  fail_unless_equals_int (s.waiting, 0);

  hf_webhook_free (w);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_redirect_is_a_failed_attempt)
{
  static const guint script[] = { 302 };
  HfTestReceiver *r = hf_test_receiver_new (script, G_N_ELEMENTS (script));
  HfWebhook *w = hf_test_webhook_new (r->url, 20, 5);
  HfWebhookStats s;

  hf_test_post_n (w, 1);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).delivered == 1);
  /* Not followed: both requests are the POST to /hook. */
  fail_unless_equals_int (r->bodies->len, 2);
  fail_unless_equals_string (g_ptr_array_index (r->methods, 1), "POST");
  s = hf_test_stats (w);
  fail_unless_equals_uint64 (s.attempts, 2);
  fail_unless_equals_uint64 (s.failed_attempts, 1);

  hf_webhook_free (w);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_notifications_arrive_in_order_one_at_a_time)
{
  HfTestReceiver *r = hf_test_receiver_new (NULL, 0);
  HfWebhook *w = hf_test_webhook_new (r->url, 20, 5);
  guint i;

  /* Each answer takes 30 ms: a second request sent meanwhile would be
   * seen as two unanswered at once. */
  r->delay_ms = 30;
  hf_test_post_n (w, 1);
  hf_test_post_n (w, 2);
  hf_test_post_n (w, 3);
  fail_unless_equals_int (hf_test_stats (w).waiting, 3);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).delivered == 3);

  fail_unless_equals_int (r->bodies->len, 3);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (hf_test_body_n (r, i), i + 1);
  fail_unless_equals_int (r->max_unanswered, 1);
  fail_unless (hf_test_gap_ms (r, 1) >= 30 && hf_test_gap_ms (r, 2) >= 30);
  fail_unless_equals_uint64 (hf_test_stats (w).attempts, 3);
  fail_unless_equals_int (hf_test_stats (w).waiting, 0);

  hf_webhook_free (w);
  hf_test_receiver_free (r);
}

GST_END_TEST;

/* A port on 127.0.0.1 that nobody listens on (bound, then closed). */
static guint16
hf_test_closed_port (void)
{
  GError *err = NULL;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound;
  guint16 port;

  fail_unless (sock != NULL);
  fail_unless (g_socket_bind (sock, any, FALSE, &err), "bind: %s",
      err ? err->message : "?");
  bound = g_socket_get_local_address (sock, &err);
  fail_unless (bound != NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (sock, NULL);
  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (lo);
  g_object_unref (sock);
  return port;
}

GST_START_TEST (test_refused_connection_is_a_failed_attempt)
{
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u/hook",
      hf_test_closed_port ());
  HfWebhook *w = hf_test_webhook_new (url, 20, 2);
  HfWebhookStats s;
  gchar *last_error;

  hf_test_post_n (w, 1);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).given_up == 1);
  s = hf_test_stats (w);
  fail_unless_equals_uint64 (s.attempts, 2);
  fail_unless_equals_uint64 (s.failed_attempts, 2);
  fail_unless_equals_uint64 (s.delivered, 0);
  fail_unless_equals_int (s.waiting, 0);
  last_error = hf_test_last_error (w);
  fail_unless (last_error != NULL && strlen (last_error) > 10);
  GST_INFO ("last_error: %s", last_error);
  g_free (last_error);

  hf_webhook_free (w);
  g_free (url);
}

GST_END_TEST;

GST_START_TEST (test_silent_receiver_times_out_and_is_retried)
{
  HfTestReceiver *r = hf_test_receiver_new (NULL, 0);
  HfWebhookConfig c;
  HfWebhook *w;
  HfWebhookStats s;
  gchar *last_error;
  gint64 posted_us, failed_ms, retry_ms;

  /* Attempts to spare: on a loaded machine a retry may miss 200 ms too. */
  hf_webhook_config_init (&c);
  c.timeout_ms = 200;
  c.backoff_ms = 20;
  c.max_backoff_ms = 20;
  c.max_attempts = 10;
  w = hf_webhook_new (r->url, &c, NULL);
  fail_unless (w != NULL);

  /* The first request is never answered; the retry is. */
  r->hold = TRUE;
  posted_us = g_get_monotonic_time ();
  hf_test_post_n (w, 1);
  HF_TEST_WAIT_UNTIL (r->bodies->len == 1);
  r->hold = FALSE;

  /* The timeout runs from the send, which is after posted_us and before
   * the first request arrives (connecting may take a while in a
   * sanitizer build). */
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).failed_attempts >= 1);
  failed_ms = (g_get_monotonic_time () - posted_us) / 1000;
  fail_unless (failed_ms >= 200, "timed out after %" G_GINT64_FORMAT " ms",
      failed_ms);
  /* Well under a second: a timeout in whole seconds (SoupSession's
   * "timeout") would not pass. */
  fail_unless (failed_ms < 1000, "timed out after %" G_GINT64_FORMAT
      " ms, not 200", failed_ms);
  last_error = hf_test_last_error (w);
  fail_unless (last_error && strstr (last_error, "no answer within 200 ms"),
      "last_error: %s", last_error);
  g_free (last_error);

  HF_TEST_WAIT_UNTIL (hf_test_stats (w).delivered == 1);
  fail_unless (r->bodies->len >= 2);
  fail_unless_equals_string (g_ptr_array_index (r->bodies,
          r->bodies->len - 1), g_ptr_array_index (r->bodies, 0));
  retry_ms = (g_array_index (r->arrivals_us, gint64, 1) - posted_us) / 1000;
  fail_unless (retry_ms >= 200 + 20, "retry %" G_GINT64_FORMAT
      " ms after the post", retry_ms);
  /* On a loaded machine the retry may itself miss the 200 ms and be
   * retried again: every attempt but the last failed, none given up. */
  s = hf_test_stats (w);
  fail_unless (s.failed_attempts >= 1);
  fail_unless_equals_uint64 (s.attempts, s.failed_attempts + 1);
  fail_unless_equals_uint64 (s.delivered, 1);
  fail_unless_equals_uint64 (s.given_up, 0);

  hf_webhook_free (w);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_full_queue_drops_the_oldest_waiting)
{
  HfTestReceiver *r = hf_test_receiver_new (NULL, 0);
  HfWebhookConfig c;
  HfWebhook *w;
  HfWebhookStats s;
  gint i;

  hf_webhook_config_init (&c);
  c.max_queue = 2;
  c.backoff_ms = 20;
  w = hf_webhook_new (r->url, &c, NULL);
  fail_unless (w != NULL);

  /* 1 goes at once and is held; 2, 3, 4 are pushed out in turn by the
   * next one: the queue is 1 (in flight) and 5. */
  r->hold = TRUE;
  for (i = 1; i <= 5; i++)
    hf_test_post_n (w, i);
  s = hf_test_stats (w);
  fail_unless_equals_uint64 (s.queued, 5);
  fail_unless_equals_uint64 (s.dropped, 3);
  fail_unless_equals_int (s.waiting, 2);

  HF_TEST_WAIT_UNTIL (r->bodies->len == 1);
  hf_test_receiver_release (r);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).delivered == 2);
  fail_unless_equals_int (r->bodies->len, 2);
  fail_unless_equals_int (hf_test_body_n (r, 0), 1);
  fail_unless_equals_int (hf_test_body_n (r, 1), 5);
  s = hf_test_stats (w);
  fail_unless_equals_uint64 (s.dropped, 3);
  fail_unless_equals_uint64 (s.attempts, 2);
  fail_unless_equals_int (s.waiting, 0);

  hf_webhook_free (w);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_free_while_in_flight)
{
  HfTestReceiver *r = hf_test_receiver_new (NULL, 0);
  HfWebhook *w = hf_test_webhook_new (r->url, 20, 5);

  r->hold = TRUE;
  hf_test_post_n (w, 1);
  hf_test_post_n (w, 2);
  HF_TEST_WAIT_UNTIL (r->bodies->len == 1);
  hf_webhook_free (w);
  /* The cancelled request's callback runs now, the webhook gone; then an
   * answer arriving late changes nothing either. */
  hf_test_drive (100);
  hf_test_receiver_release (r);
  hf_test_drive (50);
  fail_unless_equals_int (r->bodies->len, 1);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_free_before_the_request_connects)
{
  HfTestReceiver *r = hf_test_receiver_new (NULL, 0);
  HfWebhook *w = hf_test_webhook_new (r->url, 20, 5);

  hf_test_post_n (w, 1);
  hf_webhook_free (w);
  hf_test_drive (100);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_free_while_waiting_to_retry)
{
  static const guint script[] = { 500 };
  HfTestReceiver *r = hf_test_receiver_new (script, G_N_ELEMENTS (script));
  HfWebhook *w = hf_test_webhook_new (r->url, 60000, 5);

  hf_test_post_n (w, 1);
  hf_test_post_n (w, 2);
  HF_TEST_WAIT_UNTIL (hf_test_stats (w).failed_attempts == 1);
  fail_unless_equals_int (hf_test_stats (w).waiting, 2);
  hf_webhook_free (w);
  hf_test_drive (50);
  fail_unless_equals_int (r->bodies->len, 1);
  hf_test_receiver_free (r);
}

GST_END_TEST;

GST_START_TEST (test_bad_urls_are_refused)
{
  static const gchar *bad[] = {
    "", "not a url", "ftp://example.com/hook", "file:///tmp/hook",
    "http://", "https:///path", "mailto:ops@example.com", "127.0.0.1:80",
  };
  static const gchar *good[] = {
    "http://127.0.0.1:1/hook", "https://hooks.example.com/a/b?c=d",
    "HTTP://example.com", "http://[::1]:8080/",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GError *err = NULL;
    HfWebhook *w = hf_webhook_new (bad[i], NULL, &err);

    fail_unless (w == NULL, "accepted '%s'", bad[i]);
    fail_unless (g_error_matches (err, HF_CONFIG_ERROR,
            HF_CONFIG_ERROR_INVALID), "'%s': no error", bad[i]);
    g_error_free (err);
  }
  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    GError *err = NULL;
    HfWebhook *w = hf_webhook_new (good[i], NULL, &err);

    fail_unless (w != NULL, "refused '%s': %s", good[i],
        err ? err->message : "?");
    fail_unless (hf_webhook_get_url (w) != NULL);
    hf_webhook_free (w);
  }
  {
    /* What logs, the API and /metrics show never has the password. */
    HfWebhook *w = hf_webhook_new ("http://ops:s3cret@127.0.0.1:9/hook",
        NULL, NULL);

    fail_unless (w != NULL);
    fail_if (strstr (hf_webhook_get_url (w), "s3cret"), "%s",
        hf_webhook_get_url (w));
    fail_unless (strstr (hf_webhook_get_url (w), "127.0.0.1:9/hook"));
    hf_webhook_free (w);
  }
}

GST_END_TEST;

GST_START_TEST (test_json_has_the_documented_fields)
{
  static const gchar *counters[] = { "queued", "delivered", "attempts",
    "failed_attempts", "given_up", "dropped", "waiting"
  };
  HfWebhook *w = hf_webhook_new ("http://ops:secret@127.0.0.1:1/hook", NULL,
      NULL);
  JsonNode *root;
  JsonObject *o;
  guint i;

  fail_unless (w != NULL);
  root = hf_webhook_to_json (w);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root));
  o = json_node_get_object (root);
  /* The password stays out of what the API shows. */
  fail_unless_equals_string (json_object_get_string_member (o, "url"),
      "http://ops@127.0.0.1:1/hook");
  for (i = 0; i < G_N_ELEMENTS (counters); i++) {
    JsonNode *n = json_object_get_member (o, counters[i]);

    fail_unless (n != NULL, "no %s", counters[i]);
    fail_unless_equals_int (json_node_get_value_type (n), G_TYPE_INT64);
    fail_unless_equals_int (json_node_get_int (n), 0);
  }
  fail_unless (JSON_NODE_HOLDS_NULL (json_object_get_member (o, "last_error")));
  fail_unless_equals_int (json_object_get_size (o), 9);
  json_node_unref (root);
  hf_webhook_free (w);
}

GST_END_TEST;

static Suite *
hf_webhook_suite (void)
{
  Suite *s = suite_create ("hf-webhook");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_retry_after_500_sends_same_body_after_backoff);
  tcase_add_test (tc, test_backoff_doubles_each_retry);
  tcase_add_test (tc, test_backoff_stops_growing_at_max_backoff);
  tcase_add_test (tc, test_gives_up_after_max_attempts_then_delivers_next);
  tcase_add_test (tc, test_redirect_is_a_failed_attempt);
  tcase_add_test (tc, test_notifications_arrive_in_order_one_at_a_time);
  tcase_add_test (tc, test_refused_connection_is_a_failed_attempt);
  tcase_add_test (tc, test_silent_receiver_times_out_and_is_retried);
  tcase_add_test (tc, test_full_queue_drops_the_oldest_waiting);
  tcase_add_test (tc, test_free_while_in_flight);
  tcase_add_test (tc, test_free_before_the_request_connects);
  tcase_add_test (tc, test_free_while_waiting_to_retry);
  tcase_add_test (tc, test_bad_urls_are_refused);
  tcase_add_test (tc, test_json_has_the_documented_fields);
  return s;
}

GST_CHECK_MAIN (hf_webhook);

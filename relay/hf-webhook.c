/* Webhook delivery: JSON notifications (alerts) POSTed to one URL, one at a
 * time and in order, with retries and exponential backoff (issue 5).
 *
 * Each HfWebhook has its own SoupSession and works on the GMainContext
 * that was thread-default when it was made (the control context in the
 * relay): the answers of libsoup, the per-attempt timeout and the retry
 * timer are all dispatched there.  Only the thread that owns that context
 * calls the API; nothing here takes a lock.
 *
 * A notification is "current" from the moment its first attempt starts
 * until it is delivered or given up: in flight, or waiting for its retry
 * timer.  The others wait in a queue behind it.  The queue is bounded:
 * beyond max_queue notifications (the current one included, as
 * HfWebhookStats.waiting counts them) the oldest one that has not started
 * is dropped; the current one never is.
 *
 * An attempt in flight is described by an HfWebhookAttempt that belongs
 * to libsoup's callback: hf_webhook_free () cuts its link to the webhook
 * and cancels it, and the callback, which libsoup still runs later (on the
 * same context), then only frees the attempt.
 */
#include "relay/hf-relay.h"

#include <libsoup/soup.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_webhook_debug);
#define GST_CAT_DEFAULT hf_webhook_debug

#define HF_WEBHOOK_USER_AGENT "holdfast/" HF_VERSION

/* One notification: its body as serialised when it was posted. */
typedef struct
{
  guint64 id;                   /* 1, 2, ... in post order (for logs) */
  GBytes *body;
  guint attempts;               /* started so far */
} HfWebhookNote;

typedef struct _HfWebhookAttempt HfWebhookAttempt;

struct _HfWebhook
{
  gchar *url;                   /* as given */
  gchar *log_url;               /* the same without its password, if any:
                                 * for logs and the JSON */
  GUri *uri;
  HfWebhookConfig config;
  GMainContext *context;
  SoupSession *session;

  HfWebhookNote *current;       /* in flight or waiting for its retry */
  HfWebhookAttempt *attempt;    /* current's attempt in flight, or NULL */
  GSource *retry_source;        /* current's retry timer, or NULL */
  GQueue waiting;               /* (element-type HfWebhookNote) not started
                                 * yet, oldest first */
  guint64 next_id;

  guint64 queued;
  guint64 delivered;
  guint64 attempts;
  guint64 failed_attempts;
  guint64 given_up;
  guint64 dropped;
  gchar *last_error;            /* NULL until an attempt fails */
};

/* One POST in flight.  Owned by hf_webhook_on_answer (), which frees it;
 * @webhook is NULL once the webhook is freed. */
struct _HfWebhookAttempt
{
  HfWebhook *webhook;           /* (transfer none) (nullable) */
  SoupMessage *msg;
  GCancellable *cancellable;
  GSource *timeout_source;      /* the per-attempt timeout, or NULL */
  gboolean timed_out;
  gint64 started_us;
};

void
hf_webhook_config_init (HfWebhookConfig * config)
{
  g_return_if_fail (config != NULL);

  config->timeout_ms = 5000;
  config->max_attempts = 5;
  config->backoff_ms = 1000;
  config->max_backoff_ms = 30000;
  config->max_queue = 256;
}

static void
hf_webhook_note_free (HfWebhookNote * note)
{
  if (!note)
    return;
  g_bytes_unref (note->body);
  g_free (note);
}

static void
hf_webhook_attempt_free (HfWebhookAttempt * a)
{
  if (a->timeout_source) {
    g_source_destroy (a->timeout_source);
    g_source_unref (a->timeout_source);
  }
  g_object_unref (a->msg);
  g_object_unref (a->cancellable);
  g_free (a);
}

/* The delay before retry number @failed (1 after the first failure):
 * backoff_ms * 2^(failed - 1), at most max_backoff_ms. */
static guint
hf_webhook_backoff_ms (const HfWebhookConfig * config, guint failed)
{
  gint64 delay = config->backoff_ms;
  guint i;

  for (i = 1; i < failed && delay < config->max_backoff_ms; i++)
    delay *= 2;
  return (guint) MIN (delay, (gint64) config->max_backoff_ms);
}

static void hf_webhook_send (HfWebhook * webhook);

/* Starts the next waiting notification if none is current. */
static void
hf_webhook_start_next (HfWebhook * webhook)
{
  if (webhook->current)
    return;
  webhook->current = g_queue_pop_head (&webhook->waiting);
  if (webhook->current)
    hf_webhook_send (webhook);
}

/* The current notification is done with (delivered or given up). */
static void
hf_webhook_finish_current (HfWebhook * webhook)
{
  hf_webhook_note_free (webhook->current);
  webhook->current = NULL;
  hf_webhook_start_next (webhook);
}

/* Retry timer of the current notification.  Control context. */
static gboolean
hf_webhook_on_retry (gpointer user_data)
{
  HfWebhook *webhook = user_data;

  g_source_unref (webhook->retry_source);
  webhook->retry_source = NULL;
  hf_webhook_send (webhook);
  return G_SOURCE_REMOVE;
}

/* An attempt of the current notification failed because of @reason (a
 * phrase): retry it after the backoff, or give it up. */
static void
hf_webhook_attempt_failed (HfWebhook * webhook, const gchar * reason)
{
  HfWebhookNote *note = webhook->current;
  guint delay_ms;

  webhook->failed_attempts++;
  g_free (webhook->last_error);
  webhook->last_error = g_strdup_printf ("Attempt %u/%u of notification %"
      G_GUINT64_FORMAT " failed: %s.", note->attempts,
      webhook->config.max_attempts, note->id, reason);

  if (note->attempts >= webhook->config.max_attempts) {
    GST_WARNING ("%s: attempt %u/%u of notification %" G_GUINT64_FORMAT
        " failed: %s", webhook->log_url, note->attempts,
        webhook->config.max_attempts, note->id, reason);
    GST_WARNING ("%s: giving up notification %" G_GUINT64_FORMAT " after %u "
        "attempts", webhook->log_url, note->id, note->attempts);
    webhook->given_up++;
    hf_webhook_finish_current (webhook);
    return;
  }

  delay_ms = hf_webhook_backoff_ms (&webhook->config, note->attempts);
  GST_WARNING ("%s: attempt %u/%u of notification %" G_GUINT64_FORMAT
      " failed: %s; retrying in %u ms", webhook->log_url, note->attempts,
      webhook->config.max_attempts, note->id, reason, delay_ms);
  webhook->retry_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (webhook->retry_source, hf_webhook_on_retry, webhook,
      NULL);
  g_source_attach (webhook->retry_source, webhook->context);
}

/* libsoup's answer (or failure) of an attempt; also runs, later, for an
 * attempt that hf_webhook_free () cancelled.  Control context. */
static void
hf_webhook_on_answer (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  HfWebhookAttempt *a = user_data;
  HfWebhook *webhook = a->webhook;
  GError *err = NULL;
  GBytes *answer;
  gchar *reason = NULL;
  guint status;
  gint64 elapsed_ms;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &err);
  if (answer)
    g_bytes_unref (answer);
  if (!webhook) {
    /* The webhook is gone: only the attempt is left to free. */
    g_clear_error (&err);
    hf_webhook_attempt_free (a);
    return;
  }
  webhook->attempt = NULL;

  status = soup_message_get_status (a->msg);
  elapsed_ms = (g_get_monotonic_time () - a->started_us) / 1000;
  if (a->timed_out) {
    reason = g_strdup_printf ("no answer within %d ms",
        webhook->config.timeout_ms);
  } else if (err) {
    reason = g_strdup (err->message);
  } else if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    const gchar *phrase = soup_message_get_reason_phrase (a->msg);

    reason = g_strdup_printf ("HTTP %u%s%s", status, phrase ? " " : "",
        phrase ? phrase : "");
  }
  g_clear_error (&err);

  if (!reason) {
    HfWebhookNote *note = webhook->current;

    GST_INFO ("%s: notification %" G_GUINT64_FORMAT " delivered: HTTP %u, "
        "attempt %u/%u, %" G_GINT64_FORMAT " ms", webhook->log_url, note->id,
        status, note->attempts, webhook->config.max_attempts, elapsed_ms);
    webhook->delivered++;
    hf_webhook_attempt_free (a);
    hf_webhook_finish_current (webhook);
    return;
  }
  hf_webhook_attempt_free (a);
  hf_webhook_attempt_failed (webhook, reason);
  g_free (reason);
}

/* The per-attempt timeout.  Cancelling may run hf_webhook_on_answer ()
 * (and free @a) before g_cancellable_cancel () returns: @a is not touched
 * after it.  Control context. */
static gboolean
hf_webhook_on_timeout (gpointer user_data)
{
  HfWebhookAttempt *a = user_data;
  GCancellable *cancellable = g_object_ref (a->cancellable);

  g_source_unref (a->timeout_source);
  a->timeout_source = NULL;
  a->timed_out = TRUE;
  g_cancellable_cancel (cancellable);
  g_object_unref (cancellable);
  return G_SOURCE_REMOVE;
}

/* Starts an attempt of the current notification. */
static void
hf_webhook_send (HfWebhook * webhook)
{
  HfWebhookNote *note = webhook->current;
  HfWebhookAttempt *a = g_new0 (HfWebhookAttempt, 1);

  a->webhook = webhook;
  a->cancellable = g_cancellable_new ();
  a->msg = soup_message_new_from_uri (SOUP_METHOD_POST, webhook->uri);
  /* A redirect is an answer other than 2xx: a failed attempt, not a POST
   * turned into a GET somewhere else. */
  soup_message_add_flags (a->msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_set_request_body_from_bytes (a->msg, "application/json",
      note->body);
  a->started_us = g_get_monotonic_time ();
  a->timeout_source = g_timeout_source_new (webhook->config.timeout_ms);
  g_source_set_callback (a->timeout_source, hf_webhook_on_timeout, a, NULL);
  g_source_attach (a->timeout_source, webhook->context);

  note->attempts++;
  webhook->attempts++;
  webhook->attempt = a;
  GST_DEBUG ("%s: notification %" G_GUINT64_FORMAT ", attempt %u/%u",
      webhook->log_url, note->id, note->attempts, webhook->config.max_attempts);

  /* libsoup answers on the thread-default context of this call, and
   * asserts that it is the same one when it dispatches: make sure it is
   * ours even if a timer of ours is dispatched by someone else's loop. */
  g_main_context_push_thread_default (webhook->context);
  soup_session_send_and_read_async (webhook->session, a->msg,
      G_PRIORITY_DEFAULT, a->cancellable, hf_webhook_on_answer, a);
  g_main_context_pop_thread_default (webhook->context);
}

/* (transfer full) @url parsed as libsoup parses it, or NULL if it is not
 * an http(s) URL with a host. */
static GUri *
hf_webhook_parse_url (const gchar * url)
{
  GUri *uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  const gchar *scheme;
  const gchar *host;

  if (!uri)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if ((g_ascii_strcasecmp (scheme, "http") != 0 &&
          g_ascii_strcasecmp (scheme, "https") != 0) || !host || !*host) {
    g_uri_unref (uri);
    return NULL;
  }
  return uri;
}

HfWebhook *
hf_webhook_new (const gchar * url, const HfWebhookConfig * config,
    GError ** error)
{
  static gsize debug_once = 0;
  HfWebhook *webhook;
  GUri *uri;

  g_return_val_if_fail (url != NULL, NULL);

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (hf_webhook_debug, "hf-webhook", 0,
        "Holdfast webhook delivery");
    g_once_init_leave (&debug_once, 1);
  }

  uri = hf_webhook_parse_url (url);
  if (!uri) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "webhook '%s' is not an http:// or https:// URL with a host", url);
    return NULL;
  }

  webhook = g_new0 (HfWebhook, 1);
  webhook->url = g_strdup (url);
  webhook->log_url = g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD);
  webhook->uri = uri;
  if (config)
    webhook->config = *config;
  else
    hf_webhook_config_init (&webhook->config);
  /* What the config parser never gives, made harmless rather than
   * asserted: at least one attempt and one queued notification, a
   * timeout, no negative delays, a cap no lower than the first delay. */
  webhook->config.max_attempts = MAX (webhook->config.max_attempts, 1);
  webhook->config.max_queue = MAX (webhook->config.max_queue, 1);
  webhook->config.timeout_ms = MAX (webhook->config.timeout_ms, 1);
  webhook->config.backoff_ms = MAX (webhook->config.backoff_ms, 0);
  webhook->config.max_backoff_ms = MAX (webhook->config.max_backoff_ms,
      webhook->config.backoff_ms);

  webhook->context = g_main_context_ref_thread_default ();
  g_main_context_push_thread_default (webhook->context);
  webhook->session = soup_session_new_with_options ("user-agent",
      HF_WEBHOOK_USER_AGENT, NULL);
  g_main_context_pop_thread_default (webhook->context);
  g_queue_init (&webhook->waiting);
  webhook->next_id = 1;

  GST_INFO ("%s: webhook ready (timeout %d ms, %u attempts, backoff %d..%d "
      "ms, queue %u)", webhook->log_url, webhook->config.timeout_ms,
      webhook->config.max_attempts, webhook->config.backoff_ms,
      webhook->config.max_backoff_ms, webhook->config.max_queue);
  return webhook;
}

void
hf_webhook_free (HfWebhook * webhook)
{
  if (!webhook)
    return;

  if (webhook->retry_source) {
    g_source_destroy (webhook->retry_source);
    g_source_unref (webhook->retry_source);
    webhook->retry_source = NULL;
  }
  if (webhook->attempt) {
    HfWebhookAttempt *a = webhook->attempt;
    GCancellable *cancellable = g_object_ref (a->cancellable);

    /* Cut the link first: the callback may run inside the cancel. */
    webhook->attempt = NULL;
    a->webhook = NULL;
    if (a->timeout_source) {
      g_source_destroy (a->timeout_source);
      g_source_unref (a->timeout_source);
      a->timeout_source = NULL;
    }
    g_cancellable_cancel (cancellable);
    g_object_unref (cancellable);
  }
  if (webhook->current || !g_queue_is_empty (&webhook->waiting))
    GST_INFO ("%s: closed with %u notification(s) undelivered",
        webhook->log_url, g_queue_get_length (&webhook->waiting) +
        (webhook->current ? 1 : 0));
  hf_webhook_note_free (webhook->current);
  g_queue_clear_full (&webhook->waiting, (GDestroyNotify) hf_webhook_note_free);

  /* The session lives on in libsoup's hands until the cancelled request's
   * callback has run. */
  soup_session_abort (webhook->session);
  g_object_unref (webhook->session);
  g_main_context_unref (webhook->context);
  g_uri_unref (webhook->uri);
  g_free (webhook->last_error);
  g_free (webhook->log_url);
  g_free (webhook->url);
  g_free (webhook);
}

const gchar *
hf_webhook_get_url (HfWebhook * webhook)
{
  g_return_val_if_fail (webhook != NULL, NULL);

  /* Shown in logs, the API and /metrics: never a password. */
  return webhook->log_url;
}

void
hf_webhook_post (HfWebhook * webhook, JsonNode * body)
{
  HfWebhookNote *note;
  gchar *text;

  g_return_if_fail (webhook != NULL);
  g_return_if_fail (body != NULL);

  text = json_to_string (body, FALSE);
  note = g_new0 (HfWebhookNote, 1);
  note->id = webhook->next_id++;
  note->body = g_bytes_new_take (text, strlen (text));
  webhook->queued++;
  g_queue_push_tail (&webhook->waiting, note);
  hf_webhook_start_next (webhook);

  /* Over the bound: drop the oldest that has not started (possibly the
   * one just posted, when only the current one is ahead of it). */
  while (!g_queue_is_empty (&webhook->waiting) &&
      g_queue_get_length (&webhook->waiting) + (webhook->current ? 1 : 0) >
      webhook->config.max_queue) {
    HfWebhookNote *old = g_queue_pop_head (&webhook->waiting);

    GST_WARNING ("%s: queue full (%u): dropped notification %"
        G_GUINT64_FORMAT, webhook->log_url, webhook->config.max_queue, old->id);
    webhook->dropped++;
    hf_webhook_note_free (old);
  }
}

void
hf_webhook_get_stats (HfWebhook * webhook, HfWebhookStats * stats)
{
  g_return_if_fail (webhook != NULL);
  g_return_if_fail (stats != NULL);

  memset (stats, 0, sizeof (*stats));
  stats->queued = webhook->queued;
  stats->delivered = webhook->delivered;
  stats->attempts = webhook->attempts;
  stats->failed_attempts = webhook->failed_attempts;
  stats->given_up = webhook->given_up;
  stats->dropped = webhook->dropped;
  stats->waiting = g_queue_get_length (&webhook->waiting) +
      (webhook->current ? 1 : 0);
}

JsonNode *
hf_webhook_to_json (HfWebhook * webhook)
{
  JsonBuilder *b;
  JsonNode *node;
  HfWebhookStats s;

  g_return_val_if_fail (webhook != NULL, NULL);

  hf_webhook_get_stats (webhook, &s);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, webhook->log_url);
  json_builder_set_member_name (b, "queued");
  json_builder_add_int_value (b, (gint64) s.queued);
  json_builder_set_member_name (b, "delivered");
  json_builder_add_int_value (b, (gint64) s.delivered);
  json_builder_set_member_name (b, "attempts");
  json_builder_add_int_value (b, (gint64) s.attempts);
  json_builder_set_member_name (b, "failed_attempts");
  json_builder_add_int_value (b, (gint64) s.failed_attempts);
  json_builder_set_member_name (b, "given_up");
  json_builder_add_int_value (b, (gint64) s.given_up);
  json_builder_set_member_name (b, "dropped");
  json_builder_add_int_value (b, (gint64) s.dropped);
  json_builder_set_member_name (b, "waiting");
  json_builder_add_int_value (b, s.waiting);
  json_builder_set_member_name (b, "last_error");
  if (webhook->last_error)
    json_builder_add_string_value (b, webhook->last_error);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

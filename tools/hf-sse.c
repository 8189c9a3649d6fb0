/* hf-sse: the Server-Sent Events parser and client (see hf-sse.h for the
 * format and the contracts).
 *
 * The parser works in two stages, each a small function:
 * hf_sse_parser_feed() cuts the bytes into lines (keeping a partial line,
 * and a CR whose LF may come in the next chunk, across calls);
 * hf_sse_parser_line() interprets one line and hf_sse_parser_dispatch()
 * turns the fields gathered so far into a frame at a blank line.
 *
 * The client keeps one connection (HfSseConn) at a time.  A connection
 * always has one asynchronous operation under way (the request, then one
 * read after another) except inside that operation's callback; a
 * connection that is dropped is marked abandoned and cancelled, and that
 * callback frees it.  So nothing is freed under a pending operation.
 *
 * Threads: the parser, whichever thread owns it; the client, the
 * thread-default main context of the thread that created it.
 */

#include <string.h>

#include "tools/hf-sse.h"

/* Bytes asked for per read of the stream. */
#define HF_SSE_READ_SIZE 16384

struct _HfSseParser
{
  gsize max_len;
  GString *line;                /* the line being received */
  gboolean skip_lf;             /* the last line ended with CR: a LF that
                                 * follows belongs to that line end */
  gboolean first_line;          /* a byte order mark may open it */
  gboolean failed;              /* went over the limit: refuses all */

  /* The frame being gathered. */
  GString *data;                /* data lines, each followed by '\n' */
  gchar *event;                 /* (nullable) */
  gchar *id;                    /* (nullable) */

  gchar *last_id;               /* (nullable) survives frames */
  gint retry_ms;
  HfSseStats stats;
};

HfSseParser *
hf_sse_parser_new (gsize max_len)
{
  HfSseParser *parser = g_new0 (HfSseParser, 1);

  parser->max_len = max_len > 0 ? max_len : HF_SSE_DEFAULT_MAX_LEN;
  parser->line = g_string_new (NULL);
  parser->data = g_string_new (NULL);
  parser->first_line = TRUE;
  parser->retry_ms = -1;
  return parser;
}

void
hf_sse_parser_free (HfSseParser * parser)
{
  if (parser == NULL)
    return;
  g_string_free (parser->line, TRUE);
  g_string_free (parser->data, TRUE);
  g_free (parser->event);
  g_free (parser->id);
  g_free (parser->last_id);
  g_free (parser);
}

void
hf_sse_frame_free (HfSseFrame * frame)
{
  if (frame == NULL)
    return;
  g_free (frame->event);
  g_free (frame->id);
  g_free (frame->data);
  g_free (frame);
}

/* A blank line: the gathered fields become a frame, if there was data. */
static void
hf_sse_parser_dispatch (HfSseParser * parser, GPtrArray * frames)
{
  HfSseFrame *frame;

  if (parser->data->len == 0) {
    /* Only an event name or an id: nothing to deliver. */
    parser->stats.empty_frames++;
    g_clear_pointer (&parser->event, g_free);
    g_clear_pointer (&parser->id, g_free);
    return;
  }

  frame = g_new0 (HfSseFrame, 1);
  frame->event = parser->event != NULL ? parser->event : g_strdup ("message");
  parser->event = NULL;
  frame->id = parser->id;
  parser->id = NULL;
  /* Every data line added a '\n': the last one is not part of the data. */
  frame->data_len = parser->data->len - 1;
  g_string_truncate (parser->data, frame->data_len);
  frame->data = g_string_free (parser->data, FALSE);
  parser->data = g_string_new (NULL);
  parser->stats.frames++;
  g_ptr_array_add (frames, frame);
}

/* "retry:" takes ASCII digits only; anything else is ignored. */
static void
hf_sse_parser_retry (HfSseParser * parser, const gchar * value, gsize len)
{
  gint64 ms = 0;
  gsize i;

  if (len == 0) {
    parser->stats.bad_retry++;
    return;
  }
  for (i = 0; i < len; i++) {
    if (!g_ascii_isdigit (value[i])) {
      parser->stats.bad_retry++;
      return;
    }
    ms = MIN (ms * 10 + (value[i] - '0'), (gint64) G_MAXINT);
  }
  parser->retry_ms = (gint) ms;
}

static gboolean
hf_sse_field_is (const gchar * line, gsize name_len, const gchar * name)
{
  return name_len == strlen (name) && memcmp (line, name, name_len) == 0;
}

/* One line, without its line end. */
static HfSseResult
hf_sse_parser_line (HfSseParser * parser, const gchar * line, gsize len,
    GPtrArray * frames)
{
  const gchar *colon, *value;
  gsize name_len, value_len;

  parser->stats.lines++;
  if (parser->first_line) {
    parser->first_line = FALSE;
    if (len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0) {
      line += 3;
      len -= 3;
    }
  }

  if (len == 0) {
    hf_sse_parser_dispatch (parser, frames);
    return HF_SSE_OK;
  }
  if (line[0] == ':') {
    parser->stats.comments++;
    return HF_SSE_OK;
  }

  /* "name: value" (one space after the colon is not part of the value);
   * a line without a colon is a name with an empty value. */
  colon = memchr (line, ':', len);
  name_len = colon != NULL ? (gsize) (colon - line) : len;
  value = colon != NULL ? colon + 1 : line + len;
  value_len = len - (value - line);
  if (value_len > 0 && value[0] == ' ') {
    value++;
    value_len--;
  }

  if (hf_sse_field_is (line, name_len, "data")) {
    if (parser->data->len + value_len + 1 > parser->max_len)
      return HF_SSE_TOO_LONG;
    g_string_append_len (parser->data, value, value_len);
    g_string_append_c (parser->data, '\n');
  } else if (hf_sse_field_is (line, name_len, "event")) {
    g_free (parser->event);
    parser->event = g_strndup (value, value_len);
  } else if (hf_sse_field_is (line, name_len, "id")) {
    /* The standard ignores an id holding a NUL. */
    if (memchr (value, '\0', value_len) == NULL) {
      g_free (parser->id);
      parser->id = g_strndup (value, value_len);
      g_free (parser->last_id);
      parser->last_id = g_strndup (value, value_len);
    }
  } else if (hf_sse_field_is (line, name_len, "retry")) {
    hf_sse_parser_retry (parser, value, value_len);
  } else {
    parser->stats.unknown_fields++;
  }
  return HF_SSE_OK;
}

HfSseResult
hf_sse_parser_feed (HfSseParser * parser, const gchar * data, gsize len,
    GPtrArray * frames)
{
  gsize i = 0, end;

  g_return_val_if_fail (parser != NULL, HF_SSE_TOO_LONG);
  g_return_val_if_fail (data != NULL || len == 0, HF_SSE_TOO_LONG);
  g_return_val_if_fail (frames != NULL, HF_SSE_TOO_LONG);

  if (parser->failed)
    return HF_SSE_TOO_LONG;
  parser->stats.bytes += len;

  while (i < len) {
    if (parser->skip_lf) {
      parser->skip_lf = FALSE;
      if (data[i] == '\n') {
        i++;
        continue;
      }
    }

    /* The run of bytes up to the next line end joins the partial line. */
    for (end = i; end < len && data[end] != '\r' && data[end] != '\n'; end++);
    if (parser->line->len + (end - i) > parser->max_len) {
      parser->failed = TRUE;
      return HF_SSE_TOO_LONG;
    }
    g_string_append_len (parser->line, data + i, end - i);
    if (end == len)
      break;

    parser->skip_lf = (data[end] == '\r');
    i = end + 1;
    if (hf_sse_parser_line (parser, parser->line->str, parser->line->len,
            frames) != HF_SSE_OK) {
      parser->failed = TRUE;
      return HF_SSE_TOO_LONG;
    }
    g_string_truncate (parser->line, 0);
  }
  return HF_SSE_OK;
}

gint
hf_sse_parser_get_retry_ms (HfSseParser * parser)
{
  return parser->retry_ms;
}

const gchar *
hf_sse_parser_get_last_id (HfSseParser * parser)
{
  return parser->last_id;
}

void
hf_sse_parser_get_stats (HfSseParser * parser, HfSseStats * stats)
{
  *stats = parser->stats;
}

/* ---------------------------------------------------------------------- */
/* Client                                                                 */

typedef struct
{
  HfSseSource *client;
  GCancellable *cancellable;
  SoupMessage *msg;
  GInputStream *in;             /* (nullable) until the answer came */
  HfSseParser *parser;
  gboolean abandoned;
} HfSseConn;

struct _HfSseSource
{
  SoupSession *session;
  guint silence_s;
  const HfSseSourceFuncs *funcs;
  gpointer user_data;

  HfSseConn *conn;              /* (nullable) the current connection */
  guint n_conns;                /* not freed yet (abandoned ones too) */
  gboolean opened_once;
  gint64 last_bytes_us;         /* monotonic; or when the request went */
  gint retry_ms;
  guint reconnect_id;
  guint watchdog_id;
};

static void hf_sse_source_connect (HfSseSource * client);
static void hf_sse_source_read (HfSseConn * conn);

static void
hf_sse_conn_free (HfSseConn * conn)
{
  conn->client->n_conns--;
  g_clear_object (&conn->in);
  g_object_unref (conn->msg);
  g_object_unref (conn->cancellable);
  hf_sse_parser_free (conn->parser);
  g_free (conn);
}

static void
hf_sse_source_drop (HfSseSource * client)
{
  if (client->conn == NULL)
    return;
  client->conn->abandoned = TRUE;
  g_cancellable_cancel (client->conn->cancellable);
  client->conn = NULL;
}

static gboolean
hf_sse_source_reconnect_cb (gpointer data)
{
  HfSseSource *client = data;

  client->reconnect_id = 0;
  hf_sse_source_connect (client);
  return G_SOURCE_REMOVE;
}

void
hf_sse_source_reconnect (HfSseSource * client, guint delay_ms)
{
  hf_sse_source_drop (client);
  if (client->reconnect_id == 0)
    client->reconnect_id = g_timeout_add (delay_ms,
        hf_sse_source_reconnect_cb, client);
}

/* The connection broke: say why, and try again after the retry delay. */
static void
hf_sse_source_broken (HfSseSource * client, const gchar * reason)
{
  hf_sse_source_reconnect (client, client->retry_ms);
  client->funcs->state (HF_SSE_SOURCE_RETRYING, reason, client->user_data);
}

/* Called on the client's main context with the next bytes. */
static void
hf_sse_source_got (GObject * source, GAsyncResult * result, gpointer data)
{
  HfSseConn *conn = data;
  HfSseSource *client = conn->client;
  GPtrArray *frames;
  GError *error = NULL;
  GBytes *bytes;
  HfSseResult parsed;
  guint i;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
      &error);
  if (!conn->abandoned && (bytes == NULL || g_bytes_get_size (bytes) == 0))
    hf_sse_source_broken (client, error != NULL ? error->message :
        "the server ended it");
  g_clear_error (&error);
  if (conn->abandoned || bytes == NULL || g_bytes_get_size (bytes) == 0) {
    g_clear_pointer (&bytes, g_bytes_unref);
    hf_sse_conn_free (conn);
    return;
  }

  client->last_bytes_us = g_get_monotonic_time ();
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_sse_frame_free);
  parsed = hf_sse_parser_feed (conn->parser, g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), frames);
  if (hf_sse_parser_get_retry_ms (conn->parser) >= 0)
    client->retry_ms = CLAMP (hf_sse_parser_get_retry_ms (conn->parser),
        HF_SSE_RETRY_MIN_MS, HF_SSE_RETRY_MAX_MS);
  /* Frames that came before a line over the limit are good: delivered.
   * The owner may drop the connection from a frame. */
  for (i = 0; i < frames->len && !conn->abandoned; i++)
    client->funcs->frame (g_ptr_array_index (frames, i), client->user_data);
  if (parsed != HF_SSE_OK && !conn->abandoned)
    hf_sse_source_broken (client, "a line or frame over the size limit");
  g_ptr_array_unref (frames);
  g_bytes_unref (bytes);
  if (conn->abandoned)
    hf_sse_conn_free (conn);
  else
    hf_sse_source_read (conn);
}

static void
hf_sse_source_read (HfSseConn * conn)
{
  g_input_stream_read_bytes_async (conn->in, HF_SSE_READ_SIZE,
      G_PRIORITY_DEFAULT, conn->cancellable, hf_sse_source_got, conn);
}

/* A refusal that retrying will not change: a 4xx (no such endpoint, not
 * allowed...) but for 408 (timeout) and 429 (too many requests).  A 5xx
 * (the relay busy: "too many event stream clients", a proxy whose
 * upstream is down) and anything else may pass. */
static gboolean
hf_sse_status_is_final (guint status)
{
  return status >= 400 && status < 500 && status != 408 && status != 429;
}

/* Called on the client's main context with the answer's headers. */
static void
hf_sse_source_sent (GObject * source, GAsyncResult * result, gpointer data)
{
  HfSseConn *conn = data;
  HfSseSource *client = conn->client;
  GError *error = NULL;
  const gchar *type;
  gchar *reason;
  guint status;

  conn->in = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (conn->abandoned) {
    g_clear_error (&error);
    hf_sse_conn_free (conn);
    return;
  }
  if (conn->in == NULL) {
    hf_sse_source_broken (client, error->message);
    g_error_free (error);
    hf_sse_conn_free (conn);
    return;
  }

  status = soup_message_get_status (conn->msg);
  type = soup_message_headers_get_content_type
      (soup_message_get_response_headers (conn->msg), NULL);
  if (status != SOUP_STATUS_OK || g_strcmp0 (type, "text/event-stream")) {
    reason = g_strdup_printf ("the server answered %u %s (%s), not an event "
        "stream", status, soup_message_get_reason_phrase (conn->msg),
        type != NULL ? type : "no content type");
    if (!client->opened_once && hf_sse_status_is_final (status)) {
      /* A server without the stream will not grow one by retrying. */
      hf_sse_source_drop (client);
      client->funcs->state (HF_SSE_SOURCE_FAILED, reason, client->user_data);
    } else {
      hf_sse_source_broken (client, reason);
    }
    g_free (reason);
    hf_sse_conn_free (conn);
    return;
  }

  client->opened_once = TRUE;
  client->last_bytes_us = g_get_monotonic_time ();
  hf_sse_source_read (conn);
  client->funcs->state (HF_SSE_SOURCE_OPEN, NULL, client->user_data);
}

static void
hf_sse_source_connect (HfSseSource * client)
{
  HfSseConn *conn;
  SoupMessageHeaders *headers;
  gchar *url = client->funcs->url (client->user_data);
  SoupMessage *msg = soup_message_new ("GET", url);

  if (msg == NULL) {
    gchar *reason = g_strdup_printf ("bad URL \"%s\"", url);

    client->funcs->state (HF_SSE_SOURCE_FAILED, reason, client->user_data);
    g_free (reason);
    g_free (url);
    return;
  }
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_append (headers, "Accept", "text/event-stream");
  soup_message_headers_append (headers, "Cache-Control", "no-cache");

  conn = g_new0 (HfSseConn, 1);
  conn->client = client;
  conn->cancellable = g_cancellable_new ();
  conn->msg = msg;
  conn->parser = hf_sse_parser_new (HF_SSE_DEFAULT_MAX_LEN);
  client->conn = conn;
  client->n_conns++;
  client->last_bytes_us = g_get_monotonic_time ();
  soup_session_send_async (client->session, msg, G_PRIORITY_DEFAULT,
      conn->cancellable, hf_sse_source_sent, conn);
  g_free (url);
}

/* Every second: a connection silent for too long is dead even if TCP does
 * not know it yet (a peer that vanished, a stuck proxy). */
static gboolean
hf_sse_source_watchdog (gpointer data)
{
  HfSseSource *client = data;
  gchar *reason;

  if (client->conn != NULL && g_get_monotonic_time () -
      client->last_bytes_us > client->silence_s * G_USEC_PER_SEC) {
    reason = g_strdup_printf ("nothing received for %u s", client->silence_s);
    hf_sse_source_drop (client);
    hf_sse_source_reconnect (client, 0);
    client->funcs->state (HF_SSE_SOURCE_RETRYING, reason, client->user_data);
    g_free (reason);
  }
  return G_SOURCE_CONTINUE;
}

HfSseSource *
hf_sse_source_new (SoupSession * session, guint silence_s,
    const HfSseSourceFuncs * funcs, gpointer user_data)
{
  HfSseSource *client = g_new0 (HfSseSource, 1);

  client->session = g_object_ref (session);
  client->silence_s = MAX (silence_s, 1);
  client->funcs = funcs;
  client->user_data = user_data;
  client->retry_ms = HF_SSE_RETRY_MS;
  return client;
}

void
hf_sse_source_start (HfSseSource * client)
{
  if (client->watchdog_id == 0)
    client->watchdog_id = g_timeout_add_seconds (1, hf_sse_source_watchdog,
        client);
  hf_sse_source_connect (client);
}

void
hf_sse_source_free (HfSseSource * client)
{
  if (client == NULL)
    return;
  hf_sse_source_drop (client);
  while (client->n_conns > 0)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  g_clear_handle_id (&client->reconnect_id, g_source_remove);
  g_clear_handle_id (&client->watchdog_id, g_source_remove);
  g_object_unref (client->session);
  g_free (client);
}

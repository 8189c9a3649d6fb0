/* hfctl: the command-line client of the Holdfast relay.
 *
 * Talks to the relay's HTTP API and prints what an engineer running a live
 * channel needs at a glance: for every input its health, whether it is on
 * air, its loss, jitter, bitrate and the age of its last packet, and for
 * every output its viewers (status; watch refreshes that with the firing
 * alerts and the last events); the relay's events, live with -f from its
 * Server-Sent Events stream (events); the alerts (alerts); an operator's
 * switch (switch).  Fetching (hf_ctl_request) and printing
 * (hf_ctl_print_streams, hf_ctl_event_line, ...) are separate so that the
 * commands share them.  The relay's answers are untrusted input: a missing
 * or mistyped field prints as "-", never aborts, and text is cleaned of
 * control characters before it reaches a terminal.  The SSE framing and
 * the stream's reconnections are tools/hf-sse.c's.
 *
 * Threads: one, on the default main context.  A request is asynchronous
 * with a 3 s timeout, the context iterated until it is answered, so that
 * in watch and events -f (which install a GLib signal source) Ctrl-C ends
 * everything at once; events -f runs a GMainLoop for its stream.
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tools/hf-ctl-out.h"
#include "tools/hf-sse.h"

#ifndef HF_VERSION
#define HF_VERSION "dev"
#endif

#define HF_CTL_EXIT_OK 0
#define HF_CTL_EXIT_FAILURE 1
#define HF_CTL_EXIT_USAGE 2

#define HF_CTL_DEFAULT_URL "http://127.0.0.1:8080"
#define HF_CTL_TIMEOUT_S 3
/* An error page is shown, but not a whole web site. */
#define HF_CTL_MAX_ERROR_BODY 4096
/* watch shows this many of the latest events. */
#define HF_CTL_WATCH_EVENTS 8
/* events -f: a stream that sent no byte for this long (the relay sends a
 * stats frame every second) is dead, and is replaced. */
#define HF_CTL_STREAM_SILENCE_S 10

typedef enum
{
  HF_CTL_ERROR_USAGE,
  HF_CTL_ERROR_UNREACHABLE,
  HF_CTL_ERROR_HTTP,
  HF_CTL_ERROR_NOT_FOUND,       /* HTTP 404: the relay lacks the endpoint */
  HF_CTL_ERROR_BAD_ANSWER,
} HfCtlError;

#define HF_CTL_ERROR (hf_ctl_error_quark ())
static GQuark hf_ctl_error_quark (void);
G_DEFINE_QUARK (hf - ctl - error - quark, hf_ctl_error);

typedef struct
{
  gchar *url;                   /* --url as given, until hf_ctl_init */
  gchar *base_url;              /* without a trailing '/' */
  SoupSession *session;
  GCancellable *cancellable;    /* cancelled by Ctrl-C (watch, events -f) */
  gboolean interrupted;
  GMainLoop *loop;              /* (nullable) the loop Ctrl-C ends */
} HfCtl;

/* ---------------------------------------------------------------------- */
/* Fetching                                                               */

/* Checks the relay's base URL: http or https, with a host. */
static gboolean
hf_ctl_init (HfCtl * ctl, const gchar * url, GError ** error)
{
  GUri *uri;
  gsize len;

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
      || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0') {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_USAGE,
        "bad relay URL \"%s\": expected http://HOST:PORT", url);
    if (uri != NULL)
      g_uri_unref (uri);
    return FALSE;
  }
  g_uri_unref (uri);

  len = strlen (url);
  while (len > 0 && url[len - 1] == '/')
    len--;
  ctl->base_url = g_strndup (url, len);
  ctl->session = soup_session_new_with_options ("timeout", HF_CTL_TIMEOUT_S,
      "user-agent", "hfctl/" HF_VERSION, NULL);
  ctl->cancellable = g_cancellable_new ();
  return TRUE;
}

static void
hf_ctl_clear (HfCtl * ctl)
{
  g_clear_object (&ctl->session);
  g_clear_object (&ctl->cancellable);
  g_clear_pointer (&ctl->base_url, g_free);
  g_clear_pointer (&ctl->url, g_free);
}

static void
hf_ctl_set_unreachable (HfCtl * ctl, GError * cause, GError ** error)
{
  g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_UNREACHABLE,
      "cannot reach the relay at %s: %s", ctl->base_url, cause->message);
}

/* Returns (transfer full) (nullable): a request for base URL + @path, with
 * @json_body if given; NULL with @error set if the URL does not parse. */
static SoupMessage *
hf_ctl_message_new (HfCtl * ctl, const gchar * method, const gchar * path,
    const gchar * json_body, GError ** error)
{
  SoupMessage *msg;
  gchar *url = g_strconcat (ctl->base_url, path, NULL);

  msg = soup_message_new (method, url);
  if (msg == NULL) {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_USAGE,
        "bad relay URL \"%s\"", url);
  } else {
    soup_message_headers_append (soup_message_get_request_headers (msg),
        "Accept", "application/json");
    if (json_body != NULL) {
      GBytes *bytes = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      g_bytes_unref (bytes);
    }
  }
  g_free (url);
  return msg;
}

/* The relay explains an error as {"error": "sentence"}; anything else is
 * shown as text, cut.  Returns (transfer full). */
static gchar *
hf_ctl_error_text (JsonNode * root, const gchar * data, gsize size)
{
  const gchar *sentence = NULL;

  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    sentence = hf_ctl_json_string (json_node_get_object (root), "error");
  if (sentence != NULL)
    return hf_ctl_sanitize (sentence, -1);
  return hf_ctl_sanitize (data != NULL ? data : "",
      MIN (size, HF_CTL_MAX_ERROR_BODY));
}

/**
 * hf_ctl_parse_answer:
 * @msg: (transfer none): the request, answered
 * @body: (transfer none): the answer's body
 * @any_status: return a JSON body whatever the status (for endpoints that
 *   explain a refusal in JSON); otherwise any status but 200 is an error
 * @error: HF_CTL_ERROR_NOT_FOUND for 404, HF_CTL_ERROR_HTTP for any other
 *   status refused (the message holds status and the relay's sentence),
 *   HF_CTL_ERROR_BAD_ANSWER when the body is not JSON
 *
 * Returns: (transfer full) (nullable): the root node, NULL on error.
 */
static JsonNode *
hf_ctl_parse_answer (HfCtl * ctl, SoupMessage * msg, const gchar * path,
    GBytes * body, gboolean any_status, GError ** error)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root = NULL;
  GError *local = NULL;
  const gchar *data;
  guint status = soup_message_get_status (msg);
  gsize size;

  data = g_bytes_get_data (body, &size);
  if (json_parser_load_from_data (parser, data != NULL ? data : "",
          (gssize) size, &local))
    root = json_parser_steal_root (parser);

  if (status != SOUP_STATUS_OK && !(any_status && root != NULL)) {
    gchar *text = hf_ctl_error_text (root, data, size);
    const gchar *reason = soup_message_get_reason_phrase (msg);

    g_set_error (error, HF_CTL_ERROR, status == SOUP_STATUS_NOT_FOUND ?
        HF_CTL_ERROR_NOT_FOUND : HF_CTL_ERROR_HTTP,
        "the relay at %s answered %u %s for %s %s%s%s", ctl->base_url,
        status, reason != NULL ? reason : "", soup_message_get_method (msg),
        path, text[0] != '\0' ? ": " : "", text);
    g_free (text);
    g_clear_pointer (&root, json_node_unref);
  } else if (root == NULL) {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_BAD_ANSWER,
        "the relay at %s sent %s for %s %s%s%s", ctl->base_url,
        local != NULL ? "something that is not JSON" : "an empty answer",
        soup_message_get_method (msg), path, local != NULL ? ": " : "",
        local != NULL ? local->message : "");
  }
  g_clear_error (&local);
  g_object_unref (parser);
  return root;
}

typedef struct
{
  gboolean done;
  GBytes *body;                 /* (nullable) */
  GError *error;                /* (nullable) */
} HfCtlAnswer;

/* Called on the main context when libsoup has the whole answer. */
static void
hf_ctl_request_done (GObject * source, GAsyncResult * result, gpointer data)
{
  HfCtlAnswer *answer = data;

  answer->body = soup_session_send_and_read_finish (SOUP_SESSION (source),
      result, &answer->error);
  answer->done = TRUE;
}

/**
 * hf_ctl_request:
 * @method: "GET" or "POST"
 * @path: API path starting with '/', e.g. "/api/v1/streams"; its
 *   variable parts already escaped
 * @json_body: (nullable): the request body
 * @any_status: see hf_ctl_parse_answer
 * @status: (out) (optional): the HTTP status
 * @error: HF_CTL_ERROR_UNREACHABLE when no answer came,
 *   G_IO_ERROR_CANCELLED after Ctrl-C, or one of hf_ctl_parse_answer's
 *
 * Sends the request and parses the answer, up to the session's timeout.
 * The request is asynchronous and the default main context is iterated
 * meanwhile, so that Ctrl-C (a GLib signal source, where installed) can
 * cancel it at once.
 *
 * Returns: (transfer full) (nullable): the root node, NULL on error.
 */
static JsonNode *
hf_ctl_request (HfCtl * ctl, const gchar * method, const gchar * path,
    const gchar * json_body, gboolean any_status, guint * status,
    GError ** error)
{
  HfCtlAnswer answer = { FALSE, NULL, NULL };
  SoupMessage *msg;
  JsonNode *root = NULL;

  msg = hf_ctl_message_new (ctl, method, path, json_body, error);
  if (msg == NULL)
    return NULL;
  soup_session_send_and_read_async (ctl->session, msg, G_PRIORITY_DEFAULT,
      ctl->cancellable, hf_ctl_request_done, &answer);
  while (!answer.done)
    g_main_context_iteration (NULL, TRUE);

  if (answer.body == NULL && g_error_matches (answer.error, G_IO_ERROR,
          G_IO_ERROR_CANCELLED)) {
    g_propagate_error (error, answer.error);
  } else if (answer.body == NULL) {
    hf_ctl_set_unreachable (ctl, answer.error, error);
    g_error_free (answer.error);
  } else {
    root = hf_ctl_parse_answer (ctl, msg, path, answer.body, any_status, error);
    if (status != NULL)
      *status = soup_message_get_status (msg);
    g_bytes_unref (answer.body);
  }
  g_object_unref (msg);
  return root;
}

static JsonNode *
hf_ctl_get_json (HfCtl * ctl, const gchar * path, GError ** error)
{
  return hf_ctl_request (ctl, "GET", path, NULL, FALSE, NULL, error);
}

/* The root as an object holding the array @member, or NULL with
 * HF_CTL_ERROR_BAD_ANSWER. */
static JsonObject *
hf_ctl_json_root (JsonNode * root, const gchar * member, GError ** error)
{
  JsonNode *node = NULL;

  if (JSON_NODE_HOLDS_OBJECT (root))
    node = json_object_get_member (json_node_get_object (root), member);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)) {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_BAD_ANSWER,
        "unexpected answer from the relay: no \"%s\" array", member);
    return NULL;
  }
  return json_node_get_object (root);
}

/* ---------------------------------------------------------------------- */
/* Streams                                                                */

static const gchar *const hf_ctl_input_headers[] = {
  "STREAM", "INPUT", "HEALTH", "ON-AIR", "LOSS(%)", "JITTER(ms)",
  "BITRATE(kbit/s)", "AGE(ms)"
};

static const HfCtlAlign hf_ctl_input_align[] = {
  HF_CTL_ALIGN_LEFT, HF_CTL_ALIGN_LEFT, HF_CTL_ALIGN_LEFT, HF_CTL_ALIGN_LEFT,
  HF_CTL_ALIGN_RIGHT, HF_CTL_ALIGN_RIGHT, HF_CTL_ALIGN_RIGHT,
  HF_CTL_ALIGN_RIGHT
};

static const gchar *const hf_ctl_output_headers[] = {
  "STREAM", "OUTPUT", "URL", "VIEWERS"
};

static const HfCtlAlign hf_ctl_output_align[] = {
  HF_CTL_ALIGN_LEFT, HF_CTL_ALIGN_LEFT, HF_CTL_ALIGN_LEFT, HF_CTL_ALIGN_RIGHT
};

static void
hf_ctl_add_input_rows (HfCtlTable * table, JsonObject * stream, guint * skipped)
{
  const gchar *on_air = hf_ctl_json_string (stream, "on_air");
  GList *inputs, *l;

  inputs = hf_ctl_json_objects (stream, "inputs", skipped);
  if (inputs == NULL) {
    /* Still show that the stream exists. */
    gchar *cells[8] = { hf_ctl_json_text (stream, "name"), NULL, NULL,
      g_strdup (""),
    };

    hf_ctl_table_add_row (table, cells);
    return;
  }

  for (l = inputs; l != NULL; l = l->next) {
    JsonObject *input = l->data;
    const gchar *name = hf_ctl_json_string (input, "name");
    gchar *cells[8];

    cells[0] = hf_ctl_json_text (stream, "name");
    cells[1] = hf_ctl_json_text (input, "name");
    /* Health (healthy/degraded/lost/idle) is what decides what is on air;
     * a relay too old to report it shows its pipeline state. */
    cells[2] = hf_ctl_json_string (input, "health") ?
        hf_ctl_json_text (input, "health") : hf_ctl_json_text (input, "state");
    cells[3] = g_strdup (on_air != NULL && name != NULL
        && g_str_equal (on_air, name) ? "*" : "");
    cells[4] = hf_ctl_json_format (input, "loss_ratio", 100.0, 2);
    cells[5] = hf_ctl_json_format (input, "jitter_ms", 1.0, 1);
    cells[6] = hf_ctl_json_format (input, "bitrate_bps", 0.001, 0);
    cells[7] = hf_ctl_json_format (input, "last_packet_age_ms", 1.0, 0);
    hf_ctl_table_add_row (table, cells);
  }
  g_list_free (inputs);
  if (on_air != NULL && g_str_equal (on_air, "slate")) {
    /* Nothing alive: the "stream paused" slate is what viewers see. */
    gchar *cells[8] = { hf_ctl_json_text (stream, "name"), g_strdup ("slate"),
      g_strdup ("-"), g_strdup ("*"), g_strdup (""), g_strdup (""),
      g_strdup (""), g_strdup ("")
    };

    hf_ctl_table_add_row (table, cells);
  }
}

static void
hf_ctl_add_output_rows (HfCtlTable * table, JsonObject * stream,
    guint * skipped)
{
  GList *outputs, *l;

  outputs = hf_ctl_json_objects (stream, "outputs", skipped);
  for (l = outputs; l != NULL; l = l->next) {
    JsonObject *output = l->data;
    gchar *cells[4];

    cells[0] = hf_ctl_json_text (stream, "name");
    cells[1] = hf_ctl_json_text (output, "name");
    cells[2] = hf_ctl_json_text (output, "url");
    cells[3] = hf_ctl_json_format (output, "viewers", 1.0, 0);
    hf_ctl_table_add_row (table, cells);
  }
  g_list_free (outputs);
}

/**
 * hf_ctl_print_streams:
 * @root: (transfer none): the answer to GET /api/v1/streams
 * @out: the inputs table, a blank line and the outputs table are appended
 * @skipped: (inout): counts the entries that were not objects (skipped)
 * @error: HF_CTL_ERROR_BAD_ANSWER when @root has no "streams" array
 *
 * Missing fields print as "-".
 *
 * Returns: TRUE once printed, FALSE (nothing printed) with @error set.
 */
static gboolean
hf_ctl_print_streams (JsonNode * root, GString * out, guint * skipped,
    GError ** error)
{
  HfCtlTable inputs, outputs;
  JsonObject *object;
  GList *streams, *l;

  object = hf_ctl_json_root (root, "streams", error);
  if (object == NULL)
    return FALSE;
  streams = hf_ctl_json_objects (object, "streams", skipped);

  hf_ctl_table_init (&inputs, G_N_ELEMENTS (hf_ctl_input_headers),
      hf_ctl_input_headers, hf_ctl_input_align);
  hf_ctl_table_init (&outputs, G_N_ELEMENTS (hf_ctl_output_headers),
      hf_ctl_output_headers, hf_ctl_output_align);
  for (l = streams; l != NULL; l = l->next) {
    hf_ctl_add_input_rows (&inputs, l->data, skipped);
    hf_ctl_add_output_rows (&outputs, l->data, skipped);
  }

  hf_ctl_table_print (&inputs, out);
  g_string_append_c (out, '\n');
  hf_ctl_table_print (&outputs, out);

  hf_ctl_table_clear (&inputs);
  hf_ctl_table_clear (&outputs);
  g_list_free (streams);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Events and alerts                                                      */

static const gchar *const hf_ctl_firing_headers[] = {
  "ALERT", "SEVERITY", "STREAM", "INPUT", "SINCE", "VALUE", "SUMMARY"
};

static const gchar *const hf_ctl_recent_headers[] = {
  "TIME", "ALERT", "STATE", "SEVERITY", "STREAM", "INPUT", "VALUE", "SUMMARY"
};

/* Appends the firing alerts, or with @recent the recent notifications, as
 * a table; or a sentence saying there are none. */
static void
hf_ctl_print_notifs (JsonObject * alerts, gboolean recent, GString * out,
    guint * skipped)
{
  GList *notifs, *l;
  HfCtlTable table;

  notifs = hf_ctl_json_objects (alerts, recent ? "recent" : "firing", skipped);
  if (notifs == NULL) {
    g_string_append (out, recent ? "no recent notifications\n" :
        "no alerts firing\n");
    return;
  }
  if (recent)
    hf_ctl_table_init (&table, G_N_ELEMENTS (hf_ctl_recent_headers),
        hf_ctl_recent_headers, NULL);
  else
    hf_ctl_table_init (&table, G_N_ELEMENTS (hf_ctl_firing_headers),
        hf_ctl_firing_headers, NULL);
  for (l = notifs; l != NULL; l = l->next) {
    gboolean resolved = g_strcmp0 (hf_ctl_json_string (l->data, "state"),
        "resolved") == 0;
    gchar *cells[8], **c = cells, *since, *duration;

    if (recent)
      *c++ = hf_ctl_json_local_time (l->data, resolved ? "resolved_at" :
          "started_at", FALSE);
    *c++ = hf_ctl_json_text (l->data, "alert");
    if (recent)
      *c++ = hf_ctl_json_text (l->data, "state");
    *c++ = hf_ctl_json_text (l->data, "severity");
    *c++ = hf_ctl_json_text (l->data, "stream");
    *c++ = hf_ctl_json_text (l->data, "input");
    if (!recent) {
      since = hf_ctl_json_local_time (l->data, "started_at", FALSE);
      duration = hf_ctl_json_format (l->data, "duration_s", 1, 0);
      *c++ = g_str_equal (duration, "-") ? g_strdup (since) :
          g_strdup_printf ("%s (%s s)", since, duration);
      g_free (duration);
      g_free (since);
    }
    *c++ = hf_ctl_alert_value (l->data, "value");
    *c++ = hf_ctl_json_text (l->data, "summary");
    hf_ctl_table_add_row (&table, cells);
  }
  hf_ctl_table_print (&table, out);
  hf_ctl_table_clear (&table);
  g_list_free (notifs);
}

/* One line per webhook, after a blank line: where notifications go and
 * how that goes. */
static void
hf_ctl_print_webhooks (JsonObject * alerts, GString * out, guint * skipped)
{
  GList *hooks = hf_ctl_json_objects (alerts, "webhooks", skipped), *l;

  if (hooks != NULL)
    g_string_append_c (out, '\n');
  for (l = hooks; l != NULL; l = l->next) {
    gchar *url = hf_ctl_cell (hf_ctl_json_string (l->data, "url"));
    gchar *delivered = hf_ctl_json_format (l->data, "delivered", 1, 0);
    gchar *failed = hf_ctl_json_format (l->data, "failed_attempts", 1, 0);
    gchar *given_up = hf_ctl_json_format (l->data, "given_up", 1, 0);
    gchar *waiting = hf_ctl_json_format (l->data, "waiting", 1, 0);
    const gchar *last = hf_ctl_json_string (l->data, "last_error");
    gchar *last_error = last != NULL ? hf_ctl_cell (last) : NULL;

    g_string_append_printf (out, "webhook %s: %s delivered, %s failed "
        "attempts, %s given up, %s waiting%s%s\n", url, delivered, failed,
        given_up, waiting, last_error != NULL ? "; last error: " : "",
        last_error != NULL ? last_error : "");
    g_free (last_error);
    g_free (waiting);
    g_free (given_up);
    g_free (failed);
    g_free (delivered);
    g_free (url);
  }
  g_list_free (hooks);
}

/* ---------------------------------------------------------------------- */
/* Commands                                                               */

/* Prints what went wrong and returns the exit status for it. */
static gint
hf_ctl_report (GError * error)
{
  g_printerr ("hfctl: %s\n", error->message);
  return error->code == HF_CTL_ERROR_USAGE ? HF_CTL_EXIT_USAGE :
      HF_CTL_EXIT_FAILURE;
}

static void
hf_ctl_report_skipped (guint skipped)
{
  if (skipped > 0)
    g_printerr ("hfctl: skipped %u malformed entr%s in the answer\n",
        skipped, skipped == 1 ? "y" : "ies");
}

/**
 * hf_ctl_parse_command:
 * @ctl: the client; its URL comes from --url (here or before the
 *   command), else $HOLDFAST_URL, else HF_CTL_DEFAULT_URL
 * @argc: (inout): the command's arguments, argv[0] being its name
 * @argv: (inout): its options are removed
 * @params: the usage line after "hfctl", e.g. "switch STREAM INPUT"
 * @entries: (nullable): the command's options
 * @min_args: fewest arguments after the command's name
 * @max_args: most
 *
 * Parses a command's options and sets up @ctl.  On a usage error, prints
 * it and the command's help to stderr.
 *
 * Returns: HF_CTL_EXIT_OK, HF_CTL_EXIT_USAGE for a usage error, or
 *   HF_CTL_EXIT_FAILURE when set-up failed (printed).
 */
static gint
hf_ctl_parse_command (HfCtl * ctl, gint * argc, gchar *** argv,
    const gchar * params, const gchar * summary,
    const GOptionEntry * entries, gint min_args, gint max_args)
{
  GOptionContext *context = g_option_context_new (params);
  GError *error = NULL;
  gchar *url = NULL, *help;
  const gchar *env;
  gint status = HF_CTL_EXIT_OK;
  GOptionEntry url_entries[] = {
    {"url", 'u', 0, G_OPTION_ARG_STRING, &url,
        "Relay API address (default: $HOLDFAST_URL, else "
          HF_CTL_DEFAULT_URL ")", "URL"},
    G_OPTION_ENTRY_NULL
  };

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, url_entries, NULL);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error)
      || *argc - 1 < min_args || *argc - 1 > max_args) {
    help = g_option_context_get_help (context, TRUE, NULL);
    g_printerr ("hfctl: %s\n\n%s", error != NULL ? error->message :
        *argc - 1 < min_args ? "missing arguments" : "too many arguments",
        help);
    g_free (help);
    status = HF_CTL_EXIT_USAGE;
    goto out;
  }

  if (url != NULL) {
    g_free (ctl->url);
    ctl->url = g_steal_pointer (&url);
  }
  env = g_getenv ("HOLDFAST_URL");
  if (ctl->url == NULL)
    ctl->url = g_strdup (env != NULL && env[0] != '\0' ? env :
        HF_CTL_DEFAULT_URL);
  if (!hf_ctl_init (ctl, ctl->url, &error))
    status = hf_ctl_report (error);

out:
  g_clear_error (&error);
  g_free (url);
  g_option_context_free (context);
  return status;
}

static gint
hf_ctl_cmd_status (HfCtl * ctl, gint argc, gchar ** argv)
{
  GError *error = NULL;
  JsonNode *root;
  GString *out;
  guint skipped = 0;
  gint status;

  status = hf_ctl_parse_command (ctl, &argc, &argv, "status", "Prints the "
      "inputs (health, on air, loss, jitter, bitrate, age of the last\n"
      "packet) and the outputs (viewers) of every stream.", NULL, 0, 0);
  if (status != HF_CTL_EXIT_OK)
    return status;

  out = g_string_new (NULL);
  root = hf_ctl_get_json (ctl, "/api/v1/streams", &error);
  if (root == NULL || !hf_ctl_print_streams (root, out, &skipped, &error))
    status = hf_ctl_report (error);
  hf_ctl_write (out);
  hf_ctl_report_skipped (skipped);

  g_string_free (out, TRUE);
  g_clear_error (&error);
  if (root != NULL)
    json_node_unref (root);
  return status;
}

/* Builds "/api/v1/events?since=N[&stream=NAME]" and the like
 * (transfer full). */
static gchar *
hf_ctl_events_path (const gchar * base, gint64 since, const gchar * stream)
{
  gchar *escaped = stream != NULL ? g_uri_escape_string (stream, NULL,
      FALSE) : NULL;
  gchar *path = g_strdup_printf ("%s?since=%" G_GINT64_FORMAT "%s%s", base,
      since, escaped != NULL ? "&stream=" : "", escaped != NULL ? escaped : "");

  g_free (escaped);
  return path;
}

static gint
hf_ctl_cmd_alerts (HfCtl * ctl, gint argc, gchar ** argv)
{
  gboolean all = FALSE;
  GError *error = NULL;
  JsonNode *root;
  JsonObject *alerts;
  GString *out;
  guint skipped = 0;
  gint status;
  const GOptionEntry entries[] = {
    {"all", 'a', 0, G_OPTION_ARG_NONE, &all,
        "Also the recent notifications (firing and resolved)", NULL},
    G_OPTION_ENTRY_NULL
  };

  status = hf_ctl_parse_command (ctl, &argc, &argv, "alerts", "Prints the "
      "alerts that are firing, and the relay's webhooks.", entries, 0, 0);
  if (status != HF_CTL_EXIT_OK)
    return status;

  out = g_string_new (NULL);
  root = hf_ctl_get_json (ctl, "/api/v1/alerts", &error);
  alerts = root != NULL ? hf_ctl_json_root (root, "firing", &error) : NULL;
  if (alerts == NULL) {
    status = hf_ctl_report (error);
  } else {
    hf_ctl_print_notifs (alerts, FALSE, out, &skipped);
    if (all) {
      g_string_append (out, "\nRecent notifications (newest first):\n");
      hf_ctl_print_notifs (alerts, TRUE, out, &skipped);
    }
    hf_ctl_print_webhooks (alerts, out, &skipped);
  }
  hf_ctl_write (out);
  hf_ctl_report_skipped (skipped);

  g_string_free (out, TRUE);
  g_clear_error (&error);
  if (root != NULL)
    json_node_unref (root);
  return status;
}

/* Prints the relay's answer to a switch, which has a "result": "STREAM:
 * RESULT; on air: INPUT; MESSAGE", on stderr unless the switch is done,
 * pending, already so or given back to the relay.  Returns the exit
 * status. */
static gint
hf_ctl_print_switch (JsonObject * answer, const gchar * stream, guint http)
{
  const gchar *result = hf_ctl_json_string (answer, "result");
  const gchar *on_air = hf_ctl_json_string (answer, "on_air");
  const gchar *message = hf_ctl_json_string (answer, "message");
  gboolean ok = SOUP_STATUS_IS_SUCCESSFUL (http)
      && (g_str_equal (result, "done") || g_str_equal (result, "pending")
      || g_str_equal (result, "already") || g_str_equal (result, "auto"));
  gchar *text, *line;

  /* A refusal may not say what is on air. */
  text = g_strdup_printf ("%s: %s%s%s; %s", stream, result,
      on_air != NULL ? "; on air: " : "", on_air != NULL ? on_air : "",
      message != NULL ? message : "-");
  line = hf_ctl_cell (text);
  if (ok)
    g_print ("%s\n", line);
  else
    g_printerr ("hfctl: %s\n", line);
  g_free (line);
  g_free (text);
  return ok ? HF_CTL_EXIT_OK : HF_CTL_EXIT_FAILURE;
}

static gint
hf_ctl_cmd_switch (HfCtl * ctl, gint argc, gchar ** argv)
{
  JsonObject *request, *answer = NULL;
  JsonNode *body, *root;
  GError *error = NULL;
  gchar *text, *escaped, *path, *message;
  guint http = 0;
  gint status;

  status = hf_ctl_parse_command (ctl, &argc, &argv, "switch STREAM INPUT",
      "Puts INPUT (a name or an index) on air in STREAM and keeps it there;\n"
      "INPUT \"auto\" gives the choice back to the relay.", NULL, 2, 2);
  if (status != HF_CTL_EXIT_OK)
    return status;

  request = json_object_new ();
  json_object_set_string_member (request, "input", argv[2]);
  body = json_node_init_object (json_node_alloc (), request);
  text = json_to_string (body, FALSE);
  escaped = g_uri_escape_string (argv[1], NULL, FALSE);
  path = g_strdup_printf ("/api/v1/streams/%s/switch", escaped);

  root = hf_ctl_request (ctl, "POST", path, text, TRUE, &http, &error);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    answer = json_node_get_object (root);
  if (root == NULL) {
    status = hf_ctl_report (error);
  } else if (answer == NULL || hf_ctl_json_string (answer, "result") == NULL) {
    /* {"error": ...}: an unknown stream, a bad request. */
    message = hf_ctl_error_text (root, "unexpected answer from the relay", 32);
    g_printerr ("hfctl: %s (HTTP %u)\n", message, http);
    g_free (message);
    status = HF_CTL_EXIT_FAILURE;
  } else {
    status = hf_ctl_print_switch (answer, argv[1], http);
  }

  g_clear_error (&error);
  if (root != NULL)
    json_node_unref (root);
  g_free (path);
  g_free (escaped);
  g_free (text);
  json_node_unref (body);
  json_object_unref (request);
  return status;
}

/* Ctrl-C (and SIGTERM), on the main context, where watch and events -f
 * install it: cancels the request under way and ends the loop. */
static gboolean
hf_ctl_on_signal (gpointer data)
{
  HfCtl *ctl = data;

  ctl->interrupted = TRUE;
  g_cancellable_cancel (ctl->cancellable);
  if (ctl->loop != NULL)
    g_main_loop_quit (ctl->loop);
  return G_SOURCE_CONTINUE;
}

/* ---- watch --------------------------------------------------------------- */

typedef struct
{
  gint64 last_event_id;
  GQueue events;                /* of gchar *: the latest event lines */
} HfCtlWatch;

/* Keeps the latest event lines from an answer to /api/v1/events?since=. */
static void
hf_ctl_watch_take_events (HfCtlWatch * watch, JsonObject * object)
{
  GList *events, *l;
  guint skipped = 0;
  gint64 id;

  if (hf_ctl_json_int (object, "last_id", &id) && id < watch->last_event_id) {
    /* The relay restarted and numbers its events from 1 again: the next
     * refresh reads them from the first. */
    g_queue_clear_full (&watch->events, g_free);
    watch->last_event_id = 0;
    return;
  }
  events = hf_ctl_json_objects (object, "events", &skipped);
  for (l = events; l != NULL; l = l->next) {
    if (hf_ctl_json_int (l->data, "id", &id)) {
      if (id <= watch->last_event_id)
        continue;
      watch->last_event_id = id;
    }
    g_queue_push_tail (&watch->events, hf_ctl_event_line (l->data));
    if (g_queue_get_length (&watch->events) > HF_CTL_WATCH_EVENTS)
      g_free (g_queue_pop_head (&watch->events));
  }
  g_list_free (events);
}

/* Appends one refresh (after its heading) to @out: the status, the alerts
 * firing and the last events; or why the relay cannot be reached.
 * Returns FALSE when it could not be reached. */
static gboolean
hf_ctl_watch_screen (HfCtl * ctl, HfCtlWatch * watch, GString * out)
{
  JsonNode *streams, *alerts = NULL, *events = NULL;
  JsonObject *object;
  GError *error = NULL;
  gboolean reached = TRUE, printed = FALSE;
  guint skipped = 0;
  gchar *path;
  GList *l;

  streams = hf_ctl_get_json (ctl, "/api/v1/streams", &error);
  if (streams != NULL)
    printed = hf_ctl_print_streams (streams, out, &skipped, &error);
  if (!printed) {
    /* On screen, not on stderr: the screen is what is being watched. */
    reached = !g_error_matches (error, HF_CTL_ERROR, HF_CTL_ERROR_UNREACHABLE);
    g_string_append_printf (out, "hfctl: %s\n(trying again)\n", error->message);
    goto out;
  }

  g_string_append (out, "\nAlerts:\n");
  alerts = hf_ctl_get_json (ctl, "/api/v1/alerts", &error);
  object = alerts != NULL ? hf_ctl_json_root (alerts, "firing", &error) : NULL;
  if (object != NULL)
    hf_ctl_print_notifs (object, FALSE, out, &skipped);
  else if (g_error_matches (error, HF_CTL_ERROR, HF_CTL_ERROR_NOT_FOUND))
    g_string_append (out, "(this relay does not report alerts)\n");
  else
    g_string_append_printf (out, "(%s)\n", error->message);
  g_clear_error (&error);

  g_string_append (out, "\nLast events:\n");
  path = hf_ctl_events_path ("/api/v1/events", watch->last_event_id, NULL);
  events = hf_ctl_get_json (ctl, path, &error);
  g_free (path);
  object = events != NULL ? hf_ctl_json_root (events, "events", &error) : NULL;
  if (object != NULL)
    hf_ctl_watch_take_events (watch, object);
  else
    g_string_append_printf (out, "(%s)\n", error->message);
  if (object != NULL && g_queue_is_empty (&watch->events))
    g_string_append (out, "none\n");
  for (l = watch->events.head; l != NULL; l = l->next)
    g_string_append_printf (out, "%s\n", (gchar *) l->data);
  if (skipped > 0)
    g_string_append_printf (out, "(skipped %u malformed entries)\n", skipped);

out:
  g_clear_error (&error);
  if (events != NULL)
    json_node_unref (events);
  if (alerts != NULL)
    json_node_unref (alerts);
  if (streams != NULL)
    json_node_unref (streams);
  return reached;
}

static gboolean
hf_ctl_set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gint
hf_ctl_cmd_watch (HfCtl * ctl, gint argc, gchar ** argv)
{
  HfCtlWatch watch = { 0 };
  gdouble interval = 1.0;
  gint count = 0, shown, status;
  gboolean tty = isatty (STDOUT_FILENO), reached = TRUE, due;
  guint sigint, sigterm, timer;
  GString *out;
  const GOptionEntry entries[] = {
    {"interval", 'i', 0, G_OPTION_ARG_DOUBLE, &interval,
        "Seconds between refreshes (default 1)", "S"},
    {"count", 'n', 0, G_OPTION_ARG_INT, &count,
        "Stop after N refreshes", "N"},
    G_OPTION_ENTRY_NULL
  };

  status = hf_ctl_parse_command (ctl, &argc, &argv, "watch", "Shows the "
      "status, the alerts firing and the last events, refreshed until\n"
      "Ctrl-C.  While the relay cannot be reached it says so and keeps "
      "trying.", entries, 0, 0);
  if (status != HF_CTL_EXIT_OK)
    return status;
  if (!(interval >= 0.1 && interval <= 3600) || count < 0) {
    g_printerr ("hfctl: watch: --interval takes 0.1 to 3600 s, --count a "
        "number of refreshes\n");
    return HF_CTL_EXIT_USAGE;
  }

  g_queue_init (&watch.events);
  sigint = g_unix_signal_add (SIGINT, hf_ctl_on_signal, ctl);
  sigterm = g_unix_signal_add (SIGTERM, hf_ctl_on_signal, ctl);
  for (shown = 0; !ctl->interrupted && (count == 0 || shown < count); shown++) {
    GDateTime *now = g_date_time_new_now_local ();
    gchar *hms = g_date_time_format (now, "%H:%M:%S");

    /* The next refresh is due an interval after this one started. */
    due = FALSE;
    timer = g_timeout_add ((guint) (interval * 1000), hf_ctl_set_flag, &due);
    /* A terminal gets a fresh screen; a pipe, a line between refreshes. */
    out = g_string_new (tty ? "\033[H\033[2J" : shown > 0 ? "--------------"
        "----------------------------------------------------------------\n" :
        "");
    g_string_append_printf (out, "Holdfast relay %s at %s (every %g s; "
        "Ctrl-C quits)\n\n", ctl->base_url, hms, interval);
    reached = hf_ctl_watch_screen (ctl, &watch, out);
    if (!ctl->interrupted)
      hf_ctl_write (out);
    g_string_free (out, TRUE);
    g_free (hms);
    g_date_time_unref (now);

    while (!due && !ctl->interrupted && (count == 0 || shown + 1 < count))
      g_main_context_iteration (NULL, TRUE);
    if (!due)
      g_source_remove (timer);
  }
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_queue_clear_full (&watch.events, g_free);
  return reached ? HF_CTL_EXIT_OK : HF_CTL_EXIT_FAILURE;
}

/* ---- events -------------------------------------------------------------- */

typedef struct
{
  HfCtl *ctl;
  HfSseSource *source;
  const gchar *stream;          /* (nullable) only this stream's events */
  gint64 last_id;               /* of the last event printed or skipped */
  gint64 last_mono_ms;          /* that event's, -1 if unknown */
  gboolean checking;            /* the connection asked for it again */
  gchar *outage;                /* (nullable) why the stream is down */
  gint status;                  /* exit status when the loop ends */
  /* The stream does not replay alerts: each hello (a connection opening)
   * reads /api/v1/alerts for those missed meanwhile. */
  gint64 last_alert_id;         /* of the last alert printed, 0: none */
  gchar *started_at;            /* (nullable) the relay run's, from hello */
  SoupMessage *fetch;           /* (nullable) GET /api/v1/alerts under way */
  gboolean fetch_again;         /* a hello came since it went: stale */
  GQueue held;                  /* of JsonObject *: alert frames that came
                                 * during the fetch, printed after it */
} HfCtlFollow;

/* A (re)connection resumes after the last event seen, or once that
 * event's mono_ms is known, at it: a relay that replays another event
 * under its id is a new relay (restarted, with as many events already). */
static gchar *
hf_ctl_follow_url (gpointer data)
{
  HfCtlFollow *follow = data;
  gchar *path, *url;

  follow->checking = follow->last_id > 0 && follow->last_mono_ms >= 0;
  path = hf_ctl_events_path ("/api/v1/events/stream", follow->last_id -
      (follow->checking ? 1 : 0), follow->stream);
  url = g_strconcat (follow->ctl->base_url, path, NULL);
  g_free (path);
  return url;
}

/* Says on stderr when the stream breaks (once per outage, and when the
 * reason changes) and when it is back. */
static void
hf_ctl_follow_state (HfSseSourceState state, const gchar * reason,
    gpointer data)
{
  HfCtlFollow *follow = data;
  gchar *text = reason != NULL ? hf_ctl_cell (reason) : NULL;

  if (state == HF_SSE_SOURCE_OPEN && follow->outage != NULL) {
    g_printerr ("hfctl: the event stream is back (from event %"
        G_GINT64_FORMAT ")\n", follow->last_id);
    g_clear_pointer (&follow->outage, g_free);
  } else if (state == HF_SSE_SOURCE_RETRYING && follow->outage == NULL) {
    g_printerr ("hfctl: the event stream from %s broke: %s; reconnecting "
        "(from event %" G_GINT64_FORMAT ")\n", follow->ctl->base_url, text,
        follow->last_id);
  } else if (state == HF_SSE_SOURCE_RETRYING
      && g_strcmp0 (follow->outage, text) != 0) {
    g_printerr ("hfctl: still no event stream: %s\n", text);
  } else if (state == HF_SSE_SOURCE_FAILED) {
    g_printerr ("hfctl: the relay at %s has no event stream: %s\n",
        follow->ctl->base_url, text);
    follow->status = HF_CTL_EXIT_FAILURE;
    g_main_loop_quit (follow->ctl->loop);
  }
  if (state == HF_SSE_SOURCE_RETRYING) {
    g_free (follow->outage);
    follow->outage = g_steal_pointer (&text);
  }
  g_free (text);
}

/* Prints an alert notification unless one with its id was printed; ids
 * grow by one per notification within a run of the relay. */
static void
hf_ctl_follow_print_alert (HfCtlFollow * follow, JsonObject * notif)
{
  gint64 id;
  gchar *line;

  if (hf_ctl_json_int (notif, "id", &id)) {
    if (id <= follow->last_alert_id)
      return;
    follow->last_alert_id = id;
  }
  if (follow->stream != NULL
      && g_strcmp0 (hf_ctl_json_string (notif, "stream"), follow->stream))
    return;
  line = hf_ctl_alert_line (notif);
  g_print ("%s\n", line);
  fflush (stdout);
  g_free (line);
}

/* The alerts held during a fetch, in the order they came. */
static void
hf_ctl_follow_release_held (HfCtlFollow * follow)
{
  JsonObject *notif;

  while ((notif = g_queue_pop_head (&follow->held)) != NULL) {
    hf_ctl_follow_print_alert (follow, notif);
    json_object_unref (notif);
  }
}

/* Another run of the relay numbers its alerts from 1 again.  What the
 * last one sent is printed first, under its numbering. */
static void
hf_ctl_follow_new_run (HfCtlFollow * follow)
{
  hf_ctl_follow_release_held (follow);
  follow->last_alert_id = 0;
  if (follow->fetch != NULL)
    follow->fetch_again = TRUE;
}

static void hf_ctl_follow_fetch_alerts (HfCtlFollow * follow);

/* Called on the main context with the answer to GET /api/v1/alerts:
 * prints the recent notifications not printed yet, oldest first, then
 * those the stream brought meanwhile. */
static void
hf_ctl_follow_alerts_done (GObject * source, GAsyncResult * result,
    gpointer data)
{
  HfCtlFollow *follow = data;
  SoupMessage *msg = g_steal_pointer (&follow->fetch);
  JsonObject *object = NULL;
  JsonNode *root = NULL;
  GError *error = NULL;
  GList *recent, *l;
  guint skipped = 0;
  GBytes *body;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;                   /* Ctrl-C: the end */
  if (follow->fetch_again) {
    /* Asked before the latest hello: maybe of another run. */
    hf_ctl_follow_fetch_alerts (follow);
    goto out;
  }
  if (body != NULL)
    root = hf_ctl_parse_answer (follow->ctl, msg, "/api/v1/alerts", body,
        FALSE, &error);
  if (root != NULL)
    object = hf_ctl_json_root (root, "recent", &error);
  if (object != NULL) {
    recent = hf_ctl_json_objects (object, "recent", &skipped);
    for (l = g_list_last (recent); l != NULL; l = l->prev)
      hf_ctl_follow_print_alert (follow, l->data);
    g_list_free (recent);
    hf_ctl_report_skipped (skipped);
  } else if (body == NULL) {
    g_printerr ("hfctl: cannot read the alerts missed: %s\n", error->message);
  } else if (!g_error_matches (error, HF_CTL_ERROR, HF_CTL_ERROR_NOT_FOUND)) {
    g_printerr ("hfctl: %s\n", error->message);
  }
  hf_ctl_follow_release_held (follow);

out:
  g_clear_error (&error);
  if (root != NULL)
    json_node_unref (root);
  if (body != NULL)
    g_bytes_unref (body);
  g_object_unref (msg);
}

/* Reads /api/v1/alerts, asynchronously (the stream's frames go on
 * meanwhile, its alerts held); one request at a time. */
static void
hf_ctl_follow_fetch_alerts (HfCtlFollow * follow)
{
  if (follow->fetch != NULL) {
    follow->fetch_again = TRUE;
    return;
  }
  follow->fetch_again = FALSE;
  follow->fetch = hf_ctl_message_new (follow->ctl, "GET", "/api/v1/alerts",
      NULL, NULL);
  if (follow->fetch == NULL)
    return;                     /* the base URL parsed before: cannot be */
  soup_session_send_and_read_async (follow->ctl->session, follow->fetch,
      G_PRIORITY_DEFAULT, follow->ctl->cancellable,
      hf_ctl_follow_alerts_done, follow);
}

/* An alert frame: printed, or held while the alerts missed are read. */
static void
hf_ctl_follow_alert (HfCtlFollow * follow, JsonObject * notif)
{
  if (follow->fetch != NULL)
    g_queue_push_tail (&follow->held, json_object_ref (notif));
  else
    hf_ctl_follow_print_alert (follow, notif);
}

/* The relay's event ids began again: follow it from its first event. */
static void
hf_ctl_follow_restarted (HfCtlFollow * follow)
{
  g_printerr ("hfctl: the relay restarted (its event ids began again): "
      "following it from its first event\n");
  follow->last_id = 0;
  follow->last_mono_ms = -1;
  /* A relay whose hello says which run it is told that already. */
  if (follow->started_at == NULL)
    hf_ctl_follow_new_run (follow);
  hf_sse_source_reconnect (follow->source, 0);
}

/* Prints an "event" frame unless already printed (a reconnection
 * replays the last one, at least), flushed at once. */
static void
hf_ctl_follow_event (HfCtlFollow * follow, JsonObject * event,
    const gchar * frame_id)
{
  gint64 id = -1, mono_ms = -1;
  gchar *line;

  if (!hf_ctl_json_int (event, "id", &id) && frame_id != NULL)
    id = g_ascii_strtoll (frame_id, NULL, 10);
  if (!hf_ctl_json_int (event, "mono_ms", &mono_ms))
    mono_ms = -1;
  if (follow->checking && id >= 0) {
    follow->checking = FALSE;
    if (id <= follow->last_id && (id != follow->last_id
            || mono_ms != follow->last_mono_ms)) {
      hf_ctl_follow_restarted (follow);
      return;
    }
  }
  if (id >= 0 && id <= follow->last_id)
    return;
  if (id >= 0) {
    follow->last_id = id;
    follow->last_mono_ms = mono_ms;
  }
  if (follow->stream != NULL
      && g_strcmp0 (hf_ctl_json_string (event, "stream"), follow->stream))
    return;
  line = hf_ctl_event_line (event);
  g_print ("%s\n", line);
  fflush (stdout);
  g_free (line);
}

/* The relay says hello with its last event id: one below ours means it
 * restarted and numbers its events from 1 again, so the connection
 * (which asked for the events after ours) is replaced by one from 0.  Its
 * "started_at" tells its runs apart, for the alerts' ids.  Then the
 * alerts missed while there was no stream (or before the first) are
 * read. */
static void
hf_ctl_follow_hello (HfCtlFollow * follow, JsonObject * hello)
{
  const gchar *started_at = hf_ctl_json_string (hello, "started_at");
  gint64 last_id;

  if (started_at != NULL && follow->started_at != NULL
      && !g_str_equal (started_at, follow->started_at))
    hf_ctl_follow_new_run (follow);
  if (started_at != NULL) {
    g_free (follow->started_at);
    follow->started_at = g_strdup (started_at);
  }
  hf_ctl_follow_fetch_alerts (follow);
  if (hf_ctl_json_int (hello, "last_id", &last_id)
      && last_id < follow->last_id)
    hf_ctl_follow_restarted (follow);
}

/* Called on the main context with each frame of the stream. */
static void
hf_ctl_follow_frame (const HfSseFrame * frame, gpointer data)
{
  HfCtlFollow *follow = data;
  JsonParser *parser;
  JsonNode *root;
  gchar *line;

  if (g_str_equal (frame->event, "stats"))
    return;                     /* every second: watch shows those */
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, frame->data, frame->data_len,
          NULL) || (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root)) {
    line = hf_ctl_cell (frame->event);
    g_printerr ("hfctl: skipped a malformed \"%s\" frame\n", line);
    g_free (line);
  } else if (g_str_equal (frame->event, "hello")) {
    hf_ctl_follow_hello (follow, json_node_get_object (root));
  } else if (g_str_equal (frame->event, "event")) {
    hf_ctl_follow_event (follow, json_node_get_object (root), frame->id);
  } else if (g_str_equal (frame->event, "gap")) {
    line = hf_ctl_json_value (json_node_get_object (root), "oldest_id");
    g_printerr ("hfctl: events after %" G_GINT64_FORMAT " are missing: the "
        "relay no longer has them (its oldest is %s)\n", follow->last_id, line);
    g_free (line);
  } else if (g_str_equal (frame->event, "alert")) {
    hf_ctl_follow_alert (follow, json_node_get_object (root));
  }
  g_object_unref (parser);
}

/* events -f, after the events so far (the last one @last_id, with
 * @last_mono_ms or -1): follows the stream until Ctrl-C. */
static gint
hf_ctl_follow (HfCtl * ctl, gint64 last_id, gint64 last_mono_ms,
    const gchar * stream)
{
  static const HfSseSourceFuncs funcs = {
    hf_ctl_follow_url, hf_ctl_follow_frame, hf_ctl_follow_state
  };
  HfCtlFollow follow = { ctl };
  SoupSession *session;
  guint sigint, sigterm;

  /* No I/O timeout: the stream is one long read; the client notices
   * HF_CTL_STREAM_SILENCE_S of silence instead. */
  session = soup_session_new_with_options ("timeout", 0, "user-agent",
      "hfctl/" HF_VERSION, NULL);
  ctl->loop = g_main_loop_new (NULL, FALSE);
  follow.stream = stream;
  follow.last_id = last_id;
  follow.last_mono_ms = last_mono_ms;
  follow.status = HF_CTL_EXIT_OK;
  follow.source = hf_sse_source_new (session, HF_CTL_STREAM_SILENCE_S,
      &funcs, &follow);
  sigint = g_unix_signal_add (SIGINT, hf_ctl_on_signal, ctl);
  sigterm = g_unix_signal_add (SIGTERM, hf_ctl_on_signal, ctl);

  hf_sse_source_start (follow.source);
  g_main_loop_run (ctl->loop);

  hf_sse_source_free (follow.source);
  /* The alerts' request ends (cancelled) before follow goes. */
  g_cancellable_cancel (ctl->cancellable);
  while (follow.fetch != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_queue_clear_full (&follow.held, (GDestroyNotify) json_object_unref);
  g_free (follow.started_at);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_free (follow.outage);
  g_clear_pointer (&ctl->loop, g_main_loop_unref);
  g_object_unref (session);
  return follow.status;
}

static gint
hf_ctl_cmd_events (HfCtl * ctl, gint argc, gchar ** argv)
{
  gboolean follow = FALSE;
  gint64 since = 0, id, last_id = 0, last_mono_ms = -1;
  gchar *stream = NULL, *path;
  GError *error = NULL;
  JsonNode *root;
  JsonObject *object;
  GList *events, *l;
  GString *out;
  guint skipped = 0;
  gint status;
  const GOptionEntry entries[] = {
    {"follow", 'f', 0, G_OPTION_ARG_NONE, &follow,
        "Then follow new events (and alerts) as they happen", NULL},
    {"since", 's', 0, G_OPTION_ARG_INT64, &since,
        "Only the events after event ID", "ID"},
    {"stream", 0, 0, G_OPTION_ARG_STRING, &stream,
        "Only the events of stream NAME", "NAME"},
    G_OPTION_ENTRY_NULL
  };

  status = hf_ctl_parse_command (ctl, &argc, &argv, "events", "Prints the "
      "relay's events, one a line: local time, stream, type, input,\n"
      "from -> to, reason.", entries, 0, 0);
  if (status != HF_CTL_EXIT_OK)
    goto out;
  if (since < 0) {
    g_printerr ("hfctl: events: --since takes an event id (0 or more)\n");
    status = HF_CTL_EXIT_USAGE;
    goto out;
  }

  path = hf_ctl_events_path ("/api/v1/events", since, stream);
  root = hf_ctl_get_json (ctl, path, &error);
  g_free (path);
  object = root != NULL ? hf_ctl_json_root (root, "events", &error) : NULL;
  if (object == NULL) {
    status = hf_ctl_report (error);
    g_clear_error (&error);
    if (root != NULL)
      json_node_unref (root);
    goto out;
  }

  out = g_string_new (NULL);
  events = hf_ctl_json_objects (object, "events", &skipped);
  for (l = events; l != NULL; l = l->next) {
    gchar *line = hf_ctl_event_line (l->data);

    g_string_append_printf (out, "%s\n", line);
    g_free (line);
    if (hf_ctl_json_int (l->data, "id", &id) && id > last_id) {
      last_id = id;
      if (!hf_ctl_json_int (l->data, "mono_ms", &last_mono_ms))
        last_mono_ms = -1;
    }
  }
  hf_ctl_write (out);
  hf_ctl_report_skipped (skipped);
  /* Follow from the relay's last id: events of other streams are not
   * asked for again. */
  if (!hf_ctl_json_int (object, "last_id", &id))
    id = MAX (since, last_id);
  if (id != last_id)
    last_mono_ms = -1;
  g_list_free (events);
  g_string_free (out, TRUE);
  json_node_unref (root);

  if (follow)
    status = hf_ctl_follow (ctl, id, last_mono_ms, stream);

out:
  g_free (stream);
  return status;
}

/* A command gets its own name as argv[0] and returns the exit status. */
typedef struct
{
  const gchar *name;
  const gchar *summary;
    gint (*run) (HfCtl * ctl, gint argc, gchar ** argv);
} HfCtlCommand;

static const HfCtlCommand hf_ctl_commands[] = {
  {"status", "inputs (health, on air, loss, jitter, bitrate) and outputs "
        "(viewers)", hf_ctl_cmd_status},
  {"watch", "status, alerts and the last events, refreshed "
        "[--interval S] [--count N]", hf_ctl_cmd_watch},
  {"events", "the relay's events [-f] [--since ID] [--stream NAME]",
      hf_ctl_cmd_events},
  {"alerts", "the alerts firing, webhooks [--all: recent notifications]",
      hf_ctl_cmd_alerts},
  {"switch", "STREAM INPUT: put INPUT on air (INPUT \"auto\": the relay "
        "chooses)", hf_ctl_cmd_switch},
};

int
main (int argc, char **argv)
{
  const HfCtlCommand *command = NULL;
  gchar *help, *description;
  gboolean show_version = FALSE;
  GOptionContext *context;
  GError *error = NULL;
  GString *commands;
  HfCtl ctl = { NULL };
  gint status;
  guint i;
  GOptionEntry entries[] = {
    {"url", 'u', 0, G_OPTION_ARG_STRING, &ctl.url,
        "Relay API address (default: $HOLDFAST_URL, else "
          HF_CTL_DEFAULT_URL ")", "URL"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &show_version,
        "Print the version and exit", NULL},
    G_OPTION_ENTRY_NULL
  };

  commands = g_string_new ("Commands:\n");
  for (i = 0; i < G_N_ELEMENTS (hf_ctl_commands); i++)
    g_string_append_printf (commands, "  %-8s %s\n", hf_ctl_commands[i].name,
        hf_ctl_commands[i].summary);
  g_string_append (commands, "\n\"hfctl COMMAND --help\" describes a "
      "command's options.\n\nExit status: 0 on success, 1 when the relay "
      "cannot be reached or answers\nwith an error, 2 on bad arguments.\n");
  description = g_string_free (commands, FALSE);

  context = g_option_context_new ("COMMAND [ARGUMENTS]");
  g_option_context_set_summary (context,
      "Shows and controls a running Holdfast relay.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  /* Options after the command are the command's. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("hfctl: %s\nTry \"hfctl --help\" for usage.\n", error->message);
    status = HF_CTL_EXIT_USAGE;
    goto out;
  }

  if (show_version) {
    g_print ("hfctl %s\n", HF_VERSION);
    status = HF_CTL_EXIT_OK;
    goto out;
  }

  for (i = 0; argc > 1 && i < G_N_ELEMENTS (hf_ctl_commands); i++) {
    if (g_str_equal (argv[1], hf_ctl_commands[i].name))
      command = &hf_ctl_commands[i];
  }
  if (command == NULL) {
    if (argc > 1)
      g_printerr ("hfctl: unknown command \"%s\"\n\n", argv[1]);
    help = g_option_context_get_help (context, TRUE, NULL);
    g_printerr ("%s", help);
    g_free (help);
    status = HF_CTL_EXIT_USAGE;
    goto out;
  }

  status = command->run (&ctl, argc - 1, argv + 1);

out:
  g_clear_error (&error);
  hf_ctl_clear (&ctl);
  g_option_context_free (context);
  g_free (description);
  return status;
}

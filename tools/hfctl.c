/* hfctl: the command-line client of the Holdfast relay.
 *
 * Talks to the relay's HTTP API and prints what an engineer running a live
 * channel needs at a glance: for every input its state, whether it is on
 * air, its loss, jitter, bitrate and the age of its last packet; for every
 * output its viewers.  Fetching (hf_ctl_get_json) and printing
 * (hf_ctl_print_streams) are separate so that later commands (watch,
 * events, switch) reuse them.  The relay's answers are untrusted input: a
 * missing or mistyped field prints as "-", never aborts.
 *
 * Threads: one.  main() does everything synchronously with libsoup's
 * blocking API and a 3 s timeout.
 */

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

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

typedef enum
{
  HF_CTL_ERROR_USAGE,
  HF_CTL_ERROR_UNREACHABLE,
  HF_CTL_ERROR_HTTP,
  HF_CTL_ERROR_BAD_ANSWER,
} HfCtlError;

#define HF_CTL_ERROR (hf_ctl_error_quark ())
static GQuark hf_ctl_error_quark (void);
G_DEFINE_QUARK (hf - ctl - error - quark, hf_ctl_error);

typedef struct
{
  gchar *base_url;              /* without a trailing '/' */
  SoupSession *session;
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
  return TRUE;
}

static void
hf_ctl_clear (HfCtl * ctl)
{
  g_clear_object (&ctl->session);
  g_clear_pointer (&ctl->base_url, g_free);
}

/* Copies text for a terminal: control characters (a name holding an escape
 * sequence or a line break) become '?'.  Returns (transfer full). */
static gchar *
hf_ctl_sanitize (const gchar * text, gssize len)
{
  gchar *copy, *p;

  if (len < 0)
    len = strlen (text);
  copy = g_utf8_make_valid (text, len);
  for (p = copy; *p != '\0'; p++) {
    if (((guchar) * p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
      *p = '?';
  }
  return copy;
}

/**
 * hf_ctl_get_json:
 * @ctl: the client
 * @path: API path starting with '/', e.g. "/api/v1/streams"
 * @error: HF_CTL_ERROR_UNREACHABLE when no answer came, HF_CTL_ERROR_HTTP
 *   for any status but 200 (the message holds status and body),
 *   HF_CTL_ERROR_BAD_ANSWER when the body is not JSON
 *
 * GETs base URL + @path and parses the answer.  Blocks up to the session's
 * timeout.
 *
 * Returns: (transfer full) (nullable): the root node, NULL on error.
 */
static JsonNode *
hf_ctl_get_json (HfCtl * ctl, const gchar * path, GError ** error)
{
  SoupMessage *msg = NULL;
  GBytes *body = NULL;
  JsonParser *parser = NULL;
  JsonNode *root = NULL;
  GError *local = NULL;
  gchar *url;
  guint status;
  gsize size;
  const gchar *data;

  url = g_strconcat (ctl->base_url, path, NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL) {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_USAGE,
        "bad relay URL \"%s\"", url);
    goto out;
  }
  soup_message_headers_append (soup_message_get_request_headers (msg),
      "Accept", "application/json");

  body = soup_session_send_and_read (ctl->session, msg, NULL, &local);
  if (body == NULL) {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_UNREACHABLE,
        "cannot reach the relay at %s: %s", ctl->base_url, local->message);
    g_clear_error (&local);
    goto out;
  }

  data = g_bytes_get_data (body, &size);
  status = soup_message_get_status (msg);
  if (status != SOUP_STATUS_OK) {
    gchar *text = hf_ctl_sanitize (data != NULL ? data : "",
        MIN (size, HF_CTL_MAX_ERROR_BODY));

    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_HTTP,
        "the relay at %s answered %u %s for GET %s%s%s%s", ctl->base_url,
        status, soup_message_get_reason_phrase (msg) ?
        soup_message_get_reason_phrase (msg) : "", path,
        text[0] != '\0' ? ":\n" : "", text,
        size > HF_CTL_MAX_ERROR_BODY ? "\n[...]" : "");
    g_free (text);
    goto out;
  }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data != NULL ? data : "",
          (gssize) size, &local)) {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_BAD_ANSWER,
        "the relay at %s sent something that is not JSON for GET %s: %s",
        ctl->base_url, path, local->message);
    g_clear_error (&local);
    goto out;
  }
  root = json_parser_steal_root (parser);
  if (root == NULL) {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_BAD_ANSWER,
        "the relay at %s sent an empty answer for GET %s", ctl->base_url, path);
  }

out:
  g_clear_object (&parser);
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_object (&msg);
  g_free (url);
  return root;
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                 */

typedef enum
{
  HF_CTL_ALIGN_LEFT,
  HF_CTL_ALIGN_RIGHT,
} HfCtlAlign;

typedef struct
{
  guint n_columns;
  const gchar *const *headers;  /* (transfer none): static */
  const HfCtlAlign *align;      /* (transfer none): static */
  GPtrArray *rows;              /* of gchar ** with n_columns cells */
} HfCtlTable;

static void
hf_ctl_table_init (HfCtlTable * table, guint n_columns,
    const gchar * const *headers, const HfCtlAlign * align)
{
  table->n_columns = n_columns;
  table->headers = headers;
  table->align = align;
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
}

static void
hf_ctl_table_clear (HfCtlTable * table)
{
  g_clear_pointer (&table->rows, g_ptr_array_unref);
}

/* Adds a row; takes the n_columns cells (transfer full), each sanitized. */
static void
hf_ctl_table_add_row (HfCtlTable * table, gchar ** cells)
{
  gchar **row = g_new0 (gchar *, table->n_columns + 1);
  guint i;

  for (i = 0; i < table->n_columns; i++) {
    row[i] = hf_ctl_sanitize (cells[i] != NULL ? cells[i] : "-", -1);
    /* A cell stays on one line. */
    g_strdelimit (row[i], "\n\t", ' ');
    g_free (cells[i]);
  }
  g_ptr_array_add (table->rows, row);
}

static void
hf_ctl_table_print_line (HfCtlTable * table, const gchar * const *cells,
    const glong * widths)
{
  GString *line = g_string_new (NULL);
  guint i;

  for (i = 0; i < table->n_columns; i++) {
    glong pad = widths[i] - g_utf8_strlen (cells[i], -1);
    gboolean last = (i + 1 == table->n_columns);

    if (i > 0)
      g_string_append (line, "  ");
    if (table->align[i] == HF_CTL_ALIGN_RIGHT) {
      for (; pad > 0; pad--)
        g_string_append_c (line, ' ');
      g_string_append (line, cells[i]);
    } else {
      g_string_append (line, cells[i]);
      for (; pad > 0 && !last; pad--)
        g_string_append_c (line, ' ');
    }
  }
  /* An empty last column would leave blanks at the end of the line. */
  while (line->len > 0 && line->str[line->len - 1] == ' ')
    g_string_truncate (line, line->len - 1);
  g_print ("%s\n", line->str);
  g_string_free (line, TRUE);
}

static void
hf_ctl_table_print (HfCtlTable * table)
{
  glong *widths = g_new0 (glong, table->n_columns);
  guint i, r;

  for (i = 0; i < table->n_columns; i++)
    widths[i] = g_utf8_strlen (table->headers[i], -1);
  for (r = 0; r < table->rows->len; r++) {
    gchar **row = g_ptr_array_index (table->rows, r);

    for (i = 0; i < table->n_columns; i++)
      widths[i] = MAX (widths[i], g_utf8_strlen (row[i], -1));
  }

  hf_ctl_table_print_line (table, table->headers, widths);
  for (r = 0; r < table->rows->len; r++)
    hf_ctl_table_print_line (table, g_ptr_array_index (table->rows, r), widths);
  g_free (widths);
}

/* ---------------------------------------------------------------------- */
/* Reading the relay's JSON                                               */

/* Returns the member as a string (transfer none), NULL if it is missing,
 * null or not a string. */
static const gchar *
hf_ctl_json_string (JsonObject * object, const gchar * name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Reads a JSON number (integer or not).  FALSE if it is missing, null or
 * of another type. */
static gboolean
hf_ctl_json_number (JsonObject * object, const gchar * name, gdouble * value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node)) {
    case G_TYPE_INT64:
      *value = (gdouble) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *value = json_node_get_double (node);
      return TRUE;
    default:
      return FALSE;
  }
}

/* Formats member * scale with `decimals` decimals, or "-" (transfer full). */
static gchar *
hf_ctl_json_format (JsonObject * object, const gchar * name, gdouble scale,
    gint decimals)
{
  gdouble value;

  if (!hf_ctl_json_number (object, name, &value))
    return g_strdup ("-");
  return g_strdup_printf ("%.*f", decimals, value * scale);
}

static gchar *
hf_ctl_json_text (JsonObject * object, const gchar * name)
{
  const gchar *value = hf_ctl_json_string (object, name);

  return g_strdup (value != NULL && value[0] != '\0' ? value : "-");
}

/* The objects of an array member, skipping anything else.  Returns
 * (transfer container), never NULL; *skipped counts what was not an
 * object. */
static GList *
hf_ctl_json_objects (JsonObject * object, const gchar * name, guint * skipped)
{
  JsonNode *node = json_object_get_member (object, name);
  GList *elements, *l, *objects = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  elements = json_array_get_elements (json_node_get_array (node));
  for (l = elements; l != NULL; l = l->next) {
    if (JSON_NODE_HOLDS_OBJECT (l->data))
      objects = g_list_prepend (objects, json_node_get_object (l->data));
    else
      (*skipped)++;
  }
  g_list_free (elements);
  return g_list_reverse (objects);
}

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
 * @error: HF_CTL_ERROR_BAD_ANSWER when @root has no "streams" array
 *
 * Prints the inputs table, a blank line and the outputs table to stdout.
 * Entries that are not objects are skipped (and counted on stderr);
 * missing fields print as "-".
 *
 * Returns: TRUE once printed, FALSE (nothing printed) with @error set.
 */
static gboolean
hf_ctl_print_streams (JsonNode * root, GError ** error)
{
  HfCtlTable inputs, outputs;
  GList *streams, *l;
  JsonNode *member = NULL;
  guint skipped = 0;

  if (JSON_NODE_HOLDS_OBJECT (root))
    member = json_object_get_member (json_node_get_object (root), "streams");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member)) {
    g_set_error (error, HF_CTL_ERROR, HF_CTL_ERROR_BAD_ANSWER,
        "unexpected answer: no \"streams\" array");
    return FALSE;
  }
  streams = hf_ctl_json_objects (json_node_get_object (root), "streams",
      &skipped);

  hf_ctl_table_init (&inputs, G_N_ELEMENTS (hf_ctl_input_headers),
      hf_ctl_input_headers, hf_ctl_input_align);
  hf_ctl_table_init (&outputs, G_N_ELEMENTS (hf_ctl_output_headers),
      hf_ctl_output_headers, hf_ctl_output_align);
  for (l = streams; l != NULL; l = l->next) {
    hf_ctl_add_input_rows (&inputs, l->data, &skipped);
    hf_ctl_add_output_rows (&outputs, l->data, &skipped);
  }

  hf_ctl_table_print (&inputs);
  g_print ("\n");
  hf_ctl_table_print (&outputs);
  if (skipped > 0)
    g_printerr ("hfctl: skipped %u malformed entr%s in the answer\n",
        skipped, skipped == 1 ? "y" : "ies");

  hf_ctl_table_clear (&inputs);
  hf_ctl_table_clear (&outputs);
  g_list_free (streams);
  return TRUE;
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

static gint
hf_ctl_cmd_status (HfCtl * ctl, gint argc, gchar ** argv)
{
  GError *error = NULL;
  JsonNode *root;
  gint status = HF_CTL_EXIT_OK;

  if (argc > 1) {
    g_printerr ("hfctl: status takes no arguments\n");
    return HF_CTL_EXIT_USAGE;
  }

  root = hf_ctl_get_json (ctl, "/api/v1/streams", &error);
  if (root == NULL || !hf_ctl_print_streams (root, &error))
    status = hf_ctl_report (error);

  g_clear_error (&error);
  if (root != NULL)
    json_node_unref (root);
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
  {"status", "inputs (state, on air, loss, jitter, bitrate, age) and "
        "outputs (viewers) of every stream", hf_ctl_cmd_status},
};

int
main (int argc, char **argv)
{
  const HfCtlCommand *command = NULL;
  gchar *url = NULL, *help, *description;
  gboolean show_version = FALSE;
  GOptionContext *context;
  GError *error = NULL;
  GString *commands;
  HfCtl ctl = { NULL, NULL };
  gint status;
  guint i;
  GOptionEntry entries[] = {
    {"url", 'u', 0, G_OPTION_ARG_STRING, &url,
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
  g_string_append (commands, "\nExit status: 0 on success, 1 when the relay "
      "cannot be reached or answers\nwith an error, 2 on bad arguments.\n");
  description = g_string_free (commands, FALSE);

  context = g_option_context_new ("COMMAND");
  g_option_context_set_summary (context,
      "Shows and controls a running Holdfast relay.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
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

  if (url == NULL && g_getenv ("HOLDFAST_URL") != NULL
      && g_getenv ("HOLDFAST_URL")[0] != '\0')
    url = g_strdup (g_getenv ("HOLDFAST_URL"));
  if (url == NULL)
    url = g_strdup (HF_CTL_DEFAULT_URL);
  if (!hf_ctl_init (&ctl, url, &error)) {
    status = hf_ctl_report (error);
    goto out;
  }

  status = command->run (&ctl, argc - 1, argv + 1);

out:
  g_clear_error (&error);
  hf_ctl_clear (&ctl);
  g_option_context_free (context);
  g_free (description);
  g_free (url);
  return status;
}

/* hfctl's output helpers (see hf-ctl-out.h): text made safe for a
 * terminal, aligned tables, the lines of events and alerts (alert values
 * in the units of the status table), and typed reads of the relay's JSON,
 * which is untrusted: a missing or mistyped member reads as absent, never
 * aborts.
 *
 * Threads: hfctl has one.
 */
#include "tools/hf-ctl-out.h"

#include <stdio.h>
#include <string.h>

/* A code point a terminal would act on rather than show: C0 controls but
 * line break and tab, DEL, C1 controls (U+009B is a CSI, as ESC [ is),
 * and the bidirectional controls that reorder what follows them (a name
 * that makes the rest of the line read backwards). */
static gboolean
hf_ctl_is_control (gunichar c)
{
  return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f)
      || c == 0x061c || c == 0x200e || c == 0x200f
      || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* Copies text for a terminal: invalid UTF-8 becomes U+FFFD, and control
 * characters (a name holding an escape sequence, a line break of the
 * terminal's or a bidi override) become '?'.  Returns (transfer full). */
gchar *
hf_ctl_sanitize (const gchar * text, gssize len)
{
  gchar *valid;
  const gchar *p, *next;
  GString *copy;

  if (len < 0)
    len = strlen (text);
  valid = g_utf8_make_valid (text, len);
  copy = g_string_sized_new (strlen (valid));
  for (p = valid; *p != '\0'; p = next) {
    next = g_utf8_next_char (p);
    if (hf_ctl_is_control (g_utf8_get_char (p)))
      g_string_append_c (copy, '?');
    else
      g_string_append_len (copy, p, next - p);
  }
  g_free (valid);
  return g_string_free (copy, FALSE);
}

/* Like hf_ctl_sanitize, on one line: "-" for NULL or "" (transfer full). */
gchar *
hf_ctl_cell (const gchar * text)
{
  gchar *cell;

  if (text == NULL || text[0] == '\0')
    return g_strdup ("-");
  cell = hf_ctl_sanitize (text, -1);
  g_strdelimit (cell, "\n\t", ' ');
  return cell;
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                 */



void
hf_ctl_table_init (HfCtlTable * table, guint n_columns,
    const gchar * const *headers, const HfCtlAlign * align)
{
  table->n_columns = n_columns;
  table->headers = headers;
  table->align = align;
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
}

void
hf_ctl_table_clear (HfCtlTable * table)
{
  g_clear_pointer (&table->rows, g_ptr_array_unref);
}

/* Adds a row; takes the n_columns cells (transfer full), each sanitized. */
void
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

/* Appends @text and blanks up to @width characters. */
void
hf_ctl_pad (GString * line, const gchar * text, glong width)
{
  glong pad = width - g_utf8_strlen (text, -1);

  g_string_append (line, text);
  for (; pad > 0; pad--)
    g_string_append_c (line, ' ');
}

static void
hf_ctl_table_print_line (HfCtlTable * table, const gchar * const *cells,
    const glong * widths, GString * out)
{
  GString *line = g_string_new (NULL);
  guint i;

  for (i = 0; i < table->n_columns; i++) {
    glong pad = widths[i] - g_utf8_strlen (cells[i], -1);

    if (i > 0)
      g_string_append (line, "  ");
    if (table->align != NULL && table->align[i] == HF_CTL_ALIGN_RIGHT) {
      for (; pad > 0; pad--)
        g_string_append_c (line, ' ');
      g_string_append (line, cells[i]);
    } else {
      hf_ctl_pad (line, cells[i], widths[i]);
    }
  }
  /* An empty last column would leave blanks at the end of the line. */
  while (line->len > 0 && line->str[line->len - 1] == ' ')
    g_string_truncate (line, line->len - 1);
  g_string_append_printf (out, "%s\n", line->str);
  g_string_free (line, TRUE);
}

/* Appends the table, header first, to @out. */
void
hf_ctl_table_print (HfCtlTable * table, GString * out)
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

  hf_ctl_table_print_line (table, table->headers, widths, out);
  for (r = 0; r < table->rows->len; r++)
    hf_ctl_table_print_line (table, g_ptr_array_index (table->rows, r),
        widths, out);
  g_free (widths);
}

/* Writes @out to stdout at once and flushes: a reader at the other end of
 * a pipe sees every line when it is printed. */
void
hf_ctl_write (GString * out)
{
  fwrite (out->str, 1, out->len, stdout);
  fflush (stdout);
}

/* ---------------------------------------------------------------------- */
/* Reading the relay's JSON                                               */

/* Returns the member as a string (transfer none), NULL if it is missing,
 * null or not a string. */
const gchar *
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
gboolean
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

/* Reads a JSON integer (an event id).  FALSE if it is missing or not an
 * integer. */
gboolean
hf_ctl_json_int (JsonObject * object, const gchar * name, gint64 * value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

/* Formats member * scale with `decimals` decimals, or "-" (transfer full).
 * An absurd value keeps to a few characters. */
gchar *
hf_ctl_json_format (JsonObject * object, const gchar * name, gdouble scale,
    gint decimals)
{
  gdouble value;

  if (!hf_ctl_json_number (object, name, &value))
    return g_strdup ("-");
  value *= scale;
  if (!(value > -1e12 && value < 1e12))
    return g_strdup_printf ("%.3g", value);
  return g_strdup_printf ("%.*f", decimals, value);
}

gchar *
hf_ctl_json_text (JsonObject * object, const gchar * name)
{
  const gchar *value = hf_ctl_json_string (object, name);

  return g_strdup (value != NULL && value[0] != '\0' ? value : "-");
}

/* An ISO 8601 member as local time, "HH:MM:SS" or with @ms
 * "HH:MM:SS.mmm"; "-" when missing or not a time.  (transfer full) */
gchar *
hf_ctl_json_local_time (JsonObject * object, const gchar * name, gboolean ms)
{
  const gchar *iso = hf_ctl_json_string (object, name);
  GDateTime *utc, *local;
  gchar *hms, *text;

  if (iso == NULL || (utc = g_date_time_new_from_iso8601 (iso, NULL)) == NULL)
    return g_strdup ("-");
  local = g_date_time_to_local (utc);
  hms = g_date_time_format (local, "%H:%M:%S");
  if (ms)
    text = g_strdup_printf ("%s.%03d", hms,
        g_date_time_get_microsecond (local) / 1000);
  else
    text = g_strdup (hms);
  g_free (hms);
  g_date_time_unref (local);
  g_date_time_unref (utc);
  return text;
}

/* The objects of an array member, skipping anything else.  Returns
 * (transfer container), never NULL; *skipped counts what was not an
 * object. */
GList *
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

/* ---------------------------------------------------------------------- */
/* Event and alert lines                                                  */

/* Joins @n cells (transfer full: freed) into one line, each padded to its
 * width (0: not padded), two blanks apart.  Returns (transfer full). */
static gchar *
hf_ctl_join_cells (gchar ** cells, const glong * widths, guint n)
{
  GString *line = g_string_new (NULL);
  guint i;

  for (i = 0; i < n; i++) {
    if (i > 0)
      g_string_append (line, "  ");
    hf_ctl_pad (line, cells[i], widths[i]);
    g_free (cells[i]);
  }
  while (line->len > 0 && line->str[line->len - 1] == ' ')
    g_string_truncate (line, line->len - 1);
  return g_string_free (line, FALSE);
}

/**
 * hf_ctl_event_line:
 * @event: (transfer none): an EVENT object of the relay's
 *
 * Returns: (transfer full): one line without its '\n': local time, stream,
 *   type, input, from -> to, reason; "-" for what is missing.  Fixed
 *   widths, as events -f cannot know the lines to come.
 */
gchar *
hf_ctl_event_line (JsonObject * event)
{
  static const glong widths[6] = { 12, 8, 11, 8, 20, 0 };
  gchar *from = hf_ctl_cell (hf_ctl_json_string (event, "from"));
  gchar *to = hf_ctl_cell (hf_ctl_json_string (event, "to"));
  gchar *cells[6] = {
    hf_ctl_json_local_time (event, "time", TRUE),
    hf_ctl_cell (hf_ctl_json_string (event, "stream")),
    hf_ctl_cell (hf_ctl_json_string (event, "type")),
    hf_ctl_cell (hf_ctl_json_string (event, "input")),
    g_strdup_printf ("%s -> %s", from, to),
    hf_ctl_cell (hf_ctl_json_string (event, "reason")),
  };

  g_free (to);
  g_free (from);
  return hf_ctl_join_cells (cells, widths, G_N_ELEMENTS (cells));
}

/* A number as the relay sent it, short: "0.031", "1", or "-". */
gchar *
hf_ctl_json_value (JsonObject * object, const gchar * name)
{
  gdouble value;

  if (!hf_ctl_json_number (object, name, &value))
    return g_strdup ("-");
  return g_strdup_printf ("%.4g", value);
}

/* (transfer full) a notification's number @name ("value", "threshold") in
 * the unit the status table uses for its figure, the first word of its
 * "expr": a loss ratio in %, seconds in ms (s from 10 s), a bitrate in
 * kbit/s; a flag (input.lost...), a count or an unknown figure as is. */
gchar *
hf_ctl_alert_value (JsonObject * notif, const gchar * name)
{
  const gchar *expr = hf_ctl_json_string (notif, "expr");
  gchar *figure, *text;
  gdouble value;

  if (!hf_ctl_json_number (notif, name, &value))
    return g_strdup ("-");
  expr = expr != NULL ? expr + strspn (expr, " \t") : "";
  figure = g_strndup (expr, strspn (expr, "abcdefghijklmnopqrstuvwxyz"
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."));
  if (g_str_has_suffix (figure, "loss_ratio"))
    text = g_strdup_printf ("%.3g%%", value * 100);
  else if (g_str_has_suffix (figure, "_seconds") && ABS (value) >= 10)
    text = g_strdup_printf ("%.1f s", value);
  else if (g_str_has_suffix (figure, "_seconds"))
    text = g_strdup_printf ("%.3g ms", value * 1000);
  else if (g_str_has_suffix (figure, "bitrate_bps"))
    text = g_strdup_printf ("%.0f kbit/s", value / 1000);
  else
    text = g_strdup_printf ("%.4g", value);
  g_free (figure);
  return text;
}

/**
 * hf_ctl_alert_line:
 * @notif: (transfer none): a NOTIF object (an alert notification)
 *
 * Returns: (transfer full): one line without its '\n', starting "ALERT":
 *   local time of the change, stream, state, alert, severity, input,
 *   value, summary.
 */
gchar *
hf_ctl_alert_line (JsonObject * notif)
{
  static const glong widths[9] = { 0, 12, 8, 8, 16, 8, 8, 0, 0 };
  const gchar *state = hf_ctl_json_string (notif, "state");
  gchar *value = hf_ctl_alert_value (notif, "value");
  gchar *cells[9] = {
    g_strdup ("ALERT"),
    hf_ctl_json_local_time (notif, g_strcmp0 (state, "resolved") == 0 ?
        "resolved_at" : "started_at", TRUE),
    hf_ctl_cell (hf_ctl_json_string (notif, "stream")),
    hf_ctl_cell (state),
    hf_ctl_cell (hf_ctl_json_string (notif, "alert")),
    hf_ctl_cell (hf_ctl_json_string (notif, "severity")),
    hf_ctl_cell (hf_ctl_json_string (notif, "input")),
    g_strdup_printf ("value %s", value),
    hf_ctl_cell (hf_ctl_json_string (notif, "summary")),
  };

  g_free (value);
  return hf_ctl_join_cells (cells, widths, G_N_ELEMENTS (cells));
}

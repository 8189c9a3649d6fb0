/* hfctl's output helpers: terminal-safe text, aligned tables, event and
 * alert lines, typed reads of the relay's (untrusted) JSON.  Split from
 * hfctl.c, which keeps the commands. */
#ifndef HF_CTL_OUT_H
#define HF_CTL_OUT_H

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Text for a terminal: control characters (C0 but \n and \t, DEL, C1, bidi
 * controls) become '?', invalid UTF-8 U+FFFD (transfer full). */
gchar *hf_ctl_sanitize (const gchar * text, gssize len);
/* The same on one line; "-" for NULL or "" (transfer full). */
gchar *hf_ctl_cell (const gchar * text);

typedef enum
{
  HF_CTL_ALIGN_LEFT,
  HF_CTL_ALIGN_RIGHT,
} HfCtlAlign;

typedef struct
{
  guint n_columns;
  const gchar *const *headers;  /* (transfer none): static */
  const HfCtlAlign *align;      /* (transfer none): static, or NULL: left */
  GPtrArray *rows;              /* of gchar ** with n_columns cells */
} HfCtlTable;

/* @headers and @align are (transfer none) and static. */
void hf_ctl_table_init (HfCtlTable * table, guint n_columns,
    const gchar * const *headers, const HfCtlAlign * align);
void hf_ctl_table_clear (HfCtlTable * table);
/* @cells: (transfer full) n_columns strings. */
void hf_ctl_table_add_row (HfCtlTable * table, gchar ** cells);
/* Appends the table, columns padded to their widest cell, to @out. */
void hf_ctl_table_print (HfCtlTable * table, GString * out);
/* Appends @text padded with spaces to @width characters (UTF-8 aware). */
void hf_ctl_pad (GString * line, const gchar * text, glong width);
/* Writes @out to stdout and flushes. */
void hf_ctl_write (GString * out);

/* (transfer none) the member as a string, NULL when absent or not one. */
const gchar *hf_ctl_json_string (JsonObject * object, const gchar * name);
gboolean hf_ctl_json_number (JsonObject * object, const gchar * name,
    gdouble * value);
gboolean hf_ctl_json_int (JsonObject * object, const gchar * name,
    gint64 * value);
/* (transfer full) the number times @scale with @decimals, or "-". */
gchar *hf_ctl_json_format (JsonObject * object, const gchar * name,
    gdouble scale, gint decimals);
/* (transfer full) a string member as a cell, or "-". */
gchar *hf_ctl_json_text (JsonObject * object, const gchar * name);
/* (transfer full) an ISO 8601 member as local HH:MM:SS[.mmm], or "-". */
gchar *hf_ctl_json_local_time (JsonObject * object, const gchar * name,
    gboolean ms);
/* (transfer container) the objects of an array member; the elements that
 * are not objects are counted in @skipped. */
GList *hf_ctl_json_objects (JsonObject * object, const gchar * name,
    guint * skipped);

/* (transfer full) one line (no '\n') for an EVENT of the relay's: local
 * time, stream, type, input, from -> to, reason; fixed widths. */
gchar *hf_ctl_event_line (JsonObject * event);
/* (transfer full) a number member as the relay sent it, short, or "-". */
gchar *hf_ctl_json_value (JsonObject * object, const gchar * name);
/* (transfer full) a NOTIF's number @name ("value", "threshold") in the
 * unit of the figure its "expr" names (%, ms or s, kbit/s), or "-". */
gchar *hf_ctl_alert_value (JsonObject * notif, const gchar * name);
/* (transfer full) one line (no '\n') for a NOTIF, starting "ALERT". */
gchar *hf_ctl_alert_line (JsonObject * notif);

G_END_DECLS
#endif

/* Alert rules and their state machine (issue 5).  A rule compares one
 * figure of a stream, or of each of its inputs, with a threshold
 * ("input.loss_ratio > 2%"); each (rule, stream[, input]) is an instance
 * that goes inactive -> pending (the condition holds) -> firing (it has
 * held for the rule's for-duration) -> inactive (it no longer holds, or
 * the stream or input is gone).  Firing and resolving each make exactly
 * one notification, a JSON object that the relay hands to its webhooks and
 * keeps (the last 100) for the API.  The expression and duration parsers
 * are hand-written, hence tests/fuzz/fuzz-alert-expr.c.
 *
 * Plain C + GLib: time is passed in (monotonic and wall clock), nothing
 * here reads a clock, opens a socket or takes a lock.  Threads: the
 * control thread only (config load, the once-a-second evaluation, the
 * API); hf_alert_expr_parse () and hf_alert_rules_load () keep no state
 * and may run on any thread.
 */
#include "relay/hf-relay.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_alerts_debug);
#define GST_CAT_DEFAULT hf_alerts_debug

/* Notifications kept for hf_alerts_to_json ()'s "recent". */
#define HF_ALERTS_RECENT 100
/* An [alert NAME]'s and a stream filter's longest name. */
#define HF_ALERT_NAME_MAX 64
/* The longest for-duration: a day. */
#define HF_ALERT_MAX_FOR_US (G_GINT64_CONSTANT (24) * 3600 * G_USEC_PER_SEC)
/* A summary template's longest text, in bytes. */
#define HF_ALERT_SUMMARY_MAX 1024
/* How much of an untrusted text an error message quotes. */
#define HF_ALERT_EXCERPT_MAX 32

/* ---- Names --------------------------------------------------------------- */

/* What a figure measures, for its units and for formatting its values. */
typedef enum
{
  HF_FIGURE_KIND_BOOLEAN,       /* 1 or 0 */
  HF_FIGURE_KIND_RATIO,         /* 0..1, written in % */
  HF_FIGURE_KIND_SECONDS,       /* written in ms or s */
  HF_FIGURE_KIND_BITRATE,       /* bit/s, written with k or M */
  HF_FIGURE_KIND_COUNT          /* a plain number (k and M allowed) */
} HfFigureKind;

typedef struct
{
  const gchar *name;
  HfFigureKind kind;
} HfFigureInfo;

static const HfFigureInfo hf_figures[HF_FIGURE_N] = {
  [HF_FIGURE_INPUT_LOST] = {"input.lost", HF_FIGURE_KIND_BOOLEAN},
  [HF_FIGURE_INPUT_DEGRADED] = {"input.degraded", HF_FIGURE_KIND_BOOLEAN},
  [HF_FIGURE_INPUT_ON_AIR] = {"input.on_air", HF_FIGURE_KIND_BOOLEAN},
  [HF_FIGURE_INPUT_LOSS_RATIO] = {"input.loss_ratio", HF_FIGURE_KIND_RATIO},
  [HF_FIGURE_INPUT_JITTER_SECONDS] =
      {"input.jitter_seconds", HF_FIGURE_KIND_SECONDS},
  [HF_FIGURE_INPUT_RTT_SECONDS] = {"input.rtt_seconds", HF_FIGURE_KIND_SECONDS},
  [HF_FIGURE_INPUT_BITRATE_BPS] = {"input.bitrate_bps", HF_FIGURE_KIND_BITRATE},
  [HF_FIGURE_INPUT_LAST_PACKET_AGE_SECONDS] =
      {"input.last_packet_age_seconds", HF_FIGURE_KIND_SECONDS},
  [HF_FIGURE_STREAM_SLATE] = {"stream.slate", HF_FIGURE_KIND_BOOLEAN},
  [HF_FIGURE_STREAM_ON_AIR_DEGRADED] =
      {"stream.on_air_degraded", HF_FIGURE_KIND_BOOLEAN},
  [HF_FIGURE_STREAM_RECENT_FAILOVERS] =
      {"stream.recent_failovers", HF_FIGURE_KIND_COUNT},
  [HF_FIGURE_STREAM_VIEWERS] = {"stream.viewers", HF_FIGURE_KIND_COUNT},
};

/* Longest first, so that ">=" is not read as ">" then "=". */
static const struct
{
  const gchar *text;
  HfAlertOp op;
} hf_alert_ops[] = {
  {">=", HF_ALERT_OP_GE}, {"<=", HF_ALERT_OP_LE}, {"==", HF_ALERT_OP_EQ},
  {"!=", HF_ALERT_OP_NE}, {">", HF_ALERT_OP_GT}, {"<", HF_ALERT_OP_LT},
};

const gchar *
hf_alert_severity_to_string (HfAlertSeverity severity)
{
  return severity == HF_ALERT_CRITICAL ? "critical" : "warning";
}

/* "input.loss_ratio" etc.; NULL for HF_FIGURE_N or anything out of range. */
const gchar *
hf_figure_to_string (HfFigure figure)
{
  if ((guint) figure >= HF_FIGURE_N)
    return NULL;
  return hf_figures[figure].name;
}

/* TRUE for the figures of an input (one instance per input). */
gboolean
hf_figure_is_input (HfFigure figure)
{
  return (guint) figure <= HF_FIGURE_INPUT_LAST_PACKET_AGE_SECONDS;
}

const gchar *
hf_alert_op_to_string (HfAlertOp op)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (hf_alert_ops); i++)
    if (hf_alert_ops[i].op == op)
      return hf_alert_ops[i].text;
  return "?";
}

/* (transfer full) a printable excerpt of untrusted @text for an error
 * message: at most HF_ALERT_EXCERPT_MAX bytes of it, control and non-ASCII
 * bytes escaped, "..." when cut. */
static gchar *
hf_alert_excerpt (const gchar * text)
{
  gsize n = strlen (text);
  g_autofree gchar *cut = g_strndup (text, MIN (n, HF_ALERT_EXCERPT_MAX));
  g_autofree gchar *escaped = g_strescape (cut, NULL);

  return g_strconcat (escaped, n > HF_ALERT_EXCERPT_MAX ? "..." : "", NULL);
}

/* (transfer full) "input.lost, input.degraded, ...". */
static gchar *
hf_figure_list (void)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < HF_FIGURE_N; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", hf_figures[i].name);
  return g_string_free (s, FALSE);
}

/* 1 to 64 letters, digits, '_', '.' or '-': names of rules and streams. */
static gboolean
hf_alert_valid_name (const gchar * name)
{
  gsize n = 0;

  for (; name[n]; n++) {
    gchar c = name[n];

    if (!g_ascii_isalnum (c) && c != '_' && c != '.' && c != '-')
      return FALSE;
  }
  return n > 0 && n <= HF_ALERT_NAME_MAX;
}

/* ---- Expressions --------------------------------------------------------- */

static const gchar *
hf_alert_skip_spaces (const gchar * p)
{
  while (*p && g_ascii_isspace (*p))
    p++;
  return p;
}

/* Where the decimal number at @p ends: [+-] digits [. digits] [e[+-]digits],
 * at least one digit before the exponent.  Returns @p when there is none.
 * Scanning by hand first keeps g_ascii_strtod () from reading "inf",
 * "nan" or hexadecimal. */
static const gchar *
hf_alert_scan_number (const gchar * p, gboolean allow_sign)
{
  const gchar *q = p;
  gboolean digits = FALSE;

  if (allow_sign && (*q == '+' || *q == '-'))
    q++;
  while (g_ascii_isdigit (*q)) {
    q++;
    digits = TRUE;
  }
  if (*q == '.') {
    q++;
    while (g_ascii_isdigit (*q)) {
      q++;
      digits = TRUE;
    }
  }
  if (!digits)
    return p;
  if (*q == 'e' || *q == 'E') {
    const gchar *e = q + 1;

    if (*e == '+' || *e == '-')
      e++;
    if (g_ascii_isdigit (*e)) {
      while (g_ascii_isdigit (*e))
        e++;
      q = e;
    }
  }
  return q;
}

/* Converts the number in [@start, @end) (as hf_alert_scan_number () found
 * it).  FALSE when it does not fit a double. */
static gboolean
hf_alert_convert_number (const gchar * start, const gchar * end,
    gdouble * value)
{
  g_autofree gchar *copy = g_strndup (start, end - start);
  gchar *stop = NULL;
  gdouble v = g_ascii_strtod (copy, &stop);

  if (stop != copy + (end - start) || !isfinite (v))
    return FALSE;
  *value = v;
  return TRUE;
}

/* The unit word at @p: "%" or a run of letters.  Returns its length. */
static gsize
hf_alert_scan_unit (const gchar * p)
{
  gsize n = 0;

  if (*p == '%')
    return 1;
  while (g_ascii_isalpha (p[n]))
    n++;
  return n;
}

/* Applies @unit (@n bytes, maybe 0) to @value for @figure. */
static gboolean
hf_alert_apply_unit (HfFigure figure, const gchar * unit, gsize n,
    gdouble * value, GError ** error)
{
  static const struct
  {
    const gchar *unit;
    gdouble factor;
  } units[] = {
    {"%", 0.01}, {"ms", 1e-3}, {"s", 1}, {"k", 1e3}, {"M", 1e6},
  };
  HfFigureKind kind = hf_figures[figure].kind;
  g_autofree gchar *word = g_strndup (unit, n);
  gboolean fits;
  guint i;

  if (n == 0)
    return TRUE;
  for (i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_str_equal (word, units[i].unit))
      break;
  if (i == G_N_ELEMENTS (units)) {
    g_autofree gchar *shown = hf_alert_excerpt (word);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "unknown unit '%s' (units: %% for a ratio, ms or s for seconds, "
        "k or M for a bitrate or a count)", shown);
    return FALSE;
  }
  /* A unit that cannot mean anything for the figure is a mistake worth
   * telling: "input.jitter_seconds > 2%" or "input.lost == 1k". */
  if (word[0] == '%')
    fits = kind == HF_FIGURE_KIND_RATIO;
  else if (word[0] == 'm' || word[0] == 's')
    fits = kind == HF_FIGURE_KIND_SECONDS;
  else
    fits = kind == HF_FIGURE_KIND_BITRATE || kind == HF_FIGURE_KIND_COUNT;
  if (!fits) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "unit '%s' makes no sense for %s", word, hf_figures[figure].name);
    return FALSE;
  }
  *value *= units[i].factor;
  if (!isfinite (*value)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "the number is out of range");
    return FALSE;
  }
  return TRUE;
}

/**
 * hf_alert_expr_parse:
 * @text: (transfer none) untrusted text, "FIGURE OP NUMBER[UNIT]"
 * @figure: (out) (optional)
 * @op: (out) (optional)
 * @threshold: (out) (optional) in the figure's base unit, finite
 *
 * Spaces are optional between the parts and allowed around them.  On
 * failure the outputs are untouched and @error (HF_CONFIG_ERROR_INVALID)
 * says what is wrong, quoting at most a short, escaped excerpt of @text.
 * Any thread.
 */
gboolean
hf_alert_expr_parse (const gchar * text, HfFigure * figure, HfAlertOp * op,
    gdouble * threshold, GError ** error)
{
  const gchar *p, *start;
  gsize n, unit_len;
  guint f, i;
  gdouble value;

  g_return_val_if_fail (text != NULL, FALSE);

  p = hf_alert_skip_spaces (text);
  if (!*p) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "empty expression (expected FIGURE OP NUMBER, e.g. "
        "input.loss_ratio > 2%%)");
    return FALSE;
  }

  /* FIGURE */
  for (n = 0; g_ascii_isalnum (p[n]) || p[n] == '_' || p[n] == '.'; n++);
  for (f = 0; f < HF_FIGURE_N; f++)
    if (strlen (hf_figures[f].name) == n &&
        strncmp (p, hf_figures[f].name, n) == 0)
      break;
  if (f == HF_FIGURE_N) {
    g_autofree gchar *word = g_strndup (p, n ? n : 1);
    g_autofree gchar *shown = hf_alert_excerpt (word);
    g_autofree gchar *known = hf_figure_list ();

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "unknown figure '%s' (known figures: %s)", shown, known);
    return FALSE;
  }
  p = hf_alert_skip_spaces (p + n);

  /* OP */
  for (i = 0; i < G_N_ELEMENTS (hf_alert_ops); i++)
    if (g_str_has_prefix (p, hf_alert_ops[i].text))
      break;
  if (i == G_N_ELEMENTS (hf_alert_ops)) {
    g_autofree gchar *shown = hf_alert_excerpt (p);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "expected a comparison (>, >=, <, <=, ==, !=) after %s, not '%s'",
        hf_figures[f].name, shown);
    return FALSE;
  }
  p = hf_alert_skip_spaces (p + strlen (hf_alert_ops[i].text));

  /* NUMBER */
  start = p;
  p = hf_alert_scan_number (start, TRUE);
  if (p == start) {
    g_autofree gchar *shown = hf_alert_excerpt (start);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "expected a decimal number after '%s', not '%s'",
        hf_alert_ops[i].text, shown);
    return FALSE;
  }
  if (!hf_alert_convert_number (start, p, &value)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "the number is out of range");
    return FALSE;
  }

  /* [UNIT] */
  p = hf_alert_skip_spaces (p);
  unit_len = hf_alert_scan_unit (p);
  if (!hf_alert_apply_unit ((HfFigure) f, p, unit_len, &value, error))
    return FALSE;
  p = hf_alert_skip_spaces (p + unit_len);
  if (*p) {
    g_autofree gchar *shown = hf_alert_excerpt (p);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "unexpected '%s' after the number", shown);
    return FALSE;
  }
  /* "input.loss_ratio > 2" (meant 2%) would never fire. */
  if (hf_figures[f].kind == HF_FIGURE_KIND_RATIO && (value < 0 || value > 1)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "%s is a ratio from 0 to 1: give 0.02 or 2%%, not %g",
        hf_figures[f].name, value);
    return FALSE;
  }

  if (figure)
    *figure = (HfFigure) f;
  if (op)
    *op = hf_alert_ops[i].op;
  if (threshold)
    *threshold = value;
  return TRUE;
}

/* "0", "500ms", "10s", "2m", "1h", "1.5s" (spaces allowed before the
 * unit), 0 to 24 h.  A number without a unit is refused unless it is 0:
 * "10" could mean seconds or milliseconds. */
static gboolean
hf_alert_parse_duration (const gchar * text, gint64 * us, GError ** error)
{
  static const struct
  {
    const gchar *unit;
    gdouble us;
  } units[] = {
    {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"h", 3600e6},
  };
  const gchar *p = hf_alert_skip_spaces (text), *end;
  g_autofree gchar *unit = NULL;
  gdouble v, total;
  gsize n;
  guint i;

  end = hf_alert_scan_number (p, FALSE);
  if (end == p || !hf_alert_convert_number (p, end, &v)) {
    g_autofree gchar *shown = hf_alert_excerpt (text);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "'%s' is not a duration (e.g. 0, 500ms, 10s, 2m)", shown);
    return FALSE;
  }
  p = hf_alert_skip_spaces (end);
  for (n = 0; g_ascii_isalpha (p[n]); n++);
  unit = g_strndup (p, n);
  if (*hf_alert_skip_spaces (p + n)) {
    g_autofree gchar *shown = hf_alert_excerpt (text);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "'%s' is not a duration (e.g. 0, 500ms, 10s, 2m)", shown);
    return FALSE;
  }
  if (n == 0) {
    if (v != 0) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "a duration needs a unit: ms, s, m or h (e.g. 10s)");
      return FALSE;
    }
    *us = 0;
    return TRUE;
  }
  for (i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_str_equal (unit, units[i].unit))
      break;
  if (i == G_N_ELEMENTS (units)) {
    g_autofree gchar *shown = hf_alert_excerpt (unit);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "unknown unit '%s' (units: ms, s, m, h)", shown);
    return FALSE;
  }
  total = v * units[i].us;
  if (!(total <= (gdouble) HF_ALERT_MAX_FOR_US)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "a duration is at most 24h");
    return FALSE;
  }
  *us = (gint64) llround (total);
  return TRUE;
}

/* ---- Rules --------------------------------------------------------------- */

void
hf_alert_rule_free (HfAlertRule * rule)
{
  if (!rule)
    return;
  g_free (rule->name);
  g_free (rule->expr);
  g_free (rule->stream);
  g_free (rule->summary);
  g_free (rule);
}

static HfAlertRule *
hf_alert_rule_copy (const HfAlertRule * rule)
{
  HfAlertRule *copy = g_memdup2 (rule, sizeof (*rule));

  copy->name = g_strdup (rule->name);
  copy->expr = g_strdup (rule->expr);
  copy->stream = g_strdup (rule->stream);
  copy->summary = g_strdup (rule->summary);
  return copy;
}

typedef struct
{
  const gchar *name;
  const gchar *expr;
  HfFigure figure;
  HfAlertOp op;
  gdouble threshold;
  gint64 for_us;
  HfAlertSeverity severity;
  const gchar *summary;
} HfAlertBuiltin;

/* The order and the values hf-relay.h documents. */
static const HfAlertBuiltin hf_alert_builtins[] = {
  {"input-lost", "input.lost == 1", HF_FIGURE_INPUT_LOST, HF_ALERT_OP_EQ, 1,
      0, HF_ALERT_CRITICAL, "input {input} of stream {stream} is lost"},
  {"on-air-degraded", "stream.on_air_degraded == 1",
        HF_FIGURE_STREAM_ON_AIR_DEGRADED, HF_ALERT_OP_EQ, 1, 0,
      HF_ALERT_WARNING, "stream {stream}: the input on air is degraded"},
  {"input-loss", "input.loss_ratio > 2%", HF_FIGURE_INPUT_LOSS_RATIO,
        HF_ALERT_OP_GT, 0.02, 10 * G_USEC_PER_SEC, HF_ALERT_WARNING,
      "input {input} of stream {stream} is losing more than {threshold} of "
        "its packets"},
  {"slate-on-air", "stream.slate == 1", HF_FIGURE_STREAM_SLATE,
        HF_ALERT_OP_EQ, 1, 0, HF_ALERT_CRITICAL,
      "stream {stream} shows the slate: no input is alive"},
  {"failover", "stream.recent_failovers > 0",
        HF_FIGURE_STREAM_RECENT_FAILOVERS, HF_ALERT_OP_GT, 0, 0,
      HF_ALERT_WARNING, "stream {stream} failed over"},
};

static const gchar *const hf_alert_keys[] = {
  "expr", "for", "severity", "stream", "summary", "enabled", NULL
};

static const gchar *const hf_alert_placeholders[] = {
  "stream", "input", "value", "threshold", NULL
};

/* A summary template: not too long, and every "{word}" one we expand (a
 * typo such as {steam} would otherwise reach every notification as is). */
static gboolean
hf_alert_check_summary (const gchar * summary, GError ** error)
{
  const gchar *p;

  if (strlen (summary) > HF_ALERT_SUMMARY_MAX) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "too long (at most %d bytes)", HF_ALERT_SUMMARY_MAX);
    return FALSE;
  }
  for (p = strchr (summary, '{'); p; p = strchr (p + 1, '{')) {
    gsize n = 0;
    g_autofree gchar *word = NULL;

    while (g_ascii_isalnum (p[1 + n]) || p[1 + n] == '_')
      n++;
    if (n == 0 || p[1 + n] != '}')
      continue;
    word = g_strndup (p + 1, n);
    if (!g_strv_contains (hf_alert_placeholders, word)) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "unknown placeholder {%s} (known: {stream}, {input}, {value}, "
          "{threshold})", word);
      return FALSE;
    }
  }
  return TRUE;
}

/* "true" | "false" (and GLib's "1" | "0"). */
static gboolean
hf_alert_parse_bool (const gchar * text, gboolean * value)
{
  if (g_str_equal (text, "true") || g_str_equal (text, "1"))
    *value = TRUE;
  else if (g_str_equal (text, "false") || g_str_equal (text, "0"))
    *value = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* Reads @key of @group, stripped, into @value (NULL when the key is
 * absent).  FALSE when it is there but not valid text. */
static gboolean
hf_alert_get_key (GKeyFile * kf, const gchar * group, const gchar * key,
    gchar ** value, GError ** error)
{
  GError *local = NULL;

  *value = NULL;
  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;
  *value = g_key_file_get_string (kf, group, key, &local);
  /* On a bad escape GLib returns a string and sets the error too. */
  if (!*value || local) {
    g_clear_pointer (value, g_free);
    /* GLib's own message quotes the whole value: say it in a bounded
     * sentence instead. */
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] %s: %s", group, key,
        g_error_matches (local, G_KEY_FILE_ERROR,
            G_KEY_FILE_ERROR_UNKNOWN_ENCODING) ? "the value is not UTF-8 text" :
        "the value has a bad escape (known: \\s \\n \\t \\r \\\\)");
    g_clear_error (&local);
    return FALSE;
  }
  g_strstrip (*value);
  return TRUE;
}

/* Applies the [alert NAME] @group over @rules: changes the rule of that
 * name (a built-in) or appends a new one.  On failure @rules may hold a
 * half-changed rule: the caller drops them all. */
static gboolean
hf_alert_rules_apply_group (GKeyFile * kf, const gchar * group,
    GPtrArray * rules, GError ** error)
{
  const gchar *name = group + strlen ("alert ");
  g_autofree gchar *expr = NULL, *for_text = NULL, *severity = NULL;
  g_autofree gchar *stream = NULL, *summary = NULL, *enabled = NULL;
  g_auto (GStrv) keys = NULL;
  GError *local = NULL;
  HfAlertRule *rule = NULL;
  HfFigure figure = HF_FIGURE_N;
  HfAlertOp op = HF_ALERT_OP_GT;
  gdouble threshold = 0;
  gint64 for_us = 0;
  HfAlertSeverity sev = HF_ALERT_WARNING;
  gboolean on = TRUE;
  guint i;

  if (!hf_alert_valid_name (name)) {
    g_autofree gchar *shown = hf_alert_excerpt (name);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[alert %s]: an alert name is 1 to %d letters, digits, '-', '_' or "
        "'.'", shown, HF_ALERT_NAME_MAX);
    return FALSE;
  }

  keys = g_key_file_get_keys (kf, group, NULL, NULL);
  for (i = 0; keys && keys[i]; i++) {
    if (!g_strv_contains (hf_alert_keys, keys[i])) {
      g_autofree gchar *shown = hf_alert_excerpt (keys[i]);
      g_autofree gchar *list = g_strjoinv (", ", (gchar **) hf_alert_keys);

      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] %s: unknown key (known keys: %s)", group, shown, list);
      return FALSE;
    }
  }

  if (!hf_alert_get_key (kf, group, "expr", &expr, error) ||
      !hf_alert_get_key (kf, group, "for", &for_text, error) ||
      !hf_alert_get_key (kf, group, "severity", &severity, error) ||
      !hf_alert_get_key (kf, group, "stream", &stream, error) ||
      !hf_alert_get_key (kf, group, "summary", &summary, error) ||
      !hf_alert_get_key (kf, group, "enabled", &enabled, error))
    return FALSE;

  /* Every value checked before anything changes. */
  if (expr && !hf_alert_expr_parse (expr, &figure, &op, &threshold, &local)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] expr: %s", group, local->message);
    g_clear_error (&local);
    return FALSE;
  }
  if (for_text && !hf_alert_parse_duration (for_text, &for_us, &local)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] for: %s", group, local->message);
    g_clear_error (&local);
    return FALSE;
  }
  if (severity) {
    if (g_ascii_strcasecmp (severity, "warning") == 0) {
      sev = HF_ALERT_WARNING;
    } else if (g_ascii_strcasecmp (severity, "critical") == 0) {
      sev = HF_ALERT_CRITICAL;
    } else {
      g_autofree gchar *shown = hf_alert_excerpt (severity);

      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] severity: '%s' is not warning or critical", group, shown);
      return FALSE;
    }
  }
  if (stream && *stream && !hf_alert_valid_name (stream)) {
    g_autofree gchar *shown = hf_alert_excerpt (stream);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] stream: '%s' is not a stream name (1 to %d letters, digits, "
        "'-', '_' or '.')", group, shown, HF_ALERT_NAME_MAX);
    return FALSE;
  }
  if (summary && !hf_alert_check_summary (summary, &local)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] summary: %s", group, local->message);
    g_clear_error (&local);
    return FALSE;
  }
  if (enabled && !hf_alert_parse_bool (enabled, &on)) {
    g_autofree gchar *shown = hf_alert_excerpt (enabled);

    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] enabled: '%s' is not true or false", group, shown);
    return FALSE;
  }

  for (i = 0; i < rules->len; i++) {
    HfAlertRule *r = g_ptr_array_index (rules, i);

    if (g_str_equal (r->name, name)) {
      rule = r;
      break;
    }
  }
  if (!rule) {
    if (!expr) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] expr: missing; a new rule needs one (e.g. expr = "
          "input.loss_ratio > 2%%); the built-in rules are input-lost, "
          "on-air-degraded, input-loss, slate-on-air, failover", group);
      return FALSE;
    }
    rule = g_new0 (HfAlertRule, 1);
    rule->name = g_strdup (name);
    rule->severity = HF_ALERT_WARNING;
    rule->enabled = TRUE;
    g_ptr_array_add (rules, rule);
  }

  if (expr) {
    /* A built-in's sentence is about its own figure and direction: one
     * that now looks at another figure, or the other way, gets the
     * sentence made from its expression. */
    if (rule->expr && (rule->figure != figure || rule->op != op) &&
        !summary)
      g_clear_pointer (&rule->summary, g_free);
    g_free (rule->expr);
    rule->expr = g_steal_pointer (&expr);
    rule->figure = figure;
    rule->op = op;
    rule->threshold = threshold;
  }
  if (for_text)
    rule->for_us = for_us;
  if (severity)
    rule->severity = sev;
  if (stream) {
    g_free (rule->stream);
    rule->stream = *stream ? g_steal_pointer (&stream) : NULL;
  }
  if (summary) {
    g_free (rule->summary);
    rule->summary = *summary ? g_steal_pointer (&summary) : NULL;
  }
  if (enabled)
    rule->enabled = on;
  return TRUE;
}

/**
 * hf_alert_rules_load:
 * @kf: (transfer none) the whole config; only its [alert NAME] groups are
 *   read, the others ([server], [stream NAME]) are not this file's
 *
 * The built-in rules, then the [alert NAME] groups over them, in the
 * order of the file (see hf-relay.h).  A built-in keeps its summary
 * sentence when a group changes its threshold, and gets one made from the
 * expression when a group points it at another figure.  An empty `stream`
 * or `summary` means "every stream" and "the made one".  Any thread.
 *
 * Returns: (transfer full) (element-type HfAlertRule) the rules; NULL with
 * @error (HF_CONFIG_ERROR_INVALID, "[alert NAME] key: why") on failure.
 */
GPtrArray *
hf_alert_rules_load (GKeyFile * kf, GError ** error)
{
  g_autoptr (GPtrArray) rules = NULL;
  g_auto (GStrv) groups = NULL;
  guint i;

  rules = g_ptr_array_new_with_free_func ((GDestroyNotify) hf_alert_rule_free);
  for (i = 0; i < G_N_ELEMENTS (hf_alert_builtins); i++) {
    const HfAlertBuiltin *b = &hf_alert_builtins[i];
    HfAlertRule *rule = g_new0 (HfAlertRule, 1);

    rule->name = g_strdup (b->name);
    rule->expr = g_strdup (b->expr);
    rule->figure = b->figure;
    rule->op = b->op;
    rule->threshold = b->threshold;
    rule->for_us = b->for_us;
    rule->severity = b->severity;
    rule->summary = g_strdup (b->summary);
    rule->enabled = TRUE;
    rule->builtin = TRUE;
    g_ptr_array_add (rules, rule);
  }

  if (kf)
    groups = g_key_file_get_groups (kf, NULL);
  for (i = 0; groups && groups[i]; i++) {
    if (!g_str_has_prefix (groups[i], "alert "))
      continue;
    if (!hf_alert_rules_apply_group (kf, groups[i], rules, error))
      return NULL;
  }
  return g_steal_pointer (&rules);
}

void
hf_alert_sample_init (HfAlertSample * sample, const gchar * stream,
    const gchar * input)
{
  guint i;

  g_return_if_fail (sample != NULL);

  sample->stream = stream;
  sample->input = input;
  for (i = 0; i < HF_FIGURE_N; i++)
    sample->values[i] = NAN;
}

/* ---- Formatting ---------------------------------------------------------- */

/* (transfer full) @v as people read @figure: "2%", "30 ms", "1.5 s",
 * "500 kbit/s", "unknown" for NaN. */
static gchar *
hf_alert_format_value (HfFigure figure, gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    return g_strdup ("unknown");
  switch (hf_figures[figure].kind) {
    case HF_FIGURE_KIND_RATIO:
      g_ascii_formatd (buf, sizeof (buf), "%.3g", v * 100);
      return g_strconcat (buf, "%", NULL);
    case HF_FIGURE_KIND_SECONDS:
      if (fabs (v) < 1) {
        g_ascii_formatd (buf, sizeof (buf), "%.3g", v * 1e3);
        return g_strconcat (buf, " ms", NULL);
      }
      g_ascii_formatd (buf, sizeof (buf), "%.3g", v);
      return g_strconcat (buf, " s", NULL);
    case HF_FIGURE_KIND_BITRATE:
      if (fabs (v) >= 1e6) {
        g_ascii_formatd (buf, sizeof (buf), "%.3g", v / 1e6);
        return g_strconcat (buf, " Mbit/s", NULL);
      }
      if (fabs (v) >= 1e3) {
        g_ascii_formatd (buf, sizeof (buf), "%.3g", v / 1e3);
        return g_strconcat (buf, " kbit/s", NULL);
      }
      g_ascii_formatd (buf, sizeof (buf), "%.0f", v);
      return g_strconcat (buf, " bit/s", NULL);
    default:
      g_ascii_formatd (buf, sizeof (buf), "%.6g", v);
      return g_strdup (buf);
  }
}

/* (transfer full) @rule's summary for one notification: its template (or
 * one made from its expression) with {stream}, {input} ("-" for a stream
 * figure), {value} and {threshold} replaced, in one pass (a stream named
 * "{input}" stays as it is). */
static gchar *
hf_alert_expand_summary (const HfAlertRule * rule, const gchar * stream,
    const gchar * input, gdouble value)
{
  g_autofree gchar *made = NULL;
  const gchar *tmpl = rule->summary, *p;
  GString *out = g_string_new (NULL);

  if (!tmpl) {
    /* The expression has no braces: the parser refuses them. */
    made = hf_figure_is_input (rule->figure) ?
        g_strdup_printf ("input {input} of stream {stream}: %s (now {value})",
        rule->expr) :
        g_strdup_printf ("stream {stream}: %s (now {value})", rule->expr);
    tmpl = made;
  }
  for (p = tmpl; *p; p++) {
    if (*p == '{') {
      if (g_str_has_prefix (p, "{stream}")) {
        g_string_append (out, stream);
        p += strlen ("{stream}") - 1;
        continue;
      }
      if (g_str_has_prefix (p, "{input}")) {
        g_string_append (out, input ? input : "-");
        p += strlen ("{input}") - 1;
        continue;
      }
      if (g_str_has_prefix (p, "{value}")) {
        g_autofree gchar *v = hf_alert_format_value (rule->figure, value);

        g_string_append (out, v);
        p += strlen ("{value}") - 1;
        continue;
      }
      if (g_str_has_prefix (p, "{threshold}")) {
        g_autofree gchar *v = hf_alert_format_value (rule->figure,
            rule->threshold);

        g_string_append (out, v);
        p += strlen ("{threshold}") - 1;
        continue;
      }
    }
    g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

/* ---- The engine ---------------------------------------------------------- */

typedef enum
{
  HF_ALERT_STATE_INACTIVE,
  HF_ALERT_STATE_PENDING,
  HF_ALERT_STATE_FIRING
} HfAlertState;

static const gchar *
hf_alert_state_to_string (HfAlertState state)
{
  switch (state) {
    case HF_ALERT_STATE_PENDING:
      return "pending";
    case HF_ALERT_STATE_FIRING:
      return "firing";
    default:
      return "inactive";
  }
}

/* One (rule, stream[, input]) that is pending or firing: an inactive one
 * is not kept. */
typedef struct
{
  gchar *stream;
  gchar *input;                 /* NULL for a stream figure */
  HfAlertState state;
  gint64 pending_us;            /* when the condition began to hold */
  gint64 fired_us;              /* when it fired (monotonic) */
  gint64 fired_wall_us;
  guint64 fired_id;             /* its "firing" notification's id */
  gdouble value;                /* at the last evaluation */
  guint64 seen;                 /* the last evaluation that had it */
} HfAlertInstance;

typedef struct
{
  HfAlertRule *rule;            /* the engine's own copy */
  GHashTable *instances;        /* HfAlertInstance, as key and value */
  guint64 fired_total;
  guint64 resolved_total;
} HfAlertRuleState;

/* A notification, kept for "recent"; its JSON is made when asked. */
typedef struct
{
  guint64 id;                   /* 0: an empty slot */
  const HfAlertRule *rule;      /* (transfer none): the engine's copy */
  gboolean resolved;
  gchar *stream;
  gchar *input;
  gdouble value;
  gint64 started_us;
  gint64 started_wall_us;
  gint64 resolved_us;
  gint64 resolved_wall_us;
} HfAlertNote;

struct _HfAlerts
{
  guint n_rules;
  HfAlertRuleState *rules;
  guint64 last_id;              /* of the newest notification; 0: none */
  guint64 generation;           /* evaluations so far */
  HfAlertNote recent[HF_ALERTS_RECENT]; /* id N: recent[(N - 1) % 100] */
};

static guint
hf_alert_instance_hash (gconstpointer p)
{
  const HfAlertInstance *inst = p;

  return g_str_hash (inst->stream) * 31 +
      (inst->input ? g_str_hash (inst->input) : 0);
}

static gboolean
hf_alert_instance_equal (gconstpointer a, gconstpointer b)
{
  const HfAlertInstance *x = a, *y = b;

  return g_str_equal (x->stream, y->stream) &&
      g_strcmp0 (x->input, y->input) == 0;
}

/* By stream, then input: the order of the API's lists. */
static gint
hf_alert_instance_compare (gconstpointer a, gconstpointer b)
{
  const HfAlertInstance *x = *(HfAlertInstance * const *) a;
  const HfAlertInstance *y = *(HfAlertInstance * const *) b;
  gint c = strcmp (x->stream, y->stream);

  return c ? c : g_strcmp0 (x->input, y->input);
}

static void
hf_alert_instance_free (HfAlertInstance * inst)
{
  g_free (inst->stream);
  g_free (inst->input);
  g_free (inst);
}

static void
hf_alert_note_clear (HfAlertNote * note)
{
  g_free (note->stream);
  g_free (note->input);
  memset (note, 0, sizeof (*note));
}

/* (transfer full) @note as the JSON object hf-relay.h documents.  For a
 * note that is still firing, duration_s counts up to @now_us (pass
 * note->started_us for a fresh notification: 0). */
static JsonNode *
hf_alert_note_to_json (const HfAlertNote * note, gint64 now_us)
{
  const HfAlertRule *rule = note->rule;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *summary = hf_alert_expand_summary (rule, note->stream,
      note->input, note->value);
  g_autofree gchar *started = hf_events_format_time (note->started_wall_us);
  gint64 end_us = note->resolved ? note->resolved_us : now_us;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, (gint64) note->id);
  json_builder_set_member_name (b, "alert");
  json_builder_add_string_value (b, rule->name);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, note->resolved ? "resolved" : "firing");
  json_builder_set_member_name (b, "severity");
  json_builder_add_string_value (b,
      hf_alert_severity_to_string (rule->severity));
  json_builder_set_member_name (b, "stream");
  json_builder_add_string_value (b, note->stream);
  json_builder_set_member_name (b, "input");
  if (note->input)
    json_builder_add_string_value (b, note->input);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "expr");
  json_builder_add_string_value (b, rule->expr);
  json_builder_set_member_name (b, "value");
  if (isnan (note->value))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, note->value);
  json_builder_set_member_name (b, "threshold");
  json_builder_add_double_value (b, rule->threshold);
  json_builder_set_member_name (b, "for_s");
  json_builder_add_double_value (b, rule->for_us / 1e6);
  json_builder_set_member_name (b, "summary");
  json_builder_add_string_value (b, summary);
  json_builder_set_member_name (b, "started_at");
  json_builder_add_string_value (b, started);
  json_builder_set_member_name (b, "started_mono_ms");
  json_builder_add_int_value (b, note->started_us / 1000);
  json_builder_set_member_name (b, "resolved_at");
  if (note->resolved) {
    g_autofree gchar *resolved = hf_events_format_time (note->resolved_wall_us);

    json_builder_add_string_value (b, resolved);
  } else {
    json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "resolved_mono_ms");
  if (note->resolved)
    json_builder_add_int_value (b, note->resolved_us / 1000);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "duration_s");
  json_builder_add_double_value (b, MAX (end_us - note->started_us, 0) / 1e6);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * hf_alerts_new:
 * @rules: (transfer none) (element-type HfAlertRule) (nullable): copied
 *
 * Returns: (transfer full) an engine with every instance inactive.
 * Control thread.
 */
HfAlerts *
hf_alerts_new (GPtrArray * rules)
{
  static gsize debug_once = 0;
  HfAlerts *alerts;
  guint i;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (hf_alerts_debug, "hf-alerts", 0,
        "Holdfast alert rules");
    g_once_init_leave (&debug_once, 1);
  }
  alerts = g_new0 (HfAlerts, 1);
  alerts->n_rules = rules ? rules->len : 0;
  alerts->rules = g_new0 (HfAlertRuleState, alerts->n_rules);
  for (i = 0; i < alerts->n_rules; i++) {
    HfAlertRuleState *rs = &alerts->rules[i];

    rs->rule = hf_alert_rule_copy (g_ptr_array_index (rules, i));
    rs->instances = g_hash_table_new_full (hf_alert_instance_hash,
        hf_alert_instance_equal, (GDestroyNotify) hf_alert_instance_free, NULL);
  }
  return alerts;
}

/* Frees the engine, its rules, instances and kept notifications. */
void
hf_alerts_free (HfAlerts * alerts)
{
  guint i;

  if (!alerts)
    return;
  for (i = 0; i < alerts->n_rules; i++) {
    g_hash_table_unref (alerts->rules[i].instances);
    hf_alert_rule_free (alerts->rules[i].rule);
  }
  for (i = 0; i < HF_ALERTS_RECENT; i++)
    hf_alert_note_clear (&alerts->recent[i]);
  g_free (alerts->rules);
  g_free (alerts);
}

/* The one place an instance changes state; logs the transition. */
static void
hf_alerts_set_state (HfAlertRuleState * rs, HfAlertInstance * inst,
    HfAlertState state, const gchar * reason)
{
  GST_INFO ("alert %s stream %s%s%s: %s -> %s (%s)", rs->rule->name,
      inst->stream, inst->input ? " input " : "",
      inst->input ? inst->input : "", hf_alert_state_to_string (inst->state),
      hf_alert_state_to_string (state), reason);
  inst->state = state;
}

/* Records a notification of @inst (firing, or resolved when @resolved) in
 * the ring and the rule's counters, and appends its JSON to @out. */
static void
hf_alerts_notify (HfAlerts * alerts, HfAlertRuleState * rs,
    HfAlertInstance * inst, gboolean resolved, gdouble value, gint64 now_us,
    gint64 wall_us, GPtrArray * out)
{
  guint64 id = ++alerts->last_id;
  HfAlertNote *note = &alerts->recent[(id - 1) % HF_ALERTS_RECENT];

  hf_alert_note_clear (note);
  note->id = id;
  note->rule = rs->rule;
  note->resolved = resolved;
  note->stream = g_strdup (inst->stream);
  note->input = g_strdup (inst->input);
  note->value = value;
  note->started_us = inst->fired_us;
  note->started_wall_us = inst->fired_wall_us;
  if (resolved) {
    note->resolved_us = now_us;
    note->resolved_wall_us = wall_us;
    rs->resolved_total++;
  } else {
    inst->fired_id = id;
    rs->fired_total++;
  }
  if (out)
    g_ptr_array_add (out, hf_alert_note_to_json (note, note->started_us));
}

/* @rs's condition on @v: false on NaN (every comparison with NaN is false
 * in C but !=, which is handled here). */
static gboolean
hf_alert_condition (const HfAlertRule * rule, gdouble v)
{
  if (isnan (v))
    return FALSE;
  switch (rule->op) {
    case HF_ALERT_OP_GT:
      return v > rule->threshold;
    case HF_ALERT_OP_GE:
      return v >= rule->threshold;
    case HF_ALERT_OP_LT:
      return v < rule->threshold;
    case HF_ALERT_OP_LE:
      return v <= rule->threshold;
    case HF_ALERT_OP_EQ:
      return v == rule->threshold;
    case HF_ALERT_OP_NE:
      return v != rule->threshold;
  }
  return FALSE;
}

/* Steps @rs's instance for @s, if @s is in the rule's scope. */
static void
hf_alerts_evaluate_sample (HfAlerts * alerts, HfAlertRuleState * rs,
    const HfAlertSample * s, gint64 now_us, gint64 wall_us, GPtrArray * out)
{
  const HfAlertRule *rule = rs->rule;
  HfAlertInstance key, *inst;
  gdouble v;
  gboolean holds;

  if (hf_figure_is_input (rule->figure) != (s->input != NULL))
    return;
  if (rule->stream && !g_str_equal (rule->stream, s->stream))
    return;

  v = s->values[rule->figure];
  holds = hf_alert_condition (rule, v);
  key.stream = (gchar *) s->stream;
  key.input = (gchar *) s->input;
  inst = g_hash_table_lookup (rs->instances, &key);

  if (!holds) {
    if (!inst)
      return;
    /* A figure that became unknown (an SRT link down has no RTT) is no
     * all-clear: a firing alert stays firing until the figure is known
     * and the condition false, or its input or stream is gone. */
    if (isnan (v) && inst->state == HF_ALERT_STATE_FIRING) {
      inst->seen = alerts->generation;
      return;
    }
    inst->value = v;
    if (inst->state == HF_ALERT_STATE_FIRING) {
      hf_alerts_set_state (rs, inst, HF_ALERT_STATE_INACTIVE,
          "the condition no longer holds");
      hf_alerts_notify (alerts, rs, inst, TRUE, v, now_us, wall_us, out);
    } else {
      hf_alerts_set_state (rs, inst, HF_ALERT_STATE_INACTIVE,
          "the condition stopped holding before the for-duration");
    }
    g_hash_table_remove (rs->instances, inst);
    return;
  }

  if (!inst) {
    inst = g_new0 (HfAlertInstance, 1);
    inst->stream = g_strdup (s->stream);
    inst->input = g_strdup (s->input);
    inst->state = HF_ALERT_STATE_INACTIVE;
    g_hash_table_add (rs->instances, inst);
  }
  inst->seen = alerts->generation;
  inst->value = v;
  if (inst->state == HF_ALERT_STATE_INACTIVE) {
    inst->pending_us = now_us;
    hf_alerts_set_state (rs, inst, HF_ALERT_STATE_PENDING,
        "the condition holds");
  }
  if (inst->state == HF_ALERT_STATE_PENDING &&
      now_us - inst->pending_us >= rule->for_us) {
    inst->fired_us = now_us;
    inst->fired_wall_us = wall_us;
    hf_alerts_set_state (rs, inst, HF_ALERT_STATE_FIRING,
        "the condition held for the for-duration");
    hf_alerts_notify (alerts, rs, inst, FALSE, v, now_us, wall_us, out);
  }
}

/* Drops @rs's instances whose stream or input was not in this
 * evaluation's samples; a firing one resolves (value unknown). */
static void
hf_alerts_sweep (HfAlerts * alerts, HfAlertRuleState * rs, gint64 now_us,
    gint64 wall_us, GPtrArray * out)
{
  g_autoptr (GPtrArray) gone = NULL;
  GHashTableIter iter;
  gpointer p;
  guint i;

  /* Made only when needed: most evaluations find nothing gone. */
  g_hash_table_iter_init (&iter, rs->instances);
  while (g_hash_table_iter_next (&iter, &p, NULL)) {
    if (((HfAlertInstance *) p)->seen == alerts->generation)
      continue;
    if (!gone)
      gone = g_ptr_array_new ();
    g_ptr_array_add (gone, p);
  }
  if (!gone)
    return;
  /* A fixed order, so that the notifications come in one. */
  g_ptr_array_sort (gone, hf_alert_instance_compare);
  for (i = 0; i < gone->len; i++) {
    HfAlertInstance *inst = g_ptr_array_index (gone, i);

    inst->value = NAN;
    if (inst->state == HF_ALERT_STATE_FIRING) {
      hf_alerts_set_state (rs, inst, HF_ALERT_STATE_INACTIVE,
          inst->input ? "the input is gone" : "the stream is gone");
      hf_alerts_notify (alerts, rs, inst, TRUE, NAN, now_us, wall_us, out);
    } else {
      hf_alerts_set_state (rs, inst, HF_ALERT_STATE_INACTIVE,
          inst->input ? "the input is gone" : "the stream is gone");
    }
    g_hash_table_remove (rs->instances, inst);
  }
}

/**
 * hf_alerts_evaluate:
 * @samples: (array length=n_samples) (transfer none): every stream's and
 *   every input's figures now; a sample whose stream is NULL is skipped,
 *   and a stream or input given twice counts once (the first sample)
 * @out: (element-type JsonNode) (nullable): where the notifications go,
 *   in order: rule by rule, each rule's in the order of @samples, then
 *   the ones of streams and inputs that are gone
 *
 * See hf-relay.h.  The engine's clock is @now_us: an instance fires on
 * the first evaluation at which its condition has held for at least the
 * for-duration.  Control thread.
 */
void
hf_alerts_evaluate (HfAlerts * alerts, gint64 now_us, gint64 wall_us,
    const HfAlertSample * samples, guint n_samples, GPtrArray * out)
{
  g_autoptr (GHashTable) keys = NULL;
  g_autofree gboolean *skip = NULL;
  g_autofree HfAlertInstance *key_store = NULL;
  guint r, i;

  g_return_if_fail (alerts != NULL);
  g_return_if_fail (samples != NULL || n_samples == 0);

  alerts->generation++;

  /* Which samples count: the first of each (stream, input). */
  skip = g_new0 (gboolean, n_samples);
  key_store = g_new0 (HfAlertInstance, n_samples);
  keys = g_hash_table_new (hf_alert_instance_hash, hf_alert_instance_equal);
  for (i = 0; i < n_samples; i++) {
    key_store[i].stream = (gchar *) samples[i].stream;
    key_store[i].input = (gchar *) samples[i].input;
    if (!samples[i].stream || !g_hash_table_add (keys, &key_store[i]))
      skip[i] = TRUE;
  }

  for (r = 0; r < alerts->n_rules; r++) {
    HfAlertRuleState *rs = &alerts->rules[r];

    if (!rs->rule->enabled)
      continue;
    for (i = 0; i < n_samples; i++)
      if (!skip[i])
        hf_alerts_evaluate_sample (alerts, rs, &samples[i], now_us, wall_us,
            out);
    hf_alerts_sweep (alerts, rs, now_us, wall_us, out);
  }
}

/* (transfer container) @rs's instances in @state, sorted. */
static GPtrArray *
hf_alerts_instances_in (HfAlertRuleState * rs, HfAlertState state)
{
  GPtrArray *picked = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer p;

  g_hash_table_iter_init (&iter, rs->instances);
  while (g_hash_table_iter_next (&iter, &p, NULL))
    if (((HfAlertInstance *) p)->state == state)
      g_ptr_array_add (picked, p);
  g_ptr_array_sort (picked, hf_alert_instance_compare);
  return picked;
}

/**
 * hf_alerts_to_json:
 * @now_us: monotonic: a firing instance's duration_s counts up to it
 *
 * Returns: (transfer full) {"firing", "recent", "rules"} as hf-relay.h
 * documents; "firing" in rule order then by stream and input, each with
 * the id of its firing notification, its value at the last evaluation
 * and how long it has been firing.  Control thread.
 */
JsonNode *
hf_alerts_to_json (HfAlerts * alerts, gint64 now_us)
{
  g_autoptr (JsonBuilder) b = NULL;
  guint64 id, oldest;
  guint r, i;

  g_return_val_if_fail (alerts != NULL, NULL);

  b = json_builder_new ();
  json_builder_begin_object (b);

  json_builder_set_member_name (b, "firing");
  json_builder_begin_array (b);
  for (r = 0; r < alerts->n_rules; r++) {
    HfAlertRuleState *rs = &alerts->rules[r];
    g_autoptr (GPtrArray) firing = hf_alerts_instances_in (rs,
        HF_ALERT_STATE_FIRING);

    for (i = 0; i < firing->len; i++) {
      HfAlertInstance *inst = g_ptr_array_index (firing, i);
      HfAlertNote note = {
        .id = inst->fired_id,
        .rule = rs->rule,
        .stream = inst->stream,
        .input = inst->input,
        .value = inst->value,
        .started_us = inst->fired_us,
        .started_wall_us = inst->fired_wall_us,
      };

      json_builder_add_value (b, hf_alert_note_to_json (&note, now_us));
    }
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "recent");
  json_builder_begin_array (b);
  oldest = alerts->last_id > HF_ALERTS_RECENT ?
      alerts->last_id - HF_ALERTS_RECENT + 1 : 1;
  for (id = alerts->last_id; id >= oldest && id > 0; id--) {
    const HfAlertNote *note = &alerts->recent[(id - 1) % HF_ALERTS_RECENT];

    json_builder_add_value (b, hf_alert_note_to_json (note, note->started_us));
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "rules");
  json_builder_begin_array (b);
  for (r = 0; r < alerts->n_rules; r++) {
    HfAlertRuleStats st;
    const HfAlertRule *rule;

    hf_alerts_get_rule_stats (alerts, r, &st);
    rule = st.rule;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, rule->name);
    json_builder_set_member_name (b, "expr");
    json_builder_add_string_value (b, rule->expr);
    json_builder_set_member_name (b, "for_s");
    json_builder_add_double_value (b, rule->for_us / 1e6);
    json_builder_set_member_name (b, "severity");
    json_builder_add_string_value (b,
        hf_alert_severity_to_string (rule->severity));
    json_builder_set_member_name (b, "stream");
    if (rule->stream)
      json_builder_add_string_value (b, rule->stream);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "enabled");
    json_builder_add_boolean_value (b, rule->enabled);
    json_builder_set_member_name (b, "builtin");
    json_builder_add_boolean_value (b, rule->builtin);
    json_builder_set_member_name (b, "firing");
    json_builder_add_int_value (b, st.firing);
    json_builder_set_member_name (b, "pending");
    json_builder_add_int_value (b, st.pending);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* How many rules the engine has (disabled ones included).  Control
 * thread. */
guint
hf_alerts_get_n_rules (HfAlerts * alerts)
{
  g_return_val_if_fail (alerts != NULL, 0);
  return alerts->n_rules;
}

/* Fills @stats for rule @i (< hf_alerts_get_n_rules ()); stats->rule
 * stays valid as long as @alerts.  All zero on a bad @i.  Control thread. */
void
hf_alerts_get_rule_stats (HfAlerts * alerts, guint i, HfAlertRuleStats * stats)
{
  HfAlertRuleState *rs;
  GHashTableIter iter;
  gpointer p;

  g_return_if_fail (stats != NULL);
  memset (stats, 0, sizeof (*stats));
  g_return_if_fail (alerts != NULL);
  g_return_if_fail (i < alerts->n_rules);

  rs = &alerts->rules[i];
  stats->rule = rs->rule;
  stats->fired_total = rs->fired_total;
  stats->resolved_total = rs->resolved_total;
  g_hash_table_iter_init (&iter, rs->instances);
  while (g_hash_table_iter_next (&iter, &p, NULL)) {
    const HfAlertInstance *inst = p;

    if (inst->state == HF_ALERT_STATE_FIRING)
      stats->firing++;
    else if (inst->state == HF_ALERT_STATE_PENDING)
      stats->pending++;
  }
}

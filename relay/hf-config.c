/* Config loading: one GKeyFile INI, validated as a whole before anything
 * starts, so that a bad file is refused with one clear message (naming its
 * group and key) instead of a half-started relay.
 *
 *   [server]
 *   http = 127.0.0.1:8080
 *   webhook = http://alerts.example:9000/hook   (optional; ";" between
 *                                        several: each gets every alert)
 *   webhook-timeout-ms = 5000           (100..60000, per attempt)
 *   webhook-attempts = 5                (1..100, retries included)
 *   webhook-backoff-ms = 1000           (10..600000: the first retry's
 *                                        delay, doubled each retry, at
 *                                        most 30 s or this if more)
 *
 *   [alert NAME]                        (see hf_alert_rules_load ())
 *   expr = input.loss_ratio > 2%
 *   for = 10s
 *   severity = warning
 *
 *   [stream NAME]
 *   inputs = srt://:9001?mode=listener;rtp://127.0.0.1:5004
 *   input-names = primary;backup        (optional)
 *   outputs = srt://:9000?mode=listener
 *   input-timeout-ms = 250              (50..60000: LOST after this silence)
 *   degraded-loss-ratio = 0.05          (0 < x <= 1, or a percentage "5%")
 *   degraded-jitter-ms = 50             (1..10000)
 *   revert-after-s = 10                 (0..3600: primary HEALTHY this long
 *                                        before it goes back on air)
 *   failover = auto                     (auto | manual)
 *   merge = false                       (true: the inputs are copies of one
 *                                        RTP/MPEG-TS stream, >= 2 rtp://
 *                                        inputs without sdp=)
 *   merge-window-ms = 200               (10..5000)
 *   fallback = builtin                  (builtin | none | PATH of a clip)
 *   ladder = 2500k,1200k,500k           (optional rendition ladder: 1..6
 *                                        video bitrates, highest first,
 *                                        each 100k..50000k; each output
 *                                        then picks a rung from its link)
 *
 * An RTP output takes `?fec=off|auto|N` (N: 1..100 percent of overhead)
 * and `?rtx=on|off` (both off by default): rtp://EDGE:5004?fec=auto&rtx=on.
 *
 * Every stream key but inputs is optional; the values above are the
 * defaults.  A fallback PATH is checked (an existing, readable regular
 * file) at load time, so that a typo shows before the night it is needed.
 *
 * Called on the control thread at start-up; no state of its own.
 */
#include "relay/hf-relay.h"

#include <glib/gstdio.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <unistd.h>

G_DEFINE_QUARK (hf - config - error - quark, hf_config_error)
#define HF_CONFIG_DEFAULT_HTTP "127.0.0.1:8080"
#define HF_CONFIG_DEFAULT_INPUT_TIMEOUT_MS 250
#define HF_CONFIG_DEFAULT_LOSS_RATIO 0.05
#define HF_CONFIG_DEFAULT_JITTER_MS 50.0
#define HF_CONFIG_DEFAULT_REVERT_AFTER_S 10
#define HF_CONFIG_DEFAULT_MERGE_WINDOW_MS 200
     const gchar *hf_output_kind_to_string (HfOutputKind kind)
{
  switch (kind) {
    case HF_OUTPUT_SRT_LISTENER:
      return "srt-listener";
    case HF_OUTPUT_SRT_CALLER:
      return "srt-caller";
    case HF_OUTPUT_RTP:
      return "rtp";
  }
  return "unknown";
}

void
hf_output_spec_clear (HfOutputSpec * spec)
{
  g_free (spec->url);
  g_free (spec->host);
  g_free (spec->passphrase);
  g_free (spec->streamid);
  memset (spec, 0, sizeof (*spec));
}

/* `fec=off|auto|N` (N: 1..100 percent overhead) and `rtx=on|off` of an
 * RTP output. */
static gboolean
hf_config_parse_repair (const HfUrl * url, const gchar * text,
    HfOutputSpec * spec, GError ** error)
{
  g_autoptr (GError) err = NULL;

  /* The same parameters, read the same way, as an RTP input's. */
  if (!hf_url_param_repair (url, &spec->fec_mode, &spec->fec_percent,
          &spec->rtx, &err)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID, "'%s': %s",
        text, err->message);
    return FALSE;
  }
  return TRUE;
}

gboolean
hf_output_spec_parse (const gchar * text, HfOutputSpec * spec, GError ** error)
{
  static const gchar *const srt_known[] = { "mode", "latency", "passphrase",
    "streamid", NULL
  };
  static const gchar *const rtp_known[] = { "fec", "rtx", NULL };
  g_autoptr (HfUrl) url = NULL;
  const gchar *mode, *pass;

  memset (spec, 0, sizeof (*spec));
  url = hf_url_parse (text, error);
  if (!url)
    return FALSE;
  spec->url = g_strdup (text);
  spec->host = g_strdup (url->host);
  spec->port = url->port;
  spec->latency_ms = 120;

  if (url->scheme == HF_URL_RTP) {
    spec->kind = HF_OUTPUT_RTP;
    if (!hf_url_check_params (url, rtp_known, error))
      goto fail;
    if (!*spec->host) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "'%s': an RTP output needs the host to send to", text);
      goto fail;
    }
    if (!hf_config_parse_repair (url, text, spec, error))
      goto fail;
    return TRUE;
  }

  if (!hf_url_check_params (url, srt_known, error))
    goto fail;
  mode = hf_url_param (url, "mode");
  if (!mode || g_str_equal (mode, "listener")) {
    spec->kind = HF_OUTPUT_SRT_LISTENER;
  } else if (g_str_equal (mode, "caller")) {
    spec->kind = HF_OUTPUT_SRT_CALLER;
    if (!*spec->host) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "'%s': mode=caller needs a host to call", text);
      goto fail;
    }
  } else {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "'%s': mode=%s: expected listener or caller", text, mode);
    goto fail;
  }
  if (!hf_url_param_int (url, "latency", 0, 60000, &spec->latency_ms, error))
    goto fail;
  pass = hf_url_param (url, "passphrase");
  if (pass && (strlen (pass) < 10 || strlen (pass) > 79)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "'%s': passphrase: SRT needs 10 to 79 characters", text);
    goto fail;
  }
  spec->passphrase = g_strdup (pass);
  spec->streamid = g_strdup (hf_url_param (url, "streamid"));
  return TRUE;

fail:
  hf_output_spec_clear (spec);
  return FALSE;
}

static void
hf_stream_config_free (gpointer p)
{
  HfStreamConfig *sc = p;
  guint i;

  for (i = 0; i < sc->n_inputs; i++)
    hf_input_spec_clear (&sc->inputs[i]);
  for (i = 0; i < sc->n_outputs; i++)
    hf_output_spec_clear (&sc->outputs[i]);
  g_free (sc->inputs);
  g_free (sc->outputs);
  g_strfreev (sc->input_names);
  g_free (sc->fallback_path);
  g_free (sc->name);
  g_free (sc);
}

void
hf_config_free (HfConfig * config)
{
  if (!config)
    return;
  g_free (config->http_host);
  if (config->streams)
    g_ptr_array_unref (config->streams);
  if (config->alert_rules)
    g_ptr_array_unref (config->alert_rules);
  g_strfreev (config->webhooks);
  g_free (config->webhook);
  g_free (config);
}

/* Prefixes @error's message with "[group] key: ". */
static void
hf_config_prefix (GError ** error, const gchar * group, const gchar * key)
{
  g_prefix_error (error, "[%s] %s: ", group, key);
  if (*error) {
    (*error)->domain = HF_CONFIG_ERROR;
    (*error)->code = HF_CONFIG_ERROR_INVALID;
  }
}

static gboolean
hf_config_check_keys (GKeyFile * kf, const gchar * group,
    const gchar * const *known, GError ** error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  guint i;

  for (i = 0; keys && keys[i]; i++) {
    if (!g_strv_contains (known, keys[i])) {
      g_autofree gchar *list = g_strjoinv (", ", (gchar **) known);

      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] %s: unknown key (known keys: %s)", group, keys[i], list);
      return FALSE;
    }
  }
  return TRUE;
}

/* Parses "HOST:PORT" (HOST may be a bracketed IPv6 literal). */
static gboolean
hf_config_parse_hostport (const gchar * text, gchar ** host, guint16 * port)
{
  const gchar *colon = strrchr (text, ':');
  gchar *end = NULL;
  gint64 p;

  if (!colon || colon == text)
    return FALSE;
  p = g_ascii_strtoll (colon + 1, &end, 10);
  if (!colon[1] || *end || p < 1 || p > 65535)
    return FALSE;
  if (text[0] == '[' && colon[-1] == ']')
    *host = g_strndup (text + 1, colon - text - 2);
  else
    *host = g_strndup (text, colon - text);
  *port = p;
  return **host != '\0';
}

typedef struct
{
  guint16 port;
  gchar *where;
} HfPortUse;

static void
hf_port_use_free (gpointer p)
{
  HfPortUse *u = p;

  g_free (u->where);
  g_free (u);
}

/* Records that @where binds UDP port @port; fails if another place does. */
static gboolean
hf_config_claim_port (GPtrArray * used, guint16 port, const gchar * group,
    const gchar * key, GError ** error)
{
  HfPortUse *u;
  guint i;

  for (i = 0; i < used->len; i++) {
    u = g_ptr_array_index (used, i);
    if (u->port == port) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] %s: UDP port %u is already used by %s", group, key, port,
          u->where);
      return FALSE;
    }
  }
  u = g_new0 (HfPortUse, 1);
  u->port = port;
  u->where = g_strdup_printf ("[%s] %s", group, key);
  g_ptr_array_add (used, u);
  return TRUE;
}

static gboolean
hf_config_valid_name (const gchar * name)
{
  const gchar *p;

  if (!*name || strlen (name) > 64)
    return FALSE;
  for (p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* Reads an optional key as a stripped string: TRUE with *@value NULL when
 * the key is absent; FALSE, with @error naming group and key, when GKeyFile
 * cannot read it (not UTF-8, a bad escape). */
static gboolean
hf_config_get_value (GKeyFile * kf, const gchar * group, const gchar * key,
    gchar ** value, GError ** error)
{
  GError *err = NULL;

  *value = NULL;
  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;
  *value = g_key_file_get_string (kf, group, key, &err);
  /* A bad escape gives a string *and* an error: the value is refused. */
  if (!*value || err) {
    g_clear_pointer (value, g_free);
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] %s: cannot be read (not UTF-8, or a bad \\ escape)", group, key);
    g_clear_error (&err);
    return FALSE;
  }
  g_strstrip (*value);
  return TRUE;
}

/* An optional whole number in [@min, @max]; @value keeps its default when
 * the key is absent. */
static gboolean
hf_config_get_int (GKeyFile * kf, const gchar * group, const gchar * key,
    gint min, gint max, gint * value, GError ** error)
{
  g_autofree gchar *text = NULL;
  gint64 v;

  if (!hf_config_get_value (kf, group, key, &text, error))
    return FALSE;
  if (!text)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, min, max, &v, NULL)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] %s: expected a whole number from %d to %d, not '%s'", group,
        key, min, max, text);
    return FALSE;
  }
  *value = (gint) v;
  return TRUE;
}

/* Parses a whole decimal number (fractions allowed) that is all of @text;
 * NaN and infinities pass here and fail every range check after. */
static gboolean
hf_config_parse_double (const gchar * text, gdouble * value)
{
  gchar *end = NULL;

  if (!*text || g_ascii_isspace (*text))
    return FALSE;
  *value = g_ascii_strtod (text, &end);
  return end != text && *end == '\0';
}

/* "0.05" or "5%": loss ratios are read both ways, since operators think in
 * percent and the API reports ratios. */
static gboolean
hf_config_get_loss_ratio (GKeyFile * kf, const gchar * group,
    const gchar * key, gdouble * value, GError ** error)
{
  g_autofree gchar *text = NULL;
  g_autofree gchar *number = NULL;
  gboolean percent;
  gsize len;
  gdouble v;

  if (!hf_config_get_value (kf, group, key, &text, error))
    return FALSE;
  if (!text)
    return TRUE;
  len = strlen (text);
  percent = len > 0 && text[len - 1] == '%';
  number = g_strndup (text, percent ? len - 1 : len);
  g_strchomp (number);
  if (!hf_config_parse_double (number, &v))
    goto invalid;
  if (percent)
    v /= 100.0;
  /* Written so that NaN fails too. */
  if (!(v > 0.0 && v <= 1.0))
    goto invalid;
  *value = v;
  return TRUE;

invalid:
  g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
      "[%s] %s: expected a ratio above 0 and at most 1 (0.05) or a "
      "percentage (5%%), not '%s'", group, key, text);
  return FALSE;
}

/* An optional number (fractions allowed) in [@min, @max]. */
static gboolean
hf_config_get_double (GKeyFile * kf, const gchar * group, const gchar * key,
    gdouble min, gdouble max, gdouble * value, GError ** error)
{
  g_autofree gchar *text = NULL;
  gdouble v;

  if (!hf_config_get_value (kf, group, key, &text, error))
    return FALSE;
  if (!text)
    return TRUE;
  if (!hf_config_parse_double (text, &v) || !(v >= min && v <= max)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] %s: expected a number from %g to %g, not '%s'", group, key,
        min, max, text);
    return FALSE;
  }
  *value = v;
  return TRUE;
}

static gboolean
hf_config_get_bool (GKeyFile * kf, const gchar * group, const gchar * key,
    gboolean * value, GError ** error)
{
  g_autofree gchar *text = NULL;

  if (!hf_config_get_value (kf, group, key, &text, error))
    return FALSE;
  if (!text)
    return TRUE;
  if (!g_ascii_strcasecmp (text, "true") || !g_ascii_strcasecmp (text, "yes")
      || g_str_equal (text, "1")) {
    *value = TRUE;
  } else if (!g_ascii_strcasecmp (text, "false") ||
      !g_ascii_strcasecmp (text, "no") || g_str_equal (text, "0")) {
    *value = FALSE;
  } else {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] %s: expected true or false, not '%s'", group, key, text);
    return FALSE;
  }
  return TRUE;
}

static gboolean
hf_config_get_failover (GKeyFile * kf, const gchar * group,
    HfFailoverMode * mode, GError ** error)
{
  g_autofree gchar *text = NULL;

  if (!hf_config_get_value (kf, group, "failover", &text, error))
    return FALSE;
  if (!text)
    return TRUE;
  if (g_str_equal (text, "auto")) {
    *mode = HF_FAILOVER_AUTO;
  } else if (g_str_equal (text, "manual")) {
    *mode = HF_FAILOVER_MANUAL;
  } else {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] failover: expected auto or manual, not '%s'", group, text);
    return FALSE;
  }
  return TRUE;
}

/* builtin, none, or the path of the operator's clip.  The clip is checked
 * now rather than when the slate is first needed: by then the operator is
 * in the middle of an outage.  g_stat() and g_access() only, never open():
 * a path naming a FIFO would block the loader. */
static gboolean
hf_config_get_fallback (GKeyFile * kf, const gchar * group,
    HfStreamConfig * sc, GError ** error)
{
  g_autofree gchar *text = NULL;
  GStatBuf st;
  const gchar *problem = NULL;

  if (!hf_config_get_value (kf, group, "fallback", &text, error))
    return FALSE;
  if (!text)
    return TRUE;
  if (g_str_equal (text, "builtin")) {
    sc->fallback = HF_FALLBACK_BUILTIN;
    return TRUE;
  }
  if (g_str_equal (text, "none")) {
    sc->fallback = HF_FALLBACK_NONE;
    return TRUE;
  }
  if (!*text) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] fallback: expected builtin, none or the path of a clip "
        "(MP4 or MPEG-TS)", group);
    return FALSE;
  }
  if (g_stat (text, &st) != 0)
    problem = g_strerror (errno);
  else if (!S_ISREG (st.st_mode))
    problem = "not a regular file";
  else if (g_access (text, R_OK) != 0)
    problem = g_strerror (errno);
  if (problem) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] fallback: '%s': %s (expected builtin, none or the path of a "
        "readable clip)", group, text, problem);
    return FALSE;
  }
  sc->fallback = HF_FALLBACK_FILE;
  sc->fallback_path = g_steal_pointer (&text);
  return TRUE;
}

/* The failover policy keys: everything of a stream but its inputs and
 * outputs.  Missing keys keep the defaults already in @sc. */
static gboolean
hf_config_load_policy (GKeyFile * kf, const gchar * group,
    HfStreamConfig * sc, GError ** error)
{
  return hf_config_get_int (kf, group, "input-timeout-ms", 50, 60000,
      &sc->input_timeout_ms, error) &&
      hf_config_get_loss_ratio (kf, group, "degraded-loss-ratio",
      &sc->degraded_loss_ratio, error) &&
      hf_config_get_double (kf, group, "degraded-jitter-ms", 1, 10000,
      &sc->degraded_jitter_ms, error) &&
      hf_config_get_int (kf, group, "revert-after-s", 0, 3600,
      &sc->revert_after_s, error) &&
      hf_config_get_failover (kf, group, &sc->failover, error) &&
      hf_config_get_bool (kf, group, "merge", &sc->merge, error) &&
      hf_config_get_int (kf, group, "merge-window-ms", 10, 5000,
      &sc->merge_window_ms, error) &&
      hf_config_get_fallback (kf, group, sc, error);
}

/* Merge takes the first copy of each RTP packet by sequence number, so
 * every input must be the same kind of plain RTP stream: two or more
 * rtp:// MPEG-TS inputs (an SDP input is several RTP streams, and SRT has
 * no RTP sequence numbers to merge on). */
static gboolean
hf_config_check_merge (const gchar * group, const HfStreamConfig * sc,
    GError ** error)
{
  guint i;

  if (!sc->merge)
    return TRUE;
  if (sc->n_inputs < 2) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] merge: needs at least two inputs (copies of one RTP stream), "
        "this stream has %u", group, sc->n_inputs);
    return FALSE;
  }
  if (sc->n_inputs > HF_INPUT_MAX_PATHS) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] merge: at most %d paths can be merged, this stream has %u",
        group, HF_INPUT_MAX_PATHS, sc->n_inputs);
    return FALSE;
  }
  for (i = 0; i < sc->n_inputs; i++) {
    if (sc->inputs[i].kind != HF_INPUT_RTP_TS) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] merge: input '%s' (%s) is not RTP carrying MPEG-TS; merge "
          "needs rtp://HOST:PORT inputs without sdp=", group,
          sc->input_names[i], sc->inputs[i].url);
      return FALSE;
    }
  }
  return TRUE;
}

/* One rung's bitrate: "2500k", "2.5M" or plain bits per second. */
static gboolean
hf_config_parse_bitrate (const gchar * text, guint64 * bps)
{
  gchar *end = NULL;
  gdouble v, mult = 1;

  if (!text || !*text || !g_ascii_isdigit (*text))
    return FALSE;
  v = g_ascii_strtod (text, &end);
  if (end == text)
    return FALSE;
  if (*end == 'k' || *end == 'K') {
    mult = 1e3;
    end++;
  } else if (*end == 'M' || *end == 'm') {
    mult = 1e6;
    end++;
  }
  if (*end || !isfinite (v) || v * mult > 1e12)
    return FALSE;
  *bps = (guint64) (v * mult + 0.5);
  return TRUE;
}

/* `ladder = 2500k,1200k,500k`: 1..HF_LADDER_MAX_RUNGS video bitrates,
 * strictly descending, each 100k..50000k. */
static gboolean
hf_config_load_ladder (GKeyFile * kf, const gchar * group,
    HfStreamConfig * sc, GError ** error)
{
  g_auto (GStrv) rungs = NULL;
  g_autofree gchar *text = NULL;
  gsize n = 0, i;

  if (!g_key_file_has_key (kf, group, "ladder", NULL))
    return TRUE;
  /* Commas as the issue writes it; GKeyFile's ';' lists work too. */
  text = g_key_file_get_value (kf, group, "ladder", NULL);
  if (text) {
    g_strdelimit (text, ";", ',');
    g_strstrip (text);
    if (g_str_has_suffix (text, ","))
      text[strlen (text) - 1] = '\0';
    rungs = g_strsplit (text, ",", -1);
    n = g_strv_length (rungs);
  }
  if (!rungs || n == 0 || n > HF_LADDER_MAX_RUNGS) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] ladder: list 1 to %d video bitrates, highest first "
        "(e.g. 2500k,1200k,500k)", group, HF_LADDER_MAX_RUNGS);
    return FALSE;
  }
  for (i = 0; i < n; i++) {
    guint64 bps = 0;

    g_strstrip (rungs[i]);
    if (!hf_config_parse_bitrate (rungs[i], &bps)) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] ladder: '%s' is not a bitrate (e.g. 1200k or 2.5M)", group,
          rungs[i]);
      return FALSE;
    }
    if (bps < 100000 || bps > 50000000) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] ladder: %s is out of range (100k to 50000k)", group, rungs[i]);
      return FALSE;
    }
    if (i > 0 && bps >= sc->ladder_bps[i - 1]) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s] ladder: %s is not below the rung before it: list the "
          "rungs highest first, each one lower", group, rungs[i]);
      return FALSE;
    }
    sc->ladder_bps[i] = bps;
  }
  sc->n_rungs = n;
  return TRUE;
}

static HfStreamConfig *
hf_config_load_stream (GKeyFile * kf, const gchar * group,
    const gchar * name, GPtrArray * used_ports, GError ** error)
{
  static const gchar *const known[] = { "inputs", "input-names", "outputs",
    "input-timeout-ms", "degraded-loss-ratio", "degraded-jitter-ms",
    "revert-after-s", "failover", "merge", "merge-window-ms", "fallback",
    "ladder", NULL
  };
  HfStreamConfig *sc;
  g_auto (GStrv) inputs = NULL;
  g_auto (GStrv) outputs = NULL;
  g_auto (GStrv) names = NULL;
  gsize n_in = 0, n_out = 0, n_names = 0;
  guint i, j;

  if (!hf_config_valid_name (name)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s]: a stream name is 1 to 64 letters, digits, '-', '_' or '.'",
        group);
    return NULL;
  }
  if (!hf_config_check_keys (kf, group, known, error))
    return NULL;

  inputs = g_key_file_get_string_list (kf, group, "inputs", &n_in, NULL);
  if (!inputs || n_in == 0 || !*inputs[0]) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] inputs: missing; list at least one input URL, primary first",
        group);
    return NULL;
  }
  outputs = g_key_file_get_string_list (kf, group, "outputs", &n_out, NULL);

  sc = g_new0 (HfStreamConfig, 1);
  sc->name = g_strdup (name);
  sc->input_timeout_ms = HF_CONFIG_DEFAULT_INPUT_TIMEOUT_MS;
  sc->degraded_loss_ratio = HF_CONFIG_DEFAULT_LOSS_RATIO;
  sc->degraded_jitter_ms = HF_CONFIG_DEFAULT_JITTER_MS;
  sc->revert_after_s = HF_CONFIG_DEFAULT_REVERT_AFTER_S;
  sc->failover = HF_FAILOVER_AUTO;
  sc->merge = FALSE;
  sc->merge_window_ms = HF_CONFIG_DEFAULT_MERGE_WINDOW_MS;
  sc->fallback = HF_FALLBACK_BUILTIN;
  sc->inputs = g_new0 (HfInputSpec, n_in);
  sc->input_names = g_new0 (gchar *, n_in + 1);
  sc->outputs = g_new0 (HfOutputSpec, n_out);

  if (!hf_config_load_policy (kf, group, sc, error) ||
      !hf_config_load_ladder (kf, group, sc, error))
    goto fail;

  names = g_key_file_get_string_list (kf, group, "input-names", &n_names, NULL);
  if (names && n_names != n_in) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[%s] input-names: %" G_GSIZE_FORMAT " names for %" G_GSIZE_FORMAT
        " inputs", group, n_names, n_in);
    goto fail;
  }

  for (i = 0; i < n_in; i++) {
    guint16 ports[8];
    guint n_ports;

    g_strstrip (inputs[i]);
    if (!hf_input_spec_parse (inputs[i], &sc->inputs[i], error)) {
      hf_config_prefix (error, group, "inputs");
      goto fail;
    }
    sc->n_inputs++;
    if (names) {
      g_strstrip (names[i]);
      if (!hf_config_valid_name (names[i])) {
        g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
            "[%s] input-names: '%s' is not a valid name", group, names[i]);
        goto fail;
      }
      sc->input_names[i] = g_strdup (names[i]);
    } else if (i == 0) {
      sc->input_names[i] = g_strdup ("primary");
    } else if (i == 1) {
      sc->input_names[i] = g_strdup ("backup");
    } else {
      sc->input_names[i] = g_strdup_printf ("backup%u", i);
    }
    for (j = 0; j < i; j++) {
      if (g_str_equal (sc->input_names[j], sc->input_names[i])) {
        g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
            "[%s] input-names: '%s' is used twice", group, sc->input_names[i]);
        goto fail;
      }
    }
    n_ports = hf_input_spec_local_ports (&sc->inputs[i], ports);
    for (j = 0; j < n_ports; j++)
      if (!hf_config_claim_port (used_ports, ports[j], group, "inputs", error))
        goto fail;
  }
  if (!hf_config_check_merge (group, sc, error))
    goto fail;

  for (i = 0; i < n_out; i++) {
    g_strstrip (outputs[i]);
    if (!hf_output_spec_parse (outputs[i], &sc->outputs[i], error)) {
      hf_config_prefix (error, group, "outputs");
      goto fail;
    }
    sc->n_outputs++;
    if (sc->outputs[i].kind == HF_OUTPUT_SRT_LISTENER &&
        !hf_config_claim_port (used_ports, sc->outputs[i].port, group,
            "outputs", error))
      goto fail;
  }
  return sc;

fail:
  hf_stream_config_free (sc);
  return NULL;
}

/* GKeyFile merges a group given twice and lets a repeated key's last value
 * win, silently; an operator who pasted a stream twice must hear of it.  A
 * small line scanner over the text finds both before GKeyFile parses it. */
static gboolean
hf_config_check_duplicates (const gchar * data, gsize length, GError ** error)
{
  g_autoptr (GHashTable) groups = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  GHashTable *keys = NULL;
  g_autofree gchar *group = NULL;
  const gchar *p = data, *end = data + length;
  guint line_no = 0;

  while (p < end) {
    const gchar *nl = memchr (p, '\n', end - p);
    const gchar *line_end = nl ? nl : end;
    g_autofree gchar *line = g_strndup (p, line_end - p);

    line_no++;
    p = nl ? nl + 1 : end;
    g_strstrip (line);
    if (!*line || *line == '#' || *line == ';')
      continue;
    if (*line == '[') {
      gsize len = strlen (line);

      if (len < 2 || line[len - 1] != ']')
        continue;               /* GKeyFile reports it */
      g_free (group);
      group = g_strndup (line + 1, len - 2);
      if (g_hash_table_contains (groups, group)) {
        g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
            "[%s]: group defined twice (again on line %u)", group, line_no);
        return FALSE;
      }
      keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (groups, g_strdup (group), keys);
    } else if (keys) {
      const gchar *eq = strchr (line, '=');
      g_autofree gchar *key = NULL;

      if (!eq)
        continue;               /* GKeyFile reports it */
      key = g_strndup (line, eq - line);
      g_strstrip (key);
      if (g_hash_table_contains (keys, key)) {
        g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
            "[%s] %s: set twice (again on line %u)", group, key, line_no);
        return FALSE;
      }
      g_hash_table_add (keys, g_steal_pointer (&key));
    }
  }
  return TRUE;
}

/* [server] webhook (URLs, ";"-separated) and its delivery settings. */
static gboolean
hf_config_load_webhooks (GKeyFile * kf, HfConfig * config, GError ** error)
{
  g_auto (GStrv) urls = NULL;
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  HfWebhookConfig *wc = g_new0 (HfWebhookConfig, 1);
  gint attempts;
  guint i;

  hf_webhook_config_init (wc);
  config->webhook = wc;
  attempts = (gint) wc->max_attempts;
  if (!hf_config_get_int (kf, "server", "webhook-timeout-ms", 100, 60000,
          &wc->timeout_ms, error) ||
      !hf_config_get_int (kf, "server", "webhook-attempts", 1, 100,
          &attempts, error) ||
      !hf_config_get_int (kf, "server", "webhook-backoff-ms", 10, 600000,
          &wc->backoff_ms, error))
    return FALSE;
  wc->max_attempts = attempts;
  if (wc->max_backoff_ms < wc->backoff_ms)
    wc->max_backoff_ms = wc->backoff_ms;
  if (g_key_file_has_key (kf, "server", "webhook", NULL)) {
    g_autoptr (GError) err = NULL;

    urls = g_key_file_get_string_list (kf, "server", "webhook", NULL, &err);
    if (!urls || err) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[server] webhook: cannot be read (not UTF-8, or a bad \\ "
          "escape)");
      return FALSE;
    }
  }
  for (i = 0; urls && urls[i]; i++) {
    g_autoptr (GUri) uri = NULL;
    gchar *url = g_strstrip (urls[i]);
    const gchar *scheme;

    if (!*url)
      continue;
    uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, NULL);
    scheme = uri ? g_uri_get_scheme (uri) : NULL;
    if (!uri || (g_strcmp0 (scheme, "http") != 0 &&
            g_strcmp0 (scheme, "https") != 0) || !g_uri_get_host (uri) ||
        !*g_uri_get_host (uri)) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[server] webhook: '%s' is not an http:// or https:// URL", url);
      return FALSE;
    }
    /* Two that show the same (the password is never shown) would be one
     * series twice in /metrics. */
    {
      g_autofree gchar *shown = g_uri_to_string_partial (uri,
          G_URI_HIDE_PASSWORD);
      guint k;

      for (k = 0; k < kept->len; k++) {
        g_autoptr (GUri) other = g_uri_parse (g_ptr_array_index (kept, k),
            G_URI_FLAGS_HAS_PASSWORD, NULL);
        g_autofree gchar *other_shown = g_uri_to_string_partial (other,
            G_URI_HIDE_PASSWORD);

        if (g_str_equal (shown, other_shown)) {
          g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
              "[server] webhook: '%s' is given twice", shown);
          return FALSE;
        }
      }
    }
    g_ptr_array_add (kept, g_strdup (url));
  }
  g_ptr_array_add (kept, NULL);
  config->webhooks = (gchar **) g_ptr_array_free (g_steal_pointer (&kept),
      FALSE);
  return TRUE;
}

HfConfig *
hf_config_load_data (const gchar * data, gsize length, GError ** error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) err = NULL;
  g_autoptr (HfConfig) config = NULL;
  g_autoptr (GPtrArray) used_ports = g_ptr_array_new_with_free_func
      (hf_port_use_free);
  g_auto (GStrv) groups = NULL;
  g_autofree gchar *http = NULL;
  guint i;

  if (!g_key_file_load_from_data (kf, data, length, G_KEY_FILE_NONE, &err)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_PARSE,
        "not a valid INI file: %s", err->message);
    return NULL;
  }
  if (!hf_config_check_duplicates (data, length, error))
    return NULL;

  config = g_new0 (HfConfig, 1);
  config->streams = g_ptr_array_new_with_free_func (hf_stream_config_free);

  groups = g_key_file_get_groups (kf, NULL);
  for (i = 0; groups[i]; i++) {
    const gchar *g = groups[i];

    if (g_str_equal (g, "server")) {
      static const gchar *const known[] = { "http", "webhook",
        "webhook-timeout-ms", "webhook-attempts", "webhook-backoff-ms", NULL
      };

      if (!hf_config_check_keys (kf, g, known, error))
        return NULL;
    } else if (g_str_has_prefix (g, "stream ")) {
      const gchar *name = g + strlen ("stream ");
      HfStreamConfig *sc;
      guint k;

      for (k = 0; k < config->streams->len; k++) {
        HfStreamConfig *other = g_ptr_array_index (config->streams, k);

        if (g_str_equal (other->name, name)) {
          g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
              "[%s]: stream '%s' is defined twice", g, name);
          return NULL;
        }
      }
      sc = hf_config_load_stream (kf, g, name, used_ports, error);
      if (!sc)
        return NULL;
      g_ptr_array_add (config->streams, sc);
    } else if (g_str_has_prefix (g, "alert ")) {
      /* read by hf_alert_rules_load () below */
    } else {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[%s]: unknown group (expected [server], [stream NAME] or "
          "[alert NAME])", g);
      return NULL;
    }
  }
  config->alert_rules = hf_alert_rules_load (kf, error);
  if (!config->alert_rules)
    return NULL;
  for (i = 0; i < config->alert_rules->len; i++) {
    const HfAlertRule *r = g_ptr_array_index (config->alert_rules, i);
    gboolean found = r->stream == NULL;
    guint k;

    for (k = 0; !found && k < config->streams->len; k++)
      found = g_str_equal (((HfStreamConfig *)
              g_ptr_array_index (config->streams, k))->name, r->stream);
    if (!found) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "[alert %s] stream: there is no [stream %s]", r->name, r->stream);
      return NULL;
    }
  }
  if (!hf_config_load_webhooks (kf, config, error))
    return NULL;

  http = g_key_file_get_string (kf, "server", "http", NULL);
  if (!http)
    http = g_strdup (HF_CONFIG_DEFAULT_HTTP);
  g_strstrip (http);
  if (!hf_config_parse_hostport (http, &config->http_host, &config->http_port)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "[server] http: '%s' is not HOST:PORT", http);
    return NULL;
  }
  if (config->streams->len == 0) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "no [stream NAME] group: nothing to relay");
    return NULL;
  }
  return g_steal_pointer (&config);
}

HfConfig *
hf_config_load_file (const gchar * path, GError ** error)
{
  g_autofree gchar *data = NULL;
  gsize length;

  if (!g_file_get_contents (path, &data, &length, error))
    return NULL;
  return hf_config_load_data (data, length, error);
}

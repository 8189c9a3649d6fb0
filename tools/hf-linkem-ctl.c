/* The parsers of hf-linkem: link specs and control requests (see
 * hf-linkem-ctl.h for the grammar).  Everything here treats its input as
 * untrusted bytes -- the control socket takes whatever a local process
 * writes -- and refuses what it does not understand with a message that
 * quotes the offending token, sanitised (control characters and non-ASCII
 * bytes shown as '?', cut at 40 characters) so that an error reply can be
 * printed on a terminal as it is.  Any thread; no state.
 */
#include "tools/hf-linkem-ctl.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (hf - linkem - ctl - error - quark, hf_linkem_ctl_error);

/* Digits before and after the point that a number may have: enough for any
 * sane value, few enough that the arithmetic stays exact. */
#define HF_LINKEM_MAX_INT_DIGITS 12
#define HF_LINKEM_MAX_FRAC_DIGITS 9
#define HF_LINKEM_MAX_TOKENS 64
#define HF_LINKEM_QUOTE_MAX 40

/* Returns (transfer full) @token made safe to print. */
static gchar *
hf_linkem_quote (const gchar * token)
{
  gsize i, len = strlen (token);
  GString *s = g_string_new (NULL);

  for (i = 0; i < len && i < HF_LINKEM_QUOTE_MAX; i++) {
    guchar c = token[i];

    g_string_append_c (s, (c < 0x20 || c >= 0x7f) ? '?' : (gchar) c);
  }
  if (len > HF_LINKEM_QUOTE_MAX)
    g_string_append (s, "...");
  return g_string_free (s, FALSE);
}

static void
hf_linkem_set_value_error (GError ** error, const gchar * what,
    const gchar * token, const gchar * expected)
{
  gchar *q = hf_linkem_quote (token);

  g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_VALUE,
      "bad %s \"%s\": expected %s", what, q, expected);
  g_free (q);
}

/* Reads DIGITS[.DIGITS] at the start of @s into @value, @end after it.
 * FALSE when there is no digit or too many. */
static gboolean
hf_linkem_read_number (const gchar * s, gdouble * value, const gchar ** end)
{
  const gchar *p = s;
  guint64 int_part = 0, frac_part = 0, frac_scale = 1;
  guint n_int = 0, n_frac = 0;

  for (; g_ascii_isdigit (*p); p++) {
    if (++n_int > HF_LINKEM_MAX_INT_DIGITS)
      return FALSE;
    int_part = int_part * 10 + (guint64) (*p - '0');
  }
  if (*p == '.') {
    for (p++; g_ascii_isdigit (*p); p++) {
      if (++n_frac > HF_LINKEM_MAX_FRAC_DIGITS)
        return FALSE;
      frac_part = frac_part * 10 + (guint64) (*p - '0');
      frac_scale *= 10;
    }
  }
  if (n_int + n_frac == 0)
    return FALSE;
  *value = (gdouble) int_part + (gdouble) frac_part / (gdouble) frac_scale;
  *end = p;
  return TRUE;
}

gboolean
hf_linkem_parse_percent (const gchar * token, gdouble * pct, GError ** error)
{
  const gchar *end;
  gdouble v;

  if (!hf_linkem_read_number (token, &v, &end) ||
      (*end != '\0' && strcmp (end, "%") != 0) || v > 100) {
    hf_linkem_set_value_error (error, "percentage", token,
        "0..100, e.g. 10% or 0.5");
    return FALSE;
  }
  *pct = v;
  return TRUE;
}

gboolean
hf_linkem_parse_time (const gchar * token, gint64 * us, GError ** error)
{
  const gchar *end;
  gdouble v, mult;

  if (!hf_linkem_read_number (token, &v, &end))
    goto bad;
  if (*end == '\0' || g_ascii_strcasecmp (end, "ms") == 0)
    mult = 1000;
  else if (g_ascii_strcasecmp (end, "s") == 0)
    mult = G_USEC_PER_SEC;
  else if (g_ascii_strcasecmp (end, "us") == 0)
    mult = 1;
  else
    goto bad;
  /* Far past any bound the model accepts, and still exact in a gint64. */
  if (v * mult > 1e12)
    goto bad;
  *us = (gint64) llround (v * mult);
  return TRUE;

bad:
  hf_linkem_set_value_error (error, "time", token,
      "a number with ms, s or us, e.g. 40ms or 1.5s (a bare number is ms)");
  return FALSE;
}

gboolean
hf_linkem_parse_rate (const gchar * token, guint64 * bps, GError ** error)
{
  static const struct
  {
    const gchar *unit;
    gdouble mult;
  } units[] = {
    {"", 1e3}, {"bit", 1}, {"k", 1e3}, {"kbit", 1e3}, {"m", 1e6},
    {"mbit", 1e6}, {"g", 1e9}, {"gbit", 1e9},
  };
  const gchar *end;
  gdouble v;
  guint i;

  if (!hf_linkem_read_number (token, &v, &end))
    goto bad;
  for (i = 0; i < G_N_ELEMENTS (units); i++) {
    if (g_ascii_strcasecmp (end, units[i].unit) == 0)
      break;
  }
  if (i == G_N_ELEMENTS (units) || v * units[i].mult < 1 ||
      v * units[i].mult > 1e12)
    goto bad;
  *bps = (guint64) llround (v * units[i].mult);
  return TRUE;

bad:
  /* "kbps" is kilobytes in tc's language: refused rather than guessed. */
  hf_linkem_set_value_error (error, "rate", token,
      "a bit rate like 1500kbit, 1.5mbit, 800k or 64000bit (a bare number "
      "is kbit; bytes per second, as tc's kbps, are not taken)");
  return FALSE;
}

/* Burst: a mean length >= 1, or 0/off for independent loss. */
static gboolean
hf_linkem_parse_burst (const gchar * token, gdouble * burst, GError ** error)
{
  const gchar *end;
  gdouble v;

  if (g_ascii_strcasecmp (token, "off") == 0) {
    *burst = 0;
    return TRUE;
  }
  if (!hf_linkem_read_number (token, &v, &end) || *end != '\0' ||
      (v != 0 && v < 1) || v > 1e6) {
    hf_linkem_set_value_error (error, "burst", token,
        "a mean burst length in packets, 1..1000000, or 0/off");
    return FALSE;
  }
  *burst = v;
  return TRUE;
}

static gboolean
hf_linkem_parse_on_off (const gchar * token, gboolean * on, GError ** error)
{
  if (g_ascii_strcasecmp (token, "on") == 0)
    *on = TRUE;
  else if (g_ascii_strcasecmp (token, "off") == 0)
    *on = FALSE;
  else {
    hf_linkem_set_value_error (error, "reorder", token, "on or off");
    return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Change sets                                                            */

gboolean
hf_linkem_change_parse (const gchar * const *tokens, guint n_tokens,
    HfLinkemChange * change, GError ** error)
{
  HfLinkemChange c;
  guint i = 0;

  memset (&c, 0, sizeof (c));
  hf_impair_config_init (&c.values);
  if (n_tokens == 0) {
    g_set_error_literal (error, HF_LINKEM_CTL_ERROR,
        HF_LINKEM_CTL_ERROR_SYNTAX, "no command given (e.g. loss 10%, "
        "delay 40ms, sever, restore)");
    return FALSE;
  }

  while (i < n_tokens) {
    const gchar *cmd = tokens[i++];
    const gchar *arg = i < n_tokens ? tokens[i] : NULL;
    gboolean ok = TRUE, takes_arg = TRUE;

    if (g_ascii_strcasecmp (cmd, "sever") == 0) {
      c.set |= HF_LINKEM_SET_SEVERED;
      c.values.severed = TRUE;
      takes_arg = FALSE;
    } else if (g_ascii_strcasecmp (cmd, "restore") == 0 ||
        g_ascii_strcasecmp (cmd, "clear") == 0) {
      c.set = HF_LINKEM_SET_ALL;
      hf_impair_config_init (&c.values);
      takes_arg = FALSE;
    } else if (!arg) {
      gchar *q = hf_linkem_quote (cmd);

      if (g_ascii_strcasecmp (cmd, "loss") == 0 ||
          g_ascii_strcasecmp (cmd, "burst") == 0 ||
          g_ascii_strcasecmp (cmd, "delay") == 0 ||
          g_ascii_strcasecmp (cmd, "jitter") == 0 ||
          g_ascii_strcasecmp (cmd, "reorder") == 0 ||
          g_ascii_strcasecmp (cmd, "dup") == 0 ||
          g_ascii_strcasecmp (cmd, "rate") == 0 ||
          g_ascii_strcasecmp (cmd, "queue") == 0)
        g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
            "%s needs a value", q);
      else
        g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
            "unknown command \"%s\" (expected loss, burst, delay, jitter, "
            "reorder, dup, rate, queue, sever, restore or clear)", q);
      g_free (q);
      return FALSE;
    } else if (g_ascii_strcasecmp (cmd, "loss") == 0) {
      ok = hf_linkem_parse_percent (arg, &c.values.loss_pct, error);
      c.set |= HF_LINKEM_SET_LOSS;
      /* `loss P` alone means independent loss, unless this very command
       * gave a burst already. */
      if (!(c.set & HF_LINKEM_SET_BURST)) {
        c.set |= HF_LINKEM_SET_BURST;
        c.values.burst = 0;
      }
    } else if (g_ascii_strcasecmp (cmd, "burst") == 0) {
      ok = hf_linkem_parse_burst (arg, &c.values.burst, error);
      c.set |= HF_LINKEM_SET_BURST;
    } else if (g_ascii_strcasecmp (cmd, "delay") == 0) {
      ok = hf_linkem_parse_time (arg, &c.values.delay_us, error);
      c.set |= HF_LINKEM_SET_DELAY;
    } else if (g_ascii_strcasecmp (cmd, "jitter") == 0) {
      ok = hf_linkem_parse_time (arg, &c.values.jitter_us, error);
      c.set |= HF_LINKEM_SET_JITTER;
    } else if (g_ascii_strcasecmp (cmd, "reorder") == 0) {
      ok = hf_linkem_parse_on_off (arg, &c.values.reorder, error);
      c.set |= HF_LINKEM_SET_REORDER;
    } else if (g_ascii_strcasecmp (cmd, "dup") == 0) {
      ok = hf_linkem_parse_percent (arg, &c.values.dup_pct, error);
      c.set |= HF_LINKEM_SET_DUP;
    } else if (g_ascii_strcasecmp (cmd, "rate") == 0) {
      if (g_ascii_strcasecmp (arg, "off") == 0)
        c.values.rate_bps = 0;
      else
        ok = hf_linkem_parse_rate (arg, &c.values.rate_bps, error);
      c.set |= HF_LINKEM_SET_RATE;
    } else if (g_ascii_strcasecmp (cmd, "queue") == 0) {
      ok = hf_linkem_parse_time (arg, &c.values.queue_us, error);
      c.set |= HF_LINKEM_SET_QUEUE;
    } else {
      gchar *q = hf_linkem_quote (cmd);

      g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
          "unknown command \"%s\" (expected loss, burst, delay, jitter, "
          "reorder, dup, rate, queue, sever, restore or clear)", q);
      g_free (q);
      return FALSE;
    }
    if (!ok)
      return FALSE;
    if (takes_arg)
      i++;
  }
  *change = c;
  return TRUE;
}

gboolean
hf_linkem_change_apply (const HfLinkemChange * change,
    const HfImpairConfig * current, HfImpairConfig * result, GError ** error)
{
  const HfImpairConfig *v = &change->values;
  HfImpairConfig r = *current;

  if (change->set & HF_LINKEM_SET_LOSS)
    r.loss_pct = v->loss_pct;
  if (change->set & HF_LINKEM_SET_BURST)
    r.burst = v->burst;
  if (change->set & HF_LINKEM_SET_DELAY)
    r.delay_us = v->delay_us;
  if (change->set & HF_LINKEM_SET_JITTER)
    r.jitter_us = v->jitter_us;
  if (change->set & HF_LINKEM_SET_REORDER)
    r.reorder = v->reorder;
  if (change->set & HF_LINKEM_SET_DUP)
    r.dup_pct = v->dup_pct;
  if (change->set & HF_LINKEM_SET_RATE)
    r.rate_bps = v->rate_bps;
  if (change->set & HF_LINKEM_SET_QUEUE)
    r.queue_us = v->queue_us;
  if (change->set & HF_LINKEM_SET_SEVERED)
    r.severed = v->severed;
  if (!hf_impair_config_validate (&r, error))
    return FALSE;
  *result = r;
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Requests                                                               */

gboolean
hf_linkem_name_is_valid (const gchar * name)
{
  gsize i, len = strlen (name);

  if (len == 0 || len > HF_LINKEM_MAX_NAME || strcmp (name, "all") == 0)
    return FALSE;
  for (i = 0; i < len; i++) {
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '-' &&
        name[i] != '.')
      return FALSE;
  }
  return TRUE;
}

gboolean
hf_linkem_request_parse (const gchar * line, gsize len, HfLinkemRequest * req,
    GError ** error)
{
  gchar *copy = NULL, *p;
  const gchar *tokens[HF_LINKEM_MAX_TOKENS];
  guint n = 0, first;
  gsize i;
  HfLinkemRequest r;

  memset (&r, 0, sizeof (r));
  if (len > HF_LINKEM_MAX_LINE) {
    g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
        "request longer than %d bytes", HF_LINKEM_MAX_LINE);
    return FALSE;
  }
  for (i = 0; i < len; i++) {
    guchar c = line[i];

    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
          "request holds a control character (byte 0x%02x at %" G_GSIZE_FORMAT
          ")", c, i);
      return FALSE;
    }
  }

  copy = g_strndup (line, len);
  p = copy;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0')
      break;
    if (n == HF_LINKEM_MAX_TOKENS)
      goto too_many;
    tokens[n++] = p;
    while (*p != '\0' && *p != ' ' && *p != '\t')
      p++;
    if (*p != '\0')
      *p++ = '\0';
  }

  if (n == 0)
    goto empty;
  if (strcmp (tokens[0], "ping") == 0 && n == 1) {
    r.kind = HF_LINKEM_REQ_PING;
  } else if (strcmp (tokens[0], "status") == 0) {
    r.kind = HF_LINKEM_REQ_STATUS;
    if (n == 2 && (strcmp (tokens[1], "json") == 0 ||
            strcmp (tokens[1], "--json") == 0))
      r.json = TRUE;
    else if (n != 1)
      goto bad_status;
  } else if (strcmp (tokens[0], "ctl") == 0) {
    r.kind = HF_LINKEM_REQ_CTL;
    if (n < 2)
      goto no_link;
    if (strcmp (tokens[1], "all") == 0)
      r.all = TRUE;
    else if (hf_linkem_name_is_valid (tokens[1]))
      g_strlcpy (r.link, tokens[1], sizeof (r.link));
    else
      goto bad_link;
    first = 2;
    r.dir = HF_LINKEM_DIR_BOTH;
    if (n > 2 && g_ascii_strcasecmp (tokens[2], "fwd") == 0) {
      r.dir = HF_LINKEM_DIR_FWD;
      first = 3;
    } else if (n > 2 && g_ascii_strcasecmp (tokens[2], "rev") == 0) {
      r.dir = HF_LINKEM_DIR_REV;
      first = 3;
    }
    if (!hf_linkem_change_parse (tokens + first, n - first, &r.change, error))
      goto out;
  } else {
    goto unknown;
  }
  *req = r;
  g_free (copy);
  return TRUE;

  /* ERRORS */
too_many:
  g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
      "request has more than %d words", HF_LINKEM_MAX_TOKENS);
  goto out;
empty:
  g_set_error_literal (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
      "empty request (expected ping, status [json] or ctl LINK|all "
      "[fwd|rev] COMMAND...)");
  goto out;
bad_status:
  g_set_error_literal (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
      "status takes nothing but json");
  goto out;
no_link:
  g_set_error_literal (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
      "ctl needs a link name (or all) and a command");
  goto out;
bad_link:
  {
    gchar *q = hf_linkem_quote (tokens[1]);

    g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
        "bad link name \"%s\" (1..%d of A-Z a-z 0-9 _ - .)", q,
        HF_LINKEM_MAX_NAME);
    g_free (q);
  }
  goto out;
unknown:
  {
    gchar *q = hf_linkem_quote (tokens[0]);

    g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
        "unknown request \"%s\" (expected ping, status [json] or ctl "
        "LINK|all [fwd|rev] COMMAND...)", q);
    g_free (q);
  }
out:
  g_free (copy);
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* Link specs                                                             */

/* Parses HOST:PORT or [V6]:PORT of @len bytes at @s. */
static gboolean
hf_linkem_parse_hostport (const gchar * s, gsize len, gchar * host,
    gsize host_size, guint * port)
{
  const gchar *end = s + len, *colon, *h;
  gsize hlen, i;
  guint64 v = 0;

  if (len == 0)
    return FALSE;
  if (s[0] == '[') {
    const gchar *close = memchr (s, ']', len);

    if (!close || close + 1 >= end || close[1] != ':')
      return FALSE;
    h = s + 1;
    hlen = close - h;
    colon = close + 1;
    for (i = 0; i < hlen; i++) {
      if (!g_ascii_isxdigit (h[i]) && h[i] != ':' && h[i] != '.' &&
          h[i] != '%' && !g_ascii_isalnum (h[i]))
        return FALSE;
    }
  } else {
    colon = NULL;
    for (i = 0; i < len; i++) {
      if (s[i] == ':') {
        if (colon)
          return FALSE;         /* an IPv6 address needs its brackets */
        colon = s + i;
      }
    }
    if (!colon)
      return FALSE;
    h = s;
    hlen = colon - s;
    for (i = 0; i < hlen; i++) {
      if (!g_ascii_isalnum (h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_')
        return FALSE;
    }
  }
  if (hlen == 0 || hlen >= host_size)
    return FALSE;
  if (colon + 1 >= end || end - (colon + 1) > 5)
    return FALSE;
  for (h = colon + 1; h < end; h++) {
    if (!g_ascii_isdigit (*h))
      return FALSE;
    v = v * 10 + (guint) (*h - '0');
  }
  if (v > 65535)
    return FALSE;
  memcpy (host, s[0] == '[' ? s + 1 : s, hlen);
  host[hlen] = '\0';
  *port = (guint) v;
  return TRUE;
}

gboolean
hf_linkem_spec_parse (const gchar * text, HfLinkemSpec * spec, GError ** error)
{
  const gchar *eq = strchr (text, '='), *gt, *star, *end;
  gsize name_len;
  gchar *q;

  memset (spec, 0, sizeof (*spec));
  spec->n_ports = 1;
  if (!eq)
    goto bad;
  name_len = eq - text;
  if (name_len == 0 || name_len > HF_LINKEM_MAX_NAME)
    goto bad_name;
  memcpy (spec->name, text, name_len);
  spec->name[name_len] = '\0';
  if (!hf_linkem_name_is_valid (spec->name))
    goto bad_name;

  gt = strchr (eq + 1, '>');
  if (!gt || strchr (gt + 1, '>'))
    goto bad;
  end = gt + 1 + strlen (gt + 1);
  star = strchr (gt + 1, '*');
  if (star) {
    const gchar *d;
    guint n = 0;

    if (star + 1 == end || end - (star + 1) > 2)
      goto bad_ports;
    for (d = star + 1; d < end; d++) {
      if (!g_ascii_isdigit (*d))
        goto bad_ports;
      n = n * 10 + (guint) (*d - '0');
    }
    if (n < 1 || n > HF_LINKEM_MAX_PORTS)
      goto bad_ports;
    spec->n_ports = n;
    end = star;
  }
  if (!hf_linkem_parse_hostport (eq + 1, gt - (eq + 1), spec->listen_host,
          sizeof (spec->listen_host), &spec->listen_port) ||
      !hf_linkem_parse_hostport (gt + 1, end - (gt + 1), spec->target_host,
          sizeof (spec->target_host), &spec->target_port))
    goto bad;
  if (spec->target_port == 0 ||
      (spec->listen_port == 0 && spec->n_ports > 1) ||
      spec->listen_port + spec->n_ports - 1 > 65535 ||
      spec->target_port + spec->n_ports - 1 > 65535)
    goto bad_range;
  return TRUE;

  /* ERRORS */
bad:
  q = hf_linkem_quote (text);
  g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
      "bad link \"%s\": expected NAME=LISTENHOST:PORT>TARGETHOST:PORT[*N], "
      "e.g. primary=127.0.0.1:9000>127.0.0.1:9100 (IPv6 as [::1]:9000)", q);
  g_free (q);
  return FALSE;
bad_name:
  q = hf_linkem_quote (text);
  g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
      "bad link \"%s\": the name must be 1..%d of A-Z a-z 0-9 _ - . and "
      "not \"all\"", q, HF_LINKEM_MAX_NAME);
  g_free (q);
  return FALSE;
bad_ports:
  q = hf_linkem_quote (text);
  g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
      "bad link \"%s\": *N must be 1..%d port pairs", q, HF_LINKEM_MAX_PORTS);
  g_free (q);
  return FALSE;
bad_range:
  q = hf_linkem_quote (text);
  g_set_error (error, HF_LINKEM_CTL_ERROR, HF_LINKEM_CTL_ERROR_SYNTAX,
      "bad link \"%s\": ports must be 1..65535 with all N pairs in range "
      "(listen port 0, any free port, only without *N)", q);
  g_free (q);
  return FALSE;
}

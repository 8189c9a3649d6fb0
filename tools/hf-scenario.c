/* Holdfast drill scenarios: parser.  The format is described in
 * hf-scenario.h.  Hand-written (GKeyFile cannot hold a timeline), so it is
 * fuzzed: tests/fuzz/fuzz-scenario.c. */
#include "tools/hf-scenario.h"

#include <gio/gio.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HF_SCENARIO_MAX_MS (24 * 3600 * 1000LL)
#define HF_SCENARIO_DEFAULT_SETTLE_MS 15000

typedef enum
{
  HF_SECTION_NONE,
  HF_SECTION_DRILL,
  HF_SECTION_LINKS,
  HF_SECTION_OBSERVERS,
  HF_SECTION_TIMELINE,
  HF_SECTION_SLO,
} HfSection;

static const gchar *const hf_scenario_sections[] = {
  NULL, "drill", "links", "observers", "timeline", "slo",
};

/* Actions hf-drill knows; everything but sever/restore/clear goes to
 * hf-linkem with its arguments, and hf-linkem judges those. */
static const gchar *const hf_scenario_actions[] = {
  "sever", "restore", "clear", "loss", "delay", "jitter", "reorder", "dup",
  "rate", NULL,
};

typedef struct
{
  HfScenario *sc;
  GHashTable *vars;
  gboolean use_env;
  HfSection section;
  gboolean seen[G_N_ELEMENTS (hf_scenario_sections)];
  GHashTable *keys;             /* "section/key" seen, for duplicates */
  guint line;
} HfScenarioParser;

void
hf_scenario_link_free (gpointer p)
{
  HfScenarioLink *l = p;

  g_free (l->name);
  g_free (l->linkem_link);
  g_free (l->linkem_ctl);
  g_free (l->netdev);
  g_free (l->netns);
  g_free (l);
}

static void
hf_scenario_observer_free (gpointer p)
{
  HfScenarioObserver *o = p;

  g_free (o->name);
  g_free (o->url);
  g_free (o);
}

static void
hf_scenario_step_free (gpointer p)
{
  HfScenarioStep *s = p;

  g_free (s->text);
  g_free (s->action);
  g_free (s->link);
  g_strfreev (s->args);
  g_free (s);
}

void
hf_scenario_free (HfScenario * sc)
{
  if (sc == NULL)
    return;
  g_free (sc->name);
  g_free (sc->description);
  g_free (sc->relay);
  g_free (sc->stream);
  g_ptr_array_unref (sc->links);
  g_ptr_array_unref (sc->observers);
  g_ptr_array_unref (sc->steps);
  g_free (sc);
}

const gchar *
hf_expect_name (HfExpect e)
{
  switch (e) {
    case HF_EXPECT_LOST:
      return "lost";
    case HF_EXPECT_DEGRADED:
      return "degraded";
    default:
      return "nothing";
  }
}

const HfScenarioLink *
hf_scenario_find_link (const HfScenario * sc, const gchar * name)
{
  for (guint i = 0; i < sc->links->len; i++) {
    const HfScenarioLink *l = g_ptr_array_index (sc->links, i);

    if (g_strcmp0 (l->name, name) == 0)
      return l;
  }
  return NULL;
}

gboolean
hf_scenario_parse_time (const gchar * s, gint64 * ms)
{
  g_autofree gchar *number = NULL;
  const gchar *unit;
  gchar *end = NULL;
  gdouble v, scale;
  gsize n;

  /* Plain decimals only: strtod alone would take "0x1p2" and "1e3". */
  n = s ? strspn (s, "0123456789.") : 0;
  if (n == 0 || !g_ascii_isdigit (s[0]) || n > 32)
    return FALSE;
  number = g_strndup (s, n);
  unit = s + n;
  errno = 0;
  v = g_ascii_strtod (number, &end);
  if (errno != 0 || *end != '\0' || !isfinite (v))
    return FALSE;
  if (strcmp (unit, "ms") == 0)
    scale = 1;
  else if (strcmp (unit, "s") == 0)
    scale = 1000;
  else if (strcmp (unit, "m") == 0 || strcmp (unit, "min") == 0)
    scale = 60000;
  else
    return FALSE;
  v *= scale;
  if (v < 0 || v > HF_SCENARIO_MAX_MS)
    return FALSE;
  *ms = (gint64) llround (v);
  return TRUE;
}

static gboolean
hf_scenario_valid_name (const gchar * s)
{
  if (s == NULL || *s == '\0' || strlen (s) > 64)
    return FALSE;
  for (const gchar * p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* Expands ${NAME} and ${NAME:-default} in @line. */
static gchar *
hf_scenario_expand (HfScenarioParser * p, const gchar * line, GError ** error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const gchar *s = line;

  while (*s) {
    const gchar *close, *dflt;
    g_autofree gchar *name = NULL;
    const gchar *value = NULL;

    if (s[0] != '$' || s[1] != '{') {
      g_string_append_c (out, *s++);
      continue;
    }
    close = strchr (s + 2, '}');
    if (close == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "line %u: \"${\" without its \"}\"", p->line);
      return NULL;
    }
    name = g_strndup (s + 2, close - (s + 2));
    dflt = strstr (name, ":-");
    if (dflt != NULL) {
      name[dflt - name] = '\0';
      dflt += 2;
    }
    if (!hf_scenario_valid_name (name)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "line %u: bad variable name \"%s\"", p->line, name);
      return NULL;
    }
    if (p->vars != NULL)
      value = g_hash_table_lookup (p->vars, name);
    if (value == NULL && p->use_env)
      value = g_getenv (name);
    if (value == NULL || *value == '\0')
      value = dflt;
    if (value == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "line %u: ${%s} is not set (give it with --set %s=VALUE or "
          "in the environment)", p->line, name, name);
      return NULL;
    }
    g_string_append (out, value);
    s = close + 1;
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
hf_scenario_fail (HfScenarioParser * p, GError ** error, const gchar * what,
    const gchar * detail)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "line %u: %s%s%s",
      p->line, what, detail ? ": " : "", detail ? detail : "");
  return FALSE;
}

static gboolean
hf_scenario_set_time (HfScenarioParser * p, const gchar * key,
    const gchar * value, gint64 * out, GError ** error)
{
  if (!hf_scenario_parse_time (value, out)) {
    g_autofree gchar *what = g_strdup_printf ("%s: \"%s\" is not a time "
        "(like 250ms, 1.5s, 2m)", key, value);
    return hf_scenario_fail (p, error, what, NULL);
  }
  return TRUE;
}

static gboolean
hf_scenario_drill_key (HfScenarioParser * p, const gchar * key,
    const gchar * value, GError ** error)
{
  HfScenario *sc = p->sc;

  if (strcmp (key, "name") == 0) {
    if (!hf_scenario_valid_name (value))
      return hf_scenario_fail (p, error, "name: letters, digits, - _ . only",
          NULL);
    sc->name = g_strdup (value);
  } else if (strcmp (key, "description") == 0) {
    sc->description = g_strdup (value);
  } else if (strcmp (key, "relay") == 0) {
    if (!g_str_has_prefix (value, "http://") || value[7] == '\0'
        || value[7] == '/')
      return hf_scenario_fail (p, error, "relay: an http://HOST:PORT API "
          "address", value);
    sc->relay = g_strdup (value);
    while (g_str_has_suffix (sc->relay, "/"))
      sc->relay[strlen (sc->relay) - 1] = '\0';
  } else if (strcmp (key, "stream") == 0) {
    if (!hf_scenario_valid_name (value))
      return hf_scenario_fail (p, error, "stream: not a stream name", value);
    sc->stream = g_strdup (value);
  } else if (strcmp (key, "duration") == 0) {
    return hf_scenario_set_time (p, key, value, &sc->duration_ms, error);
  } else if (strcmp (key, "settle") == 0) {
    return hf_scenario_set_time (p, key, value, &sc->settle_ms, error);
  } else if (strcmp (key, "linkem") == 0) {
    /* Kept as the default socket of links that name none. */
    g_hash_table_replace (p->keys, g_strdup ("linkem-socket"),
        g_strdup (value));
  } else {
    return hf_scenario_fail (p, error, "unknown key in [drill]", key);
  }
  return TRUE;
}

static gboolean
hf_scenario_link_key (HfScenarioParser * p, const gchar * key,
    const gchar * value, GError ** error)
{
  g_auto (GStrv) specs = g_strsplit_set (value, " \t", -1);
  HfScenarioLink *l;

  if (!hf_scenario_valid_name (key) || strcmp (key, "all") == 0)
    return hf_scenario_fail (p, error, "not a link name", key);
  l = g_new0 (HfScenarioLink, 1);
  l->name = g_strdup (key);
  g_ptr_array_add (p->sc->links, l);
  for (guint i = 0; specs[i] != NULL; i++) {
    const gchar *s = specs[i], *at;
    gchar **name, **where;

    if (*s == '\0')
      continue;
    if (g_str_has_prefix (s, "linkem:")) {
      name = &l->linkem_link;
      where = &l->linkem_ctl;
      s += strlen ("linkem:");
    } else if (g_str_has_prefix (s, "netdev:")) {
      name = &l->netdev;
      where = &l->netns;
      s += strlen ("netdev:");
    } else {
      return hf_scenario_fail (p, error, "a link is linkem:LINK[@SOCKET] "
          "and/or netdev:DEVICE[@NETNS]", s);
    }
    if (*name != NULL)
      return hf_scenario_fail (p, error, "link given twice", specs[i]);
    at = strchr (s, '@');
    *name = at ? g_strndup (s, at - s) : g_strdup (s);
    if (at != NULL)
      *where = g_strdup (at + 1);
    if (!hf_scenario_valid_name (*name) || (at != NULL && at[1] == '\0'))
      return hf_scenario_fail (p, error, "bad link", specs[i]);
  }
  if (l->linkem_link == NULL && l->netdev == NULL)
    return hf_scenario_fail (p, error, "empty link", key);
  return TRUE;
}

static gboolean
hf_scenario_slo_key (HfScenarioParser * p, const gchar * key,
    const gchar * value, GError ** error)
{
  HfScenarioSlo *slo = &p->sc->slo;
  static const struct
  {
    const gchar *key;
    gsize offset;
  } times[] = {
    {"max-viewer-gap", G_STRUCT_OFFSET (HfScenarioSlo, max_viewer_gap_ms)},
    {"max-detect", G_STRUCT_OFFSET (HfScenarioSlo, max_detect_ms)},
    {"max-switch", G_STRUCT_OFFSET (HfScenarioSlo, max_switch_ms)},
    {"max-slate", G_STRUCT_OFFSET (HfScenarioSlo, max_slate_ms)},
    {"revert-by", G_STRUCT_OFFSET (HfScenarioSlo, revert_by_ms)},
    {"max-recover", G_STRUCT_OFFSET (HfScenarioSlo, max_recover_ms)},
  };

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    if (strcmp (key, times[i].key) == 0)
      return hf_scenario_set_time (p, key, value,
          G_STRUCT_MEMBER_P (slo, times[i].offset), error);
  if (strcmp (key, "max-frames-lost") == 0) {
    guint64 n;

    if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT32, &n, NULL))
      return hf_scenario_fail (p, error, "max-frames-lost: a count", value);
    slo->max_frames_lost = (gint64) n;
    return TRUE;
  }
  return hf_scenario_fail (p, error, "unknown SLO (max-viewer-gap, "
      "max-detect, max-switch, max-slate, revert-by, max-recover, "
      "max-frames-lost)", key);
}

static gboolean
hf_scenario_known_action (const gchar * a)
{
  return g_strv_contains (hf_scenario_actions, a);
}

/* "at 5s: sever primary [expect lost|degraded|nothing]" */
static gboolean
hf_scenario_step (HfScenarioParser * p, const gchar * line, GError ** error)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) tokens = NULL;
  const gchar *colon;
  g_autofree gchar *when = NULL;
  HfScenarioStep *step;
  guint n = 0, i;
  gboolean is_reset;

  if (!g_str_has_prefix (line, "at ") || (colon = strchr (line, ':')) == NULL)
    return hf_scenario_fail (p, error, "a step is \"at TIME: ACTION LINK "
        "[ARGS] [expect lost|degraded|nothing]\"", line);
  when = g_strstrip (g_strndup (line + 3, colon - (line + 3)));
  tokens = g_strsplit_set (colon + 1, " \t", -1);
  step = g_new0 (HfScenarioStep, 1);
  step->line = p->line;
  step->text = g_strstrip (g_strdup (colon + 1));
  g_ptr_array_add (p->sc->steps, step);
  if (!hf_scenario_parse_time (when, &step->at_ms))
    return hf_scenario_fail (p, error, "not a time (like 5s, 1500ms)", when);
  for (i = 0; tokens[i] != NULL; i++) {
    if (*tokens[i] == '\0')
      continue;
    if (n == 0)
      step->action = g_strdup (tokens[i]);
    else if (n == 1)
      step->link = g_strdup (tokens[i]);
    else
      g_ptr_array_add (args, g_strdup (tokens[i]));
    n++;
  }
  if (step->action == NULL || step->link == NULL)
    return hf_scenario_fail (p, error, "a step needs an action and a link",
        step->text);
  if (!hf_scenario_known_action (step->action))
    return hf_scenario_fail (p, error, "unknown action (sever, restore, "
        "clear, loss, delay, jitter, reorder, dup, rate)", step->action);
  if (strcmp (step->link, "all") != 0 && !hf_scenario_valid_name (step->link))
    return hf_scenario_fail (p, error, "not a link name", step->link);
  is_reset = strcmp (step->action, "restore") == 0
      || strcmp (step->action, "clear") == 0;
  step->expect = strcmp (step->action, "sever") == 0 ? HF_EXPECT_LOST :
      HF_EXPECT_NOTHING;
  if (args->len >= 2
      && strcmp (g_ptr_array_index (args, args->len - 2), "expect") == 0) {
    const gchar *e = g_ptr_array_index (args, args->len - 1);

    if (is_reset)
      return hf_scenario_fail (p, error, "a restore expects nothing", e);
    if (strcmp (e, "lost") == 0)
      step->expect = HF_EXPECT_LOST;
    else if (strcmp (e, "degraded") == 0)
      step->expect = HF_EXPECT_DEGRADED;
    else if (strcmp (e, "nothing") == 0)
      step->expect = HF_EXPECT_NOTHING;
    else
      return hf_scenario_fail (p, error, "expect lost, degraded or nothing",
          e);
    g_ptr_array_set_size (args, args->len - 2);
  }
  for (i = 0; i < args->len; i++)
    if (strcmp (g_ptr_array_index (args, i), "expect") == 0)
      return hf_scenario_fail (p, error, "\"expect STATE\" ends a step",
          step->text);
  if ((is_reset || strcmp (step->action, "sever") == 0) && args->len > 0)
    return hf_scenario_fail (p, error, "sever and restore take no arguments",
        step->text);
  if (!is_reset && strcmp (step->action, "sever") != 0 && args->len == 0)
    return hf_scenario_fail (p, error, "this action needs a value",
        step->text);
  g_ptr_array_add (args, NULL);
  step->args = (gchar **) g_ptr_array_free (g_steal_pointer (&args), FALSE);
  return TRUE;
}

static gboolean
hf_scenario_section (HfScenarioParser * p, const gchar * line, GError ** error)
{
  g_autofree gchar *name = NULL;
  gsize len = strlen (line);

  if (line[len - 1] != ']')
    return hf_scenario_fail (p, error, "a section is [name]", line);
  name = g_strstrip (g_strndup (line + 1, len - 2));
  for (guint i = 1; i < G_N_ELEMENTS (hf_scenario_sections); i++) {
    if (strcmp (name, hf_scenario_sections[i]) == 0) {
      if (p->seen[i])
        return hf_scenario_fail (p, error, "section given twice", name);
      p->seen[i] = TRUE;
      p->section = i;
      return TRUE;
    }
  }
  return hf_scenario_fail (p, error, "unknown section (drill, links, "
      "observers, timeline, slo)", name);
}

static gboolean
hf_scenario_key_value (HfScenarioParser * p, const gchar * line,
    GError ** error)
{
  const gchar *eq = strchr (line, '=');
  g_autofree gchar *key = NULL;
  g_autofree gchar *value = NULL;
  g_autofree gchar *seen = NULL;

  if (eq == NULL)
    return hf_scenario_fail (p, error, "expected KEY = VALUE", line);
  key = g_strstrip (g_strndup (line, eq - line));
  value = g_strstrip (g_strdup (eq + 1));
  if (*key == '\0' || *value == '\0')
    return hf_scenario_fail (p, error, "empty key or value", line);
  seen = g_strdup_printf ("%s/%s", hf_scenario_sections[p->section], key);
  if (g_hash_table_contains (p->keys, seen))
    return hf_scenario_fail (p, error, "key given twice", key);
  g_hash_table_insert (p->keys, g_steal_pointer (&seen), g_strdup (""));

  switch (p->section) {
    case HF_SECTION_DRILL:
      return hf_scenario_drill_key (p, key, value, error);
    case HF_SECTION_LINKS:
      return hf_scenario_link_key (p, key, value, error);
    case HF_SECTION_OBSERVERS:{
      HfScenarioObserver *o;

      if (!hf_scenario_valid_name (key))
        return hf_scenario_fail (p, error, "not an observer name", key);
      if (strstr (value, "://") == NULL)
        return hf_scenario_fail (p, error, "an observer is a stream URL",
            value);
      o = g_new0 (HfScenarioObserver, 1);
      o->name = g_strdup (key);
      o->url = g_strdup (value);
      g_ptr_array_add (p->sc->observers, o);
      return TRUE;
    }
    case HF_SECTION_SLO:
      return hf_scenario_slo_key (p, key, value, error);
    default:
      return hf_scenario_fail (p, error, "a key outside any section", key);
  }
}

/* Drops a comment: a line starting with # or ;, or " #..." at its end. */
static void
hf_scenario_strip_comment (gchar * line)
{
  gchar *hash;

  if (line[0] == '#' || line[0] == ';') {
    line[0] = '\0';
    return;
  }
  for (hash = strchr (line, '#'); hash != NULL; hash = strchr (hash + 1, '#'))
    if (hash > line && (hash[-1] == ' ' || hash[-1] == '\t')) {
      *hash = '\0';
      return;
    }
}

static gboolean
hf_scenario_line (HfScenarioParser * p, gchar * raw, GError ** error)
{
  g_autofree gchar *line = NULL;

  g_strstrip (raw);
  hf_scenario_strip_comment (raw);
  g_strstrip (raw);
  if (*raw == '\0')
    return TRUE;
  if (raw[0] == '[')
    return hf_scenario_section (p, raw, error);
  line = hf_scenario_expand (p, raw, error);
  if (line == NULL)
    return FALSE;
  g_strstrip (line);
  if (p->section == HF_SECTION_TIMELINE)
    return hf_scenario_step (p, line, error);
  return hf_scenario_key_value (p, line, error);
}

/* Links the timeline names but [links] does not list are hf-linkem links
 * of the same name; every link without a socket gets the default one. */
static gboolean
hf_scenario_resolve_links (HfScenarioParser * p, GError ** error)
{
  HfScenario *sc = p->sc;
  const gchar *socket = g_hash_table_lookup (p->keys, "linkem-socket");

  for (guint i = 0; i < sc->steps->len; i++) {
    HfScenarioStep *s = g_ptr_array_index (sc->steps, i);
    const HfScenarioLink *l;

    if (strcmp (s->link, "all") == 0)
      continue;
    l = hf_scenario_find_link (sc, s->link);
    if (l == NULL && p->seen[HF_SECTION_LINKS]) {
      p->line = s->line;
      return hf_scenario_fail (p, error, "this link is not in [links]",
          s->link);
    }
    if (l == NULL) {
      HfScenarioLink *n = g_new0 (HfScenarioLink, 1);

      n->name = g_strdup (s->link);
      n->linkem_link = g_strdup (s->link);
      g_ptr_array_add (sc->links, n);
      l = n;
    }
    if (l->linkem_link == NULL && strcmp (s->action, "sever") != 0
        && strcmp (s->action, "restore") != 0
        && strcmp (s->action, "clear") != 0) {
      p->line = s->line;
      return hf_scenario_fail (p, error, "a netdev-only link can only be "
          "severed and restored", s->text);
    }
  }
  for (guint i = 0; i < sc->steps->len; i++) {
    HfScenarioStep *s = g_ptr_array_index (sc->steps, i);
    gboolean any = FALSE;

    if (strcmp (s->link, "all") != 0)
      continue;
    for (guint k = 0; k < sc->links->len; k++) {
      const HfScenarioLink *l = g_ptr_array_index (sc->links, k);

      any |= l->linkem_link != NULL || strcmp (s->action, "sever") == 0
          || strcmp (s->action, "restore") == 0
          || strcmp (s->action, "clear") == 0;
    }
    if (!any) {
      p->line = s->line;
      return hf_scenario_fail (p, error, "\"all\" names no link this step "
          "can change (list them in [links])", s->text);
    }
  }
  for (guint i = 0; i < sc->links->len; i++) {
    HfScenarioLink *l = g_ptr_array_index (sc->links, i);

    if (l->linkem_link != NULL && l->linkem_ctl == NULL && socket != NULL)
      l->linkem_ctl = g_strdup (socket);
  }
  return TRUE;
}

static gboolean
hf_scenario_validate (HfScenarioParser * p, GError ** error)
{
  HfScenario *sc = p->sc;
  gint64 last = 0;

  p->line = 0;
  if (sc->name == NULL || sc->relay == NULL || sc->stream == NULL
      || sc->duration_ms <= 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "[drill] needs name, relay, stream and a duration above 0");
    return FALSE;
  }
  if (sc->observers->len == 0 && (sc->slo.max_viewer_gap_ms >= 0
          || sc->slo.max_slate_ms >= 0 || sc->slo.max_recover_ms >= 0
          || sc->slo.max_frames_lost >= 0)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the viewers' SLOs (max-viewer-gap, max-slate, max-recover, "
        "max-frames-lost) need an [observers] entry");
    return FALSE;
  }
  for (guint i = 0; i < sc->steps->len; i++) {
    HfScenarioStep *s = g_ptr_array_index (sc->steps, i);

    p->line = s->line;
    if (s->at_ms < last)
      return hf_scenario_fail (p, error, "steps must be in time order",
          s->text);
    if (s->at_ms >= sc->duration_ms)
      return hf_scenario_fail (p, error, "step at or after the drill's "
          "duration (nothing could be seen of it)", s->text);
    last = s->at_ms;
  }
  return hf_scenario_resolve_links (p, error);
}

static gboolean
hf_scenario_parse_lines (HfScenarioParser * p, gchar * text, GError ** error)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    p->line = i + 1;
    if (!hf_scenario_line (p, lines[i], error))
      return FALSE;
  }
  return hf_scenario_validate (p, error);
}

HfScenario *
hf_scenario_parse (const gchar * text, gsize len, GHashTable * vars,
    gboolean use_env, GError ** error)
{
  HfScenarioParser p = { 0, };
  g_autofree gchar *copy = NULL;
  g_autoptr (HfScenario) sc = NULL;
  g_autoptr (GHashTable) keys = NULL;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  if (len > 1024 * 1024) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "a scenario is a small text file (this one is %" G_GSIZE_FORMAT
        " bytes)", len);
    return NULL;
  }
  copy = g_strndup (text, len);
  if (strlen (copy) != len || !g_utf8_validate (copy, -1, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "a scenario is UTF-8 text without NUL bytes");
    return NULL;
  }
  sc = g_new0 (HfScenario, 1);
  sc->links = g_ptr_array_new_with_free_func (hf_scenario_link_free);
  sc->observers = g_ptr_array_new_with_free_func (hf_scenario_observer_free);
  sc->steps = g_ptr_array_new_with_free_func (hf_scenario_step_free);
  sc->settle_ms = HF_SCENARIO_DEFAULT_SETTLE_MS;
  sc->slo = (HfScenarioSlo) {
  -1, -1, -1, -1, -1, -1, -1};
  keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  p.sc = sc;
  p.vars = vars;
  p.use_env = use_env;
  p.keys = keys;
  if (!hf_scenario_parse_lines (&p, copy, error))
    return NULL;
  return g_steal_pointer (&sc);
}

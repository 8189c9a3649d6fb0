/* Holdfast drill scenarios: the file format hf-drill runs.
 *
 * A scenario is a small INI-like text (GKeyFile cannot hold a timeline:
 * its lines have no '=' and two steps may share a time):
 *
 *   # comment
 *   [drill]
 *   name = kill-primary
 *   description = The primary's link is cut; the backup must take over.
 *   relay = ${HF_DRILL_ORIGIN_API}      # the relay's HTTP API
 *   stream = demo
 *   duration = 25s                      # from t = 0 to the end of the run
 *   settle = 10s                        # longest wait for a healthy start
 *   linkem = ${HF_LINKEM_CTL}           # default control socket of links
 *
 *   [links]                             # scenario link = relay input name
 *   primary = linkem:primary            # hf-linkem link (@SOCKET optional)
 *   backup = linkem:backup netdev:veth-b@ns-push   # sever = ip link down
 *
 *   [observers]                         # one hf-probe per observer
 *   viewer = srt://127.0.0.1:9000
 *
 *   [timeline]
 *   at 5s: sever primary
 *   at 15s: loss primary 15% burst 5 jitter 80ms expect degraded
 *   at 20s: restore all
 *
 *   [slo]
 *   max-viewer-gap = 600ms
 *   max-detect = 400ms
 *   max-switch = 500ms
 *   max-slate = 0ms
 *   revert-by = 20s
 *
 * `${NAME}` and `${NAME:-default}` expand from the variables given to the
 * parser (hf-drill: --set NAME=VALUE, then the environment).  Times take a
 * unit: ms, s or m ("1.5s").  Every error names its line.
 *
 * Parsing is plain C + GLib: no I/O, no clocks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the relay should report for a step's input. */
typedef enum
{
  HF_EXPECT_NOTHING = 0,        /* measured, not judged */
  HF_EXPECT_LOST,
  HF_EXPECT_DEGRADED,           /* DEGRADED or worse (LOST) */
} HfExpect;

typedef struct
{
  gchar *name;                  /* scenario's name: the relay's input */
  gchar *linkem_link;           /* (nullable) hf-linkem link name */
  gchar *linkem_ctl;            /* (nullable) its control socket */
  gchar *netdev;                /* (nullable) device severed by ip link */
  gchar *netns;                 /* (nullable) the device's namespace */
} HfScenarioLink;

typedef struct
{
  gchar *name;
  gchar *url;
} HfScenarioObserver;

typedef struct
{
  gint64 at_ms;
  gchar *text;                  /* the step as written, for the report */
  gchar *action;                /* sever, restore, loss, delay, ... */
  gchar *link;                  /* a link's name or "all" */
  gchar **args;                 /* (array zero-terminated=1) for hf-linkem */
  HfExpect expect;
  guint line;
} HfScenarioStep;

/* Unset limits are -1. */
typedef struct
{
  gint64 max_viewer_gap_ms;
  gint64 max_detect_ms;
  gint64 max_switch_ms;
  gint64 max_slate_ms;
  gint64 revert_by_ms;
  gint64 max_recover_ms;
  gint64 max_frames_lost;
} HfScenarioSlo;

typedef struct
{
  gchar *name;
  gchar *description;           /* (nullable) */
  gchar *relay;                 /* API base URL, no trailing slash */
  gchar *stream;
  gint64 duration_ms;
  gint64 settle_ms;
  GPtrArray *links;             /* of HfScenarioLink */
  GPtrArray *observers;         /* of HfScenarioObserver */
  GPtrArray *steps;             /* of HfScenarioStep, by time */
  HfScenarioSlo slo;
} HfScenario;

/**
 * hf_scenario_parse:
 * @text: (transfer none) the file's contents, @len bytes (need not end in 0)
 * @vars: (transfer none) (nullable) NAME -> value, looked up before
 *   the environment when @use_env
 *
 * Returns: (transfer full) (nullable) the scenario, or NULL with @error
 * ("line N: ...") for anything malformed or inconsistent.
 */
HfScenario *hf_scenario_parse (const gchar * text, gsize len,
    GHashTable * vars, gboolean use_env, GError ** error);

void hf_scenario_free (HfScenario * sc);

/* Frees one HfScenarioLink (a GDestroyNotify). */
void hf_scenario_link_free (gpointer link);

/* (transfer none) (nullable) the link named @name. */
const HfScenarioLink *hf_scenario_find_link (const HfScenario * sc,
    const gchar * name);

/* Parses "250ms", "1.5s", "2m"; FALSE if malformed or out of range. */
gboolean hf_scenario_parse_time (const gchar * s, gint64 * ms);

const gchar *hf_expect_name (HfExpect e);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HfScenario, hf_scenario_free)

G_END_DECLS

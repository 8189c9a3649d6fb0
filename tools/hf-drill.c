/* hf-drill: runs a drill scenario against a live relay and reports what
 * the relay and its viewers went through.
 *
 *   hf-drill [run] SCENARIO [--set NAME=VALUE]... [--json FILE]
 *   hf-drill check SCENARIO [--set NAME=VALUE]...   parse, print the plan
 *   hf-drill abort                                  restore every link of
 *                                                   the running drill, stop it
 *
 * A run: every link is restored (a clean start), one hf-probe per observer
 * is started, and the drill waits (up to the scenario's `settle`) until the
 * relay has its primary on air and every observer sees live pictures.  That
 * moment is t = 0.  The timeline's steps are applied at their times through
 * hf-linkem (and `ip link set DEV down|up` for netdev links), the relay's
 * events are polled every 100 ms, the probes' JSON lines are read as they
 * come.  At the end (or on Ctrl-C, SIGTERM or `hf-drill abort`) every link
 * is restored first, then the probes are stopped and the report is printed
 * (see tools/hf-drill-report.c for what each figure means) and, with
 * --json, written as JSON.
 *
 * Exit status: 0 every SLO held, 1 an SLO failed, 2 the drill could not run
 * (bad scenario, relay or links unreachable, never settled), 3 aborted.
 *
 * While it runs, a state file ($HF_DRILL_STATE, else
 * /tmp/hf-drill-UID.state) names its pid and links, so `hf-drill abort`
 * from another shell restores the links even if this process hangs.
 *
 * Threads: one, the main loop's.  Child processes: hf-probe (kept),
 * hf-linkem ctl and ip (one per command, waited for).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tools/hf-drill-report.h"
#include "tools/hf-scenario.h"

#define HF_DRILL_EXIT_PASS 0
#define HF_DRILL_EXIT_FAIL 1
#define HF_DRILL_EXIT_ERROR 2
#define HF_DRILL_EXIT_ABORTED 3

#define HF_DRILL_POLL_MS 100
#define HF_DRILL_HTTP_TIMEOUT_S 2
#define HF_DRILL_PROBE_STOP_MS 5000
#define HF_DRILL_COMMAND_TIMEOUT_S "10"
/* A probe outlives the drill by at most this (if hf-drill is killed). */
#define HF_DRILL_PROBE_MARGIN_S 60

typedef struct _HfDrill HfDrill;

typedef struct
{
  HfDrill *drill;
  guint index;
  gchar *name;
  GSubprocess *proc;
  GDataInputStream *out;
  GCancellable *cancel;         /* stops the pending read when freed */
  gchar *screen;                /* last screen seen */
  JsonNode *summary;            /* (nullable) its last line */
  gboolean eof;
} HfDrillProbe;

struct _HfDrill
{
  HfScenario *sc;
  gchar *bindir;                /* where hf-probe and hf-linkem are */
  gchar *state_path;
  SoupSession *http;
  GMainLoop *loop;

  gchar *primary;
  gchar *on_air_at_start;
  gint64 last_event_id;
  GPtrArray *events;            /* HfDrillEvent */
  GPtrArray *probe_recs;        /* HfProbeRec */
  GPtrArray *probes;            /* HfDrillProbe */

  gint64 t0_ms;
  gint64 end_ms;
  gint64 *step_ms;
  guint next_step;
  guint timer_id;
  guint poll_id;
  gboolean aborted;
  gboolean started;             /* t = 0 reached */
  gboolean wrote_state;
  gboolean failed;              /* could not run: exit 2 */
  gchar *error;
};

static gint64
hf_drill_now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* ---- Links -------------------------------------------------------------- */

/* Runs a link command, bounded: `timeout` ends one that hangs (an
 * hf-linkem that stopped answering must not hang the drill, least of all
 * its restore on abort). */
static gboolean
hf_drill_spawn (gchar ** argv, GError ** error)
{
  g_autoptr (GPtrArray) bounded = g_ptr_array_new ();
  g_autofree gchar *out = NULL, *err = NULL;
  gint status = 0;

  g_ptr_array_add (bounded, (gchar *) "timeout");
  g_ptr_array_add (bounded, (gchar *) "-k");
  g_ptr_array_add (bounded, (gchar *) "2");
  g_ptr_array_add (bounded, (gchar *) HF_DRILL_COMMAND_TIMEOUT_S);
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (bounded, argv[i]);
  g_ptr_array_add (bounded, NULL);
  if (!g_spawn_sync (NULL, (gchar **) bounded->pdata, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL)) {
    g_strstrip (err);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", argv[0],
        *err ? err : WIFEXITED (status) && WEXITSTATUS (status) == 124 ?
        "timed out" : "failed");
    return FALSE;
  }
  return TRUE;
}

static gchar *
hf_drill_linkem_path (const gchar * bindir)
{
  gchar *p = g_build_filename (bindir, "hf-linkem", NULL);

  if (g_file_test (p, G_FILE_TEST_IS_EXECUTABLE))
    return p;
  g_free (p);
  return g_strdup ("hf-linkem");
}

/* Applies @action (@args) to one link: hf-linkem for everything, ip link
 * for sever/restore of a netdev link.  Both parts are tried even if one
 * fails (a restore must do what it can). */
static gboolean
hf_drill_apply_link (const gchar * bindir, const HfScenarioLink * l,
    const gchar * action, gchar ** args, GError ** error)
{
  gboolean reset = strcmp (action, "restore") == 0
      || strcmp (action, "clear") == 0;
  g_autoptr (GError) ip_error = NULL;
  g_autoptr (GError) linkem_error = NULL;

  if (l->netdev != NULL && (reset || strcmp (action, "sever") == 0)) {
    g_autoptr (GPtrArray) argv = g_ptr_array_new ();

    g_ptr_array_add (argv, (gchar *) "ip");
    if (l->netns) {
      g_ptr_array_add (argv, (gchar *) "-n");
      g_ptr_array_add (argv, l->netns);
    }
    g_ptr_array_add (argv, (gchar *) "link");
    g_ptr_array_add (argv, (gchar *) "set");
    g_ptr_array_add (argv, l->netdev);
    g_ptr_array_add (argv, (gchar *) (reset ? "up" : "down"));
    g_ptr_array_add (argv, NULL);
    hf_drill_spawn ((gchar **) argv->pdata, &ip_error);
  }
  if (l->linkem_link != NULL) {
    g_autoptr (GPtrArray) argv = g_ptr_array_new ();
    g_autofree gchar *linkem = hf_drill_linkem_path (bindir);

    g_ptr_array_add (argv, linkem);
    if (l->linkem_ctl) {
      g_ptr_array_add (argv, (gchar *) "--ctl");
      g_ptr_array_add (argv, l->linkem_ctl);
    }
    g_ptr_array_add (argv, (gchar *) "ctl");
    g_ptr_array_add (argv, l->linkem_link);
    g_ptr_array_add (argv, (gchar *) action);
    for (guint i = 0; args && args[i]; i++)
      g_ptr_array_add (argv, args[i]);
    g_ptr_array_add (argv, NULL);
    hf_drill_spawn ((gchar **) argv->pdata, &linkem_error);
  }
  if (ip_error == NULL && linkem_error == NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s%s%s",
      ip_error ? ip_error->message : "", ip_error && linkem_error ? "; " : "",
      linkem_error ? linkem_error->message : "");
  return FALSE;
}

/* Restores every link, going on past failures; FALSE if one failed. */
static gboolean
hf_drill_restore_links (const gchar * bindir, GPtrArray * links,
    gboolean quiet)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < links->len; i++) {
    const HfScenarioLink *l = g_ptr_array_index (links, i);
    g_autoptr (GError) error = NULL;

    if (!hf_drill_apply_link (bindir, l, "restore", NULL, &error)) {
      g_printerr ("hf-drill: could not restore link %s: %s\n", l->name,
          error->message);
      ok = FALSE;
    } else if (!quiet) {
      g_printerr ("hf-drill: link %s restored\n", l->name);
    }
  }
  return ok;
}

/* ---- State file (for hf-drill abort) -------------------------------------- */

static gchar *
hf_drill_default_state_path (void)
{
  const gchar *env = g_getenv ("HF_DRILL_STATE");

  if (env && *env)
    return g_strdup (env);
  return g_strdup_printf ("/tmp/hf-drill-%u.state", (guint) getuid ());
}

/* TRUE if @pid is a running hf-drill (not a recycled pid). */
static gboolean
hf_drill_pid_is_drill (gint64 pid)
{
  g_autofree gchar *link = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/exe",
      pid);
  g_autofree gchar *exe = pid > 1 ? g_file_read_link (link, NULL) : NULL;

  return exe != NULL && g_str_has_suffix (exe, "/hf-drill");
}

/* The pid a state file names, 0 if none. */
static gint64
hf_drill_state_pid (const gchar * path)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    return 0;
  return g_key_file_get_int64 (kf, "drill", "pid", NULL);
}

static gboolean
hf_drill_write_state (HfDrill * d, GError ** error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree gchar *data = NULL;
  gint64 other = hf_drill_state_pid (d->state_path);

  if (other != getpid () && hf_drill_pid_is_drill (other)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "drill %"
        G_GINT64_FORMAT " is running (%s); set HF_DRILL_STATE to run "
        "another at the same time", other, d->state_path);
    return FALSE;
  }

  g_key_file_set_int64 (kf, "drill", "pid", getpid ());
  g_key_file_set_string (kf, "drill", "name", d->sc->name);
  g_key_file_set_string (kf, "drill", "bindir", d->bindir);
  for (guint i = 0; i < d->sc->links->len; i++) {
    const HfScenarioLink *l = g_ptr_array_index (d->sc->links, i);
    g_autofree gchar *group = g_strdup_printf ("link %s", l->name);

    if (l->linkem_link)
      g_key_file_set_string (kf, group, "linkem", l->linkem_link);
    if (l->linkem_ctl)
      g_key_file_set_string (kf, group, "ctl", l->linkem_ctl);
    if (l->netdev)
      g_key_file_set_string (kf, group, "netdev", l->netdev);
    if (l->netns)
      g_key_file_set_string (kf, group, "netns", l->netns);
  }
  data = g_key_file_to_data (kf, NULL, NULL);
  return g_file_set_contents (d->state_path, data, -1, error);
}

static gint
hf_drill_abort_command (void)
{
  g_autofree gchar *path = hf_drill_default_state_path ();
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) links = g_ptr_array_new_with_free_func
      (hf_scenario_link_free);
  g_auto (GStrv) groups = NULL;
  g_autofree gchar *bindir = NULL;
  gint64 pid;
  gboolean ok;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error)) {
    g_printerr ("hf-drill: no drill is running (%s: %s)\n", path,
        error->message);
    return HF_DRILL_EXIT_ERROR;
  }
  pid = g_key_file_get_int64 (kf, "drill", "pid", NULL);
  bindir = g_key_file_get_string (kf, "drill", "bindir", NULL);
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i]; i++) {
    HfScenarioLink *l;

    if (!g_str_has_prefix (groups[i], "link "))
      continue;
    l = g_new0 (HfScenarioLink, 1);
    l->name = g_strdup (groups[i] + 5);
    l->linkem_link = g_key_file_get_string (kf, groups[i], "linkem", NULL);
    l->linkem_ctl = g_key_file_get_string (kf, groups[i], "ctl", NULL);
    l->netdev = g_key_file_get_string (kf, groups[i], "netdev", NULL);
    l->netns = g_key_file_get_string (kf, groups[i], "netns", NULL);
    g_ptr_array_add (links, l);
  }
  /* Links first: the drill itself may be stuck. */
  ok = hf_drill_restore_links (bindir ? bindir : ".", links, FALSE);
  if (hf_drill_pid_is_drill (pid) && kill ((pid_t) pid, SIGTERM) == 0)
    g_printerr ("hf-drill: told drill %" G_GINT64_FORMAT " to stop\n", pid);
  else
    g_printerr ("hf-drill: drill %" G_GINT64_FORMAT " is not running\n", pid);
  return ok ? HF_DRILL_EXIT_PASS : HF_DRILL_EXIT_ERROR;
}

/* ---- The relay's API ------------------------------------------------------ */

static JsonNode *
hf_drill_get_json (HfDrill * d, const gchar * path, GError ** error)
{
  g_autofree gchar *url = g_strconcat (d->sc->relay, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gconstpointer data;
  gsize len;

  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "bad URL %s", url);
    return NULL;
  }
  body = soup_session_send_and_read (d->http, msg, NULL, error);
  if (body == NULL)
    return NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "GET %s: HTTP %u",
        url, soup_message_get_status (msg));
    return NULL;
  }
  data = g_bytes_get_data (body, &len);
  if (!json_parser_load_from_data (parser, data, len, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "GET %s: not a JSON object", url);
    return NULL;
  }
  return json_node_copy (json_parser_get_root (parser));
}

/* (transfer none) (nullable) member @name if it is a string. */
static const gchar *
hf_drill_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gchar *
hf_drill_member_dup (JsonObject * o, const gchar * name)
{
  return g_strdup (hf_drill_member (o, name));
}

/* (transfer none) (nullable) member @name if it is an array. */
static JsonArray *
hf_drill_array_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

/* Reads the stream's primary and on-air input. */
static gboolean
hf_drill_read_stream (HfDrill * d, gchar ** on_air, GError ** error)
{
  g_autofree gchar *path = g_strdup_printf ("/api/v1/streams/%s",
      d->sc->stream);
  g_autoptr (JsonNode) root = hf_drill_get_json (d, path, error);
  JsonObject *o;
  JsonArray *inputs;

  if (root == NULL)
    return FALSE;
  o = json_node_get_object (root);
  inputs = hf_drill_array_member (o, "inputs");
  if (inputs == NULL || json_array_get_length (inputs) == 0
      || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (inputs, 0))) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "stream %s has no inputs", d->sc->stream);
    return FALSE;
  }
  g_free (d->primary);
  d->primary = g_strdup (hf_drill_member (json_array_get_object_element
          (inputs, 0), "name"));
  *on_air = g_strdup (hf_drill_member (o, "on_air"));
  if (d->primary == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "stream %s: its first input has no name", d->sc->stream);
    return FALSE;
  }
  return TRUE;
}


/* Fetches the relay's events since the last one seen; @keep: record them
 * (FALSE before t = 0: only the last id matters). */
static void
hf_drill_poll_events (HfDrill * d, gboolean keep)
{
  g_autofree gchar *path = g_strdup_printf ("/api/v1/events?since=%"
      G_GINT64_FORMAT "&stream=%s", d->last_event_id, d->sc->stream);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = hf_drill_get_json (d, path, &error);
  JsonArray *events;

  if (root == NULL) {
    g_printerr ("hf-drill: relay events: %s\n", error->message);
    return;
  }
  events = hf_drill_array_member (json_node_get_object (root), "events");
  for (guint i = 0; events && i < json_array_get_length (events); i++) {
    JsonNode *node = json_array_get_element (events, i);
    JsonObject *e = JSON_NODE_HOLDS_OBJECT (node) ?
        json_node_get_object (node) : NULL;
    HfDrillEvent *ev;

    if (e == NULL)
      continue;
    d->last_event_id = MAX (d->last_event_id,
        json_object_get_int_member_with_default (e, "id", 0));
    if (!keep)
      continue;
    ev = g_new0 (HfDrillEvent, 1);
    ev->mono_ms = json_object_get_int_member_with_default (e, "mono_ms", 0);
    ev->type = g_strdup (hf_drill_member (e, "type") ?
        hf_drill_member (e, "type") : "unknown");
    ev->input = hf_drill_member_dup (e, "input");
    ev->from = hf_drill_member_dup (e, "from");
    ev->to = hf_drill_member_dup (e, "to");
    ev->reason = hf_drill_member_dup (e, "reason");
    g_print ("  %+8.3fs relay: %s%s%s %s -> %s (%s)\n",
        (ev->mono_ms - d->t0_ms) / 1000.0, ev->type, ev->input ? " " : "",
        ev->input ? ev->input : "", ev->from ? ev->from : "-",
        ev->to ? ev->to : "-", ev->reason ? ev->reason : "");
    g_ptr_array_add (d->events, ev);
  }
}

static gboolean
hf_drill_on_poll (gpointer user_data)
{
  hf_drill_poll_events (user_data, TRUE);
  return G_SOURCE_CONTINUE;
}

/* ---- Probes ------------------------------------------------------------- */

static void hf_drill_read_probe (HfDrillProbe * p);

static void
hf_drill_probe_line (HfDrillProbe * p, const gchar * line)
{
  HfDrill *d = p->drill;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  const gchar *type;
  HfProbeRec *r;

  if (!json_parser_load_from_data (parser, line, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  o = json_node_get_object (json_parser_get_root (parser));
  type = hf_drill_member (o, "type");
  if (type == NULL)
    return;
  if (strcmp (type, "summary") == 0) {
    if (p->summary)
      json_node_unref (p->summary);
    p->summary = json_node_copy (json_parser_get_root (parser));
    return;
  }
  r = g_new0 (HfProbeRec, 1);
  r->observer = p->index;
  r->mono_ms = json_object_get_int_member_with_default (o, "mono_ms", 0);
  if (strcmp (type, "freeze") == 0
      && !json_object_get_boolean_member_with_default (o, "open", FALSE)) {
    /* An open freeze is one still running when the probe stopped, after
     * the drill: not the viewers' experience during it. */
    r->kind = HF_PROBE_REC_FREEZE;
    r->start_ms = json_object_get_int_member_with_default (o,
        "start_mono_ms", r->mono_ms);
    r->duration_ms = json_object_get_int_member_with_default (o,
        "duration_ms", 0);
  } else if (strcmp (type, "screen") == 0) {
    /* The change went on screen at at_mono_ms; the line comes later. */
    r->kind = HF_PROBE_REC_SCREEN;
    r->mono_ms = json_object_get_int_member_with_default (o, "at_mono_ms",
        r->mono_ms);
    r->from = hf_drill_member_dup (o, "from");
    r->to = hf_drill_member_dup (o, "to");
    g_free (p->screen);
    p->screen = g_strdup (r->to);
  } else if (strcmp (type, "frames_lost") == 0) {
    r->kind = HF_PROBE_REC_FRAMES_LOST;
    r->count = json_object_get_int_member_with_default (o, "count", 0);
  } else {
    g_free (r);
    return;
  }
  if (d->started && (d->end_ms == 0 || r->mono_ms <= d->end_ms)) {
    g_print ("  %+8.3fs %s: %s\n", (r->mono_ms - d->t0_ms) / 1000.0, p->name,
        line);
    g_ptr_array_add (d->probe_recs, r);
  } else {
    hf_probe_rec_free (r);
  }
}

static void
hf_drill_on_probe_line (GObject * src, GAsyncResult * res, gpointer user_data)
{
  HfDrillProbe *p = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (src),
      res, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;                     /* @p is gone */
  if (line == NULL) {
    p->eof = TRUE;
    return;
  }
  hf_drill_probe_line (p, line);
  hf_drill_read_probe (p);
}

static void
hf_drill_read_probe (HfDrillProbe * p)
{
  g_data_input_stream_read_line_async (p->out, G_PRIORITY_DEFAULT, p->cancel,
      hf_drill_on_probe_line, p);
}

/* In the probe, before exec: it dies with hf-drill, whatever kills it. */
static void
hf_drill_probe_child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
hf_drill_start_probes (HfDrill * d, GError ** error)
{
  g_autofree gchar *probe = g_build_filename (d->bindir, "hf-probe", NULL);
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree gchar *bound = g_strdup_printf ("%" G_GINT64_FORMAT,
      (d->sc->settle_ms + d->sc->duration_ms) / 1000 + HF_DRILL_PROBE_MARGIN_S);

  if (!g_file_test (probe, G_FILE_TEST_IS_EXECUTABLE)) {
    g_free (probe);
    probe = g_strdup ("hf-probe");
  }
  g_subprocess_launcher_set_child_setup (launcher, hf_drill_probe_child_setup,
      NULL, NULL);
  for (guint i = 0; i < d->sc->observers->len; i++) {
    const HfScenarioObserver *o = g_ptr_array_index (d->sc->observers, i);
    HfDrillProbe *p = g_new0 (HfDrillProbe, 1);

    p->drill = d;
    p->index = i;
    p->name = g_strdup (o->name);
    p->cancel = g_cancellable_new ();
    g_ptr_array_add (d->probes, p);
    p->proc = g_subprocess_launcher_spawn (launcher, error, probe, "--label",
        o->name, "--duration", bound, o->url, NULL);
    if (p->proc == NULL) {
      p->eof = TRUE;
      return FALSE;
    }
    p->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p->proc));
    hf_drill_read_probe (p);
  }
  return TRUE;
}

static void
hf_drill_probe_free (gpointer ptr)
{
  HfDrillProbe *p = ptr;

  g_cancellable_cancel (p->cancel);
  if (p->proc) {
    g_subprocess_force_exit (p->proc);
    g_object_unref (p->proc);
  }
  g_clear_object (&p->out);
  g_clear_object (&p->cancel);
  if (p->summary)
    json_node_unref (p->summary);
  g_free (p->screen);
  g_free (p->name);
  g_free (p);
}

/* Stops the probes with SIGINT and waits (bounded) for their summaries. */
static void
hf_drill_stop_probes (HfDrill * d)
{
  GMainContext *ctx = g_main_context_default ();
  gint64 deadline = hf_drill_now_ms () + HF_DRILL_PROBE_STOP_MS;
  gboolean all_done;

  for (guint i = 0; i < d->probes->len; i++) {
    HfDrillProbe *p = g_ptr_array_index (d->probes, i);

    if (p->proc)
      g_subprocess_send_signal (p->proc, SIGINT);
  }
  do {
    all_done = TRUE;
    for (guint i = 0; i < d->probes->len; i++)
      all_done &= ((HfDrillProbe *) g_ptr_array_index (d->probes, i))->eof;
    /* Not a blocking iteration: nothing else may be due to wake it. */
    if (!all_done && !g_main_context_iteration (ctx, FALSE))
      g_usleep (5000);
  } while (!all_done && hf_drill_now_ms () < deadline);
}

/* ---- The timeline --------------------------------------------------------- */

static void hf_drill_finish (HfDrill * d);
static void hf_drill_schedule (HfDrill * d);

static gboolean
hf_drill_apply_step (HfDrill * d, const HfScenarioStep * s, GError ** error)
{
  for (guint i = 0; i < d->sc->links->len; i++) {
    const HfScenarioLink *l = g_ptr_array_index (d->sc->links, i);

    if (strcmp (s->link, "all") != 0 && strcmp (s->link, l->name) != 0)
      continue;
    if (l->linkem_link == NULL && strcmp (s->action, "sever") != 0
        && strcmp (s->action, "restore") != 0 && strcmp (s->action,
            "clear") != 0)
      continue;                 /* "all" over a netdev-only link */
    if (!hf_drill_apply_link (d->bindir, l, s->action, s->args, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
hf_drill_on_timer (gpointer user_data)
{
  HfDrill *d = user_data;
  gint64 now = hf_drill_now_ms ();

  d->timer_id = 0;
  while (d->next_step < d->sc->steps->len) {
    const HfScenarioStep *s = g_ptr_array_index (d->sc->steps, d->next_step);
    g_autoptr (GError) error = NULL;

    if (d->t0_ms + s->at_ms > now)
      break;
    if (!hf_drill_apply_step (d, s, &error)) {
      d->error = g_strdup_printf ("step %u (%s): %s", d->next_step + 1,
          s->text, error->message);
      d->failed = TRUE;
      hf_drill_finish (d);
      return G_SOURCE_REMOVE;
    }
    /* The step counts from when the command returned: the link is as the
     * step says from then on. */
    now = hf_drill_now_ms ();
    d->step_ms[d->next_step] = now;
    g_print ("  %+8.3fs step %u: %s\n", (now - d->t0_ms) / 1000.0,
        d->next_step + 1, s->text);
    d->next_step++;
  }
  if (now >= d->t0_ms + d->sc->duration_ms
      && d->next_step >= d->sc->steps->len) {
    hf_drill_finish (d);
    return G_SOURCE_REMOVE;
  }
  hf_drill_schedule (d);
  return G_SOURCE_REMOVE;
}

static void
hf_drill_schedule (HfDrill * d)
{
  gint64 at = d->t0_ms + d->sc->duration_ms, now = hf_drill_now_ms ();

  if (d->next_step < d->sc->steps->len)
    at = d->t0_ms + ((HfScenarioStep *) g_ptr_array_index (d->sc->steps,
            d->next_step))->at_ms;
  d->timer_id = g_timeout_add_full (G_PRIORITY_HIGH, at > now ? at - now : 0,
      hf_drill_on_timer, d, NULL);
}

static void
hf_drill_finish (HfDrill * d)
{
  if (d->timer_id)
    g_source_remove (d->timer_id);
  d->timer_id = 0;
  if (d->end_ms == 0)
    d->end_ms = hf_drill_now_ms ();
  g_main_loop_quit (d->loop);
}

static gboolean
hf_drill_on_signal (gpointer user_data)
{
  HfDrill *d = user_data;

  if (d->aborted) {
    /* Asked twice: the drill is stuck somewhere; restore and leave. */
    g_printerr ("hf-drill: aborted again: restoring every link and exiting\n");
    hf_drill_restore_links (d->bindir, d->sc->links, TRUE);
    if (hf_drill_state_pid (d->state_path) == getpid ())
      g_unlink (d->state_path);
    _exit (HF_DRILL_EXIT_ABORTED);
  }
  if (d->end_ms != 0)
    return G_SOURCE_CONTINUE;   /* already ending: links are restored */
  g_printerr ("hf-drill: aborted: restoring every link\n");
  d->aborted = TRUE;
  d->end_ms = hf_drill_now_ms ();
  hf_drill_restore_links (d->bindir, d->sc->links, TRUE);
  hf_drill_finish (d);
  return G_SOURCE_CONTINUE;
}

/* ---- Settling ----------------------------------------------------------- */

/* Waits until the relay has its primary on air and every observer shows
 * live pictures, iterating the main loop so probe lines are read. */
static gboolean
hf_drill_settle (HfDrill * d, GError ** error)
{
  gint64 deadline = hf_drill_now_ms () + d->sc->settle_ms;
  g_autofree gchar *why = NULL;

  while (!d->aborted) {
    g_autofree gchar *on_air = NULL;
    g_autoptr (GError) local = NULL;
    const gchar *not_live = NULL;
    gint64 until = hf_drill_now_ms () + 200;

    if (hf_drill_read_stream (d, &on_air, &local)) {
      for (guint i = 0; i < d->probes->len && !not_live; i++) {
        HfDrillProbe *p = g_ptr_array_index (d->probes, i);

        if (g_strcmp0 (p->screen, "live") != 0)
          not_live = p->name;
      }
      if (g_strcmp0 (on_air, d->primary) == 0 && not_live == NULL) {
        d->on_air_at_start = g_steal_pointer (&on_air);
        return TRUE;
      }
      g_free (why);
      why = not_live ? g_strdup_printf ("observer %s does not see live "
          "pictures", not_live) : g_strdup_printf ("on air is %s, not the "
          "primary %s", on_air, d->primary);
    } else {
      g_free (why);
      why = g_strdup (local->message);
    }
    if (hf_drill_now_ms () > deadline)
      break;
    while (hf_drill_now_ms () < until && !d->aborted)
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10000);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "not ready after %.1f s: %s", d->sc->settle_ms / 1000.0,
      d->aborted ? "aborted" : why);
  return FALSE;
}

/* ---- Report ------------------------------------------------------------- */

/* Adds what each observer's probe said at the end, and the relay's events,
 * to the report. */
static void
hf_drill_add_details (HfDrill * d, JsonNode * report)
{
  JsonObject *r = json_node_get_object (report);
  JsonObject *obs = json_object_new ();
  JsonArray *events = json_array_new ();

  for (guint i = 0; i < d->probes->len; i++) {
    HfDrillProbe *p = g_ptr_array_index (d->probes, i);

    json_object_set_member (obs, p->name, p->summary ?
        json_node_copy (p->summary) : json_node_new (JSON_NODE_NULL));
  }
  json_object_set_object_member (r, "observers", obs);
  for (guint i = 0; i < d->events->len; i++) {
    const HfDrillEvent *ev = g_ptr_array_index (d->events, i);
    JsonObject *e = json_object_new ();

    json_object_set_int_member (e, "t_ms", ev->mono_ms - d->t0_ms);
    json_object_set_string_member (e, "type", ev->type);
    json_object_set_string_member (e, "input", ev->input);
    json_object_set_string_member (e, "from", ev->from);
    json_object_set_string_member (e, "to", ev->to);
    json_object_set_string_member (e, "reason", ev->reason);
    json_array_add_object_element (events, e);
  }
  json_object_set_array_member (r, "events", events);
  if (d->error)
    json_object_set_string_member (r, "error", d->error);
}

static gint
hf_drill_event_by_time (gconstpointer a, gconstpointer b)
{
  const HfDrillEvent *x = *(HfDrillEvent * const *) a;
  const HfDrillEvent *y = *(HfDrillEvent * const *) b;

  return (x->mono_ms > y->mono_ms) - (x->mono_ms < y->mono_ms);
}

static gint
hf_drill_rec_by_time (gconstpointer a, gconstpointer b)
{
  const HfProbeRec *x = *(HfProbeRec * const *) a;
  const HfProbeRec *y = *(HfProbeRec * const *) b;

  return (x->mono_ms > y->mono_ms) - (x->mono_ms < y->mono_ms);
}

static gint
hf_drill_report (HfDrill * d, const gchar * json_path)
{
  HfDrillRun run = { 0, };
  g_autoptr (JsonNode) report = NULL;
  g_autofree gchar *text = NULL;
  JsonObject *r;
  const gchar *result;

  /* The report reads both in time order; a screen change is dated when it
   * went on screen, which can be before lines printed earlier. */
  g_ptr_array_sort (d->events, hf_drill_event_by_time);
  g_ptr_array_sort (d->probe_recs, hf_drill_rec_by_time);
  run.sc = d->sc;
  run.primary = d->primary;
  run.on_air_at_start = d->on_air_at_start;
  run.t0_ms = d->t0_ms;
  run.end_ms = d->end_ms;
  run.step_ms = d->step_ms;
  run.events = d->events;
  run.probe = d->probe_recs;
  run.screen_at_start = "live";
  run.aborted = d->aborted;
  run.started = d->started;
  report = hf_drill_report_build (&run);
  r = json_node_get_object (report);
  if (d->failed && !d->aborted)
    json_object_set_string_member (r, "result", "error");
  hf_drill_add_details (d, report);
  text = hf_drill_report_format (report);
  g_print ("\n%s", text);
  if (d->error)
    g_print ("  error: %s\n", d->error);
  if (json_path) {
    g_autofree gchar *json = json_to_string (report, TRUE);
    g_autoptr (GError) error = NULL;

    if (!g_file_set_contents (json_path, json, -1, &error))
      g_printerr ("hf-drill: %s\n", error->message);
  }
  result = json_object_get_string_member (r, "result");
  if (strcmp (result, "pass") == 0)
    return HF_DRILL_EXIT_PASS;
  if (strcmp (result, "fail") == 0)
    return HF_DRILL_EXIT_FAIL;
  if (strcmp (result, "aborted") == 0)
    return HF_DRILL_EXIT_ABORTED;
  return HF_DRILL_EXIT_ERROR;
}

/* ---- Main ----------------------------------------------------------------- */

static HfScenario *
hf_drill_load (const gchar * path, gchar ** sets, GError ** error)
{
  g_autoptr (GHashTable) vars = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, g_free);
  g_autofree gchar *text = NULL;
  gsize len;
  HfScenario *sc;

  for (guint i = 0; sets && sets[i]; i++) {
    const gchar *eq = strchr (sets[i], '=');

    if (eq == NULL || eq == sets[i]) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "--set %s: expected NAME=VALUE", sets[i]);
      return NULL;
    }
    g_hash_table_replace (vars, g_strndup (sets[i], eq - sets[i]),
        g_strdup (eq + 1));
  }
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  sc = hf_scenario_parse (text, len, vars, TRUE, error);
  if (sc == NULL)
    g_prefix_error (error, "%s: ", path);
  return sc;
}

static void
hf_drill_print_plan (const HfScenario * sc)
{
  g_print ("drill %s: stream %s on %s, %.1f s\n", sc->name, sc->stream,
      sc->relay, sc->duration_ms / 1000.0);
  if (sc->description)
    g_print ("  %s\n", sc->description);
  for (guint i = 0; i < sc->links->len; i++) {
    const HfScenarioLink *l = g_ptr_array_index (sc->links, i);

    g_print ("  link %s:%s%s%s%s%s%s%s%s\n", l->name,
        l->linkem_link ? " hf-linkem " : "", l->linkem_link ? l->linkem_link :
        "", l->linkem_ctl ? "@" : "", l->linkem_ctl ? l->linkem_ctl : "",
        l->netdev ? " netdev " : "", l->netdev ? l->netdev : "",
        l->netns ? " in namespace " : "", l->netns ? l->netns : "");
  }
  for (guint i = 0; i < sc->observers->len; i++) {
    const HfScenarioObserver *o = g_ptr_array_index (sc->observers, i);

    g_print ("  observer %s: %s\n", o->name, o->url);
  }
  for (guint i = 0; i < sc->steps->len; i++) {
    const HfScenarioStep *s = g_ptr_array_index (sc->steps, i);

    g_print ("  at %6.1fs: %s (expect %s)\n", s->at_ms / 1000.0, s->text,
        hf_expect_name (s->expect));
  }
}

static void
hf_drill_clear (HfDrill * d)
{
  if (d->poll_id)
    g_source_remove (d->poll_id);
  g_clear_pointer (&d->probes, g_ptr_array_unref);
  g_clear_pointer (&d->events, g_ptr_array_unref);
  g_clear_pointer (&d->probe_recs, g_ptr_array_unref);
  g_clear_object (&d->http);
  g_clear_pointer (&d->loop, g_main_loop_unref);
  g_free (d->step_ms);
  g_free (d->primary);
  g_free (d->on_air_at_start);
  g_free (d->bindir);
  g_free (d->state_path);
  g_free (d->error);
  hf_scenario_free (d->sc);
}

/* Up to t = 0: state file, clean links, probes, settle.  FALSE with
 * @error if the drill cannot run. */
static gboolean
hf_drill_prepare (HfDrill * d, GError ** error)
{
  if (!hf_drill_write_state (d, error))
    return FALSE;
  d->wrote_state = TRUE;
  if (!hf_drill_restore_links (d->bindir, d->sc->links, TRUE)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the links cannot be controlled (is hf-linkem running?)");
    return FALSE;
  }
  return hf_drill_start_probes (d, error) && hf_drill_settle (d, error);
}

/* Runs the drill; everything that could leave a link broken goes through
 * the restore at the end. */
static gint
hf_drill_run (HfDrill * d, const gchar * json_path)
{
  GError *error = NULL;
  guint signals[3];
  gint rc;

  /* An ssh session that drops must not leave a link severed; a closed
   * pipe on stdout must not kill the drill before its restore. */
  signal (SIGPIPE, SIG_IGN);
  signals[0] = g_unix_signal_add (SIGINT, hf_drill_on_signal, d);
  signals[1] = g_unix_signal_add (SIGTERM, hf_drill_on_signal, d);
  signals[2] = g_unix_signal_add (SIGHUP, hf_drill_on_signal, d);
  hf_drill_print_plan (d->sc);
  if (hf_drill_prepare (d, &error)) {
    hf_drill_poll_events (d, FALSE);
    d->t0_ms = hf_drill_now_ms ();
    d->started = TRUE;
    g_print ("  %+8.3fs start: %s on air, every observer live\n", 0.0,
        d->on_air_at_start);
    d->poll_id = g_timeout_add (HF_DRILL_POLL_MS, hf_drill_on_poll, d);
    hf_drill_schedule (d);
    g_main_loop_run (d->loop);
  } else {
    d->failed = TRUE;
    d->error = g_strdup (error->message);
    g_error_free (error);
    d->end_ms = hf_drill_now_ms ();
    d->t0_ms = d->end_ms;
  }
  /* Whatever happened, the links are put back first. */
  hf_drill_restore_links (d->bindir, d->sc->links, FALSE);
  if (d->poll_id)
    g_source_remove (d->poll_id);
  d->poll_id = 0;
  hf_drill_poll_events (d, d->started);
  hf_drill_stop_probes (d);
  rc = hf_drill_report (d, json_path);
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    g_source_remove (signals[i]);
  /* Another drill's file is not ours to remove. */
  if (d->wrote_state && hf_drill_state_pid (d->state_path) == getpid ())
    g_unlink (d->state_path);
  return rc;
}

int
main (int argc, char **argv)
{
  g_auto (GStrv) sets = NULL;
  g_autofree gchar *json_path = NULL;
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *cmd, *path;
  HfDrill d = { 0, };
  GOptionEntry entries[] = {
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets,
        "Give a scenario variable ${NAME}", "NAME=VALUE"},
    {"json", 'j', 0, G_OPTION_ARG_FILENAME, &json_path,
        "Also write the report as JSON to FILE", "FILE"},
    {NULL}
  };
  gint rc;

  ctx = g_option_context_new ("[run|check] SCENARIO | abort");
  g_option_context_set_summary (ctx, "Runs a drill scenario against a live "
      "Holdfast relay: breaks links on a timeline (hf-linkem, ip link), "
      "watches the relay's events and what viewers see (hf-probe), and "
      "reports per step and per SLO.\n\nExit status: 0 every SLO held, "
      "1 an SLO failed, 2 the drill could not run, 3 aborted.\n"
      "`hf-drill abort` (another shell) restores every link of the running "
      "drill and stops it.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("hf-drill: %s\n", error->message);
    return HF_DRILL_EXIT_ERROR;
  }
  cmd = argc > 1 ? argv[1] : NULL;
  if (g_strcmp0 (cmd, "abort") == 0 && argc == 2)
    return hf_drill_abort_command ();
  if ((g_strcmp0 (cmd, "run") == 0 || g_strcmp0 (cmd, "check") == 0)
      && argc == 3)
    path = argv[2];
  else if (argc == 2 && g_strcmp0 (cmd, "abort") != 0)
    path = argv[1];
  else {
    g_printerr ("usage: hf-drill [run|check] SCENARIO [--set NAME=VALUE] "
        "[--json FILE] | hf-drill abort\n");
    return HF_DRILL_EXIT_ERROR;
  }
  d.sc = hf_drill_load (path, sets, &error);
  if (d.sc == NULL) {
    g_printerr ("hf-drill: %s\n", error->message);
    return HF_DRILL_EXIT_ERROR;
  }
  if (g_strcmp0 (cmd, "check") == 0) {
    hf_drill_print_plan (d.sc);
    hf_scenario_free (d.sc);
    return HF_DRILL_EXIT_PASS;
  }
  {
    g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);

    d.bindir = self ? g_path_get_dirname (self) : g_strdup (".");
  }
  d.state_path = hf_drill_default_state_path ();
  d.http = soup_session_new_with_options ("timeout", HF_DRILL_HTTP_TIMEOUT_S,
      NULL);
  d.loop = g_main_loop_new (NULL, FALSE);
  d.events = g_ptr_array_new_with_free_func (hf_drill_event_free);
  d.probe_recs = g_ptr_array_new_with_free_func (hf_probe_rec_free);
  d.probes = g_ptr_array_new_with_free_func (hf_drill_probe_free);
  d.step_ms = g_new (gint64, MAX (d.sc->steps->len, 1));
  for (guint i = 0; i < d.sc->steps->len; i++)
    d.step_ms[i] = -1;
  rc = hf_drill_run (&d, json_path);
  hf_drill_clear (&d);
  return rc;
}

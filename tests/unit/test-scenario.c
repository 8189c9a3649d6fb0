/* Unit tests for the drill scenario parser (tools/hf-scenario.c). */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "tools/hf-scenario.h"

static const gchar *hf_test_header =
    "[drill]\nname = t\nrelay = http://127.0.0.1:1\nstream = s\n"
    "duration = 30s\n";

static HfScenario *
hf_test_parse (const gchar * body, GError ** error)
{
  g_autofree gchar *text = g_strconcat (hf_test_header, body, NULL);

  return hf_scenario_parse (text, strlen (text), NULL, FALSE, error);
}

/* Asserts that @body is refused with a message naming @line and
 * containing @what. */
static void
hf_test_refused (const gchar * text, guint line, const gchar * what)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *prefix = g_strdup_printf ("line %u: ", line);
  HfScenario *sc = hf_scenario_parse (text, strlen (text), NULL, FALSE,
      &error);

  fail_unless (sc == NULL, "accepted: %s", text);
  fail_unless (error != NULL);
  if (line > 0)
    fail_unless (g_str_has_prefix (error->message, prefix),
        "\"%s\" does not start with \"%s\"", error->message, prefix);
  fail_unless (strstr (error->message, what) != NULL,
      "\"%s\" does not say \"%s\"", error->message, what);
}

GST_START_TEST (test_times_take_units)
{
  gint64 ms;

  fail_unless (hf_scenario_parse_time ("250ms", &ms) && ms == 250);
  fail_unless (hf_scenario_parse_time ("1.5s", &ms) && ms == 1500);
  fail_unless (hf_scenario_parse_time ("2m", &ms) && ms == 120000);
  fail_unless (hf_scenario_parse_time ("0s", &ms) && ms == 0);
  fail_if (hf_scenario_parse_time ("5", &ms));
  fail_if (hf_scenario_parse_time ("-1s", &ms));
  fail_if (hf_scenario_parse_time ("5 s", &ms));
  fail_if (hf_scenario_parse_time ("1e9m", &ms));
  fail_if (hf_scenario_parse_time ("nan", &ms));
  fail_if (hf_scenario_parse_time ("0x1p2s", &ms));
  fail_if (hf_scenario_parse_time ("1e3ms", &ms));
  fail_if (hf_scenario_parse_time ("1..5s", &ms));
  fail_if (hf_scenario_parse_time ("", &ms));
}

GST_END_TEST;

GST_START_TEST (test_full_scenario_parses)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HfScenario) sc = hf_test_parse ("settle = 4s  # a comment\n"
      "linkem = /tmp/l.sock\n"
      "[links]\nprimary = linkem:p1 netdev:veth0@ns1\n"
      "backup = linkem:b@/tmp/other.sock\n"
      "[observers]\nviewer = srt://127.0.0.1:9000\n"
      "[timeline]\nat 5s: sever primary\n"
      "at 5s: loss backup 15% burst 5 jitter 80ms expect degraded\n"
      "at 20s: restore all\n"
      "[slo]\nmax-viewer-gap = 600ms\nrevert-by = 15s\n"
      "max-frames-lost = 3\n", &error);
  const HfScenarioStep *s;
  const HfScenarioLink *l;

  fail_unless (sc != NULL, "%s", error ? error->message : "");
  fail_unless_equals_string (sc->name, "t");
  fail_unless_equals_int64 (sc->duration_ms, 30000);
  fail_unless_equals_int64 (sc->settle_ms, 4000);
  fail_unless_equals_int (sc->steps->len, 3);
  s = g_ptr_array_index (sc->steps, 0);
  fail_unless_equals_int64 (s->at_ms, 5000);
  fail_unless_equals_string (s->action, "sever");
  fail_unless_equals_string (s->link, "primary");
  fail_unless_equals_int (s->expect, HF_EXPECT_LOST);
  fail_unless (s->args[0] == NULL);
  s = g_ptr_array_index (sc->steps, 1);
  fail_unless_equals_int (s->expect, HF_EXPECT_DEGRADED);
  fail_unless_equals_int (g_strv_length (s->args), 5);
  fail_unless_equals_string (s->args[0], "15%");
  fail_unless_equals_string (s->args[4], "80ms");
  fail_unless_equals_string (s->text,
      "loss backup 15% burst 5 jitter 80ms expect degraded");
  s = g_ptr_array_index (sc->steps, 2);
  fail_unless_equals_int (s->expect, HF_EXPECT_NOTHING);
  l = hf_scenario_find_link (sc, "primary");
  fail_unless_equals_string (l->linkem_link, "p1");
  fail_unless_equals_string (l->linkem_ctl, "/tmp/l.sock");
  fail_unless_equals_string (l->netdev, "veth0");
  fail_unless_equals_string (l->netns, "ns1");
  l = hf_scenario_find_link (sc, "backup");
  fail_unless_equals_string (l->linkem_ctl, "/tmp/other.sock");
  fail_unless_equals_int64 (sc->slo.max_viewer_gap_ms, 600);
  fail_unless_equals_int64 (sc->slo.revert_by_ms, 15000);
  fail_unless_equals_int64 (sc->slo.max_frames_lost, 3);
  fail_unless_equals_int64 (sc->slo.max_detect_ms, -1);
  fail_unless_equals_string (((HfScenarioObserver *)
          g_ptr_array_index (sc->observers, 0))->url, "srt://127.0.0.1:9000");
}

GST_END_TEST;

GST_START_TEST (test_links_named_only_in_the_timeline_are_linkem_links)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HfScenario) sc = hf_test_parse ("[timeline]\n"
      "at 1s: sever primary\nat 2s: restore primary\n", &error);
  const HfScenarioLink *l;

  fail_unless (sc != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (sc->links->len, 1);
  l = hf_scenario_find_link (sc, "primary");
  fail_unless_equals_string (l->linkem_link, "primary");
  fail_unless (l->netdev == NULL);
}

GST_END_TEST;

GST_START_TEST (test_variables_expand_from_the_table_then_defaults)
{
  const gchar *text = "[drill]\nname = ${NAME}\nrelay = ${API}\n"
      "stream = ${STREAM:-demo}\nduration = ${LEN:-10s}\n";
  g_autoptr (GHashTable) vars = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  g_autoptr (HfScenario) sc = NULL;

  g_hash_table_insert (vars, (gpointer) "NAME", (gpointer) "x");
  g_hash_table_insert (vars, (gpointer) "API", (gpointer) "http://h:1");
  g_hash_table_insert (vars, (gpointer) "LEN", (gpointer) "2s");
  sc = hf_scenario_parse (text, strlen (text), vars, FALSE, &error);
  fail_unless (sc != NULL, "%s", error ? error->message : "");
  fail_unless_equals_string (sc->name, "x");
  fail_unless_equals_string (sc->relay, "http://h:1");
  fail_unless_equals_string (sc->stream, "demo");
  fail_unless_equals_int64 (sc->duration_ms, 2000);
}

GST_END_TEST;

GST_START_TEST (test_bad_scenarios_are_refused_with_their_line)
{
  hf_test_refused ("[drill]\nname = t\nrelay = ${NOPE}\n", 3,
      "${NOPE} is not set");
  hf_test_refused ("[drill]\nname = t\nrelay = ${OPEN\n", 3, "without");
  hf_test_refused ("[drill]\nname = a b\n", 2, "name");
  hf_test_refused ("[drill]\nrelay = ftp://x\n", 2, "http://");
  hf_test_refused ("[drill]\nname = a\nname = b\n", 3, "twice");
  hf_test_refused ("[drill]\n[drill]\n", 2, "twice");
  hf_test_refused ("[nope]\n", 1, "unknown section");
  hf_test_refused ("[drill]\nwhat = 1\n", 2, "unknown key");
  hf_test_refused ("name = 1\n", 1, "outside");
  hf_test_refused ("[drill]\nduration = 5\n", 2, "not a time");
  hf_test_refused ("[drill]\nname = t\n", 0, "needs name, relay, stream");
  hf_test_refused ("[drill]\nrelay = http://\n", 2, "http://HOST:PORT");
  hf_test_refused ("[drill]\nname = t\nrelay = http://h:1\nstream = s\n"
      "duration = 5s\n[slo]\nmax-viewer-gap = 1s\n", 0, "[observers]");
}

GST_END_TEST;

GST_START_TEST (test_bad_timelines_are_refused_with_their_line)
{
  g_autofree gchar *h = g_strdup (hf_test_header);
  struct
  {
    const gchar *body;
    guint line;
    const gchar *what;
  } cases[] = {
    {"[timeline]\nsever primary at 5s\n", 7, "a step is"},
    {"[timeline]\nat 5: sever primary\n", 7, "not a time"},
    {"[timeline]\nat 5s: explode primary\n", 7, "unknown action"},
    {"[timeline]\nat 5s: sever\n", 7, "needs an action and a link"},
    {"[timeline]\nat 5s: sever primary now\n", 7, "no arguments"},
    {"[timeline]\nat 5s: loss primary\n", 7, "needs a value"},
    {"[timeline]\nat 5s: loss primary 5% expect maybe\n", 7, "expect lost"},
    {"[timeline]\nat 5s: restore primary expect lost\n", 7, "expects nothing"},
    {"[timeline]\nat 5s: loss p 5% expect lost 1\n", 7, "ends a step"},
    {"[timeline]\nat 9s: sever a\nat 5s: sever a\n", 8, "time order"},
    {"[timeline]\nat 31s: sever a\n", 7, "after the drill's duration"},
    {"[timeline]\nat 30s: sever a\n", 7, "at or after the drill's"},
    {"[timeline]\nat 1s: sever all\n", 7, "names no link"},
    {"[links]\na = netdev:eth9\n[timeline]\nat 1s: loss all 5%\n", 9,
        "names no link"},
    {"[links]\na = linkem:a\n[timeline]\nat 1s: sever b\n", 9,
        "not in [links]"},
    {"[links]\na = netdev:eth9\n[timeline]\nat 1s: loss a 5%\n", 9,
        "netdev-only"},
    {"[links]\na = tunnel:x\n", 7, "linkem:LINK"},
    {"[links]\nall = linkem:x\n", 7, "not a link name"},
    {"[slo]\nmax-fun = 1s\n", 7, "unknown SLO"},
    {"[slo]\nmax-frames-lost = -1\n", 7, "a count"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text = g_strconcat (h, cases[i].body, NULL);

    hf_test_refused (text, cases[i].line, cases[i].what);
  }
}

GST_END_TEST;

GST_START_TEST (test_nul_bytes_and_bad_utf8_are_refused)
{
  g_autoptr (GError) e1 = NULL, e2 = NULL;

  fail_unless (hf_scenario_parse ("[drill]\0x", 9, NULL, FALSE, &e1) == NULL);
  fail_unless (e1 != NULL);
  fail_unless (hf_scenario_parse ("[drill]\xff", 8, NULL, FALSE, &e2) == NULL);
  fail_unless (e2 != NULL);
}

GST_END_TEST;

GST_START_TEST (test_shipped_scenarios_parse)
{
  g_autoptr (GDir) dir = g_dir_open ("tools/drills", 0, NULL);
  const gchar *name;
  guint n = 0;

  fail_unless (dir != NULL, "run from the top of the tree");
  g_setenv ("HF_DRILL_ORIGIN_API", "http://127.0.0.1:1", TRUE);
  g_setenv ("HF_DRILL_EDGE_API", "http://127.0.0.1:2", TRUE);
  g_setenv ("HF_DRILL_ORIGIN_VIEW", "srt://127.0.0.1:3", TRUE);
  g_setenv ("HF_DRILL_EDGE_VIEW", "srt://127.0.0.1:4", TRUE);
  g_setenv ("HF_LINKEM_CTL", "/tmp/none.sock", TRUE);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename ("tools/drills", name, NULL);
    g_autofree gchar *text = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (HfScenario) sc = NULL;
    gsize len;

    if (!g_str_has_suffix (name, ".ini"))
      continue;
    fail_unless (g_file_get_contents (path, &text, &len, NULL));
    sc = hf_scenario_parse (text, len, NULL, TRUE, &error);
    fail_unless (sc != NULL, "%s: %s", name, error ? error->message : "");
    fail_unless (sc->steps->len > 0, "%s has no steps", name);
    fail_unless (sc->observers->len > 0, "%s has no observer", name);
    n++;
  }
  fail_unless (n >= 7, "only %u scenarios in tools/drills", n);
}

GST_END_TEST;

static Suite *
hf_scenario_suite (void)
{
  Suite *s = suite_create ("hf-scenario");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_times_take_units);
  tcase_add_test (tc, test_full_scenario_parses);
  tcase_add_test (tc, test_links_named_only_in_the_timeline_are_linkem_links);
  tcase_add_test (tc, test_variables_expand_from_the_table_then_defaults);
  tcase_add_test (tc, test_bad_scenarios_are_refused_with_their_line);
  tcase_add_test (tc, test_bad_timelines_are_refused_with_their_line);
  tcase_add_test (tc, test_nul_bytes_and_bad_utf8_are_refused);
  tcase_add_test (tc, test_shipped_scenarios_parse);
  return s;
}

GST_CHECK_MAIN (hf_scenario);

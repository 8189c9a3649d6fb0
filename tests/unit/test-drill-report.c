/* Unit tests for the drill report (tools/hf-drill-report.c): scenarios with
 * known timings, the relay's events and the probes' records made up here,
 * and the figures and verdicts that must come out. */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "tools/hf-drill-report.h"

#define T0 100000

typedef struct
{
  HfScenario *sc;
  GPtrArray *events;
  GPtrArray *probe;
  gint64 step_ms[8];
  HfDrillRun run;
  JsonNode *report;
} HfTestDrill;

static void
hf_test_drill_init (HfTestDrill * t, const gchar * timeline, const gchar * slo)
{
  g_autofree gchar *text = g_strdup_printf ("[drill]\nname = t\n"
      "relay = http://127.0.0.1:1\nstream = s\nduration = 40s\n"
      "[observers]\nviewer = srt://127.0.0.1:2\n"
      "[timeline]\n%s[slo]\n%s", timeline, slo);
  g_autoptr (GError) error = NULL;

  memset (t, 0, sizeof (*t));
  t->sc = hf_scenario_parse (text, strlen (text), NULL, FALSE, &error);
  fail_unless (t->sc != NULL, "%s", error ? error->message : "");
  t->events = g_ptr_array_new_with_free_func (hf_drill_event_free);
  t->probe = g_ptr_array_new_with_free_func (hf_probe_rec_free);
  /* Steps ran 3 ms after their time: the report counts from then. */
  for (guint i = 0; i < t->sc->steps->len; i++)
    t->step_ms[i] = T0 + ((HfScenarioStep *)
        g_ptr_array_index (t->sc->steps, i))->at_ms + 3;
  t->run.sc = t->sc;
  t->run.primary = "primary";
  t->run.on_air_at_start = "primary";
  t->run.t0_ms = T0;
  t->run.end_ms = T0 + 40000;
  t->run.step_ms = t->step_ms;
  t->run.events = t->events;
  t->run.probe = t->probe;
  t->run.screen_at_start = "live";
  t->run.started = TRUE;
}

static void
hf_test_drill_clear (HfTestDrill * t)
{
  if (t->report)
    json_node_unref (t->report);
  g_ptr_array_unref (t->events);
  g_ptr_array_unref (t->probe);
  hf_scenario_free (t->sc);
}

static void
hf_test_event (HfTestDrill * t, gint64 at, const gchar * type,
    const gchar * input, const gchar * from, const gchar * to)
{
  HfDrillEvent *ev = g_new0 (HfDrillEvent, 1);

  ev->mono_ms = T0 + at;
  ev->type = g_strdup (type);
  ev->input = g_strdup (input);
  ev->from = g_strdup (from);
  ev->to = g_strdup (to);
  g_ptr_array_add (t->events, ev);
}

static void
hf_test_freeze (HfTestDrill * t, gint64 start, gint64 duration)
{
  HfProbeRec *r = g_new0 (HfProbeRec, 1);

  r->kind = HF_PROBE_REC_FREEZE;
  r->start_ms = T0 + start;
  r->mono_ms = r->start_ms + duration;
  r->duration_ms = duration;
  g_ptr_array_add (t->probe, r);
}

static void
hf_test_screen (HfTestDrill * t, gint64 at, const gchar * from,
    const gchar * to)
{
  HfProbeRec *r = g_new0 (HfProbeRec, 1);

  r->kind = HF_PROBE_REC_SCREEN;
  r->mono_ms = T0 + at;
  r->from = g_strdup (from);
  r->to = g_strdup (to);
  g_ptr_array_add (t->probe, r);
}

static void
hf_test_lost (HfTestDrill * t, gint64 at, gint64 count)
{
  HfProbeRec *r = g_new0 (HfProbeRec, 1);

  r->kind = HF_PROBE_REC_FRAMES_LOST;
  r->mono_ms = T0 + at;
  r->count = count;
  g_ptr_array_add (t->probe, r);
}

static JsonObject *
hf_test_build (HfTestDrill * t)
{
  g_autofree gchar *table = NULL;

  t->report = hf_drill_report_build (&t->run);
  /* The table prints whatever the report holds. */
  table = hf_drill_report_format (t->report);
  fail_unless (table != NULL && strstr (table, "drill t:") != NULL);
  return json_node_get_object (t->report);
}

static JsonObject *
hf_test_step (JsonObject * r, guint i)
{
  return json_array_get_object_element (json_object_get_array_member (r,
          "steps"), i);
}

/* -1 for null */
static gint64
hf_test_ms (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  fail_unless (n != NULL, "no %s", name);
  return JSON_NODE_HOLDS_NULL (n) ? -1 : json_node_get_int (n);
}

static JsonObject *
hf_test_slo (JsonObject * r, const gchar * name)
{
  JsonArray *slos = json_object_get_array_member (r, "slos");

  for (guint i = 0; i < json_array_get_length (slos); i++) {
    JsonObject *o = json_array_get_object_element (slos, i);

    if (strcmp (json_object_get_string_member (o, "slo"), name) == 0)
      return o;
  }
  fail ("no SLO %s", name);
  return NULL;
}

GST_START_TEST (test_kill_primary_figures_and_a_late_revert)
{
  HfTestDrill t;
  JsonObject *r, *s;

  hf_test_drill_init (&t, "at 5s: sever primary\nat 12s: restore primary\n",
      "max-viewer-gap = 600ms\nmax-detect = 400ms\nmax-switch = 500ms\n"
      "max-slate = 0ms\nrevert-by = 10s\nmax-frames-lost = 5\n");
  hf_test_event (&t, 5265, "input_state", "primary", "healthy", "lost");
  hf_test_event (&t, 5266, "switch", NULL, "primary", "backup");
  hf_test_event (&t, 13000, "input_state", "primary", "lost", "healthy");
  hf_test_event (&t, 22503, "revert", NULL, "backup", "primary");
  hf_test_freeze (&t, 5100, 300);
  hf_test_lost (&t, 5400, 2);
  r = hf_test_build (&t);

  s = hf_test_step (r, 0);
  fail_unless_equals_int64 (hf_test_ms (s, "applied_at_ms"), 5003);
  fail_unless_equals_string (json_object_get_string_member (s,
          "on_air_before"), "primary");
  fail_unless_equals_int64 (hf_test_ms (s, "detect_ms"), 262);
  fail_unless_equals_int64 (hf_test_ms (s, "switch_ms"), 263);
  fail_unless_equals_int64 (hf_test_ms (s, "viewer_gap_ms"), 300);
  fail_unless_equals_int64 (hf_test_ms (s, "frames_lost"), 2);
  fail_unless_equals_int64 (hf_test_ms (s, "slate_ms"), 0);
  fail_unless_equals_int64 (hf_test_ms (s, "revert_ms"), -1);
  s = hf_test_step (r, 1);
  fail_unless_equals_string (json_object_get_string_member (s,
          "on_air_before"), "backup");
  fail_unless_equals_int64 (hf_test_ms (s, "revert_ms"), 10500);
  fail_unless_equals_int64 (hf_test_ms (s, "recover_ms"), -1);
  fail_unless_equals_int64 (hf_test_ms (s, "viewer_gap_ms"), 0);

  fail_unless (json_object_get_boolean_member (hf_test_slo (r,
              "max-viewer-gap"), "pass"));
  fail_unless_equals_int64 (hf_test_ms (hf_test_slo (r, "max-detect"),
          "measured"), 262);
  fail_unless (json_object_get_boolean_member (hf_test_slo (r, "max-switch"),
          "pass"));
  fail_unless (json_object_get_boolean_member (hf_test_slo (r, "max-slate"),
          "pass"));
  /* 10.5 s > 10 s: the one failure. */
  fail_unless_equals_int64 (hf_test_ms (hf_test_slo (r, "revert-by"),
          "measured"), 10500);
  fail_if (json_object_get_boolean_member (hf_test_slo (r, "revert-by"),
          "pass"));
  fail_unless_equals_string (json_object_get_string_member (r, "result"),
      "fail");
  hf_test_drill_clear (&t);
}

GST_END_TEST;

GST_START_TEST (test_both_down_slate_time_recover_and_revert)
{
  HfTestDrill t;
  JsonObject *r, *s;

  hf_test_drill_init (&t, "at 5s: sever primary\nat 8s: sever backup\n"
      "at 15s: restore all\n",
      "max-viewer-gap = 800ms\nmax-slate = 8s\nmax-recover = 1s\n"
      "revert-by = 12s\nmax-switch = 300ms\n");
  hf_test_event (&t, 5253, "input_state", "primary", "healthy", "lost");
  hf_test_event (&t, 5254, "switch", NULL, "primary", "backup");
  hf_test_event (&t, 8253, "input_state", "backup", "healthy", "lost");
  hf_test_event (&t, 8263, "slate_on", NULL, "backup", "slate");
  hf_test_event (&t, 15403, "slate_off", NULL, "slate", "backup");
  hf_test_event (&t, 15403, "switch", NULL, "none", "backup");
  hf_test_event (&t, 26003, "revert", NULL, "backup", "primary");
  hf_test_freeze (&t, 8150, 250);
  hf_test_screen (&t, 8403, "live", "slate");
  hf_test_freeze (&t, 15300, 700);
  hf_test_screen (&t, 15503, "slate", "live");
  r = hf_test_build (&t);

  s = hf_test_step (r, 1);
  fail_unless_equals_int64 (hf_test_ms (s, "detect_ms"), 250);
  fail_unless_equals_int64 (hf_test_ms (s, "switch_ms"), 260);
  fail_unless_equals_int64 (hf_test_ms (s, "viewer_gap_ms"), 250);
  /* On the slate from 8403 to the next step at 15003. */
  fail_unless_equals_int64 (hf_test_ms (s, "slate_ms"), 6600);
  s = hf_test_step (r, 2);
  fail_unless_equals_string (json_object_get_string_member (s,
          "on_air_before"), "slate");
  /* slate -> backup is the restore's switch; the revert is its own. */
  fail_unless_equals_int64 (hf_test_ms (s, "switch_ms"), 400);
  fail_unless_equals_int64 (hf_test_ms (s, "recover_ms"), 500);
  fail_unless_equals_int64 (hf_test_ms (s, "slate_ms"), 500);
  fail_unless_equals_int64 (hf_test_ms (s, "revert_ms"), 11000);
  fail_unless_equals_int64 (hf_test_ms (s, "viewer_gap_ms"), 700);
  fail_unless_equals_int64 (hf_test_ms (hf_test_slo (r, "max-slate"),
          "measured"), 7100);
  fail_unless_equals_int64 (hf_test_ms (hf_test_slo (r, "max-viewer-gap"),
          "measured"), 700);
  fail_unless_equals_int64 (hf_test_ms (hf_test_slo (r, "max-switch"),
          "measured"), 260);
  fail_unless_equals_string (json_object_get_string_member (r, "result"),
      "pass");
  hf_test_drill_clear (&t);
}

GST_END_TEST;

GST_START_TEST (test_an_undetected_sever_fails_with_its_step)
{
  HfTestDrill t;
  JsonObject *r, *slo;
  JsonArray *never;

  hf_test_drill_init (&t, "at 5s: sever primary\n",
      "max-detect = 400ms\nmax-switch = 500ms\n");
  /* Another input's trouble does not count as detection. */
  hf_test_event (&t, 5300, "input_state", "backup", "healthy", "lost");
  r = hf_test_build (&t);
  slo = hf_test_slo (r, "max-detect");
  fail_unless_equals_int64 (hf_test_ms (slo, "measured"), -1);
  fail_if (json_object_get_boolean_member (slo, "pass"));
  fail_unless (strstr (json_object_get_string_member (slo, "detail"),
          "not detected at step 1 (sever primary)") != NULL);
  fail_if (json_object_get_boolean_member (hf_test_slo (r, "max-switch"),
          "pass"));
  never = json_object_get_array_member (hf_test_step (r, 0), "never");
  fail_unless_equals_int (json_array_get_length (never), 2);
  fail_unless_equals_string (json_object_get_string_member (r, "result"),
      "fail");
  hf_test_drill_clear (&t);
}

GST_END_TEST;

GST_START_TEST (test_degraded_expectation_and_off_air_steps)
{
  HfTestDrill t;
  JsonObject *r, *s;

  hf_test_drill_init (&t, "at 2s: sever backup\n"
      "at 5s: loss primary 15% expect degraded\n"
      "at 9s: loss backup 1%\n", "max-detect = 3s\nmax-switch = 3s\n");
  hf_test_event (&t, 2260, "input_state", "backup", "healthy", "lost");
  hf_test_event (&t, 7003, "input_state", "primary", "healthy", "degraded");
  r = hf_test_build (&t);
  /* The backup was not on air: no switch expected of that step. */
  s = hf_test_step (r, 0);
  fail_unless_equals_int64 (hf_test_ms (s, "detect_ms"), 257);
  fail_unless_equals_int64 (hf_test_ms (s, "switch_ms"), -1);
  s = hf_test_step (r, 1);
  fail_unless_equals_int64 (hf_test_ms (s, "detect_ms"), 2000);
  /* On air, degraded, and the relay had nowhere to go: no switch. */
  fail_unless_equals_int64 (hf_test_ms (s, "switch_ms"), -1);
  fail_if (json_object_get_boolean_member (hf_test_slo (r, "max-switch"),
          "pass"));
  /* An impairment that expects nothing is measured, not judged. */
  s = hf_test_step (r, 2);
  fail_unless_equals_string (json_object_get_string_member (s, "expect"),
      "nothing");
  fail_unless_equals_int64 (hf_test_ms (hf_test_slo (r, "max-detect"),
          "measured"), 2000);
  hf_test_drill_clear (&t);
}

GST_END_TEST;

GST_START_TEST (test_simultaneous_steps_count_viewer_figures_once)
{
  HfTestDrill t;
  JsonObject *r;

  hf_test_drill_init (&t, "at 5s: sever primary\nat 5s: sever backup\n", "");
  /* hf-drill applies them one after the other, a few ms apart. */
  t.step_ms[1] = t.step_ms[0] + 4;
  hf_test_freeze (&t, 5400, 900);
  hf_test_lost (&t, 5500, 4);
  r = hf_test_build (&t);
  fail_unless_equals_int64 (hf_test_ms (hf_test_step (r, 0),
          "viewer_gap_ms"), 900);
  fail_unless_equals_int64 (hf_test_ms (hf_test_step (r, 0), "frames_lost"),
      4);
  fail_unless_equals_int64 (hf_test_ms (hf_test_step (r, 1),
          "viewer_gap_ms"), 0);
  fail_unless_equals_int64 (hf_test_ms (hf_test_step (r, 1), "frames_lost"),
      0);
  /* No SLO given: nothing to fail. */
  fail_unless_equals_string (json_object_get_string_member (r, "result"),
      "pass");
  hf_test_drill_clear (&t);
}

GST_END_TEST;

GST_START_TEST (test_a_never_recovered_viewer_and_abort)
{
  HfTestDrill t;
  JsonObject *r;

  hf_test_drill_init (&t, "at 5s: sever primary\nat 9s: restore all\n",
      "max-recover = 2s\n");
  hf_test_screen (&t, 5600, "live", "slate");
  t.run.aborted = TRUE;
  t.step_ms[1] = -1;            /* aborted before the restore step */
  r = hf_test_build (&t);
  fail_if (json_object_get_boolean_member (hf_test_step (r, 1), "ran"));
  fail_unless_equals_string (json_object_get_string_member (r, "result"),
      "aborted");
  hf_test_drill_clear (&t);

  /* Never settled: nothing is judged, the result is an error. */
  hf_test_drill_init (&t, "at 5s: sever primary\n", "max-recover = 2s\n");
  t.run.started = FALSE;
  t.step_ms[0] = -1;
  r = hf_test_build (&t);
  fail_unless_equals_int (json_array_get_length
      (json_object_get_array_member (r, "slos")), 0);
  fail_unless_equals_string (json_object_get_string_member (r, "result"),
      "error");
  hf_test_drill_clear (&t);

  hf_test_drill_init (&t, "at 5s: sever primary\nat 9s: restore all\n",
      "max-recover = 2s\n");
  hf_test_screen (&t, 5600, "live", "slate");
  r = hf_test_build (&t);
  fail_if (json_object_get_boolean_member (hf_test_slo (r, "max-recover"),
          "pass"));
  fail_unless_equals_string (json_array_get_string_element
      (json_object_get_array_member (hf_test_step (r, 1), "never"), 0),
      "recover");
  hf_test_drill_clear (&t);
}

GST_END_TEST;

/* Flapping: a restore followed by another sever before any revert is not
 * judged; the last restore's revert is. */
GST_START_TEST (test_flapping_judges_only_uninterrupted_reverts)
{
  HfTestDrill t;
  JsonObject *r;

  hf_test_drill_init (&t, "at 5s: sever primary\nat 8s: restore primary\n"
      "at 11s: sever primary\nat 14s: restore primary\n",
      "revert-by = 12s\n");
  hf_test_event (&t, 5300, "switch", NULL, "primary", "backup");
  hf_test_event (&t, 25003, "revert", NULL, "backup", "primary");
  r = hf_test_build (&t);
  fail_unless_equals_int64 (hf_test_ms (hf_test_step (r, 1), "revert_ms"),
      -1);
  fail_unless_equals_int (json_array_get_length
      (json_object_get_array_member (hf_test_step (r, 1), "never")), 0);
  fail_unless_equals_int64 (hf_test_ms (hf_test_step (r, 3), "revert_ms"),
      11000);
  fail_unless_equals_int64 (hf_test_ms (hf_test_slo (r, "revert-by"),
          "measured"), 11000);
  fail_unless_equals_string (json_object_get_string_member (r, "result"),
      "pass");
  hf_test_drill_clear (&t);
}

GST_END_TEST;

/* A harmless step on the primary's link does not excuse a missing revert,
 * and an SLO with no step to judge says so instead of "0 ms". */
GST_START_TEST (test_a_missing_revert_is_not_excused_by_a_harmless_step)
{
  HfTestDrill t;
  JsonObject *r, *slo;

  hf_test_drill_init (&t, "at 5s: sever primary\nat 12s: restore all\n"
      "at 14s: delay primary 5ms\nat 15s: loss backup 1%\n",
      "revert-by = 10s\nmax-recover = 1s\n");
  hf_test_event (&t, 5300, "switch", NULL, "primary", "backup");
  r = hf_test_build (&t);
  slo = hf_test_slo (r, "revert-by");
  fail_unless_equals_int64 (hf_test_ms (slo, "measured"), -1);
  fail_if (json_object_get_boolean_member (slo, "pass"));
  /* Every observer stayed live: nothing to recover from. */
  slo = hf_test_slo (r, "max-recover");
  fail_unless_equals_int64 (hf_test_ms (slo, "measured"), -1);
  fail_unless (json_object_get_boolean_member (slo, "pass"));
  fail_unless_equals_string (json_object_get_string_member (slo, "detail"),
      "no step to judge");
  hf_test_drill_clear (&t);
}

GST_END_TEST;

static Suite *
hf_drill_report_suite (void)
{
  Suite *s = suite_create ("hf-drill-report");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_kill_primary_figures_and_a_late_revert);
  tcase_add_test (tc, test_both_down_slate_time_recover_and_revert);
  tcase_add_test (tc, test_an_undetected_sever_fails_with_its_step);
  tcase_add_test (tc, test_degraded_expectation_and_off_air_steps);
  tcase_add_test (tc, test_simultaneous_steps_count_viewer_figures_once);
  tcase_add_test (tc, test_a_never_recovered_viewer_and_abort);
  tcase_add_test (tc, test_flapping_judges_only_uninterrupted_reverts);
  tcase_add_test (tc, test_a_missing_revert_is_not_excused_by_a_harmless_step);
  return s;
}

GST_CHECK_MAIN (hf_drill_report);

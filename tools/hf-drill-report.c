/* Holdfast drill report: figures per step, verdict per SLO.
 *
 * Per step (a step's time is when hf-drill applied it):
 *   detect_ms   step -> the relay's first input_state event for the step's
 *               input into a state the step expects (degraded or lost; any
 *               unhealthy state when it expects nothing), searched until the
 *               next step on the same link
 *   switch_ms   step -> the on-air input moving away from the step's input
 *               (switch or slate_on), same search; null when that input was
 *               not on air.  For a restore: step -> the restored input put
 *               on air by a switch (not a revert: that is revert_ms), if it
 *               was off air
 *   viewer_gap_ms, frames_lost, slate_ms
 *               what the probes saw from this step to the next one: the
 *               longest freeze that began then, live frames lost, time on
 *               the slate (the longest of the observers)
 *   recover_ms  restore steps: step -> every observer seeing live pictures
 *               again, when one was not at the step
 *   revert_ms   restore steps of the primary (or all) while it was off air:
 *               step -> the relay putting the primary back on air, searched
 *               until the next step on that link (null when that step
 *               came first: the revert was interrupted, not missed)
 *
 * SLOs judge the whole run: max-viewer-gap the longest freeze after t0,
 * max-detect and max-switch the steps that expect something (a missing
 * figure fails), max-slate the time on slate, revert-by and max-recover the
 * restore steps that needed one, max-frames-lost the sum. */
#include "tools/hf-drill-report.h"

#include <string.h>

#define HF_NONE G_MININT64

void
hf_drill_event_free (gpointer p)
{
  HfDrillEvent *ev = p;

  g_free (ev->type);
  g_free (ev->input);
  g_free (ev->from);
  g_free (ev->to);
  g_free (ev->reason);
  g_free (ev);
}

void
hf_probe_rec_free (gpointer p)
{
  HfProbeRec *r = p;

  g_free (r->from);
  g_free (r->to);
  g_free (r);
}

static const HfScenarioStep *
hf_drill_step (const HfDrillRun * run, guint i)
{
  return g_ptr_array_index (run->sc->steps, i);
}

static gboolean
hf_drill_step_touches (const HfScenarioStep * s, const gchar * link)
{
  return strcmp (s->link, "all") == 0 || strcmp (link, "all") == 0
      || strcmp (s->link, link) == 0;
}

static gboolean
hf_drill_is_restore (const HfScenarioStep * s)
{
  return strcmp (s->action, "restore") == 0
      || strcmp (s->action, "clear") == 0;
}

/* The input a step is about: its link, or any for "all". */
static gboolean
hf_drill_step_input (const HfScenarioStep * s, const gchar * input)
{
  return input != NULL && (strcmp (s->link, "all") == 0
      || strcmp (s->link, input) == 0);
}

/* End of the search for what a step caused: the next step on its link. */
static gint64
hf_drill_link_window_end (const HfDrillRun * run, guint i)
{
  const HfScenarioStep *s = hf_drill_step (run, i);

  for (guint j = i + 1; j < run->sc->steps->len; j++)
    if (run->step_ms[j] >= 0 && hf_drill_step_touches (hf_drill_step (run, j),
            s->link))
      return run->step_ms[j];
  return run->end_ms;
}

/* What the viewers saw is split between steps: each gets the time until a
 * step scheduled later.  Steps scheduled together (applied a few ms apart,
 * one after the other) leave it to the first of them. */
static void
hf_drill_view_window (const HfDrillRun * run, guint i, gint64 * from,
    gint64 * to)
{
  gint64 at = hf_drill_step (run, i)->at_ms;

  *from = run->step_ms[i];
  *to = run->end_ms;
  if (i > 0 && hf_drill_step (run, i - 1)->at_ms == at
      && run->step_ms[i - 1] >= 0) {
    *to = *from;
    return;
  }
  for (guint j = i + 1; j < run->sc->steps->len; j++)
    if (run->step_ms[j] >= 0 && hf_drill_step (run, j)->at_ms > at) {
      *to = run->step_ms[j];
      return;
    }
}

static gboolean
hf_drill_is_on_air_event (const HfDrillEvent * ev)
{
  return g_strv_contains ((const gchar *[]) {
      "switch", "revert", "manual", "slate_on", "slate_off", NULL}, ev->type);
}

/* (transfer none) the on-air input just before @t ("slate", a name). */
static const gchar *
hf_drill_on_air_at (const HfDrillRun * run, gint64 t)
{
  const gchar *on_air = run->on_air_at_start;

  for (guint i = 0; i < run->events->len; i++) {
    const HfDrillEvent *ev = g_ptr_array_index (run->events, i);

    if (ev->mono_ms >= t)
      break;
    if (hf_drill_is_on_air_event (ev) && ev->to != NULL)
      on_air = ev->to;
  }
  return on_air;
}

static gboolean
hf_drill_state_detects (HfExpect expect, const gchar * to)
{
  if (to == NULL)
    return FALSE;
  if (expect == HF_EXPECT_LOST)
    return strcmp (to, "lost") == 0;
  return strcmp (to, "lost") == 0 || strcmp (to, "degraded") == 0;
}

static gint64
hf_drill_detect (const HfDrillRun * run, guint i)
{
  const HfScenarioStep *s = hf_drill_step (run, i);
  gint64 t = run->step_ms[i], end = hf_drill_link_window_end (run, i);

  for (guint k = 0; k < run->events->len; k++) {
    const HfDrillEvent *ev = g_ptr_array_index (run->events, k);

    if (ev->mono_ms < t || (ev->mono_ms >= end && end < run->end_ms))
      continue;
    if (strcmp (ev->type, "input_state") == 0
        && hf_drill_step_input (s, ev->input)
        && hf_drill_state_detects (s->expect, ev->to))
      return ev->mono_ms - t;
  }
  return HF_NONE;
}

static gint64
hf_drill_switch (const HfDrillRun * run, guint i, const gchar * on_air)
{
  gint64 t = run->step_ms[i], end = hf_drill_link_window_end (run, i);

  for (guint k = 0; k < run->events->len; k++) {
    const HfDrillEvent *ev = g_ptr_array_index (run->events, k);

    if (ev->mono_ms < t || (ev->mono_ms >= end && end < run->end_ms))
      continue;
    if ((strcmp (ev->type, "switch") == 0 || strcmp (ev->type, "slate_on") == 0
            || strcmp (ev->type, "manual") == 0)
        && g_strcmp0 (ev->from, on_air) == 0)
      return ev->mono_ms - t;
  }
  return HF_NONE;
}

/* A step that breaks @link: a sever, or an impairment that expects the
 * relay to see it (a 5 ms delay does not stop a revert). */
static gboolean
hf_drill_step_breaks (const HfScenarioStep * s, const gchar * link)
{
  return hf_drill_step_touches (s, link) && !hf_drill_is_restore (s)
      && (strcmp (s->action, "sever") == 0 || s->expect != HF_EXPECT_NOTHING);
}

/* Restore step -> the relay putting the restored input on air (when it
 * does before the link is touched again); not judged, but it is the
 * switch a "backup comes back" step is about. */
static gint64
hf_drill_switch_to (const HfDrillRun * run, guint i)
{
  const HfScenarioStep *s = hf_drill_step (run, i);
  gint64 t = run->step_ms[i], end = hf_drill_link_window_end (run, i);

  for (guint k = 0; k < run->events->len; k++) {
    const HfDrillEvent *ev = g_ptr_array_index (run->events, k);

    if (ev->mono_ms < t || (ev->mono_ms >= end && end < run->end_ms))
      continue;
    if (hf_drill_is_on_air_event (ev) && strcmp (ev->type, "revert") != 0
        && g_strcmp0 (ev->to, "slate") != 0 && hf_drill_step_input (s, ev->to)
        && g_strcmp0 (ev->to, ev->from) != 0)
      return ev->mono_ms - t;
  }
  return HF_NONE;
}

/* Step -> the primary on air again, searched until the primary's link is
 * broken again (then the revert was interrupted, not missed) or the run
 * ends. */
static gint64
hf_drill_revert (const HfDrillRun * run, guint i, gboolean * interrupted)
{
  gint64 t = run->step_ms[i], end = run->end_ms;

  for (guint j = i + 1; j < run->sc->steps->len; j++)
    if (run->step_ms[j] >= 0 && hf_drill_step_breaks (hf_drill_step (run, j),
            run->primary)) {
      end = run->step_ms[j];
      break;
    }
  *interrupted = end < run->end_ms;
  for (guint k = 0; k < run->events->len; k++) {
    const HfDrillEvent *ev = g_ptr_array_index (run->events, k);

    if (ev->mono_ms >= t && ev->mono_ms <= end && hf_drill_is_on_air_event (ev)
        && g_strcmp0 (ev->to, run->primary) == 0)
      return ev->mono_ms - t;
  }
  return HF_NONE;
}

/* (transfer none) what observer @obs showed just before @t. */
static const gchar *
hf_drill_screen_at (const HfDrillRun * run, guint obs, gint64 t)
{
  const gchar *screen = run->screen_at_start;

  for (guint k = 0; k < run->probe->len; k++) {
    const HfProbeRec *r = g_ptr_array_index (run->probe, k);

    if (r->mono_ms >= t)
      break;
    if (r->observer == obs && r->kind == HF_PROBE_REC_SCREEN && r->to)
      screen = r->to;
  }
  return screen;
}

/* Time observer @obs spent on the slate within [from, to). */
static gint64
hf_drill_slate_time (const HfDrillRun * run, guint obs, gint64 from,
    gint64 to)
{
  gint64 total = 0, since = -1;
  const gchar *screen = hf_drill_screen_at (run, obs, from);

  if (g_strcmp0 (screen, "slate") == 0)
    since = from;
  for (guint k = 0; k < run->probe->len; k++) {
    const HfProbeRec *r = g_ptr_array_index (run->probe, k);

    if (r->observer != obs || r->kind != HF_PROBE_REC_SCREEN)
      continue;
    if (r->mono_ms < from)
      continue;
    if (r->mono_ms >= to)
      break;
    if (since >= 0 && g_strcmp0 (r->to, "slate") != 0) {
      total += r->mono_ms - since;
      since = -1;
    } else if (since < 0 && g_strcmp0 (r->to, "slate") == 0) {
      since = r->mono_ms;
    }
  }
  if (since >= 0)
    total += to - since;
  return total;
}

/* Step -> every observer that was not showing live pictures shows them. */
static gint64
hf_drill_recover (const HfDrillRun * run, guint i)
{
  gint64 t = run->step_ms[i], worst = HF_NONE;

  for (guint obs = 0; obs < run->sc->observers->len; obs++) {
    gint64 back = HF_NONE;

    if (g_strcmp0 (hf_drill_screen_at (run, obs, t), "live") == 0)
      continue;
    for (guint k = 0; k < run->probe->len && back == HF_NONE; k++) {
      const HfProbeRec *r = g_ptr_array_index (run->probe, k);

      if (r->observer == obs && r->kind == HF_PROBE_REC_SCREEN
          && r->mono_ms >= t && g_strcmp0 (r->to, "live") == 0)
        back = r->mono_ms - t;
    }
    if (back == HF_NONE)
      return G_MAXINT64;        /* never came back */
    worst = MAX (worst, back);
  }
  return worst;
}

typedef struct
{
  gint64 gap;
  gint64 lost;
  gint64 slate;
} HfDrillView;

static HfDrillView
hf_drill_view (const HfDrillRun * run, gint64 from, gint64 to)
{
  HfDrillView v = { 0, 0, 0 };

  for (guint k = 0; k < run->probe->len; k++) {
    const HfProbeRec *r = g_ptr_array_index (run->probe, k);

    if (r->kind == HF_PROBE_REC_FREEZE && r->start_ms >= from
        && r->start_ms < to)
      v.gap = MAX (v.gap, r->duration_ms);
    else if (r->kind == HF_PROBE_REC_FRAMES_LOST && r->mono_ms >= from
        && r->mono_ms < to)
      v.lost += r->count;
  }
  for (guint obs = 0; obs < run->sc->observers->len; obs++)
    v.slate = MAX (v.slate, hf_drill_slate_time (run, obs, from, to));
  return v;
}

static void
hf_drill_add_ms (JsonBuilder * b, const gchar * name, gint64 v)
{
  json_builder_set_member_name (b, name);
  if (v == HF_NONE || v == G_MAXINT64)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, v);
}

/* Worst figures per SLO, gathered over the steps; HF_NONE until a step
 * is judged. */
typedef struct
{
  gint64 detect, switch_, revert, recover;
  gboolean detect_missing, switch_missing, revert_missing, recover_missing;
  guint detect_step, switch_step, revert_step, recover_step;
} HfDrillWorst;

static void
hf_drill_worst (gint64 v, gint64 * worst, gboolean * missing, guint * at,
    guint step)
{
  if (v == HF_NONE || v == G_MAXINT64) {
    if (!*missing)
      *at = step;
    *missing = TRUE;
  } else if (*worst == HF_NONE || v > *worst) {
    *worst = v;
    if (!*missing)
      *at = step;
  }
}

static void
hf_drill_build_step (const HfDrillRun * run, guint i, JsonBuilder * b,
    HfDrillWorst * w)
{
  const HfScenarioStep *s = hf_drill_step (run, i);
  gint64 t = run->step_ms[i], from, to;
  const gchar *on_air;
  gint64 detect = HF_NONE, sw = HF_NONE, revert = HF_NONE, recover = HF_NONE;
  gboolean was_on_air;
  HfDrillView v;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "at_ms");
  json_builder_add_int_value (b, s->at_ms);
  json_builder_set_member_name (b, "step");
  json_builder_add_string_value (b, s->text);
  json_builder_set_member_name (b, "expect");
  json_builder_add_string_value (b, hf_expect_name (s->expect));
  if (t < 0) {
    json_builder_set_member_name (b, "ran");
    json_builder_add_boolean_value (b, FALSE);
    json_builder_end_object (b);
    return;
  }
  json_builder_set_member_name (b, "ran");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "applied_at_ms");
  json_builder_add_int_value (b, t - run->t0_ms);
  on_air = hf_drill_on_air_at (run, t);
  json_builder_set_member_name (b, "on_air_before");
  json_builder_add_string_value (b, on_air ? on_air : "none");
  was_on_air = hf_drill_step_input (s, on_air) && g_strcmp0 (on_air, "slate");

  if (!hf_drill_is_restore (s)) {
    detect = hf_drill_detect (run, i);
    if (was_on_air)
      sw = hf_drill_switch (run, i, on_air);
    if (s->expect != HF_EXPECT_NOTHING) {
      hf_drill_worst (detect, &w->detect, &w->detect_missing,
          &w->detect_step, i);
      if (was_on_air)
        hf_drill_worst (sw, &w->switch_, &w->switch_missing,
            &w->switch_step, i);
    }
  } else {
    if (!was_on_air)
      sw = hf_drill_switch_to (run, i);
    recover = hf_drill_recover (run, i);
    if (recover != HF_NONE)
      hf_drill_worst (recover, &w->recover, &w->recover_missing,
          &w->recover_step, i);
    if (hf_drill_step_input (s, run->primary)
        && g_strcmp0 (on_air, run->primary) != 0) {
      gboolean interrupted;

      revert = hf_drill_revert (run, i, &interrupted);
      /* A link broken again before the revert: nothing to judge. */
      if (revert != HF_NONE || !interrupted) {
        hf_drill_worst (revert, &w->revert, &w->revert_missing,
            &w->revert_step, i);
        if (revert == HF_NONE)
          revert = G_MAXINT64;
      }
    }
  }
  hf_drill_view_window (run, i, &from, &to);
  v = hf_drill_view (run, from, to);
  hf_drill_add_ms (b, "detect_ms", detect);
  hf_drill_add_ms (b, "switch_ms", sw);
  hf_drill_add_ms (b, "viewer_gap_ms", v.gap);
  json_builder_set_member_name (b, "frames_lost");
  json_builder_add_int_value (b, v.lost);
  hf_drill_add_ms (b, "slate_ms", v.slate);
  hf_drill_add_ms (b, "recover_ms", recover);
  hf_drill_add_ms (b, "revert_ms", revert);
  /* "never" is not the same as "does not apply". */
  json_builder_set_member_name (b, "never");
  json_builder_begin_array (b);
  if (revert == G_MAXINT64)
    json_builder_add_string_value (b, "revert");
  if (recover == G_MAXINT64)
    json_builder_add_string_value (b, "recover");
  if (s->expect != HF_EXPECT_NOTHING && detect == HF_NONE)
    json_builder_add_string_value (b, "detect");
  if (s->expect != HF_EXPECT_NOTHING && was_on_air && sw == HF_NONE)
    json_builder_add_string_value (b, "switch");
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* One SLO line: {"slo", "limit", "measured", "unit", "pass", "detail"}.
 * @measured HF_NONE: no step to judge (the SLO holds vacuously, and says
 * so). */
static gboolean
hf_drill_slo (JsonBuilder * b, const gchar * name, gint64 limit,
    gint64 measured, gboolean missing, const gchar * unit,
    const gchar * detail)
{
  gboolean vacuous = !missing && measured == HF_NONE;
  gboolean pass = !missing && (vacuous || measured <= limit);

  if (limit < 0)
    return TRUE;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "slo");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "limit");
  json_builder_add_int_value (b, limit);
  json_builder_set_member_name (b, "measured");
  if (missing || vacuous)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, measured);
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, unit);
  json_builder_set_member_name (b, "pass");
  json_builder_add_boolean_value (b, pass);
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, vacuous ? "no step to judge" :
      detail ? detail : "");
  json_builder_end_object (b);
  return pass;
}

static gchar *
hf_drill_step_detail (const HfDrillRun * run, gboolean missing, guint step,
    const gchar * what)
{
  if (step >= run->sc->steps->len)
    return g_strdup (missing ? what : "");
  return g_strdup_printf ("%s%sstep %u (%s)", missing ? what : "",
      missing ? " at " : "", step + 1, hf_drill_step (run, step)->text);
}

static gboolean
hf_drill_build_slos (const HfDrillRun * run, JsonBuilder * b,
    const HfDrillWorst * w)
{
  const HfScenarioSlo *slo = &run->sc->slo;
  HfDrillView all = hf_drill_view (run, run->t0_ms, run->end_ms + 1);
  gboolean pass = TRUE;
  g_autofree gchar *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL;

  d1 = hf_drill_step_detail (run, w->detect_missing, w->detect_step,
      "not detected");
  d2 = hf_drill_step_detail (run, w->switch_missing, w->switch_step,
      "no switch");
  d3 = hf_drill_step_detail (run, w->revert_missing, w->revert_step,
      "no revert");
  d4 = hf_drill_step_detail (run, w->recover_missing, w->recover_step,
      "never live again");
  json_builder_set_member_name (b, "slos");
  json_builder_begin_array (b);
  pass &= hf_drill_slo (b, "max-viewer-gap", slo->max_viewer_gap_ms, all.gap,
      FALSE, "ms", "longest freeze any observer saw");
  pass &= hf_drill_slo (b, "max-detect", slo->max_detect_ms, w->detect,
      w->detect_missing, "ms", d1);
  pass &= hf_drill_slo (b, "max-switch", slo->max_switch_ms, w->switch_,
      w->switch_missing, "ms", d2);
  pass &= hf_drill_slo (b, "max-slate", slo->max_slate_ms, all.slate, FALSE,
      "ms", "time on the slate");
  pass &= hf_drill_slo (b, "revert-by", slo->revert_by_ms, w->revert,
      w->revert_missing, "ms", d3);
  pass &= hf_drill_slo (b, "max-recover", slo->max_recover_ms, w->recover,
      w->recover_missing, "ms", d4);
  pass &= hf_drill_slo (b, "max-frames-lost", slo->max_frames_lost, all.lost,
      FALSE, "frames", "live frames missing at the observers");
  json_builder_end_array (b);
  return pass;
}

JsonNode *
hf_drill_report_build (const HfDrillRun * run)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  HfDrillWorst w = { 0, };
  gboolean pass;

  w.detect_step = w.switch_step = w.revert_step = w.recover_step = G_MAXUINT;
  w.detect = w.switch_ = w.revert = w.recover = HF_NONE;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "drill");
  json_builder_add_string_value (b, run->sc->name);
  json_builder_set_member_name (b, "stream");
  json_builder_add_string_value (b, run->sc->stream);
  json_builder_set_member_name (b, "relay");
  json_builder_add_string_value (b, run->sc->relay);
  json_builder_set_member_name (b, "primary");
  json_builder_add_string_value (b, run->primary ? run->primary : "");
  json_builder_set_member_name (b, "ran_ms");
  json_builder_add_int_value (b, run->end_ms - run->t0_ms);
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  for (guint i = 0; i < run->sc->steps->len; i++)
    hf_drill_build_step (run, i, b, &w);
  json_builder_end_array (b);
  if (run->started) {
    pass = hf_drill_build_slos (run, b, &w);
  } else {
    json_builder_set_member_name (b, "slos");
    json_builder_begin_array (b);
    json_builder_end_array (b);
    pass = FALSE;
  }
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, run->aborted ? "aborted" :
      !run->started ? "error" : pass ? "pass" : "fail");
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---- The printed table ---------------------------------------------------- */

static void
hf_drill_cell (GString * s, JsonObject * o, const gchar * name, gint width,
    const gchar * unit)
{
  JsonNode *n = json_object_get_member (o, name);
  g_autofree gchar *text = NULL;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    text = g_strdup ("-");
  else if (unit[0] == 's')
    text = g_strdup_printf ("%.1f s", json_node_get_int (n) / 1000.0);
  else
    text = g_strdup_printf ("%" G_GINT64_FORMAT "%s", json_node_get_int (n),
        unit);
  g_string_append_printf (s, " %*s", width, text);
}

static void
hf_drill_format_steps (GString * s, JsonArray * steps)
{
  g_string_append_printf (s, "  %-4s %-8s %-34s %8s %8s %8s %6s %8s %8s "
      "%8s\n", "step", "at", "action", "detect", "switch", "gap", "lost",
      "slate", "recover", "revert");
  for (guint i = 0; i < json_array_get_length (steps); i++) {
    JsonObject *o = json_array_get_object_element (steps, i);
    g_autofree gchar *at = g_strdup_printf ("%.1fs",
        json_object_get_int_member (o, "at_ms") / 1000.0);
    JsonArray *never;

    g_string_append_printf (s, "  %-4u %-8s %-34.34s", i + 1, at,
        json_object_get_string_member (o, "step"));
    if (!json_object_get_boolean_member (o, "ran")) {
      g_string_append (s, " (not run)\n");
      continue;
    }
    hf_drill_cell (s, o, "detect_ms", 8, " ms");
    hf_drill_cell (s, o, "switch_ms", 8, " ms");
    hf_drill_cell (s, o, "viewer_gap_ms", 8, " ms");
    hf_drill_cell (s, o, "frames_lost", 6, "");
    hf_drill_cell (s, o, "slate_ms", 8, " ms");
    hf_drill_cell (s, o, "recover_ms", 8, " ms");
    hf_drill_cell (s, o, "revert_ms", 8, "s");
    never = json_object_get_array_member (o, "never");
    for (guint k = 0; never && k < json_array_get_length (never); k++)
      g_string_append_printf (s, "%sno %s", k ? ", " : "  (",
          json_array_get_string_element (never, k));
    if (never && json_array_get_length (never) > 0)
      g_string_append (s, ")");
    g_string_append_c (s, '\n');
  }
}

gchar *
hf_drill_report_format (JsonNode * report)
{
  JsonObject *r = json_node_get_object (report);
  JsonArray *slos = json_object_get_array_member (r, "slos");
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "drill %s: stream %s on %s (primary %s): %s\n",
      json_object_get_string_member (r, "drill"),
      json_object_get_string_member (r, "stream"),
      json_object_get_string_member (r, "relay"),
      json_object_get_string_member (r, "primary"),
      json_object_get_string_member (r, "result"));
  hf_drill_format_steps (s, json_object_get_array_member (r, "steps"));
  g_string_append_printf (s, "  %-16s %10s %10s  %-6s %s\n", "SLO", "limit",
      "measured", "result", "");
  for (guint i = 0; i < json_array_get_length (slos); i++) {
    JsonObject *o = json_array_get_object_element (slos, i);
    const gchar *unit = json_object_get_string_member (o, "unit");
    g_autofree gchar *limit = g_strdup_printf ("%" G_GINT64_FORMAT " %s",
        json_object_get_int_member (o, "limit"), unit);
    JsonNode *m = json_object_get_member (o, "measured");
    g_autofree gchar *measured = JSON_NODE_HOLDS_NULL (m) ? g_strdup ("none")
        : g_strdup_printf ("%" G_GINT64_FORMAT " %s", json_node_get_int (m),
        unit);

    g_string_append_printf (s, "  %-16s %10s %10s  %-6s %s\n",
        json_object_get_string_member (o, "slo"), limit, measured,
        json_object_get_boolean_member (o, "pass") ? "pass" : "FAIL",
        json_object_get_string_member (o, "detail"));
  }
  return g_string_free (s, FALSE);
}

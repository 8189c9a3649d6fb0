/* Holdfast drill report: from what happened during a drill (the steps'
 * times, the relay's events, the probes' records) to figures per step and
 * a verdict per SLO.  Plain C + GLib, every time passed in (monotonic ms,
 * the clock the relay's events and hf-probe's lines share), so a report on
 * known timings is a unit test. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tools/hf-scenario.h"

G_BEGIN_DECLS

/* One relay event (GET /api/v1/events). */
typedef struct
{
  gint64 mono_ms;
  gchar *type;                  /* input_state, switch, revert, manual, ... */
  gchar *input;                 /* (nullable) */
  gchar *from;                  /* (nullable) */
  gchar *to;                    /* (nullable) */
  gchar *reason;                /* (nullable) */
} HfDrillEvent;

typedef enum
{
  HF_PROBE_REC_FREEZE,          /* start_ms, duration_ms */
  HF_PROBE_REC_SCREEN,          /* from -> to: live, slate, other, none */
  HF_PROBE_REC_FRAMES_LOST,     /* count */
} HfProbeRecKind;

/* One hf-probe record that the report uses. */
typedef struct
{
  guint observer;               /* index in the scenario's observers */
  HfProbeRecKind kind;
  gint64 mono_ms;
  gint64 start_ms;
  gint64 duration_ms;
  gint64 count;
  gchar *from;
  gchar *to;
} HfProbeRec;

typedef struct
{
  const HfScenario *sc;         /* (transfer none) */
  const gchar *primary;         /* (transfer none) the stream's first input */
  const gchar *on_air_at_start; /* (transfer none) the relay's on-air input */
  gint64 t0_ms;                 /* the timeline's zero */
  gint64 end_ms;                /* when the run ended */
  const gint64 *step_ms;        /* (array) when each step was applied, -1
                                 * for a step that never ran */
  GPtrArray *events;            /* (transfer none) of HfDrillEvent, sorted
                                 * by mono_ms */
  GPtrArray *probe;             /* (transfer none) of HfProbeRec, sorted by
                                 * mono_ms */
  const gchar *screen_at_start; /* (transfer none) each observer starts here */
  gboolean aborted;
  gboolean started;             /* t = 0 was reached: SLOs are judged */
} HfDrillRun;

void hf_drill_event_free (gpointer ev);
void hf_probe_rec_free (gpointer rec);

/**
 * hf_drill_report_build:
 * @run: (transfer none) what happened
 *
 * Returns: (transfer full) the report as JSON: {"drill", "stream",
 * "result": "pass"|"fail"|"aborted"|"error", "steps": [...], "slos":
 * [...]}.  A figure that does not apply is null.  A run that never
 * started judges no SLO and its result is "error" (or "aborted").
 */
JsonNode *hf_drill_report_build (const HfDrillRun * run);

/* (transfer full) the report as the table hf-drill prints. */
gchar *hf_drill_report_format (JsonNode * report);

G_END_DECLS

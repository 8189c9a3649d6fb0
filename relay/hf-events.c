/* The relay's event log: every transition of every stream (input health,
 * switches, slate on/off, reverts, operator switches) in a ring of the last
 * `capacity` events, each with an id that grows by one, so that an API
 * client can poll "what happened since id N" and tell when it fell behind.
 *
 * Threads: any.  hf_events_add () is called from whichever thread drove a
 * stream's switch (a streaming thread, the ticker, the control thread),
 * hf_events_to_json () from the control thread.  One mutex (events_lock),
 * held only to copy entries in or out: the log line and the JSON are made
 * outside it.
 */
#include "relay/hf-relay.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_events_debug);
#define GST_CAT_DEFAULT hf_events_debug

typedef struct
{
  guint64 id;
  gint64 mono_us;
  gint64 wall_us;
  gchar *stream;
  gchar *type;
  gchar *input;                 /* may be NULL */
  gchar *from;                  /* may be NULL */
  gchar *to;                    /* may be NULL */
  gchar *reason;                /* may be NULL */
} HfEvent;

struct _HfEvents
{
  GMutex events_lock;
  guint capacity;
  HfEvent *ring;                /* id N is in ring[(N - 1) % capacity] */
  guint64 last_id;              /* 0 before the first event */
};

static void
hf_event_clear (HfEvent * ev)
{
  g_free (ev->stream);
  g_free (ev->type);
  g_free (ev->input);
  g_free (ev->from);
  g_free (ev->to);
  g_free (ev->reason);
  memset (ev, 0, sizeof (*ev));
}

static void
hf_event_copy (HfEvent * dst, const HfEvent * src)
{
  dst->id = src->id;
  dst->mono_us = src->mono_us;
  dst->wall_us = src->wall_us;
  dst->stream = g_strdup (src->stream);
  dst->type = g_strdup (src->type);
  dst->input = g_strdup (src->input);
  dst->from = g_strdup (src->from);
  dst->to = g_strdup (src->to);
  dst->reason = g_strdup (src->reason);
}

/* Oldest id still in the ring, 0 when empty.  Caller holds events_lock. */
static guint64
hf_events_oldest_id_locked (HfEvents * events)
{
  if (events->last_id == 0)
    return 0;
  if (events->last_id <= events->capacity)
    return 1;
  return events->last_id - events->capacity + 1;
}

/**
 * hf_events_new:
 * @capacity: how many events the ring keeps (> 0)
 *
 * Returns: (transfer full) an empty log, or NULL when @capacity is 0.
 * Any thread.
 */
HfEvents *
hf_events_new (guint capacity)
{
  static gsize debug_once = 0;
  HfEvents *events;

  g_return_val_if_fail (capacity > 0, NULL);

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (hf_events_debug, "hf-events", 0,
        "Holdfast event log");
    g_once_init_leave (&debug_once, 1);
  }
  events = g_new0 (HfEvents, 1);
  g_mutex_init (&events->events_lock);
  events->capacity = capacity;
  events->ring = g_new0 (HfEvent, capacity);
  return events;
}

/* Frees the log and every event in it; no other thread may be using it. */
void
hf_events_free (HfEvents * events)
{
  guint i;

  if (!events)
    return;
  for (i = 0; i < events->capacity; i++)
    hf_event_clear (&events->ring[i]);
  g_free (events->ring);
  g_mutex_clear (&events->events_lock);
  g_free (events);
}

/**
 * hf_events_add:
 * @stream: (transfer none) the stream's name
 * @type: (transfer none) what happened ("input_state", "switch", ...)
 * @input: (transfer none) (nullable) the input it is about
 * @from: (transfer none) (nullable) the state or input before
 * @to: (transfer none) (nullable) the state or input after
 * @reason: (transfer none) (nullable) a sentence saying why
 * @mono_us: g_get_monotonic_time () scale
 * @wall_us: g_get_real_time () scale
 *
 * Copies the strings, evicting the oldest event when the ring is full, and
 * logs the event at INFO.  Any thread.
 *
 * Returns: the event's id (the first is 1); 0 on a programming error.
 */
guint64
hf_events_add (HfEvents * events, const gchar * stream, const gchar * type,
    const gchar * input, const gchar * from, const gchar * to,
    const gchar * reason, gint64 mono_us, gint64 wall_us)
{
  HfEvent *slot;
  guint64 id;

  g_return_val_if_fail (events != NULL, 0);
  g_return_val_if_fail (stream != NULL, 0);
  g_return_val_if_fail (type != NULL, 0);

  g_mutex_lock (&events->events_lock);
  id = ++events->last_id;
  slot = &events->ring[(id - 1) % events->capacity];
  hf_event_clear (slot);
  slot->id = id;
  slot->mono_us = mono_us;
  slot->wall_us = wall_us;
  slot->stream = g_strdup (stream);
  slot->type = g_strdup (type);
  slot->input = g_strdup (input);
  slot->from = g_strdup (from);
  slot->to = g_strdup (to);
  slot->reason = g_strdup (reason);
  g_mutex_unlock (&events->events_lock);

  /* The caller's strings are still valid: log them outside the lock. */
  GST_INFO ("event %" G_GUINT64_FORMAT " stream %s: %s%s%s %s -> %s (%s)",
      id, stream, type, input ? " " : "", input ? input : "",
      from ? from : "-", to ? to : "-", reason ? reason : "");
  return id;
}

/* ISO 8601 UTC with milliseconds: 2024-05-01T12:34:56.789Z.  GLib 2.74
 * has no g_date_time_new_from_unix_utc_usec (), so whole seconds come from
 * GDateTime and the milliseconds are added here (floored, also before
 * 1970). */
gchar *
hf_events_format_time (gint64 wall_us)
{
  gint64 secs = wall_us / G_USEC_PER_SEC;
  gint64 rem = wall_us % G_USEC_PER_SEC;
  g_autoptr (GDateTime) dt = NULL;
  g_autofree gchar *base = NULL;

  if (rem < 0) {
    rem += G_USEC_PER_SEC;
    secs--;
  }
  dt = g_date_time_new_from_unix_utc (secs);
  if (!dt)
    return g_strdup ("1970-01-01T00:00:00.000Z");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, (gint) (rem / 1000));
}

static void
hf_events_add_string (JsonBuilder * b, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
hf_events_add_json (JsonBuilder * b, const HfEvent * ev)
{
  g_autofree gchar *time = hf_events_format_time (ev->wall_us);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, (gint64) ev->id);
  json_builder_set_member_name (b, "time");
  json_builder_add_string_value (b, time);
  json_builder_set_member_name (b, "mono_ms");
  json_builder_add_int_value (b, ev->mono_us / 1000);
  hf_events_add_string (b, "stream", ev->stream);
  hf_events_add_string (b, "type", ev->type);
  hf_events_add_string (b, "input", ev->input);
  hf_events_add_string (b, "from", ev->from);
  hf_events_add_string (b, "to", ev->to);
  hf_events_add_string (b, "reason", ev->reason);
  json_builder_end_object (b);
}

/**
 * hf_events_to_json:
 * @since: only events with a larger id
 * @stream: (transfer none) (nullable) only this stream's events
 *
 * Returns: (transfer full) {"events": [...], "last_id", "oldest_id"}, the
 * events oldest first.  Any thread.
 */
JsonNode *
hf_events_to_json (HfEvents * events, guint64 since, const gchar * stream)
{
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (GArray) picked = NULL;
  guint64 last_id, oldest_id, id;
  guint i;

  g_return_val_if_fail (events != NULL, NULL);

  picked = g_array_new (FALSE, TRUE, sizeof (HfEvent));
  g_array_set_clear_func (picked, (GDestroyNotify) hf_event_clear);

  g_mutex_lock (&events->events_lock);
  last_id = events->last_id;
  oldest_id = hf_events_oldest_id_locked (events);
  /* since < last_id first, so that since + 1 cannot wrap. */
  for (id = since < last_id ? MAX (since + 1, oldest_id) : last_id + 1;
      id <= last_id; id++) {
    const HfEvent *ev = &events->ring[(id - 1) % events->capacity];
    HfEvent copy;

    if (stream && g_strcmp0 (ev->stream, stream) != 0)
      continue;
    hf_event_copy (&copy, ev);
    g_array_append_val (picked, copy);
  }
  g_mutex_unlock (&events->events_lock);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (i = 0; i < picked->len; i++)
    hf_events_add_json (b, &g_array_index (picked, HfEvent, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "last_id");
  json_builder_add_int_value (b, (gint64) last_id);
  json_builder_set_member_name (b, "oldest_id");
  json_builder_add_int_value (b, (gint64) oldest_id);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The id of the newest event, 0 when none.  Any thread. */
guint64
hf_events_last_id (HfEvents * events)
{
  guint64 id;

  g_return_val_if_fail (events != NULL, 0);
  g_mutex_lock (&events->events_lock);
  id = events->last_id;
  g_mutex_unlock (&events->events_lock);
  return id;
}

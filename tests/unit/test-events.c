/* Unit tests of the event log (relay/hf-events.c): ids start at 1 and grow
 * by one, a reader gets what came after the id it last saw (of one stream
 * if it asks), a full ring keeps the newest events and says which is the
 * oldest left, strings are the log's own copies, and the JSON has the
 * fields and types the API documents, with ISO 8601 UTC times.
 *
 * Single-threaded except test_concurrent_adds_get_distinct_ids, which
 * adds from several threads at once.  Times are passed in.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "relay/hf-relay.h"

/* 2024-05-01T12:34:56.789123Z */
#define HF_TEST_WALL_US G_GINT64_CONSTANT (1714566896789123)
#define HF_TEST_MONO_US G_GINT64_CONSTANT (7000037)

/* Adds an event of @stream with @reason, at HF_TEST_* + @i ms. */
static guint64
hf_test_add (HfEvents * events, const gchar * stream, const gchar * reason,
    gint i)
{
  return hf_events_add (events, stream, "switch", NULL, "primary", "backup",
      reason, HF_TEST_MONO_US + i * 1000, HF_TEST_WALL_US + i * 1000);
}

/* (transfer full) the events array of hf_events_to_json (). */
static JsonNode *
hf_test_json (HfEvents * events, guint64 since, const gchar * stream,
    JsonArray ** array)
{
  JsonNode *root = hf_events_to_json (events, since, stream);

  fail_unless (root != NULL);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root));
  *array = json_object_get_array_member (json_node_get_object (root), "events");
  fail_unless (*array != NULL, "no events array");
  return root;
}

static gint64
hf_test_int_member (JsonNode * root, const gchar * name)
{
  JsonObject *o = json_node_get_object (root);

  fail_unless (json_object_has_member (o, name), "no member %s", name);
  return json_object_get_int_member (o, name);
}

/* Asserts the ids of @array are @first_id, @first_id + @step, ... (@n of
 * them). */
static void
hf_test_assert_ids (JsonArray * array, guint n, gint64 first_id, gint64 step)
{
  guint i;

  fail_unless_equals_int (json_array_get_length (array), n);
  for (i = 0; i < n; i++) {
    JsonObject *ev = json_array_get_object_element (array, i);

    fail_unless_equals_int64 (json_object_get_int_member (ev, "id"),
        first_id + (gint64) i * step);
  }
}

GST_START_TEST (test_empty_log_has_no_events_and_zero_ids)
{
  HfEvents *events = hf_events_new (8);
  JsonArray *array;
  JsonNode *root = hf_test_json (events, 0, NULL, &array);

  fail_unless_equals_int (json_array_get_length (array), 0);
  fail_unless_equals_int64 (hf_test_int_member (root, "last_id"), 0);
  fail_unless_equals_int64 (hf_test_int_member (root, "oldest_id"), 0);
  fail_unless_equals_uint64 (hf_events_last_id (events), 0);
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

GST_START_TEST (test_ids_start_at_1_and_grow_by_one)
{
  HfEvents *events = hf_events_new (8);
  JsonArray *array;
  JsonNode *root;
  gint i;

  for (i = 0; i < 5; i++)
    fail_unless_equals_uint64 (hf_test_add (events, "main", "r", i), i + 1);
  fail_unless_equals_uint64 (hf_events_last_id (events), 5);

  root = hf_test_json (events, 0, NULL, &array);
  hf_test_assert_ids (array, 5, 1, 1);
  fail_unless_equals_int64 (hf_test_int_member (root, "last_id"), 5);
  fail_unless_equals_int64 (hf_test_int_member (root, "oldest_id"), 1);
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

GST_START_TEST (test_since_returns_only_newer_events_oldest_first)
{
  HfEvents *events = hf_events_new (8);
  JsonArray *array;
  JsonNode *root;
  gint i;

  for (i = 0; i < 6; i++)
    hf_test_add (events, "main", "r", i);

  root = hf_test_json (events, 4, NULL, &array);
  hf_test_assert_ids (array, 2, 5, 1);
  /* last_id and oldest_id describe the log, not the answer. */
  fail_unless_equals_int64 (hf_test_int_member (root, "last_id"), 6);
  fail_unless_equals_int64 (hf_test_int_member (root, "oldest_id"), 1);
  json_node_unref (root);

  root = hf_test_json (events, 6, NULL, &array);
  hf_test_assert_ids (array, 0, 0, 0);
  json_node_unref (root);

  /* Far beyond the newest (and where since + 1 would wrap): nothing. */
  root = hf_test_json (events, G_MAXUINT64, NULL, &array);
  hf_test_assert_ids (array, 0, 0, 0);
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

GST_START_TEST (test_stream_filter_returns_only_that_stream)
{
  HfEvents *events = hf_events_new (16);
  JsonArray *array;
  JsonNode *root;
  guint i;

  /* Ids 1..10: odd ones are "main", even ones "second". */
  for (i = 0; i < 10; i++)
    hf_test_add (events, i % 2 ? "second" : "main", "r", i);

  root = hf_test_json (events, 0, "second", &array);
  hf_test_assert_ids (array, 5, 2, 2);
  for (i = 0; i < 5; i++)
    fail_unless_equals_string (json_object_get_string_member
        (json_array_get_object_element (array, i), "stream"), "second");
  fail_unless_equals_int64 (hf_test_int_member (root, "last_id"), 10);
  json_node_unref (root);

  /* since and stream together. */
  root = hf_test_json (events, 6, "main", &array);
  hf_test_assert_ids (array, 2, 7, 2);
  json_node_unref (root);

  root = hf_test_json (events, 0, "nobody", &array);
  hf_test_assert_ids (array, 0, 0, 0);
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

GST_START_TEST (test_full_ring_keeps_the_newest_capacity_events)
{
  HfEvents *events = hf_events_new (4);
  JsonArray *array;
  JsonNode *root;
  gint i;

  for (i = 0; i < 10; i++)
    hf_test_add (events, "main", "r", i);

  root = hf_test_json (events, 0, NULL, &array);
  hf_test_assert_ids (array, 4, 7, 1);
  fail_unless_equals_int64 (hf_test_int_member (root, "last_id"), 10);
  /* A client that last saw id 2 can tell it missed 3..6. */
  fail_unless_equals_int64 (hf_test_int_member (root, "oldest_id"), 7);
  /* Each kept event is the one its id names, not a stale slot. */
  fail_unless_equals_int64 (json_object_get_int_member
      (json_array_get_object_element (array, 0), "mono_ms"),
      (HF_TEST_MONO_US + 6 * 1000) / 1000);
  json_node_unref (root);

  root = hf_test_json (events, 8, NULL, &array);
  hf_test_assert_ids (array, 2, 9, 1);
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

GST_START_TEST (test_capacity_one_keeps_the_last_event)
{
  HfEvents *events = hf_events_new (1);
  JsonArray *array;
  JsonNode *root;

  hf_test_add (events, "main", "first", 0);
  hf_test_add (events, "main", "second", 1);
  root = hf_test_json (events, 0, NULL, &array);
  hf_test_assert_ids (array, 1, 2, 1);
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (array, 0), "reason"), "second");
  fail_unless_equals_int64 (hf_test_int_member (root, "oldest_id"), 2);
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

GST_START_TEST (test_strings_are_copied)
{
  HfEvents *events = hf_events_new (4);
  gchar stream[] = "main", type[] = "input_state", input[] = "primary";
  gchar from[] = "healthy", to[] = "lost", reason[] = "no packet for 250 ms";
  JsonArray *array;
  JsonNode *root;
  JsonObject *ev;

  hf_events_add (events, stream, type, input, from, to, reason,
      HF_TEST_MONO_US, HF_TEST_WALL_US);
  /* The caller's buffers are reused at once, as a switch's are. */
  memset (stream, 'x', sizeof (stream) - 1);
  memset (type, 'x', sizeof (type) - 1);
  memset (input, 'x', sizeof (input) - 1);
  memset (from, 'x', sizeof (from) - 1);
  memset (to, 'x', sizeof (to) - 1);
  memset (reason, 'x', sizeof (reason) - 1);

  root = hf_test_json (events, 0, NULL, &array);
  ev = json_array_get_object_element (array, 0);
  fail_unless_equals_string (json_object_get_string_member (ev, "stream"),
      "main");
  fail_unless_equals_string (json_object_get_string_member (ev, "type"),
      "input_state");
  fail_unless_equals_string (json_object_get_string_member (ev, "input"),
      "primary");
  fail_unless_equals_string (json_object_get_string_member (ev, "from"),
      "healthy");
  fail_unless_equals_string (json_object_get_string_member (ev, "to"), "lost");
  fail_unless_equals_string (json_object_get_string_member (ev, "reason"),
      "no packet for 250 ms");
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

GST_START_TEST (test_json_fields_have_their_types)
{
  HfEvents *events = hf_events_new (4);
  static const gchar *const strings[] = { "time", "stream", "type", "reason" };
  static const gchar *const nullable[] = { "input", "from", "to" };
  JsonArray *array;
  JsonNode *root;
  JsonObject *ev;
  guint i;

  /* An event about no particular input, with no from and to. */
  hf_events_add (events, "main", "slate_on", NULL, NULL, NULL,
      "nothing alive", HF_TEST_MONO_US, HF_TEST_WALL_US);
  hf_events_add (events, "main", "switch", "backup", "primary", "backup",
      "primary lost", HF_TEST_MONO_US + 1000, HF_TEST_WALL_US + 1000);

  root = hf_test_json (events, 0, NULL, &array);
  fail_unless (JSON_NODE_HOLDS_VALUE (json_object_get_member
          (json_node_get_object (root), "last_id")));
  fail_unless_equals_int (json_node_get_value_type (json_object_get_member
          (json_node_get_object (root), "last_id")), G_TYPE_INT64);

  ev = json_array_get_object_element (array, 0);
  fail_unless_equals_int (json_object_get_size (ev), 9);
  fail_unless_equals_int (json_node_get_value_type (json_object_get_member
          (ev, "id")), G_TYPE_INT64);
  fail_unless_equals_int (json_node_get_value_type (json_object_get_member
          (ev, "mono_ms")), G_TYPE_INT64);
  fail_unless_equals_int64 (json_object_get_int_member (ev, "mono_ms"),
      HF_TEST_MONO_US / 1000);
  for (i = 0; i < G_N_ELEMENTS (strings); i++)
    fail_unless_equals_int (json_node_get_value_type (json_object_get_member
            (ev, strings[i])), G_TYPE_STRING);
  for (i = 0; i < G_N_ELEMENTS (nullable); i++) {
    fail_unless (json_object_has_member (ev, nullable[i]), "no %s",
        nullable[i]);
    fail_unless (json_object_get_null_member (ev, nullable[i]),
        "%s is not null", nullable[i]);
  }

  ev = json_array_get_object_element (array, 1);
  for (i = 0; i < G_N_ELEMENTS (nullable); i++)
    fail_unless_equals_int (json_node_get_value_type (json_object_get_member
            (ev, nullable[i])), G_TYPE_STRING);
  fail_unless_equals_string (json_object_get_string_member (ev, "input"),
      "backup");
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

GST_START_TEST (test_time_is_iso8601_utc_with_milliseconds)
{
  static const struct
  {
    gint64 wall_us;
    const gchar *time;
  } cases[] = {
    {HF_TEST_WALL_US, "2024-05-01T12:34:56.789Z"},
    {G_GINT64_CONSTANT (1714566896000999), "2024-05-01T12:34:56.000Z"},
    {0, "1970-01-01T00:00:00.000Z"},
    {-1, "1969-12-31T23:59:59.999Z"},
  };
  HfEvents *events = hf_events_new (8);
  JsonArray *array;
  JsonNode *root;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    hf_events_add (events, "main", "switch", NULL, NULL, NULL, "r", 0,
        cases[i].wall_us);
  root = hf_test_json (events, 0, NULL, &array);
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    fail_unless_equals_string (json_object_get_string_member
        (json_array_get_object_element (array, i), "time"), cases[i].time);
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

#define HF_TEST_THREADS 4
#define HF_TEST_PER_THREAD 500

static gpointer
hf_test_adder (gpointer data)
{
  HfEvents *events = data;
  gint i;

  for (i = 0; i < HF_TEST_PER_THREAD; i++)
    hf_test_add (events, "main", "r", i);
  return NULL;
}

GST_START_TEST (test_concurrent_adds_get_distinct_ids)
{
  HfEvents *events = hf_events_new (HF_TEST_THREADS * HF_TEST_PER_THREAD);
  GThread *threads[HF_TEST_THREADS];
  JsonArray *array;
  JsonNode *root;
  guint i;

  for (i = 0; i < HF_TEST_THREADS; i++)
    threads[i] = g_thread_new ("adder", hf_test_adder, events);
  for (i = 0; i < HF_TEST_THREADS; i++)
    g_thread_join (threads[i]);

  root = hf_test_json (events, 0, NULL, &array);
  hf_test_assert_ids (array, HF_TEST_THREADS * HF_TEST_PER_THREAD, 1, 1);
  json_node_unref (root);
  hf_events_free (events);
}

GST_END_TEST;

static Suite *
hf_events_suite (void)
{
  Suite *s = suite_create ("hf-events");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_empty_log_has_no_events_and_zero_ids);
  tcase_add_test (tc, test_ids_start_at_1_and_grow_by_one);
  tcase_add_test (tc, test_since_returns_only_newer_events_oldest_first);
  tcase_add_test (tc, test_stream_filter_returns_only_that_stream);
  tcase_add_test (tc, test_full_ring_keeps_the_newest_capacity_events);
  tcase_add_test (tc, test_capacity_one_keeps_the_last_event);
  tcase_add_test (tc, test_strings_are_copied);
  tcase_add_test (tc, test_json_fields_have_their_types);
  tcase_add_test (tc, test_time_is_iso8601_utc_with_milliseconds);
  tcase_add_test (tc, test_concurrent_adds_get_distinct_ids);
  return s;
}

GST_CHECK_MAIN (hf_events);

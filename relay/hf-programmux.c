/* The program's MPEG-TS mux: mpegtsmux that never waits for a stream
 * longer than its latency.
 *
 * mpegtsmux (GstBaseTsMux) in GStreamer 1.22 does not tell its aggregator
 * base class when its next output is due (no get_next_time), so even when
 * live the aggregator never times out: it waits until every pad has data.
 * Pushers whose audio comes in bursts (ffmpeg's TS muxer writes an audio
 * PES about every 300 ms) then hold the video back until the audio burst
 * arrives, and the program goes out in 300 ms lumps: more latency, and an
 * edge fed by this relay sees its input stall long enough to be declared
 * lost.  This subclass says the next output is due at the earliest
 * running time any pad holds: the aggregator then waits at most its
 * `latency` past that for the other pads and muxes what it has.
 *
 * The type is derived at run time from the registered mpegtsmux type (the
 * plugin is loaded on first use).  Threads: the type is made once, under a
 * lock, by whichever thread builds a program first; get_next_time runs on
 * the mux's source-pad thread.
 */
#include "relay/relay-private.h"

#include <gst/base/gstaggregator.h>

GST_DEBUG_CATEGORY_STATIC (hf_program_mux_debug);
#define GST_CAT_DEFAULT hf_program_mux_debug

/* Source-pad thread of the mux. */
static GstClockTime
hf_program_mux_get_next_time (GstAggregator * agg)
{
  GstClockTime earliest = GST_CLOCK_TIME_NONE;
  GList *l;

  GST_OBJECT_LOCK (agg);
  for (l = GST_ELEMENT (agg)->sinkpads; l != NULL; l = l->next) {
    GstAggregatorPad *pad = l->data;
    GstBuffer *buf;
    GstClockTime ts, rt;

    /* The mux makes every stream's PMT entry at its first output and fails
     * on a pad that has no caps yet: until each pad has had data, wait for
     * all of them as mpegtsmux itself does. */
    if (!gst_pad_has_current_caps (GST_PAD (pad))) {
      earliest = GST_CLOCK_TIME_NONE;
      break;
    }
    buf = gst_aggregator_pad_peek_buffer (pad);
    if (buf == NULL)
      continue;
    ts = GST_BUFFER_DTS_IS_VALID (buf) ? GST_BUFFER_DTS (buf) :
        GST_BUFFER_PTS (buf);
    GST_OBJECT_LOCK (pad);
    rt = GST_CLOCK_TIME_IS_VALID (ts) ?
        gst_segment_to_running_time (&pad->segment, GST_FORMAT_TIME, ts) :
        GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK (pad);
    gst_buffer_unref (buf);
    if (GST_CLOCK_TIME_IS_VALID (rt) &&
        (!GST_CLOCK_TIME_IS_VALID (earliest) || rt < earliest))
      earliest = rt;
  }
  GST_OBJECT_UNLOCK (agg);
  /* NONE (nothing queued): the aggregator waits for data, as it should. */
  return earliest;
}

static void
hf_program_mux_class_init (gpointer klass, gpointer data)
{
  GST_AGGREGATOR_CLASS (klass)->get_next_time = hf_program_mux_get_next_time;
}

static GType
hf_program_mux_get_type (void)
{
  static GMutex lock;
  static GType type = 0;
  GstElementFactory *factory;
  GstPluginFeature *loaded;

  g_mutex_lock (&lock);
  if (type != 0 || !(factory = gst_element_factory_find ("mpegtsmux")))
    goto done;
  if (!hf_program_mux_debug)
    GST_DEBUG_CATEGORY_INIT (hf_program_mux_debug, "hf-programmux", 0,
        "Holdfast program mux");
  loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (factory));
  if (loaded) {
    GType parent =
        gst_element_factory_get_element_type (GST_ELEMENT_FACTORY (loaded));
    GTypeQuery query;

    g_type_query (parent, &query);
    if (query.type != 0 && g_type_is_a (parent, GST_TYPE_AGGREGATOR)) {
      GTypeInfo info = { 0 };

      info.class_size = query.class_size;
      info.class_init = hf_program_mux_class_init;
      info.instance_size = query.instance_size;
      type = g_type_register_static (parent, "HfProgramMux", &info, 0);
    }
    gst_object_unref (loaded);
  }
  gst_object_unref (factory);
done:
  g_mutex_unlock (&lock);
  return type;
}

GstElement *
hf_program_mux_new (const gchar * name)
{
  GType type = hf_program_mux_get_type ();

  if (type == 0)
    return NULL;
  return g_object_new (type, "name", name, NULL);
}

/* The "hfrtpsink" element: the sending end of a repaired RTP link (contract
 * in abr/hf-abr.h, last section).
 *
 *   sink ! rtprtxsend ! hffecenc ! udpsink            (RTP socket)
 *   rtcp_sink ! udpsink                                (RTCP socket)
 *   udpsrc (RTP socket)  ! fakesink   } feedback probe: NACK, RR,
 *   udpsrc (RTCP socket) ! fakesink   } REMB, TMMBR
 *
 * The bin binds both sockets itself (RTP on an ephemeral port, RTCP on the
 * next one when it is free) so that what it sends and what the receiver
 * answers share one address: a receiver of ours replies to where the RTP
 * or the RTCP came from.  rtprtxsend is left out with rtx=false, hffecenc
 * with fec-mode=off.  The chain is built, and the sockets opened, on the
 * first NULL -> READY change; "host", "port", "rtx", "fec-mode",
 * "bind-address" and "sync" are read then (later changes to "rtx" and
 * "fec-mode" are ignored; the others are read again at every
 * NULL -> READY).
 *
 * "stats": packets-sent and bytes-sent count every packet that leaves the
 * RTP socket (media, RTX and FEC); rtx-requested counts the sequence
 * numbers receivers NACKed; rtx-dropped those of them not passed on to
 * rtprtxsend (asked again within HF_RTP_SINK_RTX_REPEAT_US, or over the
 * retransmission budget); rtx-sent is rtprtxsend's count of
 * retransmissions; fec-packets hffecenc's parity packets.
 *
 * Feedback is trusted only as far as it costs nothing to check: datagrams
 * whose source address is not the host we send to (any port) are refused
 * and counted in bad-feedback-packets.  That does not stop a spoofed
 * source, so retransmissions are bounded too: each sequence number at
 * most once per HF_RTP_SINK_RTX_REPEAT_US, and all of them by a token
 * bucket that earns HF_RTP_SINK_RTX_SHARE of a token per media packet and
 * holds at most that share of the last second's media packets plus
 * HF_RTP_SINK_RTX_BURST (rtprtxsend 1.22 has no limit of its own).  A
 * REMB or TMMBR value counts for HF_RTP_SINK_RATE_TTL_US after it came.
 *
 * With hffecenc in the chain a leaky queue sits in front of the RTP
 * udpsink: hffecenc pushes a stalled block's parity from the system
 * clock's thread, which must never wait in udpsink's sync.
 *
 * Threads: the application's thread sets properties and changes state.
 * The upstream streaming thread enters the sink probe (learns the media
 * SSRC and payload type) and the packet counter on the RTP udpsink; each
 * feedback udpsrc's streaming thread enters the feedback probe, which sends
 * retransmission requests into rtprtxsend, sets hffecenc's "percent" and
 * emits "bitrate-request" with no lock held.  stats_lock guards the
 * counters and the feedback state and is only held for a few assignments.
 */
#include "abr/hf-abr.h"
#include "ingest/hf-fec.h"

#include <string.h>

#include <gio/gio.h>
#include <gst/net/gstnetaddressmeta.h>
#include <gst/rtp/gstrtpbuffer.h>

GST_DEBUG_CATEGORY_STATIC (hf_rtp_sink_debug);
#define GST_CAT_DEFAULT hf_rtp_sink_debug

#define GST_TYPE_HF_RTP_SINK (gst_hf_rtp_sink_get_type ())
#define GST_HF_RTP_SINK(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST ((obj), GST_TYPE_HF_RTP_SINK, GstHfRtpSink))

/* How long rtprtxsend keeps sent packets for retransmission, and a packet
 * bound in case it cannot tell time (no clock-rate in the caps): 1 s of
 * 1316-byte packets at some 20 Mbit/s. */
#define HF_RTP_SINK_RTX_HISTORY_MS 1000
#define HF_RTP_SINK_RTX_HISTORY_PACKETS 2000
/* Weight of a new receiver report in the smoothed loss that drives
 * fec=auto: an RR comes every second or so, so a few reports settle it. */
#define HF_RTP_SINK_LOSS_WEIGHT 0.3
/* Retransmission limits against NACK floods (see the top of the file):
 * a sequence number is resent at most once per 30 ms (a receiver's NACK
 * retries come a retry timeout apart, 40 ms and more for ours: a longer
 * window ate the retries of a 40 ms round trip and left 2-3x the residual
 * loss at 10 % loss), and in all at most 25 % of the media packets of the
 * last second plus a burst of 50. */
#define HF_RTP_SINK_RTX_REPEAT_US (30 * 1000)
#define HF_RTP_SINK_RTX_TABLE 1024
#define HF_RTP_SINK_RTX_SHARE 0.25
#define HF_RTP_SINK_RTX_BURST 50.0
/* How long a REMB or TMMBR value holds: receivers repeat theirs about
 * every second, so a value not repeated for 2 s is stale. */
#define HF_RTP_SINK_RATE_TTL_US (2 * G_USEC_PER_SEC)
/* Queue in front of the RTP udpsink when hffecenc is there.  With
 * sync=TRUE it holds what waits for its running time, about the
 * pipeline's latency (hf-push: well under this; measured no leak). */
#define HF_RTP_SINK_QUEUE_NS (200 * GST_MSECOND)

typedef struct
{
  GstBin parent;

  GstPad *sinkpad;              /* ghost pads, owned by the element */
  GstPad *rtcp_sinkpad;

  /* Properties (object lock). */
  gchar *host;
  gint port;
  gboolean rtx;
  gchar *fec_mode;
  gchar *bind_address;
  gboolean sync;

  /* Built on the first NULL -> READY; application thread. */
  gboolean built;
  gint fec_fixed;               /* -1: auto; else percent (0: no hffecenc) */
  GstElement *rtxsend;          /* NULL with rtx=false */
  GstElement *fecenc;           /* NULL with fec-mode=off */
  GstElement *queue;            /* NULL with fec-mode=off */
  GstElement *rtp_sink;
  GstElement *rtcp_sink;
  GstElement *fb_src[2];
  GstElement *fb_sink[2];
  GSocket *rtp_socket;          /* (owned) open from READY to NULL */
  GSocket *rtcp_socket;

  /* The media stream, learned from the packets (atomic). */
  guint media_ssrc;
  gint media_pt;                /* -1 until the first packet */
  gint protected_pt;            /* what hffecenc was told, -1 none */

  GMutex stats_lock;            /* guards the fields below */
  GInetAddress *dest_addr;      /* (owned) the host we send to, from READY
                                 * to NULL: feedback from elsewhere is
                                 * refused */
  guint64 packets_sent;
  guint64 bytes_sent;
  guint64 rtx_requested;
  guint64 rtx_dropped;
  /* Retransmission limits: per sequence number (seq + 1, 0 unused; the
   * time it was last passed on, monotonic us) and the token bucket, fed
   * by the media packets counted per second. */
  guint32 rtx_seq[HF_RTP_SINK_RTX_TABLE];
  gint64 rtx_time[HF_RTP_SINK_RTX_TABLE];
  gdouble rtx_tokens;
  gint64 media_second_start;
  guint64 media_this_second;
  guint64 media_last_second;
  guint64 feedback_packets;
  guint64 bad_feedback_packets;
  gdouble rr_fraction_lost;
  gdouble loss_smoothed;
  gboolean have_loss;
  guint fec_percent;
  guint64 remb_bps;
  guint64 tmmbr_bps;
  gint64 remb_time;             /* when remb_bps / tmmbr_bps came */
  gint64 tmmbr_time;
} GstHfRtpSink;

typedef struct
{
  GstBinClass parent_class;
} GstHfRtpSinkClass;

enum
{
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_RTX,
  PROP_FEC_MODE,
  PROP_BIND_ADDRESS,
  PROP_SYNC,
  PROP_STATS
};

enum
{
  SIGNAL_BITRATE_REQUEST,
  LAST_SIGNAL
};

static guint gst_hf_rtp_sink_signals[LAST_SIGNAL];

static GstStaticPadTemplate gst_hf_rtp_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate gst_hf_rtp_sink_rtcp_template =
GST_STATIC_PAD_TEMPLATE ("rtcp_sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtcp"));

GType gst_hf_rtp_sink_get_type (void);
G_DEFINE_TYPE (GstHfRtpSink, gst_hf_rtp_sink, GST_TYPE_BIN);

/* ---------------------------------------------------------------------- */
/* fec-mode                                                               */

/* Parses "off" | "auto" | "N" (0..100): -1 for auto, else the percent.
 * Returns FALSE for anything else. */
static gboolean
gst_hf_rtp_sink_parse_fec_mode (const gchar * mode, gint * fixed)
{
  guint64 value;

  if (mode == NULL || g_str_equal (mode, "off")) {
    *fixed = 0;
    return TRUE;
  }
  if (g_str_equal (mode, "auto")) {
    *fixed = -1;
    return TRUE;
  }
  if (!g_ascii_string_to_unsigned (mode, 10, 0, 100, &value, NULL))
    return FALSE;
  *fixed = (gint) value;
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Streaming threads                                                      */

/* Reads the SSRC and payload type of one RTP buffer. */
static gboolean
gst_hf_rtp_sink_peek (GstBuffer * buf, guint32 * ssrc, guint8 * pt)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return FALSE;
  *ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  *pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return TRUE;
}

/* Upstream streaming thread: @packets media packets go out; each earns
 * the retransmission budget HF_RTP_SINK_RTX_SHARE of a token, and the
 * bucket holds that share of the last second's media plus a burst. */
static void
gst_hf_rtp_sink_earn_rtx_tokens (GstHfRtpSink * self, guint packets)
{
  gint64 now = g_get_monotonic_time ();
  gdouble cap;

  g_mutex_lock (&self->stats_lock);
  if (now - self->media_second_start >= G_USEC_PER_SEC) {
    /* A gap of more than a second means nothing came in the last one. */
    self->media_last_second =
        now - self->media_second_start < 2 * G_USEC_PER_SEC ?
        self->media_this_second : 0;
    self->media_this_second = 0;
    self->media_second_start = now;
  }
  self->media_this_second += packets;
  cap = HF_RTP_SINK_RTX_BURST + HF_RTP_SINK_RTX_SHARE *
      MAX (self->media_last_second, self->media_this_second);
  self->rtx_tokens = MIN (cap,
      self->rtx_tokens + HF_RTP_SINK_RTX_SHARE * packets);
  g_mutex_unlock (&self->stats_lock);
}

/* Upstream streaming thread, on the "sink" ghost pad: notes the media SSRC
 * (the NACKs and reports are about it) and payload type (so that hffecenc
 * protects the media and not the retransmissions). */
static GstPadProbeReturn
gst_hf_rtp_sink_on_media (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstHfRtpSink *self = user_data;
  GstBuffer *buf = NULL;
  guint packets = 0;
  guint32 ssrc;
  guint8 pt;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    buf = GST_PAD_PROBE_INFO_BUFFER (info);
    packets = 1;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    packets = gst_buffer_list_length (list);
    if (packets > 0)
      buf = gst_buffer_list_get (list, 0);
  }
  if (packets > 0)
    gst_hf_rtp_sink_earn_rtx_tokens (self, packets);
  if (buf == NULL || !gst_hf_rtp_sink_peek (buf, &ssrc, &pt))
    return GST_PAD_PROBE_OK;

  if ((guint) g_atomic_int_get (&self->media_ssrc) != ssrc) {
    GST_INFO_OBJECT (self, "media SSRC %08x, payload type %u", ssrc, pt);
    g_atomic_int_set (&self->media_ssrc, ssrc);
  }
  g_atomic_int_set (&self->media_pt, pt);
  if (self->fecenc != NULL && g_atomic_int_get (&self->protected_pt) != pt) {
    g_atomic_int_set (&self->protected_pt, pt);
    g_object_set (self->fecenc, "protect-pt", (gint) pt, NULL);
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
gst_hf_rtp_sink_count_one (GstBuffer ** buf, guint idx, gpointer user_data)
{
  guint64 *bytes = user_data;

  *bytes += gst_buffer_get_size (*buf);
  return TRUE;
}

/* Upstream (or rtprtxsend's) streaming thread, on the RTP udpsink's sink
 * pad: everything that leaves the RTP socket. */
static GstPadProbeReturn
gst_hf_rtp_sink_on_sent (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstHfRtpSink *self = user_data;
  guint64 packets = 0, bytes = 0;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    packets = 1;
    bytes = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    packets = gst_buffer_list_length (list);
    gst_buffer_list_foreach (list, gst_hf_rtp_sink_count_one, &bytes);
  }
  g_mutex_lock (&self->stats_lock);
  self->packets_sent += packets;
  self->bytes_sent += bytes;
  g_mutex_unlock (&self->stats_lock);
  return GST_PAD_PROBE_OK;
}

/* Asks rtprtxsend to resend @seq of the media SSRC (RFC 4588), as
 * rtpsession does when it receives a NACK. */
static void
gst_hf_rtp_sink_request_rtx (GstHfRtpSink * self, GstPad * rtx_src,
    guint32 ssrc, guint16 seq)
{
  GstStructure *s;

  s = gst_structure_new ("GstRTPRetransmissionRequest",
      "seqnum", G_TYPE_UINT, (guint) seq, "ssrc", G_TYPE_UINT, ssrc, NULL);
  gst_pad_send_event (rtx_src,
      gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
}

/* Whether @from is @dest, an IPv4 address also matching its IPv4-mapped
 * IPv6 form (what an IPv6 socket with bind-address "::" reports for an
 * IPv4 peer). */
static gboolean
gst_hf_rtp_sink_same_host (GInetAddress * from, GInetAddress * dest)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff
  };
  GInetAddress *v6, *v4;
  const guint8 *bytes;

  if (g_inet_address_equal (from, dest))
    return TRUE;
  if (g_inet_address_get_family (from) == G_SOCKET_FAMILY_IPV6 &&
      g_inet_address_get_family (dest) == G_SOCKET_FAMILY_IPV4) {
    v6 = from;
    v4 = dest;
  } else if (g_inet_address_get_family (from) == G_SOCKET_FAMILY_IPV4 &&
      g_inet_address_get_family (dest) == G_SOCKET_FAMILY_IPV6) {
    v6 = dest;
    v4 = from;
  } else {
    return FALSE;
  }
  bytes = g_inet_address_to_bytes (v6);
  return memcmp (bytes, mapped, sizeof (mapped)) == 0 &&
      memcmp (bytes + 12, g_inet_address_to_bytes (v4), 4) == 0;
}

/* stats_lock held, feedback thread: keeps in @fb->nacks, in order, the
 * sequence numbers to resend now (not resent within
 * HF_RTP_SINK_RTX_REPEAT_US, and within the token bucket) and returns how
 * many; the others are counted in rtx_dropped. */
static guint
gst_hf_rtp_sink_limit_rtx_locked (GstHfRtpSink * self, HfRtcpFeedback * fb,
    gint64 now)
{
  guint i, n = 0;

  for (i = 0; i < fb->n_nacks; i++) {
    guint16 seq = fb->nacks[i];
    guint slot = seq % HF_RTP_SINK_RTX_TABLE;

    if ((self->rtx_seq[slot] == (guint32) seq + 1 &&
            now - self->rtx_time[slot] < HF_RTP_SINK_RTX_REPEAT_US) ||
        self->rtx_tokens < 1.0) {
      self->rtx_dropped++;
      continue;
    }
    self->rtx_tokens -= 1.0;
    self->rtx_seq[slot] = (guint32) seq + 1;
    self->rtx_time[slot] = now;
    fb->nacks[n++] = seq;
  }
  if (n < fb->n_nacks)
    GST_LOG_OBJECT (self, "dropped %u of %u retransmission requests",
        fb->n_nacks - n, fb->n_nacks);
  return n;
}

/* Feedback udpsrc's streaming thread (either socket): one datagram from a
 * receiver, untrusted. */
static GstPadProbeReturn
gst_hf_rtp_sink_on_feedback (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstHfRtpSink *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  HfRtcpFeedback *fb;
  HfRtcpResult res;
  GstMapInfo map;
  guint32 ssrc = (guint) g_atomic_int_get (&self->media_ssrc);
  GstNetAddressMeta *meta = gst_buffer_get_net_address_meta (buf);
  GInetAddress *from = NULL;
  gint new_percent = -1;
  gdouble loss_smoothed = 0.0;
  guint64 request = 0;
  guint i, n_rtx = 0;
  gint64 now;

  /* Only the host we send to may steer us (NACK, REMB): anyone else could
   * make us flood the receiver with retransmissions or starve the
   * encoder.  The port may differ (a receiver answers from its own). */
  if (meta != NULL && G_IS_INET_SOCKET_ADDRESS (meta->addr))
    from = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS
        (meta->addr));
  g_mutex_lock (&self->stats_lock);
  if (from == NULL || self->dest_addr == NULL ||
      !gst_hf_rtp_sink_same_host (from, self->dest_addr)) {
    self->bad_feedback_packets++;
    g_mutex_unlock (&self->stats_lock);
    GST_LOG_OBJECT (self, "refused feedback from another host");
    return GST_PAD_PROBE_DROP;
  }
  g_mutex_unlock (&self->stats_lock);

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_DROP;
  fb = g_new0 (HfRtcpFeedback, 1);
  res = hf_rtcp_parse_feedback (map.data, map.size, ssrc, fb);
  gst_buffer_unmap (buf, &map);

  g_mutex_lock (&self->stats_lock);
  if (res != HF_RTCP_OK) {
    self->bad_feedback_packets++;
    g_mutex_unlock (&self->stats_lock);
    GST_LOG_OBJECT (self, "dropped a malformed feedback packet");
    g_free (fb);
    return GST_PAD_PROBE_DROP;
  }
  self->feedback_packets++;
  self->rtx_requested += fb->n_nacks;
  now = g_get_monotonic_time ();
  if (self->rtxsend != NULL && ssrc != 0)
    n_rtx = gst_hf_rtp_sink_limit_rtx_locked (self, fb, now);
  if (fb->has_rr) {
    gdouble loss = fb->fraction_lost / 256.0;

    self->rr_fraction_lost = loss;
    if (self->have_loss)
      self->loss_smoothed = (1.0 - HF_RTP_SINK_LOSS_WEIGHT) *
          self->loss_smoothed + HF_RTP_SINK_LOSS_WEIGHT * loss;
    else
      self->loss_smoothed = loss;
    self->have_loss = TRUE;
    loss_smoothed = self->loss_smoothed;
    if (self->fec_fixed < 0 && self->fecenc != NULL) {
      guint percent = hf_fec_auto_percent (self->loss_smoothed);

      if (percent != self->fec_percent) {
        self->fec_percent = percent;
        new_percent = (gint) percent;
      }
    }
  }
  if (fb->remb_bps > 0) {
    self->remb_bps = fb->remb_bps;
    self->remb_time = now;
  }
  if (fb->tmmbr_bps > 0) {
    self->tmmbr_bps = fb->tmmbr_bps;
    self->tmmbr_time = now;
  }
  if (fb->remb_bps > 0 || fb->tmmbr_bps > 0) {
    /* The smaller of the values still current: a TMMBR must not cap every
     * later REMB forever (nor the reverse). */
    guint64 remb = now - self->remb_time < HF_RTP_SINK_RATE_TTL_US ?
        self->remb_bps : 0;
    guint64 tmmbr = now - self->tmmbr_time < HF_RTP_SINK_RATE_TTL_US ?
        self->tmmbr_bps : 0;

    if (remb > 0 && tmmbr > 0)
      request = MIN (remb, tmmbr);
    else
      request = MAX (remb, tmmbr);
  }
  g_mutex_unlock (&self->stats_lock);

  if (n_rtx > 0) {
    GstPad *rtx_src = gst_element_get_static_pad (self->rtxsend, "src");

    GST_DEBUG_OBJECT (self, "%u NACKed packets, %u resent", fb->n_nacks,
        n_rtx);
    for (i = 0; i < n_rtx; i++)
      gst_hf_rtp_sink_request_rtx (self, rtx_src, ssrc, fb->nacks[i]);
    gst_object_unref (rtx_src);
  }
  if (new_percent >= 0) {
    GST_INFO_OBJECT (self, "loss %.2f %%: FEC overhead %d %%",
        100.0 * loss_smoothed, new_percent);
    g_object_set (self->fecenc, "percent", (guint) new_percent, NULL);
  }
  if (request > 0) {
    GST_DEBUG_OBJECT (self, "bitrate request %" G_GUINT64_FORMAT " bit/s",
        request);
    g_signal_emit (self, gst_hf_rtp_sink_signals[SIGNAL_BITRATE_REQUEST], 0,
        request);
  }
  g_free (fb);
  return GST_PAD_PROBE_DROP;
}

/* ---------------------------------------------------------------------- */
/* Building                                                               */

static GstElement *
gst_hf_rtp_sink_make (GstHfRtpSink * self, const gchar * factory,
    const gchar * name)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("element \"%s\" is missing", factory), (NULL));
    return NULL;
  }
  gst_bin_add (GST_BIN (self), element);
  return element;
}

/* A sink that must not hold up the pipeline's preroll or EOS. */
static void
gst_hf_rtp_sink_side_sink (GstElement * sink)
{
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  GST_OBJECT_FLAG_UNSET (sink, GST_ELEMENT_FLAG_SINK);
}

/* Application thread, first NULL -> READY. */
static gboolean
gst_hf_rtp_sink_build (GstHfRtpSink * self)
{
  GstElement *first;
  GstCaps *caps;
  GstPad *pad;
  gchar *mode;
  guint i;

  GST_OBJECT_LOCK (self);
  mode = g_strdup (self->fec_mode);
  self->fec_fixed = 0;
  if (!gst_hf_rtp_sink_parse_fec_mode (mode, &self->fec_fixed)) {
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("bad fec-mode \"%s\": expected off, auto or a percentage", mode),
        (NULL));
    g_free (mode);
    return FALSE;
  }
  GST_OBJECT_UNLOCK (self);
  g_free (mode);

  self->rtp_sink = gst_hf_rtp_sink_make (self, "udpsink", "rtp_udpsink");
  self->rtcp_sink = gst_hf_rtp_sink_make (self, "udpsink", "rtcp_udpsink");
  if (self->rtp_sink == NULL || self->rtcp_sink == NULL)
    return FALSE;
  first = self->rtp_sink;

  if (self->fec_fixed != 0) {
    self->fecenc = gst_hf_rtp_sink_make (self, "hffecenc", "fecenc");
    if (self->fecenc == NULL)
      return FALSE;
    self->fec_percent = self->fec_fixed > 0 ? (guint) self->fec_fixed : 0;
    g_object_set (self->fecenc, "percent", self->fec_percent, NULL);
    /* hffecenc pushes a stalled block's parity from the system clock's
     * thread (its timer); with sync=TRUE udpsink would hold that shared
     * thread in its clock wait.  Through a queue that push only enqueues.
     * Leaky: a stalled udpsink drops old packets rather than block. */
    self->queue = gst_hf_rtp_sink_make (self, "queue", "rtp_queue");
    if (self->queue == NULL)
      return FALSE;
    gst_util_set_object_arg (G_OBJECT (self->queue), "leaky", "downstream");
    g_object_set (self->queue, "max-size-time", HF_RTP_SINK_QUEUE_NS,
        "max-size-buffers", 0, "max-size-bytes", 0, NULL);
    if (!gst_element_link (self->queue, first))
      goto link_failed;
    if (!gst_element_link (self->fecenc, self->queue))
      goto link_failed;
    first = self->fecenc;
  }
  if (self->rtx) {
    GstStructure *pt_map, *rate_map;

    self->rtxsend = gst_hf_rtp_sink_make (self, "rtprtxsend", "rtxsend");
    if (self->rtxsend == NULL)
      return FALSE;
    pt_map = gst_structure_new ("application/x-rtp-pt-map",
        "33", G_TYPE_UINT, (guint) HF_RTX_PT_MP2T,
        "96", G_TYPE_UINT, (guint) HF_RTX_PT_VIDEO,
        "97", G_TYPE_UINT, (guint) HF_RTX_PT_AUDIO, NULL);
    /* Only used when the caps carry no clock-rate. */
    rate_map = gst_structure_new ("application/x-rtp-pt-map",
        "33", G_TYPE_UINT, 90000u, "96", G_TYPE_UINT, 90000u,
        "97", G_TYPE_UINT, 48000u, NULL);
    g_object_set (self->rtxsend, "payload-type-map", pt_map,
        "clock-rate-map", rate_map,
        "max-size-time", (guint) HF_RTP_SINK_RTX_HISTORY_MS,
        "max-size-packets", (guint) HF_RTP_SINK_RTX_HISTORY_PACKETS, NULL);
    gst_structure_free (pt_map);
    gst_structure_free (rate_map);
    if (!gst_element_link (self->rtxsend, first))
      goto link_failed;
    first = self->rtxsend;
  }

  pad = gst_element_get_static_pad (first, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), pad);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (self->rtcp_sink, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->rtcp_sinkpad), pad);
  gst_object_unref (pad);

  pad = gst_element_get_static_pad (self->rtp_sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, gst_hf_rtp_sink_on_sent, self, NULL);
  gst_object_unref (pad);

  g_object_set (self->rtp_sink, "close-socket", FALSE, NULL);
  g_object_set (self->rtcp_sink, "close-socket", FALSE, NULL);
  /* rtpbin forwards EOS to its RTCP pad only after the BYE, and in 1.22 now
   * and then not at all: the pipeline's EOS must not wait for it. */
  gst_hf_rtp_sink_side_sink (self->rtcp_sink);

  caps = gst_caps_new_empty_simple ("application/x-rtcp");
  for (i = 0; i < 2; i++) {
    gchar *name;

    name = g_strdup_printf ("feedback_src%u", i);
    self->fb_src[i] = gst_hf_rtp_sink_make (self, "udpsrc", name);
    g_free (name);
    name = g_strdup_printf ("feedback_sink%u", i);
    self->fb_sink[i] = gst_hf_rtp_sink_make (self, "fakesink", name);
    g_free (name);
    if (self->fb_src[i] == NULL || self->fb_sink[i] == NULL) {
      gst_caps_unref (caps);
      return FALSE;
    }
    g_object_set (self->fb_src[i], "caps", caps, "close-socket", FALSE, NULL);
    gst_hf_rtp_sink_side_sink (self->fb_sink[i]);
    if (!gst_element_link (self->fb_src[i], self->fb_sink[i])) {
      gst_caps_unref (caps);
      goto link_failed;
    }
    pad = gst_element_get_static_pad (self->fb_src[i], "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
        gst_hf_rtp_sink_on_feedback, self, NULL);
    gst_object_unref (pad);
  }
  gst_caps_unref (caps);
  self->built = TRUE;
  return TRUE;

link_failed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("cannot link the RTP chain"),
      (NULL));
  return FALSE;
}

/* Resolves @host (a literal or a name) to its first address.  Application
 * thread; may block on DNS. */
static GInetAddress *
gst_hf_rtp_sink_resolve (const gchar * host, GError ** error)
{
  GInetAddress *addr;
  GResolver *resolver;
  GList *list;

  addr = g_inet_address_new_from_string (host);
  if (addr != NULL)
    return addr;
  resolver = g_resolver_get_default ();
  list = g_resolver_lookup_by_name (resolver, host, NULL, error);
  g_object_unref (resolver);
  if (list == NULL)
    return NULL;
  addr = g_object_ref (list->data);
  g_resolver_free_addresses (list);
  return addr;
}

/* Binds @addr:@port on a new UDP socket; NULL on failure. */
static GSocket *
gst_hf_rtp_sink_bind (GInetAddress * addr, guint port, GError ** error)
{
  GSocketAddress *sa;
  GSocket *socket;

  socket = g_socket_new (g_inet_address_get_family (addr),
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  sa = g_inet_socket_address_new (addr, port);
  if (!g_socket_bind (socket, sa, FALSE, error))
    g_clear_object (&socket);
  g_object_unref (sa);
  return socket;
}

static guint
gst_hf_rtp_sink_local_port (GSocket * socket)
{
  GSocketAddress *sa = g_socket_get_local_address (socket, NULL);
  guint port = 0;

  if (sa != NULL) {
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa));
    g_object_unref (sa);
  }
  return port;
}

/* Application thread, NULL -> READY: opens both sockets and hands them to
 * the udpsinks and udpsrcs. */
static gboolean
gst_hf_rtp_sink_open (GstHfRtpSink * self)
{
  GInetAddress *dest = NULL, *local = NULL;
  GError *error = NULL;
  gchar *host, *bind_address;
  gboolean sync;
  guint rtp_port;
  gint port;

  GST_OBJECT_LOCK (self);
  host = g_strdup (self->host);
  bind_address = g_strdup (self->bind_address);
  port = self->port;
  GST_OBJECT_UNLOCK (self);

  if (host == NULL || port < 1 || port > 65534) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("hfrtpsink needs a host and a port from 1 to 65534"), (NULL));
    goto failed;
  }
  dest = gst_hf_rtp_sink_resolve (host, &error);
  if (dest == NULL)
    goto socket_failed;
  if (bind_address != NULL && bind_address[0] != '\0') {
    local = g_inet_address_new_from_string (bind_address);
    if (local == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("bad bind-address \"%s\"", bind_address), (NULL));
      goto failed;
    }
  } else {
    local = g_inet_address_new_any (g_inet_address_get_family (dest));
  }

  self->rtp_socket = gst_hf_rtp_sink_bind (local, 0, &error);
  if (self->rtp_socket == NULL)
    goto socket_failed;
  rtp_port = gst_hf_rtp_sink_local_port (self->rtp_socket);
  /* RTCP on the next port, as RFC 3550 suggests, if it is free. */
  if (rtp_port > 0 && rtp_port < 65535)
    self->rtcp_socket = gst_hf_rtp_sink_bind (local, rtp_port + 1, NULL);
  if (self->rtcp_socket == NULL)
    self->rtcp_socket = gst_hf_rtp_sink_bind (local, 0, &error);
  if (self->rtcp_socket == NULL)
    goto socket_failed;
  GST_INFO_OBJECT (self, "sending to %s:%d from ports %u/%u", host, port,
      rtp_port, gst_hf_rtp_sink_local_port (self->rtcp_socket));

  GST_OBJECT_LOCK (self);
  sync = self->sync;
  GST_OBJECT_UNLOCK (self);
  g_object_set (self->rtp_sink, "socket", self->rtp_socket, "host", host,
      "port", port, "sync", sync, NULL);
  g_object_set (self->rtcp_sink, "socket", self->rtcp_socket, "host", host,
      "port", port + 1, NULL);
  g_object_set (self->fb_src[0], "socket", self->rtp_socket, NULL);
  g_object_set (self->fb_src[1], "socket", self->rtcp_socket, NULL);

  g_mutex_lock (&self->stats_lock);
  g_set_object (&self->dest_addr, dest);
  g_mutex_unlock (&self->stats_lock);
  g_object_unref (dest);
  g_object_unref (local);
  g_free (host);
  g_free (bind_address);
  return TRUE;

socket_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
      ("cannot open the RTP sockets for %s:%d: %s", host, port,
          error->message), (NULL));
  g_clear_error (&error);
failed:
  g_clear_object (&self->rtp_socket);
  g_clear_object (&self->rtcp_socket);
  g_clear_object (&dest);
  g_clear_object (&local);
  g_free (host);
  g_free (bind_address);
  return FALSE;
}

/* Application thread, READY -> NULL (the children are in NULL). */
static void
gst_hf_rtp_sink_close (GstHfRtpSink * self)
{
  if (self->rtp_socket != NULL)
    g_socket_close (self->rtp_socket, NULL);
  if (self->rtcp_socket != NULL)
    g_socket_close (self->rtcp_socket, NULL);
  g_clear_object (&self->rtp_socket);
  g_clear_object (&self->rtcp_socket);
  g_mutex_lock (&self->stats_lock);
  g_clear_object (&self->dest_addr);
  g_mutex_unlock (&self->stats_lock);
}

static GstStateChangeReturn
gst_hf_rtp_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstHfRtpSink *self = GST_HF_RTP_SINK (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    if (!self->built && !gst_hf_rtp_sink_build (self))
      return GST_STATE_CHANGE_FAILURE;
    if (!gst_hf_rtp_sink_open (self))
      return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (gst_hf_rtp_sink_parent_class)->change_state
      (element, transition);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
      (transition == GST_STATE_CHANGE_NULL_TO_READY &&
          ret == GST_STATE_CHANGE_FAILURE))
    gst_hf_rtp_sink_close (self);
  return ret;
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                */

static GstStructure *
gst_hf_rtp_sink_get_stats (GstHfRtpSink * self)
{
  GstStructure *s;
  guint64 rtx_sent = 0, fec_packets = 0;

  if (self->rtxsend != NULL) {
    guint n = 0;

    g_object_get (self->rtxsend, "num-rtx-packets", &n, NULL);
    rtx_sent = n;
  }
  if (self->fecenc != NULL &&
      g_object_class_find_property (G_OBJECT_GET_CLASS (self->fecenc),
          "parity-packets") != NULL)
    g_object_get (self->fecenc, "parity-packets", &fec_packets, NULL);

  g_mutex_lock (&self->stats_lock);
  s = gst_structure_new ("application/x-hf-rtpsink-stats",
      "packets-sent", G_TYPE_UINT64, self->packets_sent,
      "bytes-sent", G_TYPE_UINT64, self->bytes_sent,
      "rtx-requested", G_TYPE_UINT64, self->rtx_requested,
      "rtx-dropped", G_TYPE_UINT64, self->rtx_dropped,
      "rtx-sent", G_TYPE_UINT64, rtx_sent,
      "fec-packets", G_TYPE_UINT64, fec_packets,
      "fec-percent", G_TYPE_UINT64, (guint64) self->fec_percent,
      "rr-fraction-lost", G_TYPE_DOUBLE, self->rr_fraction_lost,
      "remb-bps", G_TYPE_UINT64, self->remb_bps,
      "tmmbr-bps", G_TYPE_UINT64, self->tmmbr_bps,
      "feedback-packets", G_TYPE_UINT64, self->feedback_packets,
      "bad-feedback-packets", G_TYPE_UINT64, self->bad_feedback_packets, NULL);
  g_mutex_unlock (&self->stats_lock);
  return s;
}

static void
gst_hf_rtp_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstHfRtpSink *self = GST_HF_RTP_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HOST:
      g_free (self->host);
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_int (value);
      break;
    case PROP_RTX:
      self->rtx = g_value_get_boolean (value);
      break;
    case PROP_FEC_MODE:
      g_free (self->fec_mode);
      self->fec_mode = g_value_dup_string (value);
      break;
    case PROP_BIND_ADDRESS:
      g_free (self->bind_address);
      self->bind_address = g_value_dup_string (value);
      break;
    case PROP_SYNC:
      self->sync = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_hf_rtp_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstHfRtpSink *self = GST_HF_RTP_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_hf_rtp_sink_get_stats (self));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_int (value, self->port);
      break;
    case PROP_RTX:
      g_value_set_boolean (value, self->rtx);
      break;
    case PROP_FEC_MODE:
      g_value_set_string (value, self->fec_mode);
      break;
    case PROP_BIND_ADDRESS:
      g_value_set_string (value, self->bind_address);
      break;
    case PROP_SYNC:
      g_value_set_boolean (value, self->sync);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_hf_rtp_sink_finalize (GObject * object)
{
  GstHfRtpSink *self = GST_HF_RTP_SINK (object);

  gst_hf_rtp_sink_close (self);
  g_free (self->host);
  g_free (self->fec_mode);
  g_free (self->bind_address);
  g_mutex_clear (&self->stats_lock);
  G_OBJECT_CLASS (gst_hf_rtp_sink_parent_class)->finalize (object);
}

static void
gst_hf_rtp_sink_init (GstHfRtpSink * self)
{
  GstPadTemplate *tmpl;

  g_mutex_init (&self->stats_lock);
  self->fec_mode = g_strdup ("off");
  self->sync = TRUE;
  self->media_pt = -1;
  self->protected_pt = -1;
  self->rtx_tokens = HF_RTP_SINK_RTX_BURST;

  tmpl = gst_static_pad_template_get (&gst_hf_rtp_sink_template);
  self->sinkpad = gst_ghost_pad_new_no_target_from_template ("sink", tmpl);
  gst_object_unref (tmpl);
  gst_pad_add_probe (self->sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, gst_hf_rtp_sink_on_media, self, NULL);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  tmpl = gst_static_pad_template_get (&gst_hf_rtp_sink_rtcp_template);
  self->rtcp_sinkpad =
      gst_ghost_pad_new_no_target_from_template ("rtcp_sink", tmpl);
  gst_object_unref (tmpl);
  gst_element_add_pad (GST_ELEMENT (self), self->rtcp_sinkpad);
}

static void
gst_hf_rtp_sink_class_init (GstHfRtpSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_hf_rtp_sink_set_property;
  gobject_class->get_property = gst_hf_rtp_sink_get_property;
  gobject_class->finalize = gst_hf_rtp_sink_finalize;
  element_class->change_state = gst_hf_rtp_sink_change_state;

  g_object_class_install_property (gobject_class, PROP_HOST,
      g_param_spec_string ("host", "Host",
          "Address or name of the receiver", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_int ("port", "Port",
          "The receiver's RTP port (RTCP goes to port + 1)", 0, 65534, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_RTX,
      g_param_spec_boolean ("rtx", "RTX",
          "Retransmit NACKed packets (RFC 4588)", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FEC_MODE,
      g_param_spec_string ("fec-mode", "FEC mode",
          "off, auto (follows the reported loss) or a fixed overhead in "
          "percent", "off", G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_BIND_ADDRESS,
      g_param_spec_string ("bind-address", "Bind address",
          "Local address of both sockets (default: any)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SYNC,
      g_param_spec_boolean ("sync", "Sync",
          "Send each RTP packet at its running time, as udpsink does "
          "(FALSE: as soon as it comes, for a pass-through hop)", TRUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters of what was sent and what the receivers reported",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * hfrtpsink::bitrate-request:
   * @bps: the smaller of the REMB and TMMBR values that came in the last
   *   HF_RTP_SINK_RATE_TTL_US (2 s), bits/s
   *
   * A receiver asked for a bitrate.  Emitted on a feedback udpsrc's
   * streaming thread with no lock held.
   */
  gst_hf_rtp_sink_signals[SIGNAL_BITRATE_REQUEST] =
      g_signal_new ("bitrate-request", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);

  gst_element_class_add_static_pad_template (element_class,
      &gst_hf_rtp_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_hf_rtp_sink_rtcp_template);
  gst_element_class_set_static_metadata (element_class,
      "Holdfast RTP sender", "Sink/Network",
      "Sends RTP with retransmission and FEC and reads the receiver's "
      "feedback", "Holdfast");

  GST_DEBUG_CATEGORY_INIT (hf_rtp_sink_debug, "hf-rtpsink", 0,
      "Holdfast RTP sender");
}

gboolean
hf_abr_register_elements (void)
{
  return gst_element_register (NULL, "hfrtpsink", GST_RANK_NONE,
      GST_TYPE_HF_RTP_SINK);
}

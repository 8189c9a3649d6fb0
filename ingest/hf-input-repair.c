/* RTP repair and rate feedback of an input (see hf-input.c for the
 * pipelines): the repair elements of each media slot, the NACKs, receiver
 * reports, REMB and TMMBR sent to the sender, and the repair counters.
 *
 * Repair and feedback (RTP inputs that are not merged): hffecdec always
 * sits in the chain, so FEC is decoded whatever the URL asks the sender
 * for; rtprtxreceive turns RFC 4588 retransmissions back into media
 * packets; with rtx=on the jitter buffer asks for missing packets with
 * "GstRTPRetransmissionRequest" events, which a probe on rtprtxreceive's
 * sink pad (after rtprtxreceive has recorded them, to associate the RTX
 * stream) turns into RTCP generic NACKs, sent at once.  The stats probe
 * (hf-input.c) counts FEC and RTX packets apart: loss and jitter are
 * those of the media packets as they arrived, before repair; the residual
 * loss is the jitter buffer's.  Feedback goes to the address the sender's
 * RTCP came from (sent from our RTCP socket), or before any RTCP came, to
 * the RTP source address (from our RTP socket, RFC 5761 style).
 *
 * Rate control (HfRatectl) runs on the RTP udpsrc's streaming thread: it
 * sees every media packet there anyway, so feeding it and asking it for a
 * decision right after a packet needs no lock and answers a cut within one
 * packet (plus at most HF_INPUT_RC_EVAL_US), and the receiver reports that
 * carry REMB + TMMBR every HF_RATECTL_FEEDBACK_US go out from there too.
 * When nothing arrives there is nothing to report on: the control thread
 * is not involved.  SRT inputs send no feedback (libsrt has its own).
 *
 * Threads: the elements are set up, their sockets fetched and the slots
 * released on the control thread; media packets enter from the RTP
 * udpsrc's streaming thread (through hf-input.c's stats probe), RTCP
 * senders' addresses from the RTCP udpsrc's, and NACKs from the jitter
 * buffer's timer thread; the counters are read from any thread (the
 * relay's ticker, the API).  Shared state is under HfInput's stats_lock,
 * never held across a send or a call into another module; the rate
 * controller belongs to its slot's RTP streaming thread.
 */
#include "ingest/ingest-private.h"
#include "ingest/hf-fec.h"

#include <gst/net/gstnetaddressmeta.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <string.h>

#define GST_CAT_DEFAULT hf_ingest_debug

/* Rate control: how long the receive rate is measured before the
 * controller starts from it, how often it is asked for a decision, its
 * default range, and what TMMBR counts as per-packet overhead (IPv4 + UDP
 * + RTP headers). */
#define HF_INPUT_RC_WARMUP_US (500 * 1000)
#define HF_INPUT_RC_EVAL_US (5 * 1000)
#define HF_INPUT_RC_MIN_BPS 100000
#define HF_INPUT_RC_MAX_BPS 50000000
#define HF_INPUT_TMMBR_OVERHEAD 40
/* The RTP source address is re-read at most this often (a pusher that
 * moved is followed within it). */
#define HF_INPUT_PEER_REFRESH_US G_USEC_PER_SEC
/* How long after a new SSRC the jitter buffer's loss count is set aside:
 * its latency (a few hundred ms at most) plus one tick. */
#define HF_INPUT_SSRC_SETTLE_US (2 * G_USEC_PER_SEC)

/* ---- Feedback (streaming threads) ---------------------------------------- */

/* Any thread.  Sends one compound RTCP packet on slot @slot: a receiver
 * report, then REMB + TMMBR when @target_bps > 0, then a generic NACK for
 * @nacks when @n_nacks > 0 (about @nack_ssrc).  A plain report (no NACK)
 * starts a new reporting interval for the fraction lost.  Nothing is sent
 * before the sender's SSRC and address are known. */
static void
hf_input_fb_send (HfInput * input, guint slot, guint64 target_bps,
    const guint16 * nacks, guint n_nacks, guint32 nack_ssrc)
{
  HfInputFb *fb = &input->fb[slot];
  GSocket *sock = NULL;
  GSocketAddress *addr = NULL;
  guint32 media_ssrc = 0, cum = 0, highest = 0, jitter = 0;
  guint8 fraction = 0;
  GByteArray *out;
  g_autoptr (GError) err = NULL;

  g_mutex_lock (&input->stats_lock);
  if (fb->used && fb->have_ssrc) {
    if (fb->rtcp_peer && fb->rtcp_socket) {
      sock = g_object_ref (fb->rtcp_socket);
      addr = g_object_ref (fb->rtcp_peer);
    } else if (fb->rtp_peer && fb->rtp_socket) {
      sock = g_object_ref (fb->rtp_socket);
      addr = g_object_ref (fb->rtp_peer);
    }
  }
  if (sock) {
    HfRtpStats *st = &input->rtp[slot];

    media_ssrc = fb->media_ssrc;
    if (input->rtp_used[slot]) {
      guint64 expected = hf_rtp_stats_expected (st);
      guint64 lost = hf_rtp_stats_lost (st);

      if (n_nacks == 0) {
        /* RFC 3550 A.3: the fraction of the packets expected since the
         * last report that did not arrive (before repair). */
        guint64 de = expected > fb->rr_expected ? expected - fb->rr_expected
            : 0;
        guint64 dl = lost > fb->rr_lost ? lost - fb->rr_lost : 0;

        fb->fraction_lost = de ? (guint8) MIN (255, dl * 256 / de) : 0;
        fb->rr_expected = expected;
        fb->rr_lost = lost;
      }
      fraction = fb->fraction_lost;
      cum = (guint32) MIN (lost, 0x7fffff);
      highest = (guint32) (st->cycles + st->max_seq);
      jitter = (guint32) (st->jitter_q4 >> 4);
    }
  }
  if (sock && n_nacks > 0)
    input->rtx_requested += n_nacks;
  g_mutex_unlock (&input->stats_lock);
  if (!sock)
    return;

  out = g_byte_array_sized_new (128);
  hf_rtcp_build_rr (out, input->own_ssrc, media_ssrc, fraction, cum, highest,
      jitter);
  if (target_bps > 0) {
    hf_rtcp_build_remb (out, input->own_ssrc, media_ssrc, target_bps);
    hf_rtcp_build_tmmbr (out, input->own_ssrc, media_ssrc, target_bps,
        HF_INPUT_TMMBR_OVERHEAD);
  }
  if (n_nacks > 0)
    hf_rtcp_build_nack (out, input->own_ssrc, nack_ssrc, nacks, n_nacks);
  if (g_socket_send_to (sock, addr, (const gchar *) out->data, out->len, NULL,
          &err) < 0)
    GST_DEBUG ("input %s: feedback not sent: %s", input->name, err->message);
  g_byte_array_unref (out);
  g_object_unref (sock);
  g_object_unref (addr);
}

/* Extends a 16-bit sequence number against the highest one seen (the
 * count starts at 65536 so that a packet just before the first stays
 * positive). */
static guint64
hf_input_fb_extend_seq (HfInputFb * fb, guint16 seq)
{
  gint16 d;
  guint64 ext;

  if (!fb->have_seq) {
    fb->have_seq = TRUE;
    fb->ext_seq = 65536 + seq;
    return fb->ext_seq;
  }
  d = (gint16) (seq - (guint16) fb->ext_seq);
  ext = fb->ext_seq + d;
  if (d > 0)
    fb->ext_seq = ext;
  return ext;
}

/* The slot's RTP streaming thread, no lock held: one media packet for the
 * rate controller, and the feedback that falls due. */
void
hf_input_fb_on_media (HfInput * input, guint slot, gsize size,
    guint16 seq, guint32 rtp_ts, guint clock_rate, gint64 now)
{
  HfInputFb *fb = &input->fb[slot];
  guint64 ext = hf_input_fb_extend_seq (fb, seq);
  guint64 target = 0;

  if (fb->want_rc && !fb->rc) {
    if (!fb->first_us) {
      fb->first_us = now;
      hf_rate_window_init (&fb->warmup_rate, G_USEC_PER_SEC);
    }
    hf_rate_window_add (&fb->warmup_rate, size, now);
    if (now - fb->first_us >= HF_INPUT_RC_WARMUP_US) {
      guint64 min = input->spec.min_bitrate_kbps > 0 ?
          (guint64) input->spec.min_bitrate_kbps * 1000 : HF_INPUT_RC_MIN_BPS;
      guint64 max = input->spec.max_bitrate_kbps > 0 ?
          (guint64) input->spec.max_bitrate_kbps * 1000 : HF_INPUT_RC_MAX_BPS;
      guint64 start = hf_rate_window_bps (&fb->warmup_rate, now);

      if (max < min)
        max = min;
      start = start ? CLAMP (start, min, max) : max;
      fb->rc = hf_ratectl_new (start, min, max);
      GST_INFO ("input %s: rate control starts at %" G_GUINT64_FORMAT
          " bps (range %" G_GUINT64_FORMAT " .. %" G_GUINT64_FORMAT ")",
          input->name, start, min, max);
    }
  }

  if (fb->rc) {
    hf_ratectl_on_packet (fb->rc, size, rtp_ts, clock_rate, ext, now);
    if (now < fb->next_eval_us)
      return;
    fb->next_eval_us = now + HF_INPUT_RC_EVAL_US;
    if (!hf_ratectl_update (fb->rc, now, &target))
      return;
    if (target != fb->last_target)
      GST_INFO ("input %s: target %" G_GUINT64_FORMAT " -> %"
          G_GUINT64_FORMAT " bps (%s; receive %" G_GUINT64_FORMAT
          " bps, loss %.3f, queue delay %.1f ms)", input->name,
          fb->last_target, target,
          hf_ratectl_state_to_string (hf_ratectl_get_state (fb->rc)),
          hf_ratectl_get_receive_bps (fb->rc),
          hf_ratectl_get_loss_ratio (fb->rc),
          hf_ratectl_get_queue_delay_ms (fb->rc));
    fb->last_target = target;
    g_mutex_lock (&input->stats_lock);
    input->target_bps = target;
    input->queue_delay_ms = hf_ratectl_get_queue_delay_ms (fb->rc);
    g_mutex_unlock (&input->stats_lock);
    hf_input_fb_send (input, slot, target, NULL, 0, 0);
  } else if (now >= fb->next_rr_us) {
    fb->next_rr_us = now + HF_RATECTL_FEEDBACK_US;
    hf_input_fb_send (input, slot, 0, NULL, 0, 0);
  }
}

/* stats_lock held: remembers where the sender's packets come from. */
void
hf_input_fb_note_peer_locked (HfInput * input, const HfInputProbe * probe,
    GstBuffer * buf, gint64 now)
{
  HfInputFb *fb = &input->fb[probe->fb_slot];
  GstNetAddressMeta *meta;

  if (!fb->used)
    return;
  if (!probe->rtcp && fb->rtp_peer &&
      now - fb->rtp_peer_us < HF_INPUT_PEER_REFRESH_US)
    return;
  meta = gst_buffer_get_net_address_meta (buf);
  if (!meta || !meta->addr)
    return;
  if (probe->rtcp) {
    /* Feedback follows the pusher's RTCP only if it is the pusher's: from
     * the host its media comes from, about its own SSRC (the first
     * packet of a compound RTCP is its SR or RR, whose sender SSRC is at
     * bytes 4..7).  Else one stray RTCP packet from anywhere would take
     * the NACKs and REMBs away from the pusher. */
    GstMapInfo map;
    guint32 sender = 0;
    gboolean ok = FALSE;

    if (!fb->rtp_peer || !fb->have_ssrc ||
        !G_IS_INET_SOCKET_ADDRESS (meta->addr) ||
        !G_IS_INET_SOCKET_ADDRESS (fb->rtp_peer) ||
        !g_inet_address_equal (g_inet_socket_address_get_address
            (G_INET_SOCKET_ADDRESS (meta->addr)),
            g_inet_socket_address_get_address
            (G_INET_SOCKET_ADDRESS (fb->rtp_peer))))
      return;
    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      if (map.size >= 8) {
        sender = GST_READ_UINT32_BE (map.data + 4);
        ok = sender == fb->media_ssrc;
      }
      gst_buffer_unmap (buf, &map);
    }
    if (ok)
      g_set_object (&fb->rtcp_peer, meta->addr);
  } else {
    g_set_object (&fb->rtp_peer, meta->addr);
    fb->rtp_peer_us = now;
  }
}

/* Jitter buffer's timer thread: a retransmission request leaving the jitter
 * buffer.  It names the SSRC only when the caps carry one (ours do not: the
 * sender's SSRC is learnt from its packets), and rtprtxreceive needs it to
 * associate the RTX stream with the media stream: fill it in. */
static GstPadProbeReturn
hf_input_rtx_ssrc_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  HfInputProbe *probe = user_data;
  HfInput *input = probe->input;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s;
  guint32 ssrc;
  gboolean have;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;
  s = gst_event_get_structure (event);
  if (!s || !gst_structure_has_name (s, "GstRTPRetransmissionRequest") ||
      gst_structure_has_field (s, "ssrc"))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&input->stats_lock);
  ssrc = input->fb[probe->fb_slot].media_ssrc;
  have = input->fb[probe->fb_slot].have_ssrc;
  g_mutex_unlock (&input->stats_lock);
  if (!have)
    return GST_PAD_PROBE_DROP;
  event = gst_event_make_writable (event);
  gst_structure_set (gst_event_writable_structure (event), "ssrc", G_TYPE_UINT,
      ssrc, NULL);
  GST_PAD_PROBE_INFO_DATA (info) = event;
  return GST_PAD_PROBE_OK;
}

/* Jitter buffer's timer thread: a retransmission request on its way
 * upstream, seen on rtprtxreceive's sink pad (rtprtxreceive has noted it):
 * becomes a generic NACK to the sender at once, and goes no further. */
static GstPadProbeReturn
hf_input_nack_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  HfInputProbe *probe = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s;
  guint seqnum = 0, ssrc = 0;
  guint16 seq;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;
  s = gst_event_get_structure (event);
  if (!s || !gst_structure_has_name (s, "GstRTPRetransmissionRequest"))
    return GST_PAD_PROBE_OK;
  if (probe->generation != g_atomic_int_get (&probe->input->generation) ||
      !gst_structure_get_uint (s, "seqnum", &seqnum) ||
      !gst_structure_get_uint (s, "ssrc", &ssrc))
    return GST_PAD_PROBE_DROP;
  seq = (guint16) seqnum;
  GST_LOG ("input %s: NACK %u (ssrc %08x)", probe->input->name, seq, ssrc);
  hf_input_fb_send (probe->input, probe->fb_slot, 0, &seq, 1, ssrc);
  return GST_PAD_PROBE_DROP;
}

/* ---- Pipeline construction (control thread) ------------------------------ */

GstElement *
hf_input_make_jitterbuffer (HfInput * input)
{
  GstElement *jb = gst_element_factory_make ("rtpjitterbuffer", NULL);

  /* mode=slave: timestamps follow arrival (with the sender's clock skew
   * tracked), so a missing packet's deadline is "its expected arrival +
   * latency" on the pipeline clock.  (mode=none starts the RTP timeline at
   * 0 whenever the first packet came, which puts every deadline in the
   * past: a packet that arrives a moment out of order, as the first copies
   * of a merge of two paths do, was declared lost at once.)  A short
   * latency is enough to put reordered packets back in order on a
   * pass-through hop (rtpbin's 200 ms default is too much); TS timestamps
   * come from the stream itself downstream. */
  g_object_set (jb, "latency", input->spec.latency_ms, "mode", 1, NULL);
  if (input->spec.rtx && input->n_paths == 0) {
    /* Tuned for a link of ~40 ms RTT and the 150 ms repair latency: ask
     * 10 ms after a gap shows (most links barely reorder), retry no
     * sooner than an RTT, at most 3 times within the latency; with
     * rtx-next-seqnum the next packet's expected arrival is timed too, so
     * a lost tail of a burst is asked for without waiting for the next
     * packet.  Measured through hf-linkem (5 % loss, 20 ms each way, 8 s
     * of hf-push, ~80 packets lost a run): 1-2 left lost per run with
     * these values, 2-6 with the jitter buffer's automatic ones, 2-3 with
     * rtx-delay 5 / retry 30 ms / unlimited retries.  What is left: an
     * MPEG-TS keyframe's packets all carry the frame's timestamp, so the
     * deadline (pts + latency) of a late packet of a big frame leaves
     * room for one request only, and that retransmission may be lost. */
    g_object_set (jb, "do-retransmission", TRUE, "rtx-delay", 10,
        "rtx-min-delay", 5, "rtx-min-retry-timeout", 40,
        "rtx-max-retries", 3, "rtx-next-seqnum", TRUE,
        "rtx-delay-reorder", 2, NULL);
  }
  return jb;
}

/* Links "@src ! hffecdec ! rtprtxreceive ! @jb" for feedback slot @slot
 * (both already in the pipeline), records the slot's elements and, with
 * rtx=on, adds the NACK probe.  Without hffecdec (not registered) FEC is
 * only counted, not decoded. */
gboolean
hf_input_link_repair (HfInput * input, guint slot, GstElement * src,
    GstElement * jb)
{
  GstElement *fecdec = gst_element_factory_make ("hffecdec", NULL);
  GstElement *rtx = gst_element_factory_make ("rtprtxreceive", NULL);
  GstStructure *map;
  gboolean ok;

  if (!rtx) {
    if (fecdec)
      gst_object_unref (fecdec);
    return FALSE;
  }
  /* rtprtxreceive's map goes from the original payload type to its RTX
   * payload type (it inverts it itself): 33 -> 98, 96 -> 100, 97 -> 101. */
  map = gst_structure_new ("application/x-rtp-pt-map",
      "33", G_TYPE_UINT, HF_RTX_PT_MP2T,
      "96", G_TYPE_UINT, HF_RTX_PT_VIDEO,
      "97", G_TYPE_UINT, HF_RTX_PT_AUDIO, NULL);
  g_object_set (rtx, "payload-type-map", map, NULL);
  gst_structure_free (map);
  gst_bin_add (GST_BIN (input->pipeline), rtx);
  if (fecdec) {
    gst_bin_add (GST_BIN (input->pipeline), fecdec);
    ok = gst_element_link_many (src, fecdec, rtx, jb, NULL);
  } else {
    GST_WARNING ("input %s: hffecdec is not registered: FEC is not decoded",
        input->name);
    ok = gst_element_link_many (src, rtx, jb, NULL);
  }
  if (!ok)
    return FALSE;

  if (input->spec.rtx) {
    HfInputProbe *probe = g_new0 (HfInputProbe, 1);
    GstPad *pad = gst_element_get_static_pad (rtx, "sink");

    probe->input = input;
    probe->slot = slot;
    probe->fb_slot = slot;
    probe->media_pt = -1;
    probe->path = -1;
    probe->generation = g_atomic_int_get (&input->generation);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        hf_input_nack_probe, probe, NULL);
    gst_object_unref (pad);
    /* The same context serves both probes; the src pad's owns it. */
    pad = gst_element_get_static_pad (rtx, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        hf_input_rtx_ssrc_probe, probe, g_free);
    gst_object_unref (pad);
  }

  g_mutex_lock (&input->stats_lock);
  input->fb[slot].used = TRUE;
  gst_object_replace ((GstObject **) & input->fb[slot].rtp_src,
      GST_OBJECT (src));
  gst_object_replace ((GstObject **) & input->fb[slot].jb, GST_OBJECT (jb));
  gst_object_replace ((GstObject **) & input->fb[slot].fecdec,
      fecdec ? GST_OBJECT (fecdec) : NULL);
  g_mutex_unlock (&input->stats_lock);
  return TRUE;
}

/* ---- Counters and teardown ----------------------------------------------- */

/* Reads the repair counters of one slot's elements (either may be NULL):
 * packets rebuilt by FEC, and the jitter buffer's lost and pushed. */
static void
hf_input_repair_counters (GstElement * jb, GstElement * fecdec,
    guint64 * recovered, guint64 * lost, guint64 * pushed)
{
  GstStructure *s = NULL;
  guint64 v;

  if (fecdec) {
    g_object_get (fecdec, "stats", &s, NULL);
    if (s && gst_structure_get_uint64 (s, "recovered", &v))
      *recovered += v;
    if (s)
      gst_structure_free (s);
    s = NULL;
  }
  if (jb) {
    g_object_get (jb, "stats", &s, NULL);
    if (s && gst_structure_get_uint64 (s, "num-lost", &v))
      *lost += v;
    if (s && gst_structure_get_uint64 (s, "num-pushed", &v))
      *pushed += v;
    if (s)
      gst_structure_free (s);
  }
}

/* Any thread: the running pipeline's repair counters, summed over its
 * slots (the elements are read without our lock). */
void
hf_input_read_repair (HfInput * input, guint64 * recovered, guint64 * lost,
    guint64 * pushed)
{
  GstElement *jb[HF_INPUT_MAX_MEDIA], *fecdec[HF_INPUT_MAX_MEDIA];
  guint i;

  *recovered = *lost = *pushed = 0;
  g_mutex_lock (&input->stats_lock);
  for (i = 0; i < HF_INPUT_MAX_MEDIA; i++) {
    jb[i] = input->fb[i].jb ? gst_object_ref (input->fb[i].jb) : NULL;
    fecdec[i] = input->fb[i].fecdec ? gst_object_ref (input->fb[i].fecdec) :
        NULL;
  }
  g_mutex_unlock (&input->stats_lock);
  for (i = 0; i < HF_INPUT_MAX_MEDIA; i++) {
    hf_input_repair_counters (jb[i], fecdec[i], recovered, lost, pushed);
    if (jb[i])
      gst_object_unref (jb[i]);
    if (fecdec[i])
      gst_object_unref (fecdec[i]);
  }
}

/* Control thread, after the pipeline has started (udpsrc opened its
 * socket going to READY): the sockets feedback is sent from. */
void
hf_input_fb_fetch_sockets (HfInput * input)
{
  guint i;

  for (i = 0; i < HF_INPUT_MAX_MEDIA; i++) {
    GstElement *src[2];
    GSocket *sock[2] = { NULL, NULL };
    guint j;

    g_mutex_lock (&input->stats_lock);
    src[0] = input->fb[i].rtp_src ? gst_object_ref (input->fb[i].rtp_src) :
        NULL;
    src[1] = input->fb[i].rtcp_src ? gst_object_ref (input->fb[i].rtcp_src) :
        NULL;
    g_mutex_unlock (&input->stats_lock);
    for (j = 0; j < 2; j++) {
      if (!src[j])
        continue;
      g_object_get (src[j], "used-socket", &sock[j], NULL);
      gst_object_unref (src[j]);
    }
    g_mutex_lock (&input->stats_lock);
    g_clear_object (&input->fb[i].rtp_socket);
    g_clear_object (&input->fb[i].rtcp_socket);
    input->fb[i].rtp_socket = sock[0];
    input->fb[i].rtcp_socket = sock[1];
    g_mutex_unlock (&input->stats_lock);
  }
}

/* Control thread, the pipeline stopped (no streaming thread left): folds
 * the repair counters into the totals and forgets the slots. */
void
hf_input_release_fb (HfInput * input)
{
  guint64 recovered, lost, pushed;
  guint i;

  hf_input_read_repair (input, &recovered, &lost, &pushed);
  g_mutex_lock (&input->stats_lock);
  input->fec_recovered_base += recovered;
  input->residual_lost_base += lost;
  input->residual_pushed_base += pushed;
  input->fec_recovered_live = input->residual_lost_live =
      input->residual_pushed_live = 0;
  for (i = 0; i < HF_INPUT_MAX_MEDIA; i++) {
    HfInputFb *fb = &input->fb[i];

    gst_clear_object (&fb->rtp_src);
    gst_clear_object (&fb->rtcp_src);
    gst_clear_object (&fb->jb);
    gst_clear_object (&fb->fecdec);
    g_clear_object (&fb->rtp_socket);
    g_clear_object (&fb->rtcp_socket);
    g_clear_object (&fb->rtp_peer);
    g_clear_object (&fb->rtcp_peer);
    g_clear_pointer (&fb->rc, hf_ratectl_free);
    memset (fb, 0, sizeof (*fb));
  }
  g_mutex_unlock (&input->stats_lock);
}

void
hf_input_repair_tick_locked (HfInput * input, gboolean live,
    guint64 recovered, guint64 lost, guint64 pushed, gint64 now_us)
{
  guint64 rl, rt;

  if (live) {
    /* Within a jitter-buffer latency and a tick of a new SSRC, what the
     * jitter buffer counts lost is the gap between two sessions' numbers. */
    if (input->ssrc_changed_us &&
        now_us - input->ssrc_changed_us < HF_INPUT_SSRC_SETTLE_US &&
        lost > input->residual_lost_live)
      input->residual_ignored += lost - input->residual_lost_live;
    input->fec_recovered_live = recovered;
    input->residual_lost_live = lost;
    input->residual_pushed_live = pushed;
  }
  rl = input->residual_lost_base + input->residual_lost_live;
  rl = rl > input->residual_ignored ? rl - input->residual_ignored : 0;
  rt = rl + input->residual_pushed_base + input->residual_pushed_live;
  if (rt > input->tick_residual_total)
    input->residual_loss_ratio = MIN (1.0,
        (gdouble) (rl > input->tick_residual_lost ?
            rl - input->tick_residual_lost : 0) /
        (rt - input->tick_residual_total));
  else
    input->residual_loss_ratio = 0;
  input->tick_residual_lost = rl;
  input->tick_residual_total = rt;
  if (input->media_packets > input->tick_media_packets)
    input->fec_overhead_ratio = (gdouble) (input->fec_packets -
        input->tick_fec_packets) / (input->media_packets -
        input->tick_media_packets);
  else
    input->fec_overhead_ratio = 0;
  input->tick_fec_packets = input->fec_packets;
  input->tick_media_packets = input->media_packets;
}

void
hf_input_repair_get_stats_locked (HfInput * input, HfInputStats * st)
{
  st->fec_recovered = input->fec_recovered_base + input->fec_recovered_live;
  st->fec_packets = input->fec_packets;
  st->fec_overhead_ratio = input->fec_overhead_ratio;
  st->rtx_requested = input->rtx_requested;
  st->rtx_received = input->rtx_received;
  st->residual_lost = input->residual_lost_base + input->residual_lost_live;
  st->residual_lost = st->residual_lost > input->residual_ignored ?
      st->residual_lost - input->residual_ignored : 0;
  st->residual_loss_ratio = input->residual_loss_ratio;
  st->target_bitrate_bps = input->target_bps;
  st->queue_delay_ms = input->queue_delay_ms;
}

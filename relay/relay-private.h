/* Declarations shared inside relay/ only. */
#ifndef HF_RELAY_PRIVATE_H
#define HF_RELAY_PRIVATE_H

#include "relay/hf-relay.h"

G_BEGIN_DECLS

/* An output of a stream's program (MPEG-TS): SRT listener or caller, or
 * RTP.  Created and freed on the control thread; fed on the program's
 * streaming thread. */
typedef struct _HfOutput HfOutput;

HfOutput *hf_output_new (const HfOutputSpec * spec, const gchar * name,
    GError ** error);
void hf_output_free (HfOutput * out);
/* TRUE when a connection of this output waits for a start-up GOP. */
gboolean hf_output_wants_gop (HfOutput * out);
/* Program thread: @data is whole TS packets; @gop (transfer none, may be
 * NULL) is what new connections get first. */
void hf_output_send (HfOutput * out, const guint8 * data, gsize size,
    GBytes * gop);
/* Adds this output's figures as an object to @b (control thread). */
void hf_output_add_json (HfOutput * out, JsonBuilder * b);

/* An mpegtsmux that waits at most its latency for a stream that has no
 * data (see hf-programmux.c).  (transfer floating); NULL when mpegtsmux is
 * not installed.  Any thread. */
GstElement *hf_program_mux_new (const gchar * name);

void hf_output_get_figures (HfOutput * out, HfOutputFigures * figures);

G_END_DECLS
#endif

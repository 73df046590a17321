/*
 * bpf.h - a BPF filter expression (tcpdump syntax) matched against packets
 * of any link type.  libpcap compiles the expression once per link type
 * met (pcap_open_dead + pcap_compile) and runs it with
 * pcap_offline_filter(); its errors are translated into TW_EINVAL with
 * libpcap's message.
 */
#ifndef TW_BPF_H
#define TW_BPF_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/error.h"

/* Link types one filter can be compiled for. */
#define TW_BPF_MAX_LINKTYPES 8

struct tw_bpf;

/*
 * Compiles expr for Ethernet, so that a syntax error shows at once.
 * Returns 0 and *out (free with tw_bpf_free()), or TW_EINVAL (the message
 * in eb) or TW_ENOMEM.  expr is copied.
 */
int tw_bpf_new(struct tw_bpf **out, const char *expr, struct tw_errbuf *eb);

/*
 * Whether the packet matches.  The first packet of a new link type
 * compiles the expression for it; when that fails (the expression names
 * something the link type lacks) TW_EINVAL is returned with the message in
 * eb, and every later packet of that link type returns it too.
 * Returns 1 (match), 0 (no match) or the error.
 */
int tw_bpf_match(struct tw_bpf *b, uint32_t linktype, const uint8_t *data,
                 uint32_t caplen, uint32_t wirelen, struct tw_errbuf *eb);

/* The expression as given. */
const char *tw_bpf_expr(const struct tw_bpf *b);

void tw_bpf_free(struct tw_bpf *b);

#endif

/*
 * backend_afpacket.c - sends on a Linux interface through an AF_PACKET
 * socket (packet(7)): a PACKET_TX_RING (TPACKET_V2) by default, sendmmsg()
 * on request or when the ring cannot be set up, with PACKET_QDISC_BYPASS
 * so frames go straight to the driver.
 *
 * A burst is copied into free ring frames and flushed with one blocking
 * send(), so when tx_burst returns, the kernel has handed every accepted
 * frame to the driver and the engine's lateness is measured after the
 * fact.  Drops past that point are read from the interface's tx_dropped
 * counter.  Frames are Ethernet (TODO(#6): raw IP on tun-like devices,
 * through SOCK_DGRAM).
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "replay/backend.h"
#include "trace/log.h"
#include "trace/packet.h"

#define BURST 64
#define RING_FRAMES 4096
#define SNDBUF (4 << 20)

struct af_backend {
	struct tw_backend b; /* first: the engine's handle */
	int fd;
	char ifname[IF_NAMESIZE];
	uint64_t dropped_base;
	/* TX ring, when in use */
	uint8_t *ring;
	size_t ring_len;
	unsigned frame_size, frame_nr, head;
	/* sendmmsg */
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
};

static uint64_t read_tx_dropped(const char *ifname)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped",
	         ifname);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static int mmsg_tx(struct af_backend *af, const struct tw_txpkt *pkts,
                   unsigned n)
{
	int sent;

	if (n > BURST)
		n = BURST;
	for (unsigned i = 0; i < n; i++) {
		af->iov[i].iov_base = (void *)pkts[i].data;
		af->iov[i].iov_len = pkts[i].len;
		memset(&af->msgs[i], 0, sizeof(af->msgs[i]));
		af->msgs[i].msg_hdr.msg_iov = &af->iov[i];
		af->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	sent = sendmmsg(af->fd, af->msgs, n, 0);
	if (sent >= 0)
		return sent;
	if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
		return 0;
	return tw_errf(&af->b.err, TW_EIO, "%s: sendmmsg: %s", af->ifname,
	               strerror(errno));
}

static struct tpacket2_hdr *frame_at(struct af_backend *af, unsigned i)
{
	return (struct tpacket2_hdr *)(af->ring + (size_t)i * af->frame_size);
}

/* Fills free ring frames with pkts, then one send() to flush them. */
static int ring_tx(struct af_backend *af, const struct tw_txpkt *pkts,
                   unsigned n)
{
	const size_t data_off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
	unsigned k = 0;

	for (; k < n; k++) {
		struct tpacket2_hdr *h = frame_at(af, af->head);
		volatile uint32_t *status = &h->tp_status;

		if (*status != TP_STATUS_AVAILABLE &&
		    *status != TP_STATUS_WRONG_FORMAT)
			break; /* the ring is full: offer the rest later */
		if (pkts[k].len > af->frame_size - data_off)
			return tw_errf(&af->b.err, TW_EINTERNAL,
			               "%s: %u-byte frame exceeds the ring "
			               "slot",
			               af->ifname, pkts[k].len);
		memcpy((uint8_t *)h + data_off, pkts[k].data, pkts[k].len);
		h->tp_len = pkts[k].len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
		                 __ATOMIC_RELEASE);
		af->head = (af->head + 1) % af->frame_nr;
	}
	if (k == 0)
		return 0;
	if (send(af->fd, NULL, 0, 0) < 0 && errno != EAGAIN &&
	    errno != ENOBUFS && errno != EINTR)
		return tw_errf(&af->b.err, TW_EIO, "%s: send: %s", af->ifname,
		               strerror(errno));
	return (int)k;
}

static int af_tx(struct tw_backend *b, const struct tw_txpkt *pkts, unsigned n)
{
	struct af_backend *af = (struct af_backend *)b;

	return af->ring ? ring_tx(af, pkts, n) : mmsg_tx(af, pkts, n);
}

static int af_flush(struct tw_backend *b)
{
	(void)b;
	return 0;
}

static void af_stats(struct tw_backend *b, struct tw_backend_stats *st)
{
	struct af_backend *af = (struct af_backend *)b;
	uint64_t now = read_tx_dropped(af->ifname);

	st->port_dropped = now > af->dropped_base ? now - af->dropped_base : 0;
}

static int af_close(struct tw_backend *b, struct tw_errbuf *eb)
{
	struct af_backend *af = (struct af_backend *)b;

	(void)eb;
	if (af->ring)
		munmap(af->ring, af->ring_len);
	if (af->fd >= 0)
		close(af->fd);
	free(af);
	return 0;
}

static const struct tw_backend_ops af_ops = {
	.name = "AF_PACKET",
	.tx_burst = af_tx,
	.flush = af_flush,
	.stats = af_stats,
	.close = af_close,
};

static unsigned pow2_at_least(unsigned v)
{
	unsigned p = 2048;

	while (p < v)
		p <<= 1;
	return p;
}

/* Sets up a TPACKET_V2 TX ring sized for the interface's MTU. */
static int setup_ring(struct af_backend *af, unsigned frames)
{
	int version = TPACKET_V2, one = 1;
	struct tpacket_req req;
	unsigned fs = pow2_at_least(TPACKET2_HDRLEN + ETH_HLEN + 8 + af->b.mtu);
	unsigned per_block = fs >= 65536 ? 1 : 65536 / fs;

	if (setsockopt(af->fd, SOL_PACKET, PACKET_VERSION, &version,
	               sizeof(version)) < 0)
		return -1;
	setsockopt(af->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one));
	frames = (frames + per_block - 1) / per_block * per_block;
	memset(&req, 0, sizeof(req));
	req.tp_frame_size = fs;
	req.tp_block_size = fs * per_block;
	req.tp_frame_nr = frames;
	req.tp_block_nr = frames / per_block;
	if (setsockopt(af->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) <
	    0)
		return -1;
	af->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	af->ring = mmap(NULL, af->ring_len, PROT_READ | PROT_WRITE,
	                MAP_SHARED | MAP_POPULATE, af->fd, 0);
	if (af->ring == MAP_FAILED) {
		af->ring = NULL;
		return -1;
	}
	af->frame_size = fs;
	af->frame_nr = frames;
	return 0;
}

static int open_socket(struct af_backend *af, const char *ifname,
                       const struct tw_afpacket_opts *opts)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int one = 1, sndbuf = SNDBUF;

	af->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (af->fd < 0)
		return tw_errf(&af->b.err, TW_EIO, "AF_PACKET socket: %s",
		               strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(af->fd, SIOCGIFINDEX, &ifr) < 0)
		return tw_errf(&af->b.err, TW_EIO, "%s: %s", ifname,
		               strerror(errno));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (bind(af->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return tw_errf(&af->b.err, TW_EIO, "%s: bind: %s", ifname,
		               strerror(errno));
	if (ioctl(af->fd, SIOCGIFMTU, &ifr) < 0)
		return tw_errf(&af->b.err, TW_EIO, "%s: MTU: %s", ifname,
		               strerror(errno));
	af->b.mtu = (uint32_t)ifr.ifr_mtu;
	if (!opts->no_qdisc_bypass &&
	    setsockopt(af->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
	               sizeof(one)) < 0)
		tw_log(TW_LOG_WARN, "replay", "%s: no PACKET_QDISC_BYPASS: %s",
		       ifname, strerror(errno));
	setsockopt(af->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return 0;
}

int tw_backend_afpacket_open(struct tw_backend **out, const char *ifname,
                             const struct tw_afpacket_opts *opts,
                             struct tw_errbuf *eb)
{
	struct af_backend *af = calloc(1, sizeof(*af));
	int rc;

	*out = NULL;
	if (!af)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	af->fd = -1;
	snprintf(af->ifname, sizeof(af->ifname), "%s", ifname);
	rc = open_socket(af, ifname, opts);
	if (rc < 0) {
		tw_errf(eb, rc, "%s", af->b.err.msg);
		af_close(&af->b, eb);
		return rc;
	}
	if (!opts->sendmmsg &&
	    setup_ring(af,
	               opts->ring_frames ? opts->ring_frames : RING_FRAMES) < 0)
		tw_log(TW_LOG_WARN, "replay",
		       "%s: no PACKET_TX_RING (%s), using sendmmsg", ifname,
		       strerror(errno));
	af->dropped_base = read_tx_dropped(ifname);
	af->b.ops = &af_ops;
	af->b.paced = true;
	af->b.linktype = TW_LINK_ETHERNET;
	af->b.burst = BURST;
	*out = &af->b;
	return 0;
}

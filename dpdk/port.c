/*
 * port.c - ports: look-up, hot-plug of virtual devices, set-up with the
 * offloads the port offers, counters and xstats, external memory.
 */
/* rte_dev_dma_map() is still marked experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "dpdk/internal.h"
#include "trace/log.h"

/* Software ports that send chained mbufs whatever their flags say. */
static bool soft_multiseg(const char *driver)
{
	static const char *const drivers[] = { "net_null", "net_pcap",
		                               "net_ring", "net_memif",
		                               "net_af_packet" };

	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(driver, drivers[i]))
			return true;
	return false;
}

static int port_check(uint16_t port, struct tw_errbuf *eb)
{
	int rc = tw_dpdk_need_eal(eb);

	if (rc < 0)
		return rc;
	if (!rte_eth_dev_is_valid_port(port))
		return tw_errf(eb, TW_EINVAL, "no DPDK port %u", port);
	return 0;
}

int tw_dpdk_port_lookup(const char *spec, uint16_t *port, struct tw_errbuf *eb)
{
	char *end;
	unsigned long v;
	int rc = tw_dpdk_need_eal(eb);

	if (rc < 0)
		return rc;
	v = strtoul(spec, &end, 10);
	if (*spec && !*end) {
		if (v > UINT16_MAX || !rte_eth_dev_is_valid_port((uint16_t)v))
			return tw_errf(eb, TW_EINVAL,
			               "no DPDK port %s (%u available)", spec,
			               rte_eth_dev_count_avail());
		*port = (uint16_t)v;
		return 0;
	}
	if (rte_eth_dev_get_port_by_name(spec, port) != 0)
		return tw_errf(eb, TW_EINVAL, "no DPDK port named \"%s\"",
		               spec);
	return 0;
}

int tw_dpdk_port_attach(const char *devargs, uint16_t *port,
                        struct tw_errbuf *eb)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	size_t n = strcspn(devargs, ",");
	int rc = tw_dpdk_need_eal(eb);

	if (rc < 0)
		return rc;
	if (n == 0 || n >= sizeof(name))
		return tw_errf(eb, TW_EINVAL, "bad device arguments \"%s\"",
		               devargs);
	memcpy(name, devargs, n);
	name[n] = '\0';
	rc = rte_dev_probe(devargs);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "attaching \"%s\": %s", devargs,
		               rte_strerror(-rc));
	if (rte_eth_dev_get_port_by_name(name, port) != 0)
		return tw_errf(eb, TW_EIO, "attaching \"%s\": no port named %s",
		               devargs, name);
	return 0;
}

int tw_dpdk_port_detach(uint16_t port, struct tw_errbuf *eb)
{
	struct rte_eth_dev_info di;
	int rc = port_check(port, eb);

	if (rc < 0)
		return rc;
	rc = rte_eth_dev_info_get(port, &di);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "port %u: %s", port,
		               rte_strerror(-rc));
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rc = rte_dev_remove(di.device);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "removing port %u: %s", port,
		               rte_strerror(-rc));
	return 0;
}

int tw_dpdk_port_info(uint16_t port, struct tw_dpdk_port_info *pi,
                      struct tw_errbuf *eb)
{
	struct rte_eth_dev_info di;
	uint16_t mtu = 1500;
	int rc = port_check(port, eb);

	if (rc < 0)
		return rc;
	rc = rte_eth_dev_info_get(port, &di);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "port %u: %s", port,
		               rte_strerror(-rc));
	memset(pi, 0, sizeof(*pi));
	rte_eth_dev_get_name_by_port(port, pi->name);
	snprintf(pi->driver, sizeof(pi->driver), "%s", di.driver_name);
	pi->max_tx_queues = di.max_tx_queues;
	pi->max_rx_queues = di.max_rx_queues;
	rte_eth_dev_get_mtu(port, &mtu);
	pi->mtu = mtu;
	pi->multiseg = (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) ||
	               soft_multiseg(di.driver_name);
	pi->tx_ipv4_cksum = di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	pi->tx_l4_cksum = (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) &&
	                  (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	pi->rss = di.flow_type_rss_offloads != 0;
	return 0;
}

static uint64_t pick_tx_offloads(const struct rte_eth_dev_info *di,
                                 const struct tw_dpdk_port_setup *s)
{
	uint64_t capa = di->tx_offload_capa, want = 0;

	if (s->no_offload)
		return 0;
	want |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (s->want_cksum)
		want |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
		        RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
		        RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	return capa & want;
}

static void fill_conf(struct rte_eth_conf *conf,
                      const struct rte_eth_dev_info *di,
                      const struct tw_dpdk_port_setup *s)
{
	memset(conf, 0, sizeof(*conf));
	conf->txmode.offloads = pick_tx_offloads(di, s);
	if (s->n_rxq > 1 && di->flow_type_rss_offloads) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf =
		        di->flow_type_rss_offloads &
		        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	if (!s->no_offload)
		conf->rxmode.offloads =
		        di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
}

static int setup_queues(uint16_t port, const struct tw_dpdk_port_setup *s,
                        const struct rte_eth_conf *conf, struct tw_errbuf *eb)
{
	int socket = rte_eth_dev_socket_id(port);
	struct rte_eth_dev_info di;
	int rc;

	if (socket < 0)
		socket = (int)rte_socket_id();
	rc = rte_eth_dev_info_get(port, &di);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "port %u: %s", port,
		               rte_strerror(-rc));
	for (uint16_t q = 0; q < s->n_txq; q++) {
		struct rte_eth_txconf txc = di.default_txconf;

		txc.offloads = conf->txmode.offloads;
		rc = rte_eth_tx_queue_setup(port, q, TW_DPDK_TX_DESC,
		                            (unsigned)socket, &txc);
		if (rc < 0)
			return tw_errf(eb, TW_EIO, "port %u: TX queue %u: %s",
			               port, q, rte_strerror(-rc));
	}
	for (uint16_t q = 0; q < s->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, TW_DPDK_RX_DESC,
		                            (unsigned)socket, NULL, s->rx_pool);
		if (rc < 0)
			return tw_errf(eb, TW_EIO, "port %u: RX queue %u: %s",
			               port, q, rte_strerror(-rc));
	}
	return 0;
}

void tw_dpdk_tx_linger(void)
{
	rte_delay_us_sleep(TW_DPDK_TX_LINGER_MS * 1000);
}

/* Sending before the link is up loses the first frames: wait for it,
 * a bounded time, then go on (the counters will say what was lost). */
static void wait_link(uint16_t port, const char *driver)
{
	struct rte_eth_link link = { 0 };

	for (int ms = 0; ms < TW_DPDK_LINK_WAIT_MS; ms += 10) {
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return;
		rte_delay_us_sleep(10000);
	}
	tw_log(TW_LOG_WARN, TW_DPDK_COMP,
	       "port %u (%s): link still down after %d ms; sending anyway",
	       port, driver, TW_DPDK_LINK_WAIT_MS);
}

int tw_dpdk_port_start(uint16_t port, const struct tw_dpdk_port_setup *s,
                       struct tw_dpdk_port_caps *caps, struct tw_errbuf *eb)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	uint16_t mtu = 1500;
	int rc = port_check(port, eb);

	if (rc < 0)
		return rc;
	rc = rte_eth_dev_info_get(port, &di);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "port %u: %s", port,
		               rte_strerror(-rc));
	if (s->n_txq > di.max_tx_queues || s->n_rxq > di.max_rx_queues)
		return tw_errf(eb, TW_EINVAL,
		               "port %u (%s) has %u TX and %u RX queues; %u "
		               "and %u asked for",
		               port, di.driver_name, di.max_tx_queues,
		               di.max_rx_queues, s->n_txq, s->n_rxq);
	rte_eth_dev_stop(port);
	fill_conf(&conf, &di, s);
	rc = rte_eth_dev_configure(port, s->n_rxq, s->n_txq, &conf);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "configuring port %u: %s", port,
		               rte_strerror(-rc));
	rc = setup_queues(port, s, &conf, eb);
	if (rc < 0)
		return rc;
	rc = rte_eth_dev_start(port);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "starting port %u: %s", port,
		               rte_strerror(-rc));
	if (s->n_rxq)
		rte_eth_promiscuous_enable(port);
	if (s->n_txq)
		wait_link(port, di.driver_name);
	rte_eth_stats_reset(port);
	rte_eth_xstats_reset(port);
	rte_eth_dev_get_mtu(port, &mtu);
	caps->mtu = mtu;
	caps->multiseg =
	        !s->no_offload &&
	        ((conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) ||
	         soft_multiseg(di.driver_name));
	caps->ipv4_cksum = conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	caps->l4_cksum =
	        (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) &&
	        (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	caps->seg_room = RTE_MBUF_DEFAULT_DATAROOM;
	tw_log(TW_LOG_INFO, TW_DPDK_COMP,
	       "port %u (%s): %u TX, %u RX queues, offloads tx %#llx", port,
	       di.driver_name, s->n_txq, s->n_rxq,
	       (unsigned long long)conf.txmode.offloads);
	return 0;
}

int tw_dpdk_port_counters(uint16_t port, struct tw_dpdk_counters *c,
                          struct tw_errbuf *eb)
{
	struct rte_eth_stats st;
	int rc = port_check(port, eb);

	if (rc < 0)
		return rc;
	rc = rte_eth_stats_get(port, &st);
	if (rc < 0)
		return tw_errf(eb, TW_EIO, "port %u counters: %s", port,
		               rte_strerror(-rc));
	c->opackets = st.opackets;
	c->obytes = st.obytes;
	c->oerrors = st.oerrors;
	c->ipackets = st.ipackets;
	c->ibytes = st.ibytes;
	c->imissed = st.imissed;
	c->ierrors = st.ierrors;
	c->rx_nombuf = st.rx_nombuf;
	return 0;
}

int tw_dpdk_port_xstats(uint16_t port,
                        int (*fn)(void *arg, const char *name, uint64_t v),
                        void *arg, struct tw_errbuf *eb)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, rc = port_check(port, eb);

	if (rc < 0)
		return rc;
	n = rte_eth_xstats_get_names(port, NULL, 0);
	if (n < 0)
		return tw_errf(eb, TW_EIO, "port %u xstats: %s", port,
		               rte_strerror(-n));
	names = calloc((size_t)n + 1, sizeof(*names));
	vals = calloc((size_t)n + 1, sizeof(*vals));
	if (!names || !vals) {
		rc = tw_errf(eb, TW_ENOMEM, "out of memory");
		goto out;
	}
	if (rte_eth_xstats_get_names(port, names, (unsigned)n) != n ||
	    rte_eth_xstats_get(port, vals, (unsigned)n) != n) {
		rc = tw_errf(eb, TW_EIO, "port %u xstats changed", port);
		goto out;
	}
	for (int i = 0; i < n && rc == 0; i++)
		if (vals[i].id < (uint64_t)n)
			rc = fn(arg, names[vals[i].id].name, vals[i].value);
out:
	free(names);
	free(vals);
	return rc;
}

int tw_dpdk_extmem_add(uint16_t port, void *base, size_t len, size_t pg,
                       struct tw_errbuf *eb)
{
	struct rte_eth_dev_info di;
	int rc;

	if (rte_eal_iova_mode() != RTE_IOVA_VA)
		return tw_errf(eb, TW_EUNSUP,
		               "IOVA as PA: preloaded frames are copied");
	rc = rte_extmem_register(base, len, NULL, 0, pg);
	if (rc < 0 && rte_errno != EEXIST)
		return tw_errf(eb, TW_EIO, "registering %zu bytes: %s", len,
		               rte_strerror(rte_errno));
	if (rte_eth_dev_info_get(port, &di) == 0) {
		rc = rte_dev_dma_map(di.device, base, (uint64_t)(uintptr_t)base,
		                     len);
		/* Virtual devices map nothing: not an error. */
		if (rc < 0 && rte_errno != ENOTSUP)
			tw_log(TW_LOG_WARN, TW_DPDK_COMP,
			       "port %u: DMA map of the trace: %s", port,
			       rte_strerror(rte_errno));
	}
	return 0;
}

void tw_dpdk_extmem_del(uint16_t port, void *base, size_t len)
{
	struct rte_eth_dev_info di;

	if (rte_eth_dev_is_valid_port(port) &&
	    rte_eth_dev_info_get(port, &di) == 0)
		rte_dev_dma_unmap(di.device, base, (uint64_t)(uintptr_t)base,
		                  len);
	rte_extmem_unregister(base, len);
}

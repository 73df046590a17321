/*
 * capture_dpdk.h - `tracewarp capture --dpdk`: receives from a DPDK port
 * (RSS over --queues RX queues, a worker lcore per queue where the EAL
 * runs them) into the same writer and rotation as the libpcap path
 * (capture/output.h: -w, -C, -G, -W, --post-rotate), with the same
 * limits, signals, live line and JSON summary.  The port's own counters
 * are the drops: imissed + rx_nombuf (no room for the packet) as
 * dropped, ierrors as interface drops.
 *
 * The capture verb's front end keeps one struct tw_capture_dpdk, hands
 * it the options below, and runs this path instead of the libpcap
 * session when --dpdk is given.  Built without DPDK, --dpdk fails with
 * TW_DPDK_UNAVAILABLE.
 */
#ifndef TW_CLI_CAPTURE_DPDK_H
#define TW_CLI_CAPTURE_DPDK_H

#include <stdbool.h>
#include <stdio.h>

#include "capture/session.h"
#include "cli/capture_redact.h"

/* The getopt values of the options; clear of capture_redact.h's. */
enum {
	TW_CAPOPT_DPDK = 544,
	TW_CAPOPT_EAL,
	TW_CAPOPT_PORT,
	TW_CAPOPT_QUEUES,
};

/* The --help lines of these options. */
void tw_capture_dpdk_usage(FILE *out);

struct tw_capture_dpdk {
	bool on;               /* --dpdk */
	const char *eal;       /* --eal, the EAL's words in one string */
	const char *port_spec; /* --port N|NAME, NULL = "0" */
	unsigned queues;       /* --queues, 0 = 1 */
};

/* Takes option opt (one of TW_CAPOPT_*).  Returns 0 or the usage
 * error's exit status. */
int tw_capture_dpdk_opt(struct tw_capture_dpdk *d, int opt, const char *arg);

/*
 * The options that go with --dpdk only, and the libpcap ones it has no
 * use for (-i, -B, --immediate, --tstamp-type, --no-promisc, -Z).
 * Returns 0 or the usage error's exit status.
 */
int tw_capture_dpdk_check(const struct tw_capture_dpdk *d,
                          const struct tw_capture_opts *cap, bool user);

/*
 * Starts the EAL, captures from the port into cap->out until a limit, a
 * signal (SIGINT/SIGTERM stop, SIGHUP rotates, SIGUSR1 prints the
 * counts) or an error, prints the summary (unless quiet), writes the
 * JSON summary to json_path (when given) and releases the EAL.  When
 * red is open (tw_capture_redact_open(), cap->out.comments set to its
 * comments), every packet goes through its session before the output,
 * -c counts packets captured, what the session still holds at the end
 * is written, and the summaries get its redaction block; the caller
 * closes red after.  Returns the verb's exit status.
 */
int tw_capture_dpdk_run(const struct tw_capture_dpdk *d,
                        const struct tw_capture_opts *cap,
                        const struct tw_capture_redact *red,
                        const char *json_path, bool quiet);

#endif

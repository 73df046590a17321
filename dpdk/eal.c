/*
 * eal.c - the EAL's start-up from one argument string, its log lines
 * routed into tw_log(), and its end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "dpdk/internal.h"
#include "trace/log.h"

#define MAX_ARGS 256

static bool eal_up;
static bool eal_done;
static FILE *log_stream;
static char runtime_dir[256];

/* ---- splitting ------------------------------------------------------ */

struct words {
	char **v;
	int n;
	char *cur;
	size_t len, cap;
	bool in_word;
};

static int put_char(struct words *w, char c)
{
	if (w->len + 2 > w->cap) {
		size_t n = w->cap ? w->cap * 2 : 64;
		char *p = realloc(w->cur, n);

		if (!p)
			return TW_ENOMEM;
		w->cur = p;
		w->cap = n;
	}
	w->cur[w->len++] = c;
	w->cur[w->len] = '\0';
	w->in_word = true;
	return 0;
}

static int end_word(struct words *w)
{
	char **v;

	if (!w->in_word)
		return 0;
	if (w->n + 2 > MAX_ARGS)
		return TW_ELIMIT;
	v = realloc(w->v, (size_t)(w->n + 2) * sizeof(*v));
	if (!v)
		return TW_ENOMEM;
	w->v = v;
	w->v[w->n] = w->cur ? w->cur : strdup("");
	if (!w->v[w->n])
		return TW_ENOMEM;
	w->v[++w->n] = NULL;
	w->cur = NULL;
	w->len = w->cap = 0;
	w->in_word = false;
	return 0;
}

/* One character of the string at *pp; advances past what it used. */
static int split_step(struct words *w, const char **pp, char *quote)
{
	const char *p = *pp;
	char c = *p++;
	int rc = 0;

	if (*quote == '\'') {
		if (c == '\'')
			*quote = 0;
		else
			rc = put_char(w, c);
	} else if (*quote == '"') {
		if (c == '"')
			*quote = 0;
		else if (c == '\\' && *p && strchr("\\\"$`", *p))
			rc = put_char(w, *p++);
		else
			rc = put_char(w, c);
	} else if (c == ' ' || c == '\t' || c == '\n') {
		rc = end_word(w);
	} else if (c == '\'' || c == '"') {
		*quote = c;
		w->in_word = true;
	} else if (c == '\\' && *p) {
		rc = put_char(w, *p++);
	} else {
		rc = put_char(w, c);
	}
	*pp = p;
	return rc;
}

int tw_dpdk_args_split(const char *s, int *argc, char ***argv,
                       struct tw_errbuf *eb)
{
	struct words w = { 0 };
	char quote = 0;
	int rc = 0;

	*argc = 0;
	*argv = NULL;
	while (s && *s && rc == 0)
		rc = split_step(&w, &s, &quote);
	if (rc == 0 && quote)
		rc = tw_errf(eb, TW_EINVAL,
		             "EAL arguments: unterminated %c quote", quote);
	if (rc == 0)
		rc = end_word(&w);
	if (rc == TW_ELIMIT)
		rc = tw_errf(eb, TW_EINVAL, "EAL arguments: more than %d words",
		             MAX_ARGS - 2);
	else if (rc == TW_ENOMEM)
		rc = tw_errf(eb, TW_ENOMEM, "out of memory");
	if (rc < 0) {
		free(w.cur);
		tw_dpdk_args_free(w.n, w.v);
		return rc;
	}
	if (!w.v) {
		w.v = calloc(1, sizeof(*w.v));
		if (!w.v)
			return tw_errf(eb, TW_ENOMEM, "out of memory");
	}
	*argc = w.n;
	*argv = w.v;
	return 0;
}

void tw_dpdk_args_free(int argc, char **argv)
{
	if (!argv)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* ---- DPDK's log into tw_log ------------------------------------------ */

static ssize_t log_write(void *cookie, const char *buf, size_t size)
{
	int lvl = rte_log_cur_msg_loglevel();
	enum tw_log_level tl = lvl <= (int)RTE_LOG_ERR       ? TW_LOG_ERROR
	                       : lvl <= (int)RTE_LOG_WARNING ? TW_LOG_WARN
	                       : lvl <= (int)RTE_LOG_INFO    ? TW_LOG_INFO
	                                                     : TW_LOG_DEBUG;
	size_t n = size;

	(void)cookie;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n)
		tw_log(tl, TW_DPDK_COMP, "%.*s", (int)n, buf);
	return (ssize_t)size;
}

static void log_redirect(void)
{
	cookie_io_functions_t io = { .write = log_write };

	if (log_stream)
		return;
	log_stream = fopencookie(NULL, "w", io);
	if (!log_stream)
		return;
	/* Line-buffered: one DPDK message, one tw_log line. */
	setvbuf(log_stream, NULL, _IOLBF, 1024);
	rte_openlog_stream(log_stream);
}

/* ---- start and end ---------------------------------------------------- */

static bool has_prefix_arg(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "--file-prefix", 13))
			return true;
	return false;
}

/* argv for rte_eal_init: program name, the words, our additions. */
static int build_argv(const char *eal_args, int *argc, char ***argv,
                      struct tw_errbuf *eb)
{
	char **words, **v;
	int n, rc = tw_dpdk_args_split(eal_args, &n, &words, eb);
	char prefix[64];

	if (rc < 0)
		return rc;
	v = calloc((size_t)n + 3, sizeof(*v));
	if (!v) {
		tw_dpdk_args_free(n, words);
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	}
	v[0] = strdup("tracewarp");
	memcpy(v + 1, words, (size_t)n * sizeof(*v));
	free(words);
	n++;
	if (!has_prefix_arg(n, v)) {
		snprintf(prefix, sizeof(prefix), "--file-prefix=tracewarp-%ld",
		         (long)getpid());
		v[n++] = strdup(prefix);
	}
	for (int i = 0; i < n; i++)
		if (!v[i]) {
			tw_dpdk_args_free(n, v);
			return tw_errf(eb, TW_ENOMEM, "out of memory");
		}
	*argc = n;
	*argv = v;
	return 0;
}

/*
 * rte_eal_init() prints its usage text to standard output when an
 * argument is wrong; core code never prints, so standard output points
 * at /dev/null meanwhile (start-up is single-threaded).  The reason
 * still reaches the log, through DPDK's log stream.
 */
static int eal_init_quiet(int argc, char **argv)
{
	int saved, null, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && null >= 0)
		dup2(null, STDOUT_FILENO);
	rc = rte_eal_init(argc, argv);
	fflush(stdout);
	if (saved >= 0 && null >= 0)
		dup2(saved, STDOUT_FILENO);
	if (saved >= 0)
		close(saved);
	if (null >= 0)
		close(null);
	return rc;
}

int tw_dpdk_init(const char *eal_args, struct tw_errbuf *eb)
{
	char **argv = NULL, **copy;
	int argc = 0, rc;

	if (eal_up || eal_done)
		return tw_errf(eb, TW_ESTATE, "the EAL was already started");
	rc = build_argv(eal_args, &argc, &argv, eb);
	if (rc < 0)
		return rc;
	/* rte_eal_init() permutes argv; keep the strings to free. */
	copy = calloc((size_t)argc + 1, sizeof(*copy));
	if (!copy) {
		tw_dpdk_args_free(argc, argv);
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	}
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	log_redirect();
	rc = eal_init_quiet(argc, copy);
	free(copy);
	tw_dpdk_args_free(argc, argv);
	if (rc < 0) {
		eal_done = true;
		return tw_errf(eb, TW_EIO, "starting the EAL (\"%s\"): %s",
		               eal_args ? eal_args : "",
		               rte_strerror(rte_errno));
	}
	eal_up = true;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s",
	         rte_eal_get_runtime_dir());
	tw_log(TW_LOG_INFO, TW_DPDK_COMP, "EAL up: %u lcores, %u ports",
	       rte_lcore_count(), rte_eth_dev_count_avail());
	return (int)rte_lcore_count();
}

bool tw_dpdk_initialized(void)
{
	return eal_up;
}

unsigned tw_dpdk_lcore_count(void)
{
	return eal_up ? rte_lcore_count() : 0;
}

int tw_dpdk_need_eal(struct tw_errbuf *eb)
{
	if (!eal_up)
		return tw_errf(eb, TW_ESTATE, "the EAL is not started");
	return 0;
}

void tw_dpdk_pool_name(char *buf, size_t len, const char *what)
{
	static unsigned seq;

	snprintf(buf, len, "tw_%s%u", what, seq++);
}

/* The runtime directory holds sockets and config files only when
 * shared config is on; remove what the EAL left. */
static void remove_runtime_dir(void)
{
	DIR *d;
	struct dirent *de;
	char path[512];

	if (!runtime_dir[0] || !(d = opendir(runtime_dir)))
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", runtime_dir,
			         de->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(runtime_dir);
}

void tw_dpdk_fini(void)
{
	uint16_t port;

	if (!eal_up)
		return;
	RTE_ETH_FOREACH_DEV(port)
	{
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	rte_eal_cleanup();
	remove_runtime_dir();
	eal_up = false;
	eal_done = true;
}

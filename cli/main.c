/*
 * main.c - tracewarp's front door: finds the verb and hands over.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/verbs.h"

static const struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} verbs[] = {
	{ "info", tw_cmd_info, "what a trace holds (like capinfos)" },
	{ "capture", tw_cmd_capture, "record from interfaces (like tcpdump)" },
	{ "redact", tw_cmd_redact, "make a trace safe to share" },
	{ "replay", tw_cmd_replay, "send a trace (like tcpreplay)" },
	{ "generate", tw_cmd_generate, "write a synthetic trace (libnet)" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: tracewarp <verb> [options]\n\n"
	             "Record, redact and replay network traffic.\n\n"
	             "Verbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].what);
	fprintf(out, "\n'tracewarp <verb> --help' describes a verb.\n"
	             "Exit status: 0 success, 1 user error (bad option or "
	             "input), 2 internal failure.\n");
}

/*
 * A report that could not be written is a failure, whatever the verb
 * thought: flush standard output and say so (a full disk, a closed pipe).
 */
static int finish(int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	fprintf(stderr, "tracewarp: writing standard output failed: %s\n",
	        strerror(errno));
	return TW_EXIT_INTERNAL;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	if (!name) {
		usage(stderr);
		return TW_EXIT_USER;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
	    !strcmp(name, "help")) {
		usage(stdout);
		return TW_EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("tracewarp %s\n", TW_VERSION);
		return TW_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(name, verbs[i].name))
			return finish(verbs[i].run(argc - 1, argv + 1));
	fprintf(stderr, "tracewarp: unknown verb '%s'\n", name);
	usage(stderr);
	return TW_EXIT_USER;
}

/*
 * verbs.h - one entry point per verb, called by main() with the verb's
 * own argv (argv[0] is the verb).  Each returns the process exit status.
 */
#ifndef TW_VERBS_H
#define TW_VERBS_H

int tw_cmd_info(int argc, char **argv);
int tw_cmd_capture(int argc, char **argv);
int tw_cmd_redact(int argc, char **argv);
int tw_cmd_replay(int argc, char **argv);
int tw_cmd_generate(int argc, char **argv);

#endif

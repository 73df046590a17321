/*
 * replay_l7.h - `tracewarp replay --l7`, the L7 mode of the replay verb.
 */
#ifndef TW_CLI_REPLAY_L7_H
#define TW_CLI_REPLAY_L7_H

#include <stdbool.h>

/* Whether argv (the replay verb's) asks for the L7 mode. */
bool tw_replay_is_l7(int argc, char **argv);

/* Runs the L7 mode; returns the exit status. */
int tw_cmd_replay_l7(int argc, char **argv);

#endif

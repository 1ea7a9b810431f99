/* uniemu explore: many schedules of one program, grouped by outcome (docs/explore.md). */
#ifndef UNIEMU_EXPLORE_H
#define UNIEMU_EXPLORE_H
int cmd_explore(int argc, char **argv);
#endif

/* uniemu minimize: the fewest preemptions that keep a record's outcome (docs/minimize.md). */
#ifndef UNIEMU_MINIMIZE_H
#define UNIEMU_MINIMIZE_H
int cmd_minimize(int argc, char **argv);
#endif

// cmd_cells.c — placeholder until the cells land (replaced in this session).
#include "cli.h"
int cmd_cells(int argc, char **argv) { (void)argc; (void)argv; return 0; }
int bench_cells(int argc, char **argv) { (void)argc; (void)argv; return 0; }

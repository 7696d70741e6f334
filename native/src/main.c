/*
 * koker-init: executes a launch plan that koker's TypeScript side resolved completely.
 * It decides nothing; it creates or joins namespaces, mounts, pivots, drops privileges and
 * execs, reporting each step. (Skeleton: the plan protocol lands with the run issue.)
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts("koker-init 0.1.0");
        return 0;
    }
    fputs("koker-init: no plan given; this program is started by koker, not by hand\n", stderr);
    return 125;
}

/* tspod-monitor's two parts: the log writer (monitor.c) and the parent of a detached supervisor
 * (monitor_pod.c), one static program. */
#ifndef TSPOD_MONITOR_H
#define TSPOD_MONITOR_H

/* `tspod-monitor host EXITS_DIR CMD [ARG...]` (or `pod`, its older name): returns the exit status. */
int pod_main(int argc, char **argv);

#endif

/*
 * tspod-monitor host: the parent of the detached pods' supervisor, and the subreaper of everything
 * the supervisor starts, so that no exit status of a pod is ever lost (issue 14, its second
 * part: durable exit records; re-adoption by a new supervisor builds on them).
 *
 * The kernel concepts:
 *  - An exit status is delivered once, to the parent, by wait(2); a process whose parent is gone
 *    is *reparented*, normally to PID 1 of the host, which reaps it and forgets the status. A
 *    process that has set PR_SET_CHILD_SUBREAPER gets, instead of PID 1, the orphans among its
 *    descendants. This program sets it, then forks and execs the supervisor (Node): the pause
 *    process, the containers and their log monitors are the supervisor's children, and if the
 *    supervisor dies (SIGKILL, a crash), they become ours.
 *  - While the supervisor lives it reaps its own children (through pidfds) and we see nothing of
 *    them. What reaches us is the supervisor's own exit and, after it, every pod process that
 *    ends without it. For each of those we write an *exit record* before we reap it: waitid(WNOWAIT) tells
 *    us of the exit and leaves the zombie in place, so its pid cannot be reused and its
 *    /proc/PID/stat (field 22: the start time, which tells a reused pid apart) can still be read;
 *    the record is written to a temporary file, fsync'd, renamed to `<pid>-<starttime>.json` and
 *    the directory fsync'd, and only then the zombie is reaped (waitid without WNOWAIT). A record
 *    exists, whole, for every exit we reaped, whatever happens to us or the host afterwards.
 *  - SIGCHLD comes through a signalfd: one loop, no handler racing the main code. So does SIGTERM,
 *    which is passed on to the supervisor (a service manager's stop is the supervisor's).
 *
 * One monitor serves a whole run root: its child is the one supervisor of every detached pod of
 * that run root (supervisor/host-main.ts), and the records go to EXITS_DIR, the run root's
 * `exits` directory, keyed by pid and start time, which is unique on the host: the supervisor (and
 * `ps`, `inspect`, `gc`) find a pod's records by the ProcessRefs in its state. A missing directory
 * (removed by hand) means there is nowhere to write: the exit is reaped unrecorded.
 *
 * Usage: tspod-monitor host EXITS_DIR CMD [ARG...]   (CMD: an absolute path, run with ARGs)
 * The child gets our stdin, stdout, stderr and other fds; we close ours once it runs, so that a
 * pipe the caller reads (the readiness pipe of `run -d`) closes when the child closes it. We exit
 * when we have no child left, with the supervisor's status (128+N for a signal N).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "monitor.h"

/* Field 22 of /proc/PID/stat (clock ticks after boot); 0 if it cannot be read. */
static unsigned long long start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  /* The command (field 2) is in parentheses and may hold anything: count from the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p++;
  for (int field = 3; field < 22 && p; field++) p = strchr(p + 1, ' '); /* the space before field 22 */
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Write the record of `si` (an exit not yet reaped) durably into EXITS_DIR. */
static void record_exit(const char *exits_dir, const siginfo_t *si) {
  int dir = open(exits_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return; /* no pod directory (yet, or any more): nothing to record into */
  unsigned long long st = start_time(si->si_pid);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  char when[64], body[256], name[96], tmp[96];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  int n;
  if (si->si_code == CLD_EXITED) {
    n = snprintf(body, sizeof body, "{\"pid\":%d,\"startTime\":%llu,\"code\":%d,\"signal\":null,\"finishedAt\":\"%s.%09ldZ\"}\n",
                 (int)si->si_pid, st, si->si_status, when, now.tv_nsec);
  } else {
    n = snprintf(body, sizeof body, "{\"pid\":%d,\"startTime\":%llu,\"code\":null,\"signal\":%d,\"finishedAt\":\"%s.%09ldZ\"}\n",
                 (int)si->si_pid, st, si->si_status, when, now.tv_nsec);
  }
  snprintf(name, sizeof name, "%d-%llu.json", (int)si->si_pid, st);
  snprintf(tmp, sizeof tmp, ".%d-%llu.tmp", (int)si->si_pid, st);
  /* Temporary file, fsync, rename, fsync of the directory: the name appears only with the whole
   * record behind it, and survives a crash of the host once the directory's fsync returned. */
  int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    bool ok = n > 0 && write(fd, body, (size_t)n) == n && fsync(fd) == 0;
    close(fd);
    if (ok && renameat(dir, tmp, dir, name) == 0) fsync(dir);
    else unlinkat(dir, tmp, 0);
  }
  close(dir);
}

int pod_main(int argc, char **argv) {
  if (argc < 4 || argv[2][0] != '/' || argv[3][0] != '/') {
    fprintf(stderr, "tspod-monitor: usage: tspod-monitor host EXITS_DIR CMD [ARG...] (absolute paths)\n");
    return 2;
  }
  const char *exits_dir = argv[2];
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    perror("tspod-monitor: PR_SET_CHILD_SUBREAPER");
    return 1;
  }
  /* SIGCHLD blocked before the fork: an exit that comes at once is queued for the signalfd. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, &old);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) {
    perror("tspod-monitor: signalfd");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("tspod-monitor: fork");
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    execv(argv[3], argv + 3);
    fprintf(stderr, "tspod-monitor: exec %s: %s\n", argv[3], strerror(errno));
    _exit(127);
  }
  /* Ours closed: the caller's pipes are the child's now. A terminal's signals are not for us. */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; fd++) dup2(null, fd);
  if (sfd > 3) close_range(3, (unsigned)sfd - 1, 0);
  close_range((unsigned)sfd + 1, ~0U, 0);

  int status = 0;
  bool child_alive = true;
  for (;;) {
    struct signalfd_siginfo info;
    memset(&info, 0, sizeof info);
    if (read(sfd, &info, sizeof info) < 0 && errno != EINTR) break;
    /* A stop (systemctl stop, kill) is for the supervisor: it stops its pods and exits, and we
     * end once nothing is left. We never die of it ourselves, while pods may still need us. */
    if (info.ssi_signo == SIGTERM) {
      if (child_alive) kill(child, SIGTERM); /* (never a reaped pid, which may be reused) */
      continue;
    }
    for (;;) {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
        if (errno == EINTR) continue;
        return status; /* ECHILD: nobody left */
      }
      if (si.si_pid == 0) break; /* more children, none exited yet */
      /* (The supervisor's own exit is no pod's: only its status is kept, as ours.) */
      if (si.si_pid != child) record_exit(exits_dir, &si);
      if (si.si_pid == child) {
        status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        child_alive = false;
      }
      siginfo_t reaped;
      while (waitid(P_PID, (id_t)si.si_pid, &reaped, WEXITED) < 0 && errno == EINTR) {}
    }
  }
  return status;
}

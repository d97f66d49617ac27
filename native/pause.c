/*
 * tspod-pause: the pod's infra process.
 *
 * It is started first, in the pod's new network, IPC, UTS and PID namespaces, and those namespaces
 * live exactly as long as it does: containers join them, and when it exits the kernel kills every
 * process left in the pod's PID namespace. As PID 1 of that namespace it also inherits every
 * orphaned process there, so it must reap them, or they would stay zombies.
 *
 * It does nothing else. Signals are blocked and read synchronously from a signalfd, so no work
 * happens in a signal handler: SIGCHLD -> reap all exited children; SIGTERM/SIGINT -> exit 0.
 * (PID 1 gets no default signal actions from inside its namespace, so without these it could not
 * be stopped gracefully at all.)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap_all(void) {
  /* One SIGCHLD can stand for several exits: reap until none is left. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return perror("sigprocmask"), 1;
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) return perror("signalfd"), 1;

  /* Containers sharing this PID namespace see us as PID 1: keep /proc/1/{root,exe,mem} closed. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  reap_all(); /* children that exited before the signal was blocked */

  for (;;) {
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    if (n < 0 && errno == EINTR) continue;
    if (n != (ssize_t)sizeof si) return perror("read signalfd"), 1;
    if (si.ssi_signo == SIGCHLD) reap_all();
    else return 0; /* SIGTERM or SIGINT */
  }
}

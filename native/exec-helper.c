/*
 * tspod-exec: the program every container and exec process is exec'ed through (CVE-2019-5736).
 *
 * The child tspod clones is a copy of Node, so until its execve its /proc/self/exe names the
 * host's node binary. Anything the execve itself resolves in that state sees node: a command of
 * `/proc/self/exe` ran the host's node in the container, and so did a script whose interpreter line
 * is `#!/proc/self/exe` (the kernel opens the interpreter before the new image replaces the old);
 * once node ran inside, a container process could reopen that host binary for writing. So the
 * child does not execve the container's command. It execs this small static program, which the
 * addon copied once per tspod process into a memfd and sealed (no write, no resize, seals fixed):
 * from then on /proc/self/exe names an anonymous, unwritable copy of tspod-exec, never a host file,
 * and this program makes the final execve of the command.
 *
 * The child passes: argv = { "tspod-exec", <plan step index>, <PATH to search or "">, <command>,
 * <the command's argv>... }, the command's environment, and the report pipe on fd 3 (see child.c).
 * A failed execve is reported on that pipe as the child would have reported it, {step, errno,
 * execve, argv0}; a successful one closes it (close-on-exec), which tells the parent the command
 * runs. Run any other way (a container process running /proc/self/exe), it refuses and exits 127.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "tspod_abi.h"

#define REPORT_FD 3
#define MAGIC "tspod-exec"

extern char **environ;

__attribute__((noreturn)) static void report_and_exit(int index) {
  struct tp_msg msg = { .kind = TP_MSG_ERROR, .op_index = index, .err = errno, .syscall = TP_SYS_EXECVE, .which = 4 };
  ssize_t n = write(REPORT_FD, &msg, sizeof msg);
  (void)n;
  _exit(127);
}

/* execve `cmd`, searching `search` (a PATH) when it has no slash; as the shell does, EACCES on
 * some candidate wins over ENOENT on the rest. Returns only on failure, with errno set. */
static void exec_search(const char *cmd, const char *search, char *const argv[]) {
  if (strchr(cmd, '/') || !*search) {
    execve(cmd, argv, environ);
    return;
  }
  char buf[PATH_MAX];
  size_t clen = strlen(cmd);
  int denied = 0;
  for (const char *p = search; ; ) {
    const char *end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    if (dlen == 0) { buf[0] = '.'; dlen = 1; } else if (dlen < sizeof buf) memcpy(buf, p, dlen);
    if (dlen + clen + 2 <= sizeof buf) {
      buf[dlen] = '/';
      memcpy(buf + dlen + 1, cmd, clen + 1);
      execve(buf, argv, environ);
      if (errno == EACCES) denied = 1;
      else if (errno != ENOENT && errno != ENOTDIR) return;
    }
    if (*end == '\0') break;
    p = end + 1;
  }
  errno = denied ? EACCES : ENOENT;
}

int main(int argc, char **argv) {
  /* fd 3 open and not close-on-exec is how the child hands over the report pipe. */
  int fdflags = fcntl(REPORT_FD, F_GETFD);
  if (argc < 5 || strcmp(argv[0], MAGIC) != 0 || fdflags < 0 || (fdflags & FD_CLOEXEC)) {
    static const char msg[] = "tspod-exec: this is tspod's sealed exec helper, not a program of the container\n";
    ssize_t n = write(2, msg, sizeof msg - 1);
    (void)n;
    return 127;
  }
  int index = 0;
  for (const char *d = argv[1]; *d >= '0' && *d <= '9'; d++) index = index * 10 + (*d - '0');
  /* The command must not inherit the pipe: its execve closes it, and that EOF means "started". */
  if (fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC) < 0) report_and_exit(index);
  exec_search(argv[3], argv[2], &argv[4]);
  report_and_exit(index);
}

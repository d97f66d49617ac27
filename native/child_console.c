/*
 * The container's terminal (`tty: true`), made where it belongs: in the container's own devpts.
 *
 * A pseudo-terminal is a pair: the slave end is the program's terminal (its stdin, stdout, stderr
 * and controlling terminal), the master end is what a terminal emulator holds, here the
 * supervisor, which logs what the program writes and relays what an attached user types. The pair
 * must come from the container's devpts instance (mounted `newinstance` in its /dev/pts), never the
 * host's: `tty` then names /dev/pts/N of the container, and everything the program does to its
 * terminal (TIOCSTI included) stays on a terminal the host does not use. That devpts exists only
 * inside the container's mount namespace, which the supervisor cannot enter (Node is
 * multithreaded), so the child opens the pair itself, after pivot_root, and hands the master to the
 * supervisor over a unix socket (SCM_RIGHTS), as runc's --console-socket does.
 *
 * Only raw syscalls here: this runs between clone() and execve() (see child.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>

#include "child.h"

/* The master of a new pair from the devpts at <root>/dev/pts, opened without following any link. */
static int open_master(struct tp_child *c) {
  struct open_how how = {
    .flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int master = (int)syscall(SYS_openat2, c->root_fd, "dev/pts/ptmx", &how, sizeof how);
  if (master < 0) return tp_fail(c, TP_SYS_OPENAT2, W_NONE);
  struct statfs fs;
  long rc = syscall(SYS_fstatfs, master, &fs);
  if (rc < 0 || fs.f_type != DEVPTS_SUPER_MAGIC) {
    int saved = rc < 0 ? errno : ENOTTY; /* a ptmx that is not a devpts one: no terminal of ours */
    close(master);
    errno = saved;
    return tp_fail(c, TP_SYS_FSTATFS, W_NONE);
  }
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
    int saved = errno;
    close(master);
    errno = saved;
    return tp_fail(c, TP_SYS_IOCTL, W_NONE);
  }
  return master;
}

/* Send `fd` over the unix socket `sock` as the one SCM_RIGHTS message. */
static int send_fd(int sock, int fd) {
  char byte = 'm';
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  return syscall(SYS_sendmsg, sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/*
 * console: after pivot_root (the devpts is the container's) and before setsid (which makes fd 0
 * the controlling terminal): open a pair, send the master to the supervisor on `fd`, put the
 * slave on 0, 1 and 2. The slave is opened from the master (TIOCGPTPEER), with no second lookup.
 */
int tp_op_console(struct tp_child *c, const struct tp_op *op) {
  if (c->root_fd < 0) { errno = EINVAL; return tp_fail(c, TP_SYS_OPENAT2, W_NONE); }
  int master = open_master(c);
  if (master < 0) return -1;
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0 || send_fd(op->fd, master) < 0) {
    int saved = errno;
    close(master);
    errno = saved;
    return tp_fail(c, slave < 0 ? TP_SYS_IOCTL : TP_SYS_SENDMSG, W_NONE);
  }
  /* The container must not hold its own master: only the supervisor reads and writes it. */
  close(master);
  for (int i = 0; i < 3; i++) {
    if (dup2(slave, i) < 0) return tp_fail(c, TP_SYS_DUP2, W_NONE);
  }
  if (slave > 2) close(slave);
  return 0;
}

/*
 * Running a plan in the cloned child, then execve.
 *
 * binding.cc clones a child (fork-like: it gets a copy of Node's memory, including the plan) and
 * calls tp_child_run() in it. Node is multithreaded, and only the thread that called clone() exists
 * in the child, so anything that takes a lock (malloc, stdio, N-API) could deadlock on a lock held by
 * a thread that is gone. Here we only read the prepared plan and make raw syscalls, one short
 * function per operation. When an operation fails, the child writes {op index, errno, syscall, path
 * field} to a close-on-exec pipe and exits; when execve succeeds the pipe closes by itself, and the
 * parent's read sees EOF. That is how a container that fails to start reports *why*.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "child.h"

/* setns: join the namespaces `ns_flags` of the process behind pidfd `fd` (several at once). */
static int op_setns(struct tp_child *c, const struct tp_op *op) {
  return setns(op->fd, op->ns_flags) < 0 ? tp_fail(c, TP_SYS_SETNS, W_NONE) : 0;
}

/* unshare: new namespaces for this process (a cgroup namespace, after joining the cgroup). */
static int op_unshare(struct tp_child *c, const struct tp_op *op) {
  return unshare(op->ns_flags) < 0 ? tp_fail(c, TP_SYS_UNSHARE, W_NONE) : 0;
}

/*
 * fork: continue in a new child. setns(CLONE_NEWPID) changes the PID namespace of the caller's
 * *children* only, so joining a pod's PID namespace takes one more process. CLONE_PARENT makes
 * the new process a child of the supervisor (not of this short-lived one), so the supervisor can
 * wait for it through a pidfd. This process reports the new pid and exits.
 */
static int op_fork(struct tp_child *c, const struct tp_op *op, int report_fd, int index) {
  (void)op;
  struct clone_args args = { .flags = CLONE_PARENT };
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return tp_fail(c, TP_SYS_CLONE3, W_NONE);
  if (pid == 0) return 0;
  struct tp_msg msg = { .kind = TP_MSG_PID, .op_index = index, .pid = (int32_t)pid };
  ssize_t n = write(report_fd, &msg, sizeof msg);
  _exit(n == (ssize_t)sizeof msg ? 0 : 1);
}

/* writeFile: write `data` to `target` (cgroup.procs, a sysctl). */
static int op_write_file(struct tp_child *c, const struct tp_op *op) {
  int fd = open(op->target, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return (errno == ENOENT && op->optional) ? 0 : tp_fail(c, TP_SYS_OPEN, W_TARGET);
  size_t len = strlen(op->data);
  ssize_t n = write(fd, op->data, len);
  int saved = errno;
  close(fd);
  errno = saved;
  if (n != (ssize_t)len) {
    if (n >= 0) errno = EIO;
    return tp_fail(c, TP_SYS_WRITE, W_TARGET);
  }
  return 0;
}

/* sethostname: a new UTS namespace starts with the host's name; give the pod its own. */
static int op_sethostname(struct tp_child *c, const struct tp_op *op) {
  return sethostname(op->data, strlen(op->data)) < 0 ? tp_fail(c, TP_SYS_SETHOSTNAME, W_NONE) : 0;
}

/* loopbackUp: a new network namespace has only `lo`, and it is down. */
static int op_loopback_up(struct tp_child *c, const struct tp_op *op) {
  (void)op;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return tp_fail(c, TP_SYS_SOCKET, W_NONE);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(s);
  errno = saved;
  return rc < 0 ? tp_fail(c, TP_SYS_IOCTL, W_NONE) : 0;
}

/*
 * credentials: bounding set, user and groups, then the capability sets, in that order:
 * dropping from the bounding set needs CAP_SETPCAP, which we hold only while still full root;
 * changing uid clears the permitted set unless PR_SET_KEEPCAPS is on; capset can then only
 * lower what is permitted. Inheritable and ambient end empty, so exec grants nothing extra.
 */
static int op_credentials(struct tp_child *c, const struct tp_op *op) {
  for (int cap = 0; cap < 64; cap++) {
    if (op->cap_bounding & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      return tp_fail(c, TP_SYS_PRCTL, W_NONE);
    }
  }
  if (op->set_user) {
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return tp_fail(c, TP_SYS_PRCTL, W_NONE);
    /* Raw syscalls, never glibc's setgroups/setresgid/setresuid: those broadcast the change to
     * every thread glibc believes this process has (the parent's threads, copied into our memory
     * but gone), and can wait forever for answers that never come. Here only this thread exists,
     * and the kernel's calls change exactly it. */
    if (syscall(SYS_setgroups, op->ngroups, op->groups) < 0) return tp_fail(c, TP_SYS_SETGROUPS, W_NONE);
    if (syscall(SYS_setresgid, op->gid, op->gid, op->gid) < 0) return tp_fail(c, TP_SYS_SETRESGID, W_NONE);
    if (syscall(SYS_setresuid, op->uid, op->uid, op->uid) < 0) return tp_fail(c, TP_SYS_SETRESUID, W_NONE);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return tp_fail(c, TP_SYS_PRCTL, W_NONE);
  }
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(op->cap_effective >> (32 * i));
    data[i].permitted = (uint32_t)(op->cap_permitted >> (32 * i));
    data[i].inheritable = (uint32_t)(op->cap_inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return tp_fail(c, TP_SYS_CAPSET, W_NONE);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return tp_fail(c, TP_SYS_PRCTL, W_NONE);
  return 0;
}

/*
 * awaitIdMap: wait until the parent has written this process's uid_map and gid_map. A process in a
 * new user namespace has no ids there until a process with CAP_SETUID and CAP_SETGID in the parent
 * namespace (tspod, which knows our pid only after clone) writes the maps; until then a file it
 * creates or a setresuid it makes has no id to use. The parent writes one byte when both maps are
 * in; EOF means it could not write them (it reports why).
 */
static int op_await_id_map(struct tp_child *c, const struct tp_plan *plan) {
  char b;
  ssize_t n;
  do n = read(plan->idmap_fd[0], &b, 1); while (n < 0 && errno == EINTR);
  if (n == 1) { close(plan->idmap_fd[0]); return 0; }
  if (n == 0) errno = EPIPE;
  return tp_fail(c, TP_SYS_READ, W_NONE);
}

/*
 * setresuid: become `uid`/`gid` (of the user namespace the process is in), with no supplementary
 * groups. After joining the pod's user namespace the process still has host uid 0, which is not
 * mapped there: a file it made would belong to host root. Raw syscalls (see op_credentials).
 */
static int op_setresuid(struct tp_child *c, const struct tp_op *op) {
  if (syscall(SYS_setgroups, 0, NULL) < 0) return tp_fail(c, TP_SYS_SETGROUPS, W_NONE);
  if (syscall(SYS_setresgid, op->gid, op->gid, op->gid) < 0) return tp_fail(c, TP_SYS_SETRESGID, W_NONE);
  if (syscall(SYS_setresuid, op->uid, op->uid, op->uid) < 0) return tp_fail(c, TP_SYS_SETRESUID, W_NONE);
  return 0;
}

static int op_no_new_privs(struct tp_child *c, const struct tp_op *op) {
  (void)op;
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? tp_fail(c, TP_SYS_PRCTL, W_NONE) : 0;
}

/* closeFds: every fd above 2 closes at execve (CLOEXEC, so the report pipe still works until then). */
static int op_close_fds(struct tp_child *c, const struct tp_op *op) {
  (void)op;
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) return tp_fail(c, TP_SYS_CLOSE_RANGE, W_NONE);
  return 0;
}

/*
 * setsid: a new session; with fd >= 0, that terminal becomes the controlling terminal.
 * Without it the process would stay in the operator's session, with the operator's terminal as
 * its controlling terminal: it could open /dev/tty and push keystrokes into the operator's shell
 * with TIOCSTI (CVE-2016-7545 class, as in runc and crun). A new session has no controlling
 * terminal until one is asked for.
 */
static int op_setsid(struct tp_child *c, const struct tp_op *op) {
  if (setsid() < 0) return tp_fail(c, TP_SYS_SETSID, W_NONE);
  if (op->fd >= 0 && ioctl(op->fd, TIOCSCTTY, 0) < 0) return tp_fail(c, TP_SYS_IOCTL, W_NONE);
  return 0;
}

/*
 * seccomp: install the filter the parent compiled (native/seccomp.cc). The kernel accepts it only
 * from a process with no_new_privs or CAP_SYS_ADMIN (a filter could otherwise trick a setuid
 * program); the plan puts this op after noNewPrivs, or before credentials while the child is still
 * full root. From here on every system call, the execve included, passes the filter.
 */
static int op_seccomp(struct tp_child *c, const struct tp_op *op) {
  struct sock_fprog prog = {
    .len = (unsigned short)(op->bpf_len / sizeof(struct sock_filter)),
    .filter = (struct sock_filter *)op->bpf,
  };
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, op->seccomp_flags, &prog) < 0) return tp_fail(c, TP_SYS_SECCOMP, W_NONE);
  return 0;
}

/*
 * exec: start the container's command through the sealed helper (exec-helper.c says why): the
 * helper's memfd is exec'ed, never the command itself, so nothing this execve resolves (a command
 * of /proc/self/exe, a script's #! interpreter) can name the host's node, which this process still
 * is. The helper searches PATH and makes the final execve; it reports a failure on fd 3, so the
 * report pipe is put there without close-on-exec (every other fd closes at this execve).
 * execveat(AT_EMPTY_PATH) needs no /proc; a seccomp profile that refuses execveat but allows
 * execve gets the same memfd through /proc/self/fd/N.
 */
static int op_exec(struct tp_child *c, const struct tp_op *op, const struct tp_plan *plan, int report_fd) {
  int rc = report_fd == 3 ? fcntl(3, F_SETFD, 0) : dup2(report_fd, 3);
  if (rc < 0) return tp_fail(c, TP_SYS_DUP2, W_NONE);
  syscall(SYS_execveat, plan->exec_helper_fd, "", op->helper_argv, op->envp, AT_EMPTY_PATH);
  if (errno != ENOSYS && errno != EPERM) return tp_fail(c, TP_SYS_EXECVEAT, W_NONE);
  char path[32] = "/proc/self/fd/";
  char digits[12];
  int n = 0;
  for (unsigned v = (unsigned)plan->exec_helper_fd; n == 0 || v > 0; v /= 10) digits[n++] = (char)('0' + v % 10);
  size_t len = strlen(path);
  while (n > 0) path[len++] = digits[--n];
  path[len] = '\0';
  execve(path, op->helper_argv, op->envp);
  return tp_fail(c, TP_SYS_EXECVE, W_NONE);
}

/* Put the prepared fds on 0, 1, 2. dup2 clears close-on-exec on the copy; an fd already in place
 * keeps its flag, so clear it by hand. */
static int setup_stdio(struct tp_child *c, const struct tp_plan *plan) {
  for (int i = 0; i < 3; i++) {
    int fd = plan->stdio[i];
    if (fd < 0) continue;
    int rc = (fd == i) ? fcntl(i, F_SETFD, 0) : dup2(fd, i);
    if (rc < 0) return tp_fail(c, TP_SYS_DUP2, W_NONE);
  }
  return 0;
}

/* Signal handlers are Node's, and SIGPIPE is ignored there: give the new program defaults.
 * (An ignored signal stays ignored across execve; a handled one resets, but be explicit.) */
static void reset_signals(void) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
  }
}

static int run_op(struct tp_child *c, const struct tp_plan *plan, const struct tp_op *op, int report_fd, int index) {
  switch (op->kind) {
  case TP_OP_SETNS: return op_setns(c, op);
  case TP_OP_UNSHARE: return op_unshare(c, op);
  case TP_OP_FORK: return op_fork(c, op, report_fd, index);
  case TP_OP_WRITE_FILE: return op_write_file(c, op);
  case TP_OP_MOUNT: return tp_op_mount(c, op);
  case TP_OP_OPEN_ROOT: return tp_op_open_root(c, op);
  case TP_OP_MOUNT_FS: return tp_op_mount_fs(c, op);
  case TP_OP_BIND: return tp_op_bind(c, op);
  case TP_OP_MKNOD: return tp_op_mknod(c, op);
  case TP_OP_SYMLINK: return tp_op_symlink(c, op);
  case TP_OP_PIVOT_ROOT: return tp_op_pivot_root(c, op);
  case TP_OP_MASK_PATH: return tp_op_mask_path(c, op);
  case TP_OP_READ_ONLY_PATH: return tp_op_read_only_path(c, op);
  case TP_OP_SETHOSTNAME: return op_sethostname(c, op);
  case TP_OP_LOOPBACK_UP: return op_loopback_up(c, op);
  case TP_OP_CHDIR: return tp_op_chdir(c, op);
  case TP_OP_CREDENTIALS: return op_credentials(c, op);
  case TP_OP_NO_NEW_PRIVS: return op_no_new_privs(c, op);
  case TP_OP_CLOSE_FDS: return op_close_fds(c, op);
  case TP_OP_SETSID: return op_setsid(c, op);
  case TP_OP_SESSION_KEYRING: return tp_op_session_keyring(c, op);
  case TP_OP_SECCOMP: return op_seccomp(c, op);
  case TP_OP_EXEC: return op_exec(c, op, plan, report_fd);
  case TP_OP_AWAIT_ID_MAP: return op_await_id_map(c, plan);
  case TP_OP_SETRESUID: return op_setresuid(c, op);
  case TP_OP_IDMAP_MOUNT: return tp_op_idmap_mount(c, op);
  case TP_OP_CONSOLE: return tp_op_console(c, op);
  default: errno = EINVAL; return tp_fail(c, TP_SYS_EXECVE, W_NONE);
  }
}

__attribute__((noreturn)) static void report_and_exit(struct tp_child *c, int report_fd, int index) {
  struct tp_msg msg = {
    .kind = TP_MSG_ERROR, .op_index = index, .err = errno,
    .syscall = c->failed_sys, .which = c->failed_which,
  };
  ssize_t ignored = write(report_fd, &msg, sizeof msg);
  (void)ignored;
  _exit(127);
}

void tp_child_run(const struct tp_plan *plan, int report_fd) {
  struct tp_child c = { .root_fd = -1 };
  sigset_t none;

  /* Non-dumpable until execve: a process already in the pod must not be able to open
   * /proc/<pid>/exe or /proc/<pid>/root of this half-built child, which still maps the host's node. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  reset_signals();
  /* The parent's end of the id-map pipe: held here too, our read would never see EOF. */
  if (plan->idmap_fd[1] >= 0) close(plan->idmap_fd[1]);
  if (setup_stdio(&c, plan) < 0) report_and_exit(&c, report_fd, -1);
  for (size_t i = 0; i < plan->nops; i++) {
    const struct tp_op *op = &plan->ops[i];
    if (plan->progress) *plan->progress = (int32_t)i;
    if (op->kind == TP_OP_EXEC) {
      /* The parent blocked every signal around clone(); the program starts with none blocked. */
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, NULL);
    }
    if (run_op(&c, plan, op, report_fd, (int)i) < 0) report_and_exit(&c, report_fd, (int)i);
  }
  /* A plan always ends in exec; reaching here means it did not. */
  errno = EINVAL;
  tp_fail(&c, TP_SYS_EXECVE, W_NONE);
  report_and_exit(&c, report_fd, (int)plan->nops);
}

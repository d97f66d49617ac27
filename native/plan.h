/*
 * The plan as C data.
 *
 * binding.cc turns a JavaScript plan into these structs *before* clone(): after clone() in a
 * multithreaded process (Node is one) the child may only make async-signal-safe calls, so it must
 * not allocate, format or look anything up. child.c only reads this memory and makes raw syscalls.
 */
#ifndef TSPOD_PLAN_H
#define TSPOD_PLAN_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a mount target is created when it does not exist yet inside the root. */
enum tp_create { TP_CREATE_NONE = 0, TP_CREATE_DIR = 1, TP_CREATE_FILE = 2 };

/* One operation. Which fields matter depends on `kind`; see the comment on each op in child.c. */
struct tp_op {
  int kind;                   /* enum tp_op_kind */
  const char *source;         /* bind source, mount source, fs type for mountFs */
  const char *sub_path;       /* bind: path resolved beneath `source`, never leaving it */
  const char *target;         /* mount target, file to write, node to create, dir to enter */
  const char *fstype;         /* mount(2) file system type */
  const char *data;           /* mount(2) data, writeFile content, symlink destination, hostname */
  const char *const *options; /* mountFs: key, value, key, value, ..., NULL (value "" = flag) */
  char *const *argv;          /* exec */
  char *const *envp;          /* exec */
  char *const *helper_argv;   /* exec: tspod-exec's argv (exec-helper.c), built before clone */
  const char *search_path;    /* exec: PATH used when argv[0] has no slash */
  unsigned long mount_flags;  /* mount(2) MS_* */
  uint64_t attrs;             /* mountFs/bind: MOUNT_ATTR_* */
  int fd;                     /* setns: pidfd or namespace fd; bind, idmapMount: user namespace fd of an idmapped mount (-1: none) */
  int ns_flags;               /* setns, unshare: CLONE_NEW* */
  int create;                 /* enum tp_create */
  int optional;               /* a missing target is not an error */
  int read_only;              /* bind: recursive read-only */
  mode_t source_type;         /* bind: S_IF* the source must be (0: any), checked on the bind's own fd */
  mode_t mode;                /* mknod */
  unsigned major, minor;      /* mknod */
  /* credentials */
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  size_t ngroups;
  int set_user;               /* 0: keep uid/gid/groups */
  uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable;
  /* awaitIdMap: what the parent writes to /proc/<pid>/uid_map and gid_map */
  const char *uid_map;
  const char *gid_map;
  /* seccomp: the compiled BPF program (struct sock_filter[]) and SECCOMP_FILTER_FLAG_* */
  const void *bpf;
  size_t bpf_len;
  unsigned seccomp_flags;
};

struct tp_plan {
  int stdio[3];               /* fds dup2'ed onto 0, 1, 2 (Node's own 0-2 are close-on-exec) */
  const struct tp_op *ops;
  size_t nops;
  volatile int32_t *progress; /* shared with the parent: index of the step being run (spawn's deadline) */
  int exec_helper_fd;         /* the sealed memfd holding tspod-exec (spawn.cc), >= 10 */
  int idmap_fd[2];            /* awaitIdMap: pipe; the parent writes one byte once the id maps are written (-1: none) */
};

/* What the child tells the parent over the close-on-exec pipe. EOF means execve succeeded. */
enum tp_msg_kind { TP_MSG_ERROR = 1, TP_MSG_PID = 2 };
struct tp_msg {
  int32_t kind;
  int32_t op_index;
  int32_t err;        /* errno */
  int32_t syscall;    /* enum tp_syscall */
  int32_t which;      /* 0: no path, 1: op.source, 2: op.target, 3: op.sub_path, 4: argv[0] */
  int32_t pid;        /* TP_MSG_PID: the grandchild created by a fork op (host pid) */
};

/* Runs the plan in the freshly cloned child; never returns. */
void tp_child_run(const struct tp_plan *plan, int report_fd) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif

/*
 * Shared by the files that run a plan in the cloned child (child.c, child_fs.c).
 *
 * Every function here runs between clone() and execve() in a copy of a multithreaded process, so
 * it makes raw syscalls only: no malloc, no stdio, no locks (see ARCHITECTURE.md section 2).
 * A failing step records which syscall failed and which path it was about; errno is kept as the
 * kernel left it, and child.c sends all three to the parent.
 */
#ifndef TSPOD_CHILD_H
#define TSPOD_CHILD_H

#include "plan.h"
#include "tspod_abi.h"

/* Which field of the op a failure is about (tp_msg.which). */
enum tp_which { W_NONE = 0, W_SOURCE = 1, W_TARGET = 2, W_SUBPATH = 3, W_ARGV0 = 4 };

struct tp_child {
  int root_fd;      /* the container's root, once openRoot or pivotRoot ran; -1 before */
  int failed_sys;   /* enum tp_syscall of the failure */
  int failed_which; /* enum tp_which of the failure */
};

/* Record a failure; errno is left untouched. Always returns -1. */
static inline int tp_fail(struct tp_child *c, int sys, int which) {
  c->failed_sys = sys;
  c->failed_which = which;
  return -1;
}

/* File-system operations (child_fs.c). Each returns 0, or -1 with errno set and the failure recorded. */
int tp_op_mount(struct tp_child *c, const struct tp_op *op);
int tp_op_open_root(struct tp_child *c, const struct tp_op *op);
int tp_op_mount_fs(struct tp_child *c, const struct tp_op *op);
int tp_op_bind(struct tp_child *c, const struct tp_op *op);
int tp_op_mknod(struct tp_child *c, const struct tp_op *op);
int tp_op_symlink(struct tp_child *c, const struct tp_op *op);
int tp_op_pivot_root(struct tp_child *c, const struct tp_op *op);
int tp_op_mask_path(struct tp_child *c, const struct tp_op *op);
int tp_op_read_only_path(struct tp_child *c, const struct tp_op *op);
int tp_op_chdir(struct tp_child *c, const struct tp_op *op);
int tp_op_idmap_mount(struct tp_child *c, const struct tp_op *op);

/* Process operations (child_proc.c). */
int tp_op_session_keyring(struct tp_child *c, const struct tp_op *op);
int tp_op_console(struct tp_child *c, const struct tp_op *op);

#endif

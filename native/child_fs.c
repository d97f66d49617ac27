/*
 * The container's file system, built in the child's own mount namespace.
 *
 * A container's root is an overlayfs mounted on a host directory; everything else (proc, /dev,
 * volumes, the pod's /etc files) is mounted *inside* that root. An image or a volume can contain
 * symlinks (`/dev -> /`, `/vol -> /etc`), so a target must never be looked up through the host's
 * view of the path: every target is opened relative to the root with openat2(RESOLVE_IN_ROOT),
 * which makes the root act as "/" for `..` and absolute symlinks, and the mount is made onto that
 * file descriptor with the new mount API (open_tree/fsopen + move_mount). Missing directories are
 * created one component at a time, each inside a parent that was itself resolved in the root.
 *
 * Only raw syscalls here: this runs between clone() and execve() (see child.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/mount.h>
#ifndef MNT_DETACH /* <sys/mount.h> has these, but clashes with <linux/mount.h> */
#define MNT_DETACH 2
#define UMOUNT_NOFOLLOW 8
#endif
#include <linux/openat2.h>

#include "child.h"

/* ---- thin wrappers: glibc 2.36 has no (or conflicting) declarations for these ---- */

static int sys_openat2(int dfd, const char *path, int flags, unsigned long long resolve) {
  struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = resolve };
  return (int)syscall(SYS_openat2, dfd, path, &how, sizeof how);
}
static int sys_open_tree(int dfd, const char *path, unsigned flags) {
  return (int)syscall(SYS_open_tree, dfd, path, flags | OPEN_TREE_CLOEXEC);
}
static int sys_move_mount(int from_fd, int to_fd) {
  return (int)syscall(SYS_move_mount, from_fd, "", to_fd, "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}
static int sys_mount_setattr(int fd, uint64_t attr_set) {
  struct mount_attr attr = { .attr_set = attr_set };
  return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
}
/* The same with MOUNT_ATTR_IDMAP when userns_fd >= 0: ids seen through the mount are those of the
 * files shifted by that user namespace's mapping (on-disk 0 is seen as the namespace's root). */
static int sys_mount_setattr_idmap(int fd, uint64_t attr_set, int userns_fd) {
  struct mount_attr attr = { .attr_set = attr_set };
  if (userns_fd >= 0) {
    attr.attr_set |= MOUNT_ATTR_IDMAP;
    attr.userns_fd = (uint64_t)userns_fd;
  }
  return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
}

/* Close without disturbing errno (used on error paths). */
static void quiet_close(int fd) {
  int saved = errno;
  if (fd >= 0) close(fd);
  errno = saved;
}

/* ---- resolution inside the root ---- */

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
#define BENEATH (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)

/* Create the missing component `name` in `parent`: a directory, or (last component) an empty file. */
static int create_component(int parent, const char *name, int as_file) {
  if (!as_file) return (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) ? -1 : 0;
  int fd = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

/*
 * Open `path` as an O_PATH descriptor inside the tree at `base` (RESOLVE_IN_ROOT for mount targets,
 * RESOLVE_BENEATH for subPath, where escaping is an error rather than clamped). With `create`, make
 * what is missing. The prefix is re-resolved from `base` after each creation, so a symlink planted
 * anywhere along the way is followed *inside* the tree, never out of it.
 */
static int open_in(int base, const char *path, int create, unsigned long long resolve) {
  int fd = sys_openat2(base, path, O_PATH, resolve);
  if (fd >= 0 || errno != ENOENT || create == TP_CREATE_NONE) return fd;

  char buf[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
  memcpy(buf, path, len + 1);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';

  int parent = sys_openat2(base, ".", O_PATH | O_DIRECTORY, resolve);
  size_t i = 0;
  while (parent >= 0 && i < len) {
    while (buf[i] == '/') i++;
    size_t end = i;
    while (end < len && buf[end] != '/') end++;
    if (end == i) break;
    char saved = buf[end];
    int last = (end >= len);
    buf[end] = '\0';
    fd = sys_openat2(base, buf, O_PATH, resolve);
    if (fd < 0 && errno == ENOENT) {
      if (create_component(parent, buf + i, last && create == TP_CREATE_FILE) == 0)
        fd = sys_openat2(base, buf, O_PATH, resolve);
    }
    buf[end] = saved;
    quiet_close(parent);
    parent = fd;
    i = end;
  }
  return parent;
}

/* Split `path` into the directory that holds it (opened inside the root, created if needed) and its
 * last component, copied into `leaf`. */
static int open_parent_in(int root, const char *path, char leaf[NAME_MAX + 1]) {
  char dir[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof dir) { errno = ENAMETOOLONG; return -1; }
  memcpy(dir, path, len + 1);
  while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
  char *slash = strrchr(dir, '/');
  const char *name = slash ? slash + 1 : dir;
  if (strlen(name) > NAME_MAX || name[0] == '\0') { errno = EINVAL; return -1; }
  memcpy(leaf, name, strlen(name) + 1);
  if (!slash) return sys_openat2(root, ".", O_PATH | O_DIRECTORY, IN_ROOT);
  if (slash == dir) return sys_openat2(root, "/", O_PATH | O_DIRECTORY, IN_ROOT);
  *slash = '\0';
  return open_in(root, dir, TP_CREATE_DIR, IN_ROOT);
}

static int need_root(struct tp_child *c) {
  if (c->root_fd >= 0) return 0;
  errno = EBADF;
  return tp_fail(c, TP_SYS_OPENAT2, W_TARGET);
}

/* Attach the detached mount `tree` onto `target` inside the root, creating it as `create`. */
static int attach(struct tp_child *c, int tree, const char *target, int create) {
  int fd = open_in(c->root_fd, target, create, IN_ROOT);
  if (fd < 0) return tp_fail(c, TP_SYS_OPENAT2, W_TARGET);
  int rc = sys_move_mount(tree, fd);
  quiet_close(fd);
  return rc < 0 ? tp_fail(c, TP_SYS_MOVE_MOUNT, W_TARGET) : 0;
}

/* A brand-new file system instance, configured key by key, as a detached mount. */
static int new_fs(struct tp_child *c, const char *fstype, const char *const *options, uint64_t attrs) {
  int fs = (int)syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC);
  if (fs < 0) return tp_fail(c, TP_SYS_FSOPEN, W_SOURCE);
  for (const char *const *o = options; o && o[0]; o += 2) {
    int flag = (o[1] == NULL || o[1][0] == '\0');
    int rc = (int)syscall(SYS_fsconfig, fs, flag ? FSCONFIG_SET_FLAG : FSCONFIG_SET_STRING,
                          o[0], flag ? NULL : o[1], 0);
    if (rc < 0) { quiet_close(fs); return tp_fail(c, TP_SYS_FSCONFIG, W_SOURCE); }
  }
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
    quiet_close(fs);
    return tp_fail(c, TP_SYS_FSCONFIG, W_SOURCE);
  }
  int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
  quiet_close(fs);
  return mnt < 0 ? tp_fail(c, TP_SYS_FSMOUNT, W_SOURCE) : mnt;
}

/* ---- the operations ---- */

/* mount: classic mount(2) on a host path (propagation of "/", the overlay root). */
int tp_op_mount(struct tp_child *c, const struct tp_op *op) {
  if (syscall(SYS_mount, op->source, op->target, op->fstype, op->mount_flags, op->data) < 0)
    return tp_fail(c, TP_SYS_MOUNT, W_TARGET);
  return 0;
}

/* openRoot: remember the directory that becomes "/" (all later targets resolve inside it). */
int tp_op_open_root(struct tp_child *c, const struct tp_op *op) {
  int fd = open(op->target, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return tp_fail(c, TP_SYS_OPEN, W_TARGET);
  if (c->root_fd >= 0) close(c->root_fd);
  c->root_fd = fd;
  return 0;
}

/* mountFs: a new proc, tmpfs, devpts, mqueue or sysfs instance at `target` inside the root. */
int tp_op_mount_fs(struct tp_child *c, const struct tp_op *op) {
  if (need_root(c) < 0) return -1;
  int mnt = new_fs(c, op->source, op->options, op->attrs);
  if (mnt < 0) return -1;
  int rc = attach(c, mnt, op->target, TP_CREATE_DIR);
  quiet_close(mnt);
  return rc;
}

/*
 * A typed hostPath: is the object behind `fd` of the type the volume asks for? The check is made
 * on the fd the bind is made from, never on the name again: tspod checked the name when it made
 * the volumes, but the path's owner may have swapped it since (a socket for a symlink to /etc), and
 * a second lookup would bind whatever the name means by then (a time-of-check/time-of-use race).
 * The errno says what was expected: ENOTDIR, ENOTSOCK, or EINVAL for the other types.
 */
static int check_source_type(struct tp_child *c, int fd, const struct tp_op *op) {
  struct stat st;
  if (!op->source_type) return 0;
  if (fstat(fd, &st) < 0) return tp_fail(c, TP_SYS_FSTAT, W_SOURCE);
  if ((st.st_mode & S_IFMT) == op->source_type) return 0;
  errno = op->source_type == S_IFDIR ? ENOTDIR : op->source_type == S_IFSOCK ? ENOTSOCK : EINVAL;
  return tp_fail(c, TP_SYS_FSTAT, W_SOURCE);
}

/*
 * The source tree of a bind: the host path, or `sub_path` resolved beneath it (never escaping).
 * The host path is looked up once, following symlinks (as the kubelet's stat does): open_tree
 * makes a detached copy of the mount tree at whatever the path resolved to, and that copy is what
 * gets type-checked and attached.
 */
static int open_bind_source(struct tp_child *c, const struct tp_op *op) {
  unsigned flags = OPEN_TREE_CLONE | AT_RECURSIVE;
  if (!op->sub_path) {
    int tree = sys_open_tree(AT_FDCWD, op->source, flags);
    if (tree < 0) return tp_fail(c, TP_SYS_OPEN_TREE, W_SOURCE);
    if (check_source_type(c, tree, op) < 0) { quiet_close(tree); return -1; }
    return tree;
  }
  int dir = open(op->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return tp_fail(c, TP_SYS_OPEN, W_SOURCE);
  if (check_source_type(c, dir, op) < 0) { quiet_close(dir); return -1; }
  int sub = open_in(dir, op->sub_path, TP_CREATE_DIR, BENEATH);
  quiet_close(dir);
  if (sub < 0) return tp_fail(c, TP_SYS_OPENAT2, W_SUBPATH);
  int tree = sys_open_tree(sub, "", flags | AT_EMPTY_PATH);
  quiet_close(sub);
  return tree < 0 ? tp_fail(c, TP_SYS_OPEN_TREE, W_SUBPATH) : tree;
}

/* bind: a host file or directory (or a subPath of it) at `target`, read-only if asked. */
int tp_op_bind(struct tp_child *c, const struct tp_op *op) {
  if (need_root(c) < 0) return -1;
  int tree = open_bind_source(c, op);
  if (tree < 0) return -1;
  uint64_t attrs = op->attrs | (op->read_only ? MOUNT_ATTR_RDONLY : 0);
  if ((attrs || op->fd >= 0) && sys_mount_setattr_idmap(tree, attrs, op->fd) < 0) {
    quiet_close(tree);
    return tp_fail(c, TP_SYS_MOUNT_SETATTR, W_TARGET);
  }
  struct stat st;
  if (fstat(tree, &st) < 0) { quiet_close(tree); return tp_fail(c, TP_SYS_FSTAT, W_SOURCE); }
  int rc = attach(c, tree, op->target, S_ISDIR(st.st_mode) ? TP_CREATE_DIR : TP_CREATE_FILE);
  quiet_close(tree);
  return rc;
}

/* mknod: a character device inside the root, with exactly `mode` (umask does not apply). */
int tp_op_mknod(struct tp_child *c, const struct tp_op *op) {
  char leaf[NAME_MAX + 1];
  if (need_root(c) < 0) return -1;
  int dir = open_parent_in(c->root_fd, op->target, leaf);
  if (dir < 0) return tp_fail(c, TP_SYS_OPENAT2, W_TARGET);
  int rc = 0;
  if (mknodat(dir, leaf, S_IFCHR | op->mode, makedev(op->major, op->minor)) < 0)
    rc = tp_fail(c, TP_SYS_MKNODAT, W_TARGET);
  else if (fchmodat(dir, leaf, op->mode, 0) < 0)
    rc = tp_fail(c, TP_SYS_FCHMODAT, W_TARGET);
  quiet_close(dir);
  return rc;
}

/* symlink: `target` inside the root pointing at `data` (the link text is not resolved). */
int tp_op_symlink(struct tp_child *c, const struct tp_op *op) {
  char leaf[NAME_MAX + 1];
  if (need_root(c) < 0) return -1;
  int dir = open_parent_in(c->root_fd, op->target, leaf);
  if (dir < 0) return tp_fail(c, TP_SYS_OPENAT2, W_TARGET);
  int rc = symlinkat(op->data, dir, leaf);
  quiet_close(dir);
  if (rc < 0 && !(errno == EEXIST && op->optional)) return tp_fail(c, TP_SYS_SYMLINKAT, W_TARGET);
  return 0;
}

/*
 * pivotRoot: make the root "/" and drop the host's tree from this mount namespace.
 * pivot_root(".", ".") stacks the old root on top of the new one at the same place; detaching "."
 * then removes the old root without needing a directory to park it in. chroot alone would leave
 * the host's tree reachable (a process with CAP_SYS_CHROOT can escape a chroot).
 */
int tp_op_pivot_root(struct tp_child *c, const struct tp_op *op) {
  (void)op;
  if (need_root(c) < 0) return -1;
  if (fchdir(c->root_fd) < 0) return tp_fail(c, TP_SYS_FCHDIR, W_NONE);
  if (syscall(SYS_pivot_root, ".", ".") < 0) return tp_fail(c, TP_SYS_PIVOT_ROOT, W_NONE);
  if (syscall(SYS_umount2, ".", MNT_DETACH) < 0) return tp_fail(c, TP_SYS_UMOUNT2, W_NONE);
  if (chdir("/") < 0) return tp_fail(c, TP_SYS_CHDIR, W_NONE);
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return tp_fail(c, TP_SYS_OPEN, W_NONE);
  close(c->root_fd);
  c->root_fd = fd;
  return 0;
}

/* Open an existing target inside the root; 1 = it is not there and the op says that is fine. */
static int open_existing(struct tp_child *c, const struct tp_op *op, int *fd) {
  if (need_root(c) < 0) return -1;
  *fd = open_in(c->root_fd, op->target, TP_CREATE_NONE, IN_ROOT);
  if (*fd >= 0) return 0;
  if (errno == ENOENT && op->optional) return 1;
  return tp_fail(c, TP_SYS_OPENAT2, W_TARGET);
}

/* maskPath: hide a file behind /dev/null, a directory behind an empty read-only tmpfs. */
int tp_op_mask_path(struct tp_child *c, const struct tp_op *op) {
  int fd, rc = open_existing(c, op, &fd);
  if (rc != 0) return rc > 0 ? 0 : -1;
  struct stat st;
  if (fstat(fd, &st) < 0) { quiet_close(fd); return tp_fail(c, TP_SYS_FSTAT, W_TARGET); }
  static const char *const empty_opts[] = { "size", "0", "mode", "0555", NULL };
  int tree = S_ISDIR(st.st_mode) ? new_fs(c, "tmpfs", empty_opts, MOUNT_ATTR_RDONLY)
                                 : sys_open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE);
  if (tree < 0) {
    quiet_close(fd);
    return S_ISDIR(st.st_mode) ? -1 : tp_fail(c, TP_SYS_OPEN_TREE, W_TARGET);
  }
  rc = sys_move_mount(tree, fd);
  quiet_close(tree);
  quiet_close(fd);
  return rc < 0 ? tp_fail(c, TP_SYS_MOVE_MOUNT, W_TARGET) : 0;
}

/* readOnlyPath: a read-only bind of the target onto itself (recursively). */
int tp_op_read_only_path(struct tp_child *c, const struct tp_op *op) {
  int fd, rc = open_existing(c, op, &fd);
  if (rc != 0) return rc > 0 ? 0 : -1;
  int tree = sys_open_tree(fd, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree < 0) { quiet_close(fd); return tp_fail(c, TP_SYS_OPEN_TREE, W_TARGET); }
  rc = sys_mount_setattr(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (rc < 0) rc = tp_fail(c, TP_SYS_MOUNT_SETATTR, W_TARGET);
  else if (sys_move_mount(tree, fd) < 0) rc = tp_fail(c, TP_SYS_MOVE_MOUNT, W_TARGET);
  quiet_close(tree);
  quiet_close(fd);
  return rc;
}

/* chdir: the working directory, resolved inside the root and created when missing. */
int tp_op_chdir(struct tp_child *c, const struct tp_op *op) {
  if (need_root(c) < 0) return -1;
  int fd = open_in(c->root_fd, op->target, op->create, IN_ROOT);
  if (fd < 0) return tp_fail(c, TP_SYS_OPENAT2, W_TARGET);
  int rc = fchdir(fd);
  quiet_close(fd);
  return rc < 0 ? tp_fail(c, TP_SYS_FCHDIR, W_TARGET) : 0;
}

/*
 * idmapMount: `source` at the host path `target`, seen through the user namespace `fd` (a layer of
 * the image below a pod with a user namespace: its root-owned files are seen as owned by the pod's
 * root). Read-only: overlayfs only reads a lower layer. Only in the container's private mount
 * namespace (after "/" is made private), so the host never sees it; an idmapped mount needs
 * CAP_SYS_ADMIN in the initial user namespace, which is why it is made before the process joins the
 * pod's user namespace.
 */
int tp_op_idmap_mount(struct tp_child *c, const struct tp_op *op) {
  int tree = sys_open_tree(AT_FDCWD, op->source, OPEN_TREE_CLONE | AT_RECURSIVE);
  if (tree < 0) return tp_fail(c, TP_SYS_OPEN_TREE, W_SOURCE);
  if (sys_mount_setattr_idmap(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, op->fd) < 0) {
    quiet_close(tree);
    return tp_fail(c, TP_SYS_MOUNT_SETATTR, W_SOURCE);
  }
  int fd = open(op->target, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) { quiet_close(tree); return tp_fail(c, TP_SYS_OPEN, W_TARGET); }
  int rc = sys_move_mount(tree, fd);
  quiet_close(fd);
  quiet_close(tree);
  return rc < 0 ? tp_fail(c, TP_SYS_MOVE_MOUNT, W_TARGET) : 0;
}

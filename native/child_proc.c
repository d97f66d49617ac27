/*
 * The process's own kernel objects that are not namespaced: its session keyring.
 *
 * Keys (kernel-held secrets: kerberos tickets, fscrypt and dm-crypt keys, NFS credentials) are
 * found through the keyrings a process *possesses*, the first of which is its session keyring,
 * inherited across clone and execve. Keyrings have no namespace: a container started from a root
 * shell would possess the operator's session keyring and could read every key in it (why runc and
 * crun join a new session keyring for every container). KEYCTL_JOIN_SESSION_KEYRING with no
 * name makes a fresh, anonymous keyring and installs it as this process's session keyring, so
 * nothing reachable from the host's sessions is possessed any more. Keys are still visible by id to
 * a process with the same uid (view permission); reading them needs possession, or the key's
 * "user read" bit, which keys added by keyctl do not set. The default seccomp profile blocks the
 * keyring syscalls altogether (a second wall).
 *
 * Only raw syscalls here: this runs between clone() and execve() (see child.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>

#include "child.h"

/* sessionKeyring: join a new anonymous session keyring (before the credentials change, so that
 * the keyring is charged to root's key quota, not to the container user's small one). */
int tp_op_session_keyring(struct tp_child *c, const struct tp_op *op) {
  (void)op;
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, (const char *)0, 0, 0, 0) < 0)
    return tp_fail(c, TP_SYS_KEYCTL, W_NONE);
  return 0;
}

// The sealed copy of tspod-exec that every container's final execve goes through (exec-helper.c).
//
// Made once per tspod process, on the first spawn: memfd_create gives an anonymous file that no
// path on the host names; the helper binary is copied into it, and then sealed with F_ADD_SEALS:
// F_SEAL_WRITE (no write, no writable mapping), F_SEAL_SHRINK and F_SEAL_GROW (no truncate or
// extend), F_SEAL_EXEC where the kernel has it (mode bits fixed), and F_SEAL_SEAL (no seal may be
// removed or added). A container process that reaches it through /proc/<pid>/exe can read it, but
// never change it, and changing it would change nothing on the host anyway: it is not the host's
// file. The fd is close-on-exec in tspod (Node's other children never see it) and sits at 10 or
// above, clear of the fds the child rearranges (0-3) before its execveat.
#include <napi.h>

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealed_exec.h"
#include "util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

namespace {

int sealed_fd = -1;

// memfd_create asking for an executable memfd (kernels with vm.memfd_noexec want MFD_EXEC said;
// older kernels do not know the flag and refuse it with EINVAL: every memfd is executable there).
int make_memfd() {
  int fd = memfd_create("tspod-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create("tspod-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return fd;
}

// Copy the whole file `src` into `dst`; false with errno set on failure.
bool copy_all(int src, int dst) {
  struct stat st;
  if (fstat(src, &st) < 0) return false;
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(dst, src, nullptr, static_cast<size_t>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    left -= n;
  }
  return true;
}

int seal(int fd) {
  int seals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
  if (fcntl(fd, F_ADD_SEALS, seals | F_SEAL_EXEC) == 0) return 0;
  return errno == EINVAL ? fcntl(fd, F_ADD_SEALS, seals) : -1;  // a kernel without F_SEAL_EXEC
}

}  // namespace

int tp_sealed_exec_helper(Napi::Env env, const std::string &path) {
  if (sealed_fd >= 0) return sealed_fd;
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src < 0) tp_throw_errno(env, "open", path.c_str());
  int mem = make_memfd();
  if (mem < 0) {
    int err = errno;
    close(src);
    errno = err;
    tp_throw_errno(env, "memfd_create", path.c_str());
  }
  const char *failed = nullptr;
  if (!copy_all(src, mem)) failed = "sendfile";
  else if (seal(mem) < 0) failed = "fcntl";
  int high = failed ? -1 : fcntl(mem, F_DUPFD_CLOEXEC, 10);
  if (!failed && high < 0) failed = "fcntl";
  int err = errno;
  close(src);
  close(mem);
  if (failed) {
    if (high >= 0) close(high);
    errno = err;
    tp_throw_errno(env, failed, path.c_str());
  }
  sealed_fd = high;
  return sealed_fd;
}

// tspod's native addon: the kernel mechanism the TypeScript policy layer needs, and nothing else.
//
// - spawn(plan)            clone into new namespaces and run a plan there (spawn.cc, child.c)
// - watchExit(pidfd, cb)   learn how a child ended, through its pidfd (never waitpid(-1))
// - pollExit(pidfd, cb)    learn that any process ended (not only a child: nothing is reaped)
// - host-side calls that are safe in a multithreaded process: mount, umount2, pipe, flock, mknod,
//   lsetxattr, lgetxattr (the image store's overlay markers: Node has no xattr calls),
//   pidfdOpen, pidfdSendSignal, openptyIn, socketpair, recvFd, peerCred, cgroupDeviceAttach (bpf.cc). Node itself never calls
//   setns or unshare: those change only the calling thread (or fail outright) in a process that
//   has threads.
// Failures are thrown as Node-style system errors (code, errno, syscall, path).
#include <napi.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/xattr.h>
#include <linux/mount.h>
#ifndef MNT_DETACH /* <sys/mount.h> has these, but clashes with <linux/mount.h> */
#define MNT_DETACH 2
#define UMOUNT_NOFOLLOW 8
#endif
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tp_seccomp.h"
#include "util.h"

Napi::Value Spawn(const Napi::CallbackInfo &info);
Napi::Value CgroupDeviceAttach(const Napi::CallbackInfo &info);
Napi::Value CgroupDeviceQuery(const Napi::CallbackInfo &info);

namespace {

std::string str_arg(const Napi::CallbackInfo &info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) return std::string();
  return info[i].As<Napi::String>().Utf8Value();
}
int int_arg(const Napi::CallbackInfo &info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

// mount(source, target, fstype, flags[], data): the classic mount(2), on the host.
Napi::Value Mount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string source = str_arg(info, 0), target = str_arg(info, 1), fstype = str_arg(info, 2), data = str_arg(info, 4);
  Napi::Object opts = Napi::Object::New(env);
  if (info.Length() > 3) opts.Set("flags", info[3]);
  unsigned long flags = tp_mount_flags(env, opts, "flags");
  if (syscall(SYS_mount, source.empty() ? nullptr : source.c_str(), target.c_str(),
              fstype.empty() ? nullptr : fstype.c_str(), flags, data.empty() ? nullptr : data.c_str()) < 0)
    tp_throw_errno(env, "mount", target.c_str());
  return env.Undefined();
}

// umount2(target, detach): detach lazily when asked (a busy mount then goes when its last user does).
Napi::Value Umount2(const Napi::CallbackInfo &info) {
  std::string target = str_arg(info, 0);
  int flags = (info.Length() > 1 && info[1].ToBoolean().Value()) ? MNT_DETACH : 0;
  if (syscall(SYS_umount2, target.c_str(), flags | UMOUNT_NOFOLLOW) < 0) tp_throw_errno(info.Env(), "umount2", target.c_str());
  return info.Env().Undefined();
}

// pipe(): [readFd, writeFd], both close-on-exec.
Napi::Value Pipe(const Napi::CallbackInfo &info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) tp_throw_errno(info.Env(), "pipe2");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, fds[0]);
  out.Set(1u, fds[1]);
  return out;
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  if (close(int_arg(info, 0)) < 0 && errno != EINTR) tp_throw_errno(info.Env(), "close");
  return info.Env().Undefined();
}

// flock(fd, "ex" | "sh" | "un", wait): returns false when wait is false and the lock is taken.
Napi::Value Flock(const Napi::CallbackInfo &info) {
  std::string how = str_arg(info, 1);
  int op = how == "sh" ? LOCK_SH : how == "un" ? LOCK_UN : LOCK_EX;
  bool wait = info.Length() > 2 && info[2].ToBoolean().Value();
  if (!wait) op |= LOCK_NB;
  int rc;
  while ((rc = flock(int_arg(info, 0), op)) < 0 && errno == EINTR) {}
  if (rc < 0 && errno == EWOULDBLOCK) return Napi::Boolean::New(info.Env(), false);
  if (rc < 0) tp_throw_errno(info.Env(), "flock");
  return Napi::Boolean::New(info.Env(), true);
}

// peerCred(fd): {pid, uid, gid} of the process that connected the unix socket `fd` (SO_PEERCRED:
// the credentials the kernel recorded at connect(2), which the peer cannot forge).
Napi::Value PeerCred(const Napi::CallbackInfo &info) {
  struct ucred cred = {};
  socklen_t len = sizeof cred;
  if (getsockopt(int_arg(info, 0), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) tp_throw_errno(info.Env(), "getsockopt");
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("pid", Napi::Number::New(info.Env(), cred.pid));
  out.Set("uid", Napi::Number::New(info.Env(), cred.uid));
  out.Set("gid", Napi::Number::New(info.Env(), cred.gid));
  return out;
}

// mknod(path, mode, major, minor): mode includes the file type (S_IFCHR, S_IFBLK, S_IFIFO).
Napi::Value Mknod(const Napi::CallbackInfo &info) {
  std::string path = str_arg(info, 0);
  if (mknod(path.c_str(), static_cast<mode_t>(int_arg(info, 1)), makedev(int_arg(info, 2), int_arg(info, 3))) < 0)
    tp_throw_errno(info.Env(), "mknod", path.c_str());
  return info.Env().Undefined();
}

// lsetxattr(path, name, value): sets an extended attribute, never following a final symlink.
Napi::Value Lsetxattr(const Napi::CallbackInfo &info) {
  std::string path = str_arg(info, 0), name = str_arg(info, 1), value = str_arg(info, 2);
  if (lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) < 0)
    tp_throw_errno(info.Env(), "lsetxattr", path.c_str());
  return info.Env().Undefined();
}

// lgetxattr(path, name): the attribute's value as a string, or null when the file has none.
Napi::Value Lgetxattr(const Napi::CallbackInfo &info) {
  std::string path = str_arg(info, 0), name = str_arg(info, 1);
  char buf[256];
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), buf, sizeof buf);
  if (n < 0 && (errno == ENODATA || errno == ENOTSUP)) return info.Env().Null();
  if (n < 0) tp_throw_errno(info.Env(), "lgetxattr", path.c_str());
  return Napi::String::New(info.Env(), buf, static_cast<size_t>(n));
}

Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, int_arg(info, 0), 0));
  if (fd < 0) tp_throw_errno(info.Env(), "pidfd_open");
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return Napi::Number::New(info.Env(), fd);
}

// pidfdSendSignal(pidfd, sig): false when the process has already exited (ESRCH).
Napi::Value PidfdSendSignal(const Napi::CallbackInfo &info) {
  if (syscall(SYS_pidfd_send_signal, int_arg(info, 0), int_arg(info, 1), nullptr, 0) < 0) {
    if (errno == ESRCH) return Napi::Boolean::New(info.Env(), false);
    tp_throw_errno(info.Env(), "pidfd_send_signal");
  }
  return Napi::Boolean::New(info.Env(), true);
}

// openptyIn(root): {master, slave, name} from the devpts instance at <root>/dev/pts, e.g. a
// container's own (root = /proc/<pid>/root), so the terminal has a name inside the container.
// The path is resolved inside that root, never through a symlink, and must end on a devpts ptmx;
// the slave is opened from the master (TIOCGPTPEER), without a second path lookup.
Napi::Value OpenPtyIn(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string root = str_arg(info, 0);
  int rootfd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) tp_throw_errno(env, "open", root.c_str());
  struct open_how how = {};
  how.flags = O_RDWR | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int master = static_cast<int>(syscall(SYS_openat2, rootfd, "dev/pts/ptmx", &how, sizeof how));
  int e = errno;
  close(rootfd);
  std::string where = root + "/dev/pts/ptmx";
  if (master < 0) { errno = e; tp_throw_errno(env, "openat2", where.c_str()); }
  struct statfs fs = {};
  int unlock = 0;
  unsigned n = 0;
  if (fstatfs(master, &fs) < 0 || fs.f_type != DEVPTS_SUPER_MAGIC) {
    close(master);
    errno = ENOTTY;
    tp_throw_errno(env, "fstatfs", where.c_str());
  }
  int slave = -1;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0 ||
      (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
    e = errno;
    close(master);
    errno = e;
    tp_throw_errno(env, "ioctl", where.c_str());
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("master", master);
  out.Set("slave", slave);
  out.Set("name", "/dev/pts/" + std::to_string(n));
  return out;
}

// socketpair(): [a, b], a connected pair of unix stream sockets, both close-on-exec. A plan's
// console step sends the container's terminal master over one end (child_console.c).
Napi::Value SocketPair(const Napi::CallbackInfo &info) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) tp_throw_errno(info.Env(), "socketpair");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, sv[0]);
  out.Set(1u, sv[1]);
  return out;
}

// recvFd(sock): the one fd sent on the unix socket (SCM_RIGHTS), close-on-exec; -1 when the
// other end closed without sending one. Non-blocking: the sender is done before this is called.
Napi::Value RecvFd(const Napi::CallbackInfo &info) {
  char byte;
  struct iovec iov = {&byte, 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  ssize_t n = recvmsg(int_arg(info, 0), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0 && errno != EAGAIN) tp_throw_errno(info.Env(), "recvmsg");
  struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
  int fd = -1;
  if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return Napi::Number::New(info.Env(), fd);
}

// setOutputProcessing(fd, on): turn the terminal's output processing (OPOST: "\n" becomes "\r\n")
// on or off; returns whether it was on. Node's raw mode (libuv's) leaves it on, as a program with
// its own terminal does not expect: a container's terminal already sends "\r\n", and a full-screen
// program moving the cursor with a bare "\n" would be shifted to the first column.
Napi::Value SetOutputProcessing(const Napi::CallbackInfo &info) {
  int fd = int_arg(info, 0);
  struct termios t;
  if (tcgetattr(fd, &t) < 0) tp_throw_errno(info.Env(), "tcgetattr");
  bool was = (t.c_oflag & OPOST) != 0;
  if (info[1].ToBoolean().Value()) t.c_oflag |= OPOST;
  else t.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  if (tcsetattr(fd, TCSANOW, &t) < 0) tp_throw_errno(info.Env(), "tcsetattr");
  return Napi::Boolean::New(info.Env(), was);
}

// setWinsize(fd, rows, cols): the terminal size a program in the pty sees.
Napi::Value SetWinsize(const Napi::CallbackInfo &info) {
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(int_arg(info, 1));
  ws.ws_col = static_cast<unsigned short>(int_arg(info, 2));
  if (ioctl(int_arg(info, 0), TIOCSWINSZ, &ws) < 0) tp_throw_errno(info.Env(), "ioctl");
  return info.Env().Undefined();
}

struct ExitStatus { int code; int signal; int err; };

// watchExit(pidfd, cb): cb({code, signal}) once the child ends. A detached thread blocks in
// waitid(P_PIDFD) (a few per pod; the libuv pool, shared with fs, is kept free), then hands the
// status to the main thread through a thread-safe function, which also keeps Node alive meanwhile.
Napi::Value WatchExit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int pidfd = int_arg(info, 0);
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "tspod.watchExit", 0, 1);
  std::thread([pidfd, tsfn]() mutable {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, nullptr);  // Node's signal handling stays on its own threads
    siginfo_t si = {};
    int rc;
    while ((rc = waitid(static_cast<idtype_t>(P_PIDFD), pidfd, &si, WEXITED)) < 0 && errno == EINTR) {}
    auto *st = new ExitStatus{-1, 0, rc < 0 ? errno : 0};
    if (rc == 0 && si.si_code == CLD_EXITED) st->code = si.si_status;
    else if (rc == 0) st->signal = si.si_status;
    tsfn.BlockingCall(st, [](Napi::Env env, Napi::Function cb, ExitStatus *s) {
      Napi::Object out = Napi::Object::New(env);
      out.Set("code", s->code >= 0 ? Napi::Value(Napi::Number::New(env, s->code)) : env.Null());
      out.Set("signal", s->signal ? Napi::Value(Napi::Number::New(env, s->signal)) : env.Null());
      if (s->err) out.Set("error", tp_system_error(env, s->err, "waitid", nullptr).Value());
      delete s;
      cb.Call({out});
    });
    tsfn.Release();
  }).detach();
  return env.Undefined();
}

// pollExit(pidfd, cb): cb() once the process behind the pidfd has ended, whoever its parent is.
// A pidfd is readable (POLLIN) once its process has exited (pidfd_open(2)), for any process: what
// a supervisor that adopted a pod has of processes that are not its children (it cannot wait for
// them; their parent reaps them). A detached thread blocks in poll(2), as watchExit's in waitid.
Napi::Value PollExit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int pidfd = int_arg(info, 0);
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "tspod.pollExit", 0, 1);
  std::thread([pidfd, tsfn]() mutable {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, nullptr);
    struct pollfd pfd = {pidfd, POLLIN, 0};
    while (poll(&pfd, 1, -1) < 0 && errno == EINTR) {}
    tsfn.BlockingCall([](Napi::Env, Napi::Function cb) { cb.Call({}); });
    tsfn.Release();
  }).detach();
  return env.Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("watchExit", Napi::Function::New(env, WatchExit, "watchExit"));
  exports.Set("pollExit", Napi::Function::New(env, PollExit, "pollExit"));
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("umount2", Napi::Function::New(env, Umount2, "umount2"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("mknod", Napi::Function::New(env, Mknod, "mknod"));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
  exports.Set("lsetxattr", Napi::Function::New(env, Lsetxattr, "lsetxattr"));
  exports.Set("lgetxattr", Napi::Function::New(env, Lgetxattr, "lgetxattr"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("openptyIn", Napi::Function::New(env, OpenPtyIn, "openptyIn"));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd, "recvFd"));
  exports.Set("setOutputProcessing", Napi::Function::New(env, SetOutputProcessing, "setOutputProcessing"));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize, "setWinsize"));
  exports.Set("seccompCompile", Napi::Function::New(env, SeccompCompile, "seccompCompile"));
  exports.Set("seccompKnown", Napi::Function::New(env, SeccompKnown, "seccompKnown"));
  exports.Set("cgroupDeviceAttach", Napi::Function::New(env, CgroupDeviceAttach, "cgroupDeviceAttach"));
  exports.Set("cgroupDeviceQuery", Napi::Function::New(env, CgroupDeviceQuery, "cgroupDeviceQuery"));
  return exports;
}

NODE_API_MODULE(tspod, Init)

// spawn(plan): clone a child into new namespaces and run a plan in it.
//
// Everything the child needs is converted from JavaScript into plain C memory here, *before*
// clone(): strings, arrays, flags, fds (see plan.h). clone3(CLONE_PIDFD) then gives us the child
// and a pidfd for it in one step, so there is no window in which the pid could be reused. The child
// reports a failed step over a close-on-exec pipe; we read that pipe until EOF, which comes when
// the child's execve succeeds (the pipe closes) or after it reported an error and exited.
//
// That read has a deadline (plan.timeoutMs): the event loop is blocked while we wait, so a child
// stuck in some step (a FIFO that nobody opens, an NFS mount that hangs, a futex) would freeze the
// whole supervisor, Ctrl-C included. On the deadline the child is killed and the error names the
// step it was in: the child writes the index of each step into a shared page before running it.
#include <napi.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan.h"
#include "sealed_exec.h"
#include "tp_seccomp.h"
#include "tspod_abi.h"
#include "util.h"

namespace {

// Owns every byte the child will read; addresses stay valid while it lives (deque never moves).
struct PlanMemory {
  std::deque<std::string> strings;
  std::deque<std::vector<const char *>> lists;
  std::deque<std::vector<gid_t>> gids;
  std::deque<std::vector<uint8_t>> programs;  // compiled seccomp filters
  std::vector<tp_op> ops;
  std::vector<std::string> op_names;
  tp_plan plan{};

  const char *str(const Napi::Object &o, const char *key) {
    if (!o.Has(key) || o.Get(key).IsUndefined() || o.Get(key).IsNull()) return nullptr;
    strings.push_back(o.Get(key).As<Napi::String>().Utf8Value());
    return strings.back().c_str();
  }
  // A NULL-terminated char* array from a JS string array (or [k, v] pairs, flattened).
  const char *const *list(const Napi::Object &o, const char *key, bool pairs = false) {
    if (!o.Has(key) || !o.Get(key).IsArray()) return nullptr;
    auto arr = o.Get(key).As<Napi::Array>();
    std::vector<const char *> v;
    for (uint32_t i = 0; i < arr.Length(); i++) {
      if (pairs) {
        auto kv = arr.Get(i).As<Napi::Array>();
        for (uint32_t j = 0; j < 2; j++) {
          strings.push_back(kv.Get(j).IsString() ? kv.Get(j).As<Napi::String>().Utf8Value() : "");
          v.push_back(strings.back().c_str());
        }
      } else {
        strings.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
        v.push_back(strings.back().c_str());
      }
    }
    v.push_back(nullptr);
    lists.push_back(std::move(v));
    return lists.back().data();
  }
};

int64_t num(const Napi::Object &o, const char *key, int64_t dflt) {
  if (!o.Has(key) || !o.Get(key).IsNumber()) return dflt;
  return o.Get(key).As<Napi::Number>().Int64Value();
}
bool flag(const Napi::Object &o, const char *key) {
  return o.Has(key) && o.Get(key).ToBoolean().Value();
}

uint64_t cap_mask(Napi::Env env, const Napi::Object &o, const char *key) {
  uint64_t mask = 0;
  if (!o.Has(key) || !o.Get(key).IsArray()) return 0;
  auto arr = o.Get(key).As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    int64_t cap = arr.Get(i).As<Napi::Number>().Int64Value();
    if (cap < 0 || cap > 63) throw Napi::TypeError::New(env, std::string(key) + ": capability out of range");
    mask |= 1ULL << cap;
  }
  return mask;
}

void convert_credentials(Napi::Env env, PlanMemory &m, const Napi::Object &o, tp_op &op) {
  op.set_user = o.Has("uid") && o.Get("uid").IsNumber();
  op.uid = static_cast<uid_t>(num(o, "uid", 0));
  op.gid = static_cast<gid_t>(num(o, "gid", 0));
  std::vector<gid_t> groups;
  if (o.Has("groups") && o.Get("groups").IsArray()) {
    auto arr = o.Get("groups").As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) groups.push_back(arr.Get(i).As<Napi::Number>().Uint32Value());
  }
  m.gids.push_back(std::move(groups));
  op.groups = m.gids.back().data();
  op.ngroups = m.gids.back().size();
  op.cap_bounding = cap_mask(env, o, "bounding");
  op.cap_effective = cap_mask(env, o, "effective");
  op.cap_permitted = cap_mask(env, o, "permitted");
  op.cap_inheritable = cap_mask(env, o, "inheritable");
}

// bind.sourceType ("socket", ...) as the S_IF* bits of st_mode; 0 when absent.
mode_t source_type(Napi::Env env, const Napi::Object &o) {
  if (!o.Has("sourceType") || !o.Get("sourceType").IsString()) return 0;
  std::string t = o.Get("sourceType").As<Napi::String>().Utf8Value();
  if (t == "directory") return S_IFDIR;
  if (t == "file") return S_IFREG;
  if (t == "socket") return S_IFSOCK;
  if (t == "charDevice") return S_IFCHR;
  if (t == "blockDevice") return S_IFBLK;
  throw Napi::TypeError::New(env, "bind: unknown sourceType \"" + t + "\"");
}

// tspod-exec's argv (exec-helper.c): its name, the step index, the PATH to search, the command,
// then the command's own argv.
char *const *helper_argv(PlanMemory &m, const tp_op &op, uint32_t index) {
  std::vector<const char *> v;
  for (std::string s : {std::string("tspod-exec"), std::to_string(index), std::string(op.search_path ? op.search_path : ""), std::string(op.target)}) {
    m.strings.push_back(s);
    v.push_back(m.strings.back().c_str());
  }
  for (char *const *a = op.argv; *a; a++) v.push_back(*a);
  v.push_back(nullptr);
  m.lists.push_back(std::move(v));
  return const_cast<char *const *>(m.lists.back().data());
}

tp_op convert_op(Napi::Env env, PlanMemory &m, const Napi::Object &o, uint32_t index) {
  tp_op op{};
  std::string name = o.Get("op").As<Napi::String>().Utf8Value();
  op.kind = tp_op_kind_from_name(name.c_str());
  if (op.kind < 0) throw Napi::TypeError::New(env, "unknown plan operation \"" + name + "\"");
  m.op_names.push_back(name);
  op.source = m.str(o, "source");
  op.sub_path = m.str(o, "subPath");
  op.target = m.str(o, "target");
  op.fstype = m.str(o, "fstype");
  op.data = m.str(o, "data");
  op.options = m.list(o, "options", true);
  op.argv = const_cast<char *const *>(m.list(o, "argv"));
  op.envp = const_cast<char *const *>(m.list(o, "env"));
  op.search_path = m.str(o, "searchPath");
  op.mount_flags = tp_mount_flags(env, o, "flags");
  op.attrs = tp_mount_attrs(env, o, "attrs");
  op.fd = static_cast<int>(num(o, "fd", -1));
  op.ns_flags = tp_ns_flags(env, o, "ns");
  std::string create = o.Has("create") && o.Get("create").IsString() ? o.Get("create").As<Napi::String>().Utf8Value() : "";
  op.create = create == "dir" ? TP_CREATE_DIR : create == "file" ? TP_CREATE_FILE : TP_CREATE_NONE;
  op.optional = flag(o, "optional");
  op.read_only = flag(o, "readOnly");
  op.mode = static_cast<mode_t>(num(o, "mode", 0));
  op.major = static_cast<unsigned>(num(o, "major", 0));
  op.minor = static_cast<unsigned>(num(o, "minor", 0));
  op.source_type = source_type(env, o);
  op.uid_map = m.str(o, "uidMap");
  op.gid_map = m.str(o, "gidMap");
  if (op.kind == TP_OP_AWAIT_ID_MAP && (!op.uid_map || !op.gid_map))
    throw Napi::TypeError::New(env, "awaitIdMap: uidMap and gidMap are required");
  if (op.kind == TP_OP_CREDENTIALS) convert_credentials(env, m, o, op);
  if (op.kind == TP_OP_SECCOMP) {
    // Compiled before clone (libseccomp allocates, which the child must not do): by the caller,
    // who passes the program (it compiles a pod's shared filter once), or else here.
    if (!o.Has("filter") || !o.Get("filter").IsObject()) throw Napi::TypeError::New(env, "seccomp: filter is required");
    if (o.Has("program") && o.Get("program").IsBuffer()) {
      auto program = o.Get("program").As<Napi::Buffer<uint8_t>>();
      if (program.Length() == 0 || program.Length() % 8 != 0) throw Napi::TypeError::New(env, "seccomp: program is not whole BPF instructions");
      m.programs.emplace_back(program.Data(), program.Data() + program.Length());
    } else {
      m.programs.push_back(tp_seccomp_compile(env, o.Get("filter").As<Napi::Object>()));
    }
    op.bpf = m.programs.back().data();
    op.bpf_len = m.programs.back().size();
    op.seccomp_flags = tp_seccomp_flags(env, o.Get("filter").As<Napi::Object>());
  }
  if (op.kind == TP_OP_EXEC && (!op.argv || !op.argv[0] || !op.target))
    throw Napi::TypeError::New(env, "exec: argv and target are required");
  if (op.kind == TP_OP_EXEC) op.helper_argv = helper_argv(m, op, index);
  return op;
}

// The field a failure is about, by tp_msg.which (see child.h).
const char *failed_path(const tp_op &op, int which) {
  switch (which) {
  case 1: return op.source;
  case 2: return op.target;
  case 3: return op.sub_path;
  case 4: return op.target;
  default: return nullptr;
  }
}

struct SpawnResult {
  long pid = -1;
  int pidfd = -1;
  long grandchild = -1;
  bool failed = false;
  tp_msg error{};
};

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The child (or the grandchild after a fork op) did not finish its plan in time: kill it, and
// report ETIMEDOUT from poll at the step it was in.
void give_up(SpawnResult &r, const volatile int32_t *progress) {
  syscall(SYS_pidfd_send_signal, r.pidfd, SIGKILL, nullptr, 0);
  if (r.grandchild > 0) kill(static_cast<pid_t>(r.grandchild), SIGKILL);
  r.failed = true;
  r.error = {TP_MSG_ERROR, *progress, ETIMEDOUT, TP_SYS_POLL, 0, 0};
}

// Read the child's reports until EOF (exec succeeded, or the child exited after reporting), or
// until the deadline.
void read_reports(int fd, SpawnResult &r, int64_t timeout_ms, const volatile int32_t *progress) {
  tp_msg msg;
  const int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    if (timeout_ms > 0) {
      pollfd pfd = {fd, POLLIN, 0};
      int64_t left = deadline - now_ms();
      int rc = left > 0 ? poll(&pfd, 1, static_cast<int>(left)) : 0;
      if (rc < 0 && errno == EINTR) continue;
      if (rc == 0) { give_up(r, progress); return; }
    }
    ssize_t n = read(fd, &msg, sizeof msg);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof msg)) break;
    if (msg.kind == TP_MSG_PID) r.grandchild = msg.pid;
    if (msg.kind == TP_MSG_ERROR) { r.failed = true; r.error = msg; }
  }
}

// Write the new user namespace's uid_map and gid_map of child `pid` (the awaitIdMap op at `index`
// waits for them), then release the child with one byte. Only a process holding CAP_SETUID and
// CAP_SETGID in the parent namespace may map other ids than its own, and only after clone is the
// pid known: so the parent writes them, never the child. gid_map is written as is: a privileged
// writer leaves setgroups allowed, which the credentials step needs.
bool write_id_maps(long pid, const tp_op &op, int index, int release_fd, tp_msg &error) {
  const std::pair<const char *, const char *> maps[] = {{"uid_map", op.uid_map}, {"gid_map", op.gid_map}};
  for (const auto &[file, text] : maps) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    ssize_t len = static_cast<ssize_t>(strlen(text));
    ssize_t n = fd < 0 ? -1 : write(fd, text, static_cast<size_t>(len));
    int saved = errno;
    if (fd >= 0) close(fd);
    if (n != len) {
      error = {TP_MSG_ERROR, index, n < 0 ? saved : EIO, fd < 0 ? TP_SYS_OPEN : TP_SYS_WRITE, 0, 0};
      return false;
    }
  }
  char one = 1;
  if (write(release_fd, &one, 1) != 1) {
    error = {TP_MSG_ERROR, index, errno, TP_SYS_WRITE, 0, 0};
    return false;
  }
  return true;
}

// Reap a child that we know is exiting (it reported an error, or it was the fork op's middle process).
void reap_pidfd(int pidfd) {
  siginfo_t si;
  while (waitid(static_cast<idtype_t>(P_PIDFD), pidfd, &si, WEXITED) < 0 && errno == EINTR) {}
}

SpawnResult clone_and_run(tp_plan &plan, int clone_flags, int64_t timeout_ms, const tp_op *id_map_op, int id_map_index) {
  SpawnResult r;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) { r.failed = true; r.error = {TP_MSG_ERROR, -1, errno, TP_SYS_OPEN, 0, 0}; return r; }
  // One page shared with the child (and a grandchild): the index of the step it is running.
  void *page = mmap(nullptr, sizeof(int32_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    close(pipefd[0]);
    close(pipefd[1]);
    r.failed = true;
    r.error = {TP_MSG_ERROR, -1, errno, TP_SYS_OPEN, 0, 0};
    return r;
  }
  plan.progress = static_cast<volatile int32_t *>(page);
  *plan.progress = -1;

  // Block every signal around clone(): a Node signal handler must never run in the child.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  clone_args args{};
  args.flags = static_cast<uint64_t>(clone_flags) | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&r.pidfd);
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    close(pipefd[0]);
    tp_child_run(&plan, pipefd[1]);
  }
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(pipefd[1]);
  if (pid < 0) {
    if (id_map_op) { close(plan.idmap_fd[0]); close(plan.idmap_fd[1]); }
    close(pipefd[0]);
    munmap(page, sizeof(int32_t));
    r.failed = true;
    r.error = {TP_MSG_ERROR, -1, clone_errno, TP_SYS_CLONE3, 0, 0};
    return r;
  }
  r.pid = pid;
  tp_msg map_error{};
  bool map_failed = false;
  if (id_map_op) {
    // On failure the release end is closed unwritten: the child's read sees EOF and it exits.
    map_failed = !write_id_maps(pid, *id_map_op, id_map_index, plan.idmap_fd[1], map_error);
    close(plan.idmap_fd[1]);
    close(plan.idmap_fd[0]);
    plan.idmap_fd[0] = plan.idmap_fd[1] = -1;
  }
  read_reports(pipefd[0], r, timeout_ms, plan.progress);
  if (map_failed) { r.failed = true; r.error = map_error; }
  close(pipefd[0]);
  munmap(page, sizeof(int32_t));
  plan.progress = nullptr;
  return r;
}

// After a fork op, the process that matters is the grandchild: a child of ours too (CLONE_PARENT).
void settle_grandchild(SpawnResult &r) {
  if (r.grandchild < 0) return;
  reap_pidfd(r.pidfd);  // the middle process exits right after reporting
  close(r.pidfd);
  r.pid = r.grandchild;
  r.pidfd = static_cast<int>(syscall(SYS_pidfd_open, r.grandchild, 0));
}

}  // namespace

Napi::Value Spawn(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "spawn(plan): plan must be an object");
  Napi::Object js = info[0].As<Napi::Object>();
  PlanMemory m;
  auto jsops = js.Get("ops").As<Napi::Array>();
  bool execs = false;
  for (uint32_t i = 0; i < jsops.Length(); i++) {
    m.ops.push_back(convert_op(env, m, jsops.Get(i).As<Napi::Object>(), i));
    execs = execs || m.ops.back().kind == TP_OP_EXEC;
  }
  // Every execve of a plan goes through the sealed helper: there is no way to ask for a direct one.
  m.plan.exec_helper_fd = -1;
  if (execs) {
    if (!js.Has("execHelper") || !js.Get("execHelper").IsString()) throw Napi::TypeError::New(env, "spawn: plan.execHelper (the tspod-exec binary) is required");
    m.plan.exec_helper_fd = tp_sealed_exec_helper(env, js.Get("execHelper").As<Napi::String>().Utf8Value());
  }
  m.plan.ops = m.ops.data();
  m.plan.nops = m.ops.size();
  // A plan that waits for its user namespace's id maps gets the pipe they are announced on.
  m.plan.idmap_fd[0] = m.plan.idmap_fd[1] = -1;
  const tp_op *id_map_op = nullptr;
  int id_map_index = -1;
  for (size_t i = 0; i < m.ops.size(); i++) {
    if (m.ops[i].kind == TP_OP_AWAIT_ID_MAP) { id_map_op = &m.ops[i]; id_map_index = static_cast<int>(i); break; }
  }
  if (id_map_op && pipe2(m.plan.idmap_fd, O_CLOEXEC) < 0) tp_throw_errno(env, "pipe2");
  auto stdio = js.Get("stdio").As<Napi::Array>();
  for (int i = 0; i < 3; i++) m.plan.stdio[i] = stdio.Get(i).As<Napi::Number>().Int32Value();

  SpawnResult r = clone_and_run(m.plan, tp_ns_flags(env, js, "clone"), num(js, "timeoutMs", 0), id_map_op, id_map_index);
  if (r.failed && r.pid > 0) {
    reap_pidfd(r.pidfd);
    close(r.pidfd);
    if (r.grandchild > 0) {  // the failure happened after a fork op: reap that process too
      int gfd = static_cast<int>(syscall(SYS_pidfd_open, r.grandchild, 0));
      if (gfd >= 0) { reap_pidfd(gfd); close(gfd); }
    }
  }
  if (r.failed) {
    const tp_op *op = (r.error.op_index >= 0 && static_cast<size_t>(r.error.op_index) < m.ops.size()) ? &m.ops[r.error.op_index] : nullptr;
    const char *path = op ? failed_path(*op, r.error.which) : nullptr;
    Napi::Error err = tp_system_error(env, r.error.err, tp_syscall_name(r.error.syscall), path);
    err.Value().Set("opIndex", Napi::Number::New(env, r.error.op_index));
    if (op) err.Value().Set("op", Napi::String::New(env, m.op_names[r.error.op_index]));
    if (r.error.syscall == TP_SYS_POLL && r.error.err == ETIMEDOUT) err.Value().Set("timedOut", Napi::Boolean::New(env, true));
    throw err;
  }
  settle_grandchild(r);
  if (r.pidfd < 0) tp_throw_errno(env, "pidfd_open");
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, static_cast<double>(r.pid)));
  out.Set("pidfd", Napi::Number::New(env, r.pidfd));
  return out;
}

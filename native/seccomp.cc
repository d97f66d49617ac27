// seccomp filters, compiled in the parent with libseccomp (the library runc and crun use).
//
// A seccomp filter is a classic-BPF program the kernel runs on each system call of the process.
// Writing it by hand means knowing every architecture's call numbers and the audit-arch checks;
// libseccomp does that from rules ("allow openat", "errno 38 for clone3"). It allocates and takes
// locks, so it must not run in the cloned child (see plan.h): the parent compiles here, exports the
// finished program into memory, and the child only hands those bytes to seccomp(2) right before
// execve (child.c, op seccomp). The rules arrive already resolved by src/seccomp/profile.ts; this
// file turns names into numbers and builds the program, and decides nothing.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tp_seccomp.h"
#include "util.h"

namespace {

struct CtxGuard {
  scmp_filter_ctx ctx;
  ~CtxGuard() { if (ctx) seccomp_release(ctx); }
};

std::string get_str(const Napi::Object &o, const char *key) {
  return o.Has(key) && o.Get(key).IsString() ? o.Get(key).As<Napi::String>().Utf8Value() : std::string();
}
uint64_t get_u64(const Napi::Object &o, const char *key) {
  return o.Has(key) && o.Get(key).IsNumber() ? static_cast<uint64_t>(o.Get(key).As<Napi::Number>().DoubleValue()) : 0;
}

[[noreturn]] void fail(Napi::Env env, const std::string &what, int rc) {
  Napi::Error err = tp_system_error(env, rc < 0 ? -rc : EINVAL, "seccomp", nullptr);
  err.Value().Set("message", Napi::String::New(env, "seccomp filter: " + what + ": " + std::strerror(rc < 0 ? -rc : EINVAL)));
  throw err;
}

uint32_t action(Napi::Env env, const std::string &name, uint64_t err) {
  uint16_t e = static_cast<uint16_t>(err);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(e);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(e);
  throw Napi::TypeError::New(env, "seccomp filter: unknown action \"" + name + "\"");
}

scmp_compare compare(Napi::Env env, const std::string &op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  throw Napi::TypeError::New(env, "seccomp filter: unknown comparison \"" + op + "\"");
}

// "SCMP_ARCH_X86_64" -> libseccomp's token for it.
uint32_t arch_token(Napi::Env env, const std::string &name) {
  std::string s = name.rfind("SCMP_ARCH_", 0) == 0 ? name.substr(10) : name;
  for (auto &ch : s) ch = static_cast<char>(tolower(ch));
  uint32_t token = seccomp_arch_resolve_name(s.c_str());
  if (token == 0) throw Napi::TypeError::New(env, "seccomp filter: unknown architecture \"" + name + "\"");
  return token;
}

void add_rule(Napi::Env env, scmp_filter_ctx ctx, const Napi::Object &r) {
  uint32_t act = action(env, get_str(r, "action"), get_u64(r, "errno"));
  std::vector<scmp_arg_cmp> cmps;
  auto args = r.Get("args").As<Napi::Array>();
  for (uint32_t i = 0; i < args.Length(); i++) {
    auto a = args.Get(i).As<Napi::Object>();
    scmp_arg_cmp c{};
    c.arg = static_cast<unsigned>(get_u64(a, "index"));
    c.op = compare(env, get_str(a, "op"));
    c.datum_a = get_u64(a, "value");
    c.datum_b = get_u64(a, "valueTwo");
    cmps.push_back(c);
  }
  auto names = r.Get("names").As<Napi::Array>();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) fail(env, "unknown system call \"" + name + "\"", -EINVAL);
    int rc = seccomp_rule_add_array(ctx, act, nr, static_cast<unsigned>(cmps.size()), cmps.data());
    if (rc < 0) fail(env, "rule for \"" + name + "\"", rc);
  }
}

// Export the program into a memfd and read it back (libseccomp 2.5 exports to an fd only).
std::vector<uint8_t> export_bpf(Napi::Env env, scmp_filter_ctx ctx) {
  int fd = memfd_create("tspod-seccomp", MFD_CLOEXEC);
  if (fd < 0) tp_throw_errno(env, "memfd_create");
  int rc = seccomp_export_bpf(ctx, fd);
  std::vector<uint8_t> out;
  off_t size = rc < 0 ? -1 : lseek(fd, 0, SEEK_END);
  if (size > 0) {
    out.resize(static_cast<size_t>(size));
    if (pread(fd, out.data(), out.size(), 0) != size) rc = -EIO;
  }
  close(fd);
  if (rc < 0 || size <= 0) fail(env, "export", rc < 0 ? rc : -EIO);
  return out;
}

}  // namespace

std::vector<uint8_t> tp_seccomp_compile(Napi::Env env, const Napi::Object &filter) {
  uint32_t def = action(env, get_str(filter, "defaultAction"), get_u64(filter, "defaultErrno"));
  CtxGuard g{seccomp_init(def)};
  if (!g.ctx) fail(env, "seccomp_init", -ENOMEM);
  // The child loads the program itself; libseccomp never sets no_new_privs here.
  seccomp_attr_set(g.ctx, SCMP_FLTATR_CTL_NNP, 0);
  auto arches = filter.Get("architectures").As<Napi::Array>();
  for (uint32_t i = 0; i < arches.Length(); i++) {
    uint32_t token = arch_token(env, arches.Get(i).As<Napi::String>().Utf8Value());
    int rc = seccomp_arch_add(g.ctx, token);
    if (rc < 0 && rc != -EEXIST) fail(env, "architecture " + arches.Get(i).As<Napi::String>().Utf8Value(), rc);
  }
  auto rules = filter.Get("rules").As<Napi::Array>();
  for (uint32_t i = 0; i < rules.Length(); i++) add_rule(env, g.ctx, rules.Get(i).As<Napi::Object>());
  return export_bpf(env, g.ctx);
}

unsigned tp_seccomp_flags(Napi::Env env, const Napi::Object &filter) {
  unsigned flags = 0;
  if (!filter.Has("flags") || !filter.Get("flags").IsArray()) return 0;
  auto arr = filter.Get("flags").As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    std::string f = arr.Get(i).As<Napi::String>().Utf8Value();
    if (f == "SECCOMP_FILTER_FLAG_LOG") flags |= SECCOMP_FILTER_FLAG_LOG;
    else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    else throw Napi::TypeError::New(env, "seccomp filter: unsupported flag \"" + f + "\"");
  }
  return flags;
}

// seccompCompile(filter): the BPF program as a Buffer (8 bytes per instruction), for --dry-run.
Napi::Value SeccompCompile(const Napi::CallbackInfo &info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "seccompCompile(filter): filter must be an object");
  std::vector<uint8_t> bpf = tp_seccomp_compile(info.Env(), info[0].As<Napi::Object>());
  return Napi::Buffer<uint8_t>::Copy(info.Env(), bpf.data(), bpf.size());
}

// seccompKnown(names): for each name, whether this libseccomp knows the system call.
// With a second argument true, returns the library's version string instead.
Napi::Value SeccompKnown(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() > 1 && info[1].ToBoolean().Value()) {
    const scmp_version *v = seccomp_version();
    return Napi::String::New(env, std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro));
  }
  auto names = info[0].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env, names.Length());
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string n = names.Get(i).As<Napi::String>().Utf8Value();
    out.Set(i, Napi::Boolean::New(env, seccomp_syscall_resolve_name(n.c_str()) != __NR_SCMP_ERROR));
  }
  return out;
}

// Name tables and errors for the binding: names come from abi.json (via tspod_abi.h), values
// from the kernel's own headers.
#include "util.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <sched.h>
#include <linux/mount.h>

#include "tspod_abi.h"

namespace {
struct Named { const char *name; unsigned long long value; };
const char *const kOps[] = TP_OP_NAMES;
const char *const kSyscalls[] = TP_SYSCALL_NAMES;
const Named kNamespaces[] = TP_NAMESPACES;
const Named kAttrs[] = TP_MOUNT_ATTRS;
const Named kFlags[] = TP_MOUNT_FLAGS;

template <size_t N>
unsigned long long flags_from(Napi::Env env, const Napi::Object &o, const char *key, const Named (&table)[N]) {
  if (!o.Has(key) || !o.Get(key).IsArray()) return 0;
  auto arr = o.Get(key).As<Napi::Array>();
  unsigned long long out = 0;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    std::string name = arr.Get(i).As<Napi::String>().Utf8Value();
    bool found = false;
    for (const Named &n : table) {
      if (name == n.name) { out |= n.value; found = true; }
    }
    if (!found) throw Napi::TypeError::New(env, std::string(key) + ": unknown name \"" + name + "\"");
  }
  return out;
}
}  // namespace

int tp_op_kind_from_name(const char *name) {
  for (int i = 0; i < TP_OP_COUNT; i++) {
    if (strcmp(kOps[i], name) == 0) return i;
  }
  return -1;
}

const char *tp_syscall_name(int sys) {
  return (sys >= 0 && sys < TP_SYS_COUNT) ? kSyscalls[sys] : "unknown";
}

int tp_ns_flags(Napi::Env env, const Napi::Object &o, const char *key) {
  return static_cast<int>(flags_from(env, o, key, kNamespaces));
}
unsigned long tp_mount_flags(Napi::Env env, const Napi::Object &o, const char *key) {
  return static_cast<unsigned long>(flags_from(env, o, key, kFlags));
}
uint64_t tp_mount_attrs(Napi::Env env, const Napi::Object &o, const char *key) {
  return flags_from(env, o, key, kAttrs);
}

Napi::Error tp_system_error(Napi::Env env, int err, const char *syscall, const char *path) {
  const char *code = strerrorname_np(err);
  if (!code) code = "UNKNOWN";
  std::string msg = std::string(code) + ": " + strerror(err) + ", " + syscall;
  if (path) msg += std::string(" '") + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Value().Set("code", Napi::String::New(env, code));
  e.Value().Set("errno", Napi::Number::New(env, -err));
  e.Value().Set("syscall", Napi::String::New(env, syscall));
  if (path) e.Value().Set("path", Napi::String::New(env, path));
  return e;
}

void tp_throw_errno(Napi::Env env, const char *syscall, const char *path) {
  throw tp_system_error(env, errno, syscall, path);
}

// Name tables (generated from abi.json) and Node-style system errors, shared by the binding files.
#ifndef TSPOD_UTIL_H
#define TSPOD_UTIL_H

#include <napi.h>
#include <cstdint>

int tp_op_kind_from_name(const char *name);
const char *tp_syscall_name(int sys);
// CLONE_NEW* flags from an array of namespace names (["net", "ipc"]) at o[key]; 0 when absent.
int tp_ns_flags(Napi::Env env, const Napi::Object &o, const char *key);
// MS_* flags from names (["BIND", "REC"]); MOUNT_ATTR_* from names (["RDONLY", "NOSUID"]).
unsigned long tp_mount_flags(Napi::Env env, const Napi::Object &o, const char *key);
uint64_t tp_mount_attrs(Napi::Env env, const Napi::Object &o, const char *key);
// An Error shaped like Node's system errors: code, errno (negative), syscall, path.
Napi::Error tp_system_error(Napi::Env env, int err, const char *syscall, const char *path);
// Throw tp_system_error for the current errno.
[[noreturn]] void tp_throw_errno(Napi::Env env, const char *syscall, const char *path = nullptr);

#endif

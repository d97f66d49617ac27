// seccomp filters compiled by libseccomp in the parent (seccomp.cc), for spawn.cc and binding.cc.
#ifndef TSPOD_SECCOMP_H
#define TSPOD_SECCOMP_H

#include <napi.h>
#include <cstdint>
#include <vector>

// The BPF program (struct sock_filter[], as bytes) for a filter resolved by src/seccomp/profile.ts.
std::vector<uint8_t> tp_seccomp_compile(Napi::Env env, const Napi::Object &filter);
// SECCOMP_FILTER_FLAG_* for seccomp(2) from the filter's flag names.
unsigned tp_seccomp_flags(Napi::Env env, const Napi::Object &filter);
Napi::Value SeccompCompile(const Napi::CallbackInfo &info);
Napi::Value SeccompKnown(const Napi::CallbackInfo &info);

#endif

// The sealed memfd copy of tspod-exec (sealed_exec.cc).
#ifndef TSPOD_SEALED_EXEC_H
#define TSPOD_SEALED_EXEC_H

#include <napi.h>
#include <string>

// The fd of the sealed copy of the helper at `path`, made on the first call of this process.
int tp_sealed_exec_helper(Napi::Env env, const std::string &path);

#endif

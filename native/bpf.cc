// cgroup v2 device programs: load a BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to a cgroup.
//
// The instructions are built in TypeScript (src/cgroups/device-bpf.ts): this file is only the two
// system calls. BPF_PROG_LOAD hands the instructions to the kernel's verifier, which checks that
// the program only reads its context (struct bpf_cgroup_dev_ctx) and always ends; it returns a
// program fd. BPF_PROG_ATTACH links the program to the cgroup directory's fd with attach type
// BPF_CGROUP_DEVICE: from then on every open and mknod of a device node by a process in that cgroup
// (or below it) runs the program, together with any program attached to an ancestor.
// BPF_F_ALLOW_MULTI keeps the programs of the ancestors (systemd attaches its own) and lets the
// kernel run all of them; the device is usable only when every one allows it.
//
// The attachment holds a reference to the program, so the program fd is closed right away; the
// program goes away with the cgroup (rmdir), nothing to undo by hand.
#include <napi.h>

#include <cerrno>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

namespace {

long bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

int open_cgroup(Napi::Env env, const std::string &dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) tp_throw_errno(env, "open", dir.c_str());
  return fd;
}

// The verifier's explanation of a refused program, for the error message.
std::string verifier_log(const std::vector<char> &log) {
  std::string s(log.data());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int load_program(Napi::Env env, const Napi::Buffer<uint8_t> &insns) {
  std::vector<char> log(16384, '\0');
  union bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(insns.Data());
  attr.insn_cnt = static_cast<uint32_t>(insns.Length() / sizeof(struct bpf_insn));
  attr.license = reinterpret_cast<uint64_t>("Apache-2.0");
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  int fd = static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
  if (fd < 0 && errno == ENOSPC) {  // the log did not fit: load again without one
    attr.log_buf = 0;
    attr.log_size = 0;
    attr.log_level = 0;
    fd = static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
  }
  if (fd < 0) {
    int err = errno;
    Napi::Error e = tp_system_error(env, err, "bpf", nullptr);
    if (log[0]) e.Value().Set("verifierLog", Napi::String::New(env, verifier_log(log)));
    throw e;
  }
  return fd;
}

}  // namespace

// cgroupDeviceAttach(cgroupDir, instructions): load the device program and attach it to the cgroup.
Napi::Value CgroupDeviceAttach(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer())
    throw Napi::TypeError::New(env, "cgroupDeviceAttach(cgroupDir, instructions: Buffer)");
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  auto insns = info[1].As<Napi::Buffer<uint8_t>>();
  if (insns.Length() == 0 || insns.Length() % sizeof(struct bpf_insn) != 0)
    throw Napi::TypeError::New(env, "cgroupDeviceAttach: instructions must be a whole number of 8-byte bpf_insn");
  int cg = open_cgroup(env, dir);
  int prog;
  try {
    prog = load_program(env, insns);
  } catch (...) {
    close(cg);
    throw;
  }
  union bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cg);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  long rc = bpf(BPF_PROG_ATTACH, &attr);
  int err = errno;
  close(prog);
  close(cg);
  if (rc < 0) {
    errno = err;
    tp_throw_errno(env, "bpf", dir.c_str());
  }
  return env.Undefined();
}

// cgroupDeviceQuery(cgroupDir): how many device programs are attached to this cgroup itself.
Napi::Value CgroupDeviceQuery(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "cgroupDeviceQuery(cgroupDir)");
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  int cg = open_cgroup(env, dir);
  union bpf_attr attr{};
  attr.query.target_fd = static_cast<uint32_t>(cg);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  long rc = bpf(BPF_PROG_QUERY, &attr);
  int err = errno;
  close(cg);
  if (rc < 0) {
    errno = err;
    tp_throw_errno(env, "bpf", dir.c_str());
  }
  return Napi::Number::New(env, attr.query.prog_cnt);
}

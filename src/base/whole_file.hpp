// SPDX-License-Identifier: Apache-2.0
// The one way hydrad reads a whole file (state files, /proc files, resolv.conf,
// its config) and writes a sysctl: errors as values with the path and errno.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace hydra {

// The whole file. The error keeps errno as its code (ENOENT when absent).
inline Result<std::string> read_whole_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("read " + path);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read " + path);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

// `value` and a newline into a /proc/sys file, in one write(2) as the
// kernel wants it (in the network namespace of the calling thread, for
// /proc/sys/net).
inline Status write_sysctl(const std::string& path, const std::string& value) {
  const std::string line = value + "\n";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open " + path);
  if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    return errno_error("write " + value + " to " + path);
  return {};
}

}  // namespace hydra

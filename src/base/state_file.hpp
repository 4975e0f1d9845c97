// SPDX-License-Identifier: Apache-2.0
// Files hydrad keeps its state in: written whole by atomic rename, read
// whole, and moved aside (never deleted, never trusted) when they do not
// decode — so an operator can look at what was wrong.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "base/whole_file.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace hydra {

// The whole file; nullopt when it does not exist.
inline Result<std::optional<std::string>> read_state_file(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) {
    if (text.error().code == ENOENT) return std::optional<std::string>();
    return text.error();
  }
  return std::optional<std::string>(std::move(*text));
}

// Makes the entries of `dir` (a rename into it) durable; best effort.
inline void sync_directory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) fsync(fd.get());
}

// Writes `text` to `path` through PATH.tmp, fsync and rename: a crash leaves
// the old file or the new one, never half of either.
inline Status write_state_file(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return errno_error("write " + tmp);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write " + tmp);
    off += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return errno_error("fsync " + tmp);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename " + tmp + " to " + path);
  auto slash = path.rfind('/');
  sync_directory(slash == std::string::npos ? "." : path.substr(0, slash));
  return {};
}

// Renames a file that did not decode to PATH.corrupt-<UTC time>; returns the new name.
inline Result<std::string> move_aside(const std::string& path) {
  std::string aside = path + ".corrupt-" + utc_timestamp();
  if (::rename(path.c_str(), aside.c_str()) != 0) return errno_error("move " + path + " aside");
  return aside;
}

}  // namespace hydra

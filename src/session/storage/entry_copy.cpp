// SPDX-License-Identifier: Apache-2.0
#include "session/storage/entry_copy.hpp"

#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace hydra::session {

namespace {

bool no_xattrs_here(int code) { return code == ENOTSUP; }

// `list(buf, size)` and `get(name, buf, size)` are the fd or path calls.
template <class List, class Get>
Result<Xattrs> read_xattrs_with(const List& list, const Get& get, const std::string& what) {
  Xattrs out;
  // Most entries have none: one call answers 0 without a buffer's worth.
  char small[512];
  ssize_t n = list(small, sizeof small);
  std::string names;
  if (n >= 0) {
    names.assign(small, static_cast<size_t>(n));
  } else if (errno == ERANGE) {
    for (;;) {
      n = list(nullptr, 0);
      if (n < 0) break;
      names.assign(static_cast<size_t>(n), '\0');
      n = list(names.data(), names.size());
      if (n >= 0 || errno != ERANGE) break;  // grew in between: again
    }
    if (n >= 0) names.resize(static_cast<size_t>(n));
  }
  if (n < 0) {
    if (no_xattrs_here(errno)) return out;
    return errno_error("list xattrs of " + what);
  }
  for (size_t at = 0; at < names.size();) {
    const size_t end = names.find('\0', at);
    const std::string name = names.substr(at, (end == std::string::npos ? names.size() : end) - at);
    at = end == std::string::npos ? names.size() : end + 1;
    if (name.empty()) continue;
    std::string value(256, '\0');
    ssize_t len = get(name.c_str(), value.data(), value.size());
    while (len < 0 && errno == ERANGE) {
      len = get(name.c_str(), nullptr, 0);
      if (len < 0) break;
      value.assign(static_cast<size_t>(len), '\0');
      len = get(name.c_str(), value.data(), value.size());
    }
    if (len < 0) {
      if (errno == ENODATA) continue;  // removed since it was listed
      return errno_error(std::string("read xattr ").append(name).append(" of ").append(what));
    }
    value.resize(static_cast<size_t>(len));
    out.emplace_back(name, std::move(value));
  }
  return out;
}

}  // namespace

Result<Xattrs> read_xattrs(int fd, const std::string& what) {
  return read_xattrs_with([&](char* b, size_t s) { return ::flistxattr(fd, b, s); },
                          [&](const char* n, void* b, size_t s) { return ::fgetxattr(fd, n, b, s); }, what);
}

Result<Xattrs> read_xattrs(const std::string& path) {
  return read_xattrs_with([&](char* b, size_t s) { return ::llistxattr(path.c_str(), b, s); },
                          [&](const char* n, void* b, size_t s) { return ::lgetxattr(path.c_str(), n, b, s); },
                          path);
}

Status write_xattrs(int fd, const Xattrs& xattrs, const std::string& what) {
  for (const auto& [name, value] : xattrs)
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0)
      return errno_error(std::string("set xattr ").append(name).append(" on ").append(what));
  return {};
}

Status write_xattrs(const std::string& path, const Xattrs& xattrs) {
  for (const auto& [name, value] : xattrs)
    if (::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) != 0)
      return errno_error(std::string("set xattr ").append(name).append(" on ").append(path));
  return {};
}

namespace {

// [from, to) of `in` to the same offsets of `out`.
Status copy_range(int in, int out, off_t from, off_t to, const std::string& what) {
  bool in_kernel = true;
  std::string buf;
  while (from < to) {
    const size_t want = static_cast<size_t>(std::min<off_t>(to - from, off_t{1} << 30));
    ssize_t n = -1;
    if (in_kernel) {
      off_t in_off = from, out_off = from;
      n = ::copy_file_range(in, &in_off, out, &out_off, want, 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        in_kernel = false;
        continue;
      }
    } else {
      if (buf.empty()) buf.resize(1 << 20);
      n = ::pread(in, buf.data(), std::min(want, buf.size()), from);
      if (n > 0) {
        for (ssize_t done = 0; done < n;) {
          ssize_t w = ::pwrite(out, buf.data() + done, static_cast<size_t>(n - done), from + done);
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) return errno_error("write " + what);
          done += w;
        }
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("copy " + what);
    if (n == 0) break;  // shorter than its size said: it shrank while copied
    from += n;
  }
  return {};
}

}  // namespace

Status copy_file_data(int in, int out, off_t size, const std::string& what) {
  off_t at = 0;
  while (at < size) {
    off_t data = ::lseek(in, at, SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;  // only a hole is left
    if (data < 0) {
      // No SEEK_DATA here: all of it is data.
      if (auto st = copy_range(in, out, at, size, what); !st) return st;
      break;
    }
    off_t hole = ::lseek(in, data, SEEK_HOLE);
    if (hole < 0 || hole > size) hole = size;
    if (auto st = copy_range(in, out, data, hole, what); !st) return st;
    at = hole;
  }
  if (::ftruncate(out, size) != 0) return errno_error("set the size of " + what);
  return {};
}

}  // namespace hydra::session

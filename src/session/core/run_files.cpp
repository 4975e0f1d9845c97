// SPDX-License-Identifier: Apache-2.0
#include "session/core/run_files.hpp"

#include "base/whole_file.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

namespace hydra::session {

namespace fs = std::filesystem;

Status make_dirs(const std::string& dir, mode_t mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("create " + dir + ": " + ec.message(), ec.value());
  chmod(dir.c_str(), mode);
  return {};
}

std::string log_tail(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  for (size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); ++i) last += lines[i] + "\n";
  return last;
}

pid_t read_pidfile(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

bool process_alive(pid_t pid) {
  // read(2), as process_argv(): the process may exit while it is read.
  const std::string line = read_whole_file("/proc/" + std::to_string(pid) + "/stat").value_or("");
  if (line.empty()) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

Status clear_stale_pidfile(const std::string& path) {
  pid_t pid = read_pidfile(path);
  if (pid > 0 && process_alive(pid))
    return make_error("a dockerd (pid " + std::to_string(pid) + ") still holds " + path, EBUSY);
  unlink(path.c_str());
  return {};
}

namespace {

// mountinfo writes space, tab, newline and backslash as \ooo.
std::string unescape_mount_path(const std::string& in) {
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size() && octal(in[i + 1]) && octal(in[i + 2]) &&
        octal(in[i + 3])) {
      out += static_cast<char>((in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 + (in[i + 3] - '0'));
      i += 3;
    } else {
      out += in[i];
    }
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> mounts_below(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return make_error("read /proc/self/mountinfo", EIO);
  std::vector<std::string> points;
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point ...
    size_t at = 0;
    for (int field = 0; field < 4 && at != std::string::npos; ++field) at = line.find(' ', at + 1);
    if (at == std::string::npos) continue;
    const size_t end = line.find(' ', at + 1);
    const std::string point = unescape_mount_path(line.substr(at + 1, end == std::string::npos ? end : end - at - 1));
    if (point == dir || point.rfind(dir + "/", 0) == 0) points.push_back(point);
  }
  std::sort(points.begin(), points.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return points;
}

std::vector<std::string> split_cmdline(const std::string& nul_separated) {
  std::vector<std::string> out;
  for (size_t at = 0; at < nul_separated.size();) {
    const size_t end = std::min(nul_separated.find('\0', at), nul_separated.size());
    out.push_back(nul_separated.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

std::vector<std::string> process_argv(pid_t pid) {
  // read(2), not a stream: a process that exits while it is read fails the
  // read with ESRCH, which libstdc++'s filebuf throws as an exception.
  return split_cmdline(read_whole_file("/proc/" + std::to_string(pid) + "/cmdline").value_or(""));
}

std::string resolved_data_root(const std::string& data_root) {
  struct stat st {};
  if (lstat(data_root.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return data_root;
  char* real = realpath(data_root.c_str(), nullptr);
  if (real == nullptr) return data_root;
  std::string out = real;
  free(real);  // NOLINT(cppcoreguidelines-no-malloc): realpath's own allocation
  return out;
}

Status release_data_root_mount(const std::string& data_root) {
  auto mounted = mounts_below(resolved_data_root(data_root));
  if (!mounted) return mounted.error();
  for (const auto& m : *mounted)  // deepest first: the data root itself last
    if (umount2(m.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL && errno != ENOENT)
      return errno_error("unmount " + m);
  return {};
}

Result<size_t> unmount_below(const std::string& dir) {
  auto targets = mounts_below(dir);
  if (!targets) return targets.error();
  size_t detached = 0;
  for (const auto& t : *targets) {
    if (umount2(t.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) ++detached;
    else if (errno != EINVAL && errno != ENOENT)  // gone already (a parent's detach took it)
      return errno_error("unmount " + t);
  }
  return detached;
}

}  // namespace hydra::session

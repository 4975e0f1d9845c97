// SPDX-License-Identifier: Apache-2.0
#include "session/dockerd_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

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
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
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

}  // namespace hydra::session

// SPDX-License-Identifier: Apache-2.0
// CPU time, context switches (wakeups) and peak RSS of a process, from /proc.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace hydra::bench {

struct ProcUsage {
  double cpu_s = 0;           // user + system
  long long switches = 0;     // voluntary + involuntary, all threads
  long long peak_rss_kb = 0;  // VmHWM
};

inline ProcUsage proc_usage(pid_t pid) {
  ProcUsage u;
  std::string base = "/proc/" + std::to_string(pid);
  {
    std::ifstream stat(base + "/stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoll(field);
      if (i == 15) stime = std::stoll(field);
    }
    u.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  auto read_status = [](const std::string& path, const std::string& key) -> long long {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size()));
    return 0;
  };
  u.peak_rss_kb = read_status(base + "/status", "VmHWM:");
  if (DIR* d = opendir((base + "/task").c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string st = base + "/task/" + e->d_name + "/status";
      u.switches += read_status(st, "voluntary_ctxt_switches:") + read_status(st, "nonvoluntary_ctxt_switches:");
    }
    closedir(d);
  }
  return u;
}

}  // namespace hydra::bench

// SPDX-License-Identifier: Apache-2.0
#include "session/dockerd/leftovers.hpp"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/clock.hpp"
#include "base/unique_fd.hpp"
#include "base/whole_file.hpp"
#include "session/core/run_files.hpp"

namespace hydra::session {

namespace {

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (!proc) return out;
  while (dirent* e = readdir(proc)) {  // NOLINT(concurrency-mt-unsafe): this DIR is the caller's alone
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end && *end == '\0' && pid > 0) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return out;
}

// The parent of `pid` from /proc/PID/stat (0 when it is gone).
pid_t parent_of(pid_t pid) {
  const std::string stat = read_whole_file("/proc/" + std::to_string(pid) + "/stat").value_or("");
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return 0;
  return static_cast<pid_t>(std::strtol(stat.c_str() + close + 4, nullptr, 10));  // ") S PPID"
}

}  // namespace

bool left_by_session(const std::vector<std::string>& argv, const LeftoverOwner& owner) {
  bool in_namespace = false, of_shared = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    const auto& root = owner.exec_root;
    // The exec root itself or a path below it, alone or after "--flag=".
    const auto at = a.find(root);
    if (!root.empty() && at != std::string::npos && (at == 0 || a[at - 1] == '=') &&
        (a.size() == at + root.size() || a[at + root.size()] == '/'))
      return true;
    if (i + 1 < argv.size() && a == "-namespace") in_namespace = argv[i + 1] == owner.containerd_namespace;
    if (i + 1 < argv.size() && a == "-address") of_shared = argv[i + 1] == owner.shared_socket;
  }
  return in_namespace && of_shared && !owner.containerd_namespace.empty() && !owner.shared_socket.empty();
}

std::vector<pid_t> leftover_processes(const LeftoverOwner& owner) {
  std::set<pid_t> named;
  const auto pids = all_pids();
  for (pid_t pid : pids) {
    if (left_by_session(process_argv(pid), owner)) named.insert(pid);
  }
  std::vector<pid_t> out;
  for (pid_t pid : pids)  // the children first: a container's init under its shim
    if (!named.count(pid) && named.count(parent_of(pid))) out.push_back(pid);
  out.insert(out.end(), named.begin(), named.end());
  out.erase(std::remove(out.begin(), out.end(), getpid()), out.end());
  return out;
}

Result<size_t> end_leftovers(const LeftoverOwner& owner, int timeout_ms) {
  std::vector<std::pair<pid_t, UniqueFd>> killed;
  for (pid_t pid : leftover_processes(owner)) {
    UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!fd.valid()) continue;  // gone meanwhile
    if (syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0) == 0) killed.emplace_back(pid, std::move(fd));
  }
  const int64_t deadline = monotonic_us() + int64_t{timeout_ms} * 1000;
  for (auto& [pid, fd] : killed) {
    pollfd p{fd.get(), POLLIN, 0};
    const int left = static_cast<int>(std::max<int64_t>(0, (deadline - monotonic_us()) / 1000));
    if (poll(&p, 1, left) != 1)
      return make_error("process " + std::to_string(pid) + " left by the session's dockerd did not end after SIGKILL",
                        EBUSY);
  }
  return killed.size();
}

}  // namespace hydra::session

// SPDX-License-Identifier: Apache-2.0
// Runs the real hydrad inside a test namespace, its events (JSON lines)
// captured to a file, and stops it by pid.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/whole_file.hpp"

namespace hydra::test {

// Polls `done` until it holds (true) or `timeout_ms` passes (false): tests
// wait on conditions with a deadline, never on a fixed sleep.
inline bool wait_until(const std::function<bool()>& done, int timeout_ms, int poll_ms = 5) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
}

// A fresh directory under /tmp for one test's state (removed by the test).
inline std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  return mkdtemp(tmpl.data()) ? tmpl : "/tmp/" + prefix + "-fallback";
}

// Where a test's hydrad makes its sessions' cgroups: a parent of its own
// (tests run side by side, each with its session h1), as a [sessions] line.
inline std::string test_cgroup_parent(const std::string& dir) {
  return "/hydra-test/" + dir.substr(dir.rfind('/') + 1);
}
inline std::string test_cgroup_line(const std::string& dir) {
  return "limits.cgroup = \"" + test_cgroup_parent(dir) + "\"\n";
}
// Every process whose command line names `dir` (what a failed test's hydrad
// left running: the shared containerd it started under dir/run, shims, a
// stand-in dockerd), killed. Read from /proc, not pkill from a shell, whose
// own command line would name dir too.
inline void kill_processes_naming(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  if (!proc) return;
  while (dirent* e = readdir(proc.get())) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0 || pid == getpid()) continue;
    // read(2): a stream's read of a process exiting meanwhile throws (ESRCH).
    const std::string cmdline = hydra::read_whole_file("/proc/" + std::to_string(pid) + "/cmdline").value_or("");
    if (cmdline.find(dir + "/") != std::string::npos) kill(pid, SIGKILL);
  }
}

// What a test's hydrad left of its cgroups (the parent it made, sessions a
// leaking hydrad did not release), removed bottom-up; the tests' common
// parent too once no test beside uses it.
// A process still in them (a container whose shim a failed test's cleanup
// killed) is killed first: it would outlive the test.
inline void remove_test_cgroups(const std::string& dir) {
  kill_processes_naming(dir);
  const std::string parent = test_cgroup_parent(dir);
  const std::string dirs = "/sys/fs/cgroup/*" + parent + " /sys/fs/cgroup" + parent;
  std::string cmd = "for i in 1 2 3 4 5 6 7 8 9 10; do p=$(cat $(find " + dirs +
                    " -name cgroup.procs 2>/dev/null) 2>/dev/null); [ -z \"$p\" ] && break; kill -9 $p; sleep 0.2;"
                    " done >/dev/null 2>&1;"
                    " for h in " + dirs +
                    "; do [ -d $h ] && find $h -depth -type d -exec rmdir {} \\; ; done >/dev/null 2>&1;"
                    " rmdir /sys/fs/cgroup/*/hydra-test /sys/fs/cgroup/hydra-test >/dev/null 2>&1";
  (void)!std::system(cmd.c_str());
}

class HydradProcess {
 public:
  // state_dir also holds the control socket and the event log.
  HydradProcess(std::string netns_path, std::string state_dir, std::vector<std::string> extra = {})
      : netns_(std::move(netns_path)), dir_(std::move(state_dir)), extra_(std::move(extra)) {}
  ~HydradProcess() { stop(SIGTERM); }

  [[nodiscard]] std::string socket() const { return dir_ + "/hydra.sock"; }
  [[nodiscard]] std::string log_path() const { return dir_ + "/events.log"; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  // hydrad runs in a mount namespace of its own without this mount (a
  // sandbox where a cgroup controller is not mounted, say).
  void hide_mount(const std::string& path) { hidden_mounts_.push_back(path); }

  // Sends hydrad's stderr to `fd` instead of the event log file; start()
  // then waits for /health to say "ok" instead of the ready event.
  void set_stderr(int fd) { stderr_fd_ = fd; }

  bool start(const std::vector<std::pair<std::string, std::string>>& env = {}) {
    const size_t before = event_count();  // the log is appended to across restarts
    if (!launch(env)) return false;
    if (stderr_fd_ >= 0)
      return wait_until([&] {
        auto h = health();
        return h.is_object() && h.value("status", "") == "ok";
      }, 10000);
    return wait_for([](const nlohmann::json& e) { return e["event"] == "ready"; }, 10000, before);
  }

  // Starts hydrad and returns at once, before it is ready (a test of what
  // requests get while hydrad recovers).
  bool launch(const std::vector<std::pair<std::string, std::string>>& env = {}) {
    std::system(("mkdir -p " + dir_).c_str());
    std::vector<std::string> args = {std::string(HYDRA_BIN_DIR) + "/hydrad", "--state-dir", dir_, "--socket",
                                     socket(), "--log-format", "json"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      int ns = open(netns_.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(120);
      int log = stderr_fd_ >= 0 ? stderr_fd_ : open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (log < 0) _exit(121);
      dup2(log, 2);
      if (!hidden_mounts_.empty()) {
        if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(123);
        for (const auto& m : hidden_mounts_)
          if (umount2(m.c_str(), MNT_DETACH) != 0) _exit(124);
      }
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(122);
    }
    return true;
  }

  // GET /health (null when hydrad does not answer within 5 s).
  [[nodiscard]] nlohmann::json health() const {
    return nlohmann::json::parse(get("/health"), nullptr, false);
  }
  // The body of a GET on the control socket ("" when no answer within 5 s).
  [[nodiscard]] std::string get(const std::string& path) const {
    std::string out;
    FILE* p = popen(("curl -s -m 5 --unix-socket " + socket() + " http://localhost" + path + " 2>/dev/null").c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  }

  // Stops hydrad (SIGTERM: clean; SIGKILL: a crash) and reaps it.
  void stop(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // All events logged so far.
  [[nodiscard]] std::vector<nlohmann::json> events() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(log_path());
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) out.push_back(j);
    }
    return out;
  }

  // Waits until an event beyond the first `skip` matches.
  bool wait_for(const std::function<bool(const nlohmann::json&)>& match, int timeout_ms, size_t skip = 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      auto evs = events();
      for (size_t i = skip; i < evs.size(); ++i)
        if (match(evs[i])) return true;
      if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  // The first event beyond the first `skip` that matches, waited for (null
  // when none came in time). Events are written by hydrad's log thread, so
  // one emitted before an API answer may land in the file just after it.
  nlohmann::json wait_event(const std::function<bool(const nlohmann::json&)>& match, int timeout_ms, size_t skip = 0) {
    nlohmann::json found;
    wait_for([&](const nlohmann::json& e) {
      if (match(e)) found = e;
      return !found.is_null();
    }, timeout_ms, skip);
    return found;
  }

  [[nodiscard]] size_t event_count() const { return events().size(); }
  [[nodiscard]] size_t count(const std::string& event) const {
    size_t n = 0;
    for (const auto& e : events()) n += e["event"] == event;
    return n;
  }

 private:
  std::string netns_;
  std::vector<std::string> hidden_mounts_;
  std::string dir_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
};

}  // namespace hydra::test

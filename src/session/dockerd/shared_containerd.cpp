// SPDX-License-Identifier: Apache-2.0
#include "session/dockerd/shared_containerd.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/state_file.hpp"
#include "base/whole_file.hpp"
#include "docker/child_process.hpp"
#include "session/core/run_files.hpp"

namespace hydra::session {

namespace {

constexpr int kFirstBackoffMs = 100;
constexpr int kLastBackoffMs = 10000;
constexpr int64_t kSteadyRunUs = 30'000'000;  // ran this long: the next crash starts the backoff over


}  // namespace

ContainerdPaths containerd_paths(const SessionSettings& s) {
  ContainerdPaths p;
  p.dir = s.run_dir + "/containerd";
  p.socket = p.dir + "/containerd.sock";
  p.config = p.dir + "/containerd.toml";
  p.pidfile = p.dir + "/containerd.pid";
  p.log = p.dir + "/containerd.log";
  p.root = p.dir + "/root";
  p.state = p.dir + "/state";
  return p;
}

std::string containerd_config_toml(const ContainerdPaths& p) {
  return "# Written by hydrad: the containerd of every session dockerd.\n"
         "version = 2\n"
         "root = \"" + p.root + "\"\n"
         "state = \"" + p.state + "\"\n"
         "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
         "\n[grpc]\n  address = \"" + p.socket + "\"\n"
         "\n[debug]\n  address = \"\"\n  level = \"info\"\n"
         "\n[metrics]\n  address = \"\"\n";
}

bool is_shared_containerd(const std::string& cmdline_nul_separated, const ContainerdPaths& p) {
  const auto args = split_cmdline(cmdline_nul_separated);
  for (size_t i = 1; i + 1 < args.size(); ++i)
    if (args[i] == "--config" && args[i + 1] == p.config) return true;
  return false;
}

SharedContainerd::SharedContainerd(const SessionSettings& settings, telemetry::EventLog& log)
    : settings_(settings), log_(log), paths_(containerd_paths(settings)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

SharedContainerd::~SharedContainerd() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  wake();
  if (watcher_.joinable()) watcher_.join();
}

void SharedContainerd::wake() {
  const uint64_t one = 1;
  (void)!write(wake_fd_.get(), &one, sizeof one);
}

Result<std::string> SharedContainerd::ensure() {
  uint64_t attempts_before = 0;
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kRunning) return paths_.socket;
    if (state_ == State::kStopped) return make_error("the shared containerd is stopped: hydrad is exiting", ESHUTDOWN);
    if (!wake_fd_.valid()) return make_error("the shared containerd: no eventfd", EMFILE);
    wanted_ = true;
    attempts_before = attempts_;
    if (!watcher_.joinable()) watcher_ = std::thread([this] { watch(); });
  }
  wake();
  std::unique_lock lock(mu_);
  const bool settled = changed_.wait_for(lock, std::chrono::milliseconds(settings_.start_timeout_ms + 5000), [&] {
    return state_ == State::kRunning || state_ == State::kStopped || attempts_ > attempts_before;
  });
  if (state_ == State::kRunning) return paths_.socket;
  if (!settled) return make_error("the shared containerd did not start in time", ETIMEDOUT);
  return make_error("the shared containerd: " + error_, EIO);
}

ContainerdStatus SharedContainerd::status() const {
  std::lock_guard lock(mu_);
  ContainerdStatus st;
  st.configured = true;
  st.running = state_ == State::kRunning;
  st.pid = pid_;
  st.restarts = restarts_;
  st.socket = paths_.socket;
  st.error = error_;
  return st;
}

void SharedContainerd::stop() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
    terminate_ = true;
  }
  wake();
  if (watcher_.joinable()) watcher_.join();
}

namespace {

struct Started {
  docker::ChildProcess proc;
  bool adopted = false;
};

// A previous hydrad's containerd (its pidfile, its command line, answering),
// else a new one. Runs on the watcher thread, no lock held.
Result<Started> start_or_adopt_containerd(const SessionSettings& s, const ContainerdPaths& p) {
  if (auto st = make_dirs(p.dir, 0700); !st) return st.error();
  const pid_t old = read_pidfile(p.pidfile);
  if (old > 0 && process_alive(old) &&
      is_shared_containerd(read_whole_file("/proc/" + std::to_string(old) + "/cmdline").value_or(""), p)) {
    auto adopted = docker::ChildProcess::adopt(old);
    if (adopted) {
      if (adopted->wait_listening(p.socket, 1000)) return Started{std::move(*adopted), true};
      // Alive but not serving: its shims outlive it, so a new one is safe.
      adopted->signal(SIGKILL);
      (void)adopted->wait_exit();
    }
  }
  unlink(p.pidfile.c_str());
  unlink(p.socket.c_str());
  for (const auto& dir : {p.root, p.state})
    if (auto st = make_dirs(dir, 0700); !st) return st.error();
  if (auto st = write_state_file(p.config, containerd_config_toml(p), 0600); !st) return st.error();
  auto proc = docker::ChildProcess::spawn({s.containerd, "--config", p.config}, p.log);
  if (!proc) return proc.error();
  if (auto st = write_state_file(p.pidfile, std::to_string(proc->pid()) + "\n", 0644); !st) {
    (void)proc->stop(2000);
    return st.error();
  }
  if (auto st = proc->wait_listening(p.socket, s.start_timeout_ms); !st) {
    (void)proc->stop(2000);
    return make_error(st.error().text() + "; containerd log: " + log_tail(p.log), st.error().code);
  }
  return Started{std::move(*proc), false};
}

}  // namespace

void SharedContainerd::watch() {
  std::optional<docker::ChildProcess> proc;
  int backoff_ms = kFirstBackoffMs;
  int64_t start_after_us = 0;  // a restart waits for its backoff
  int64_t running_since_us = 0;
  for (;;) {
    bool wanted = false, quit = false, terminate = false;
    {
      std::lock_guard lock(mu_);
      wanted = wanted_;
      quit = quit_;
      terminate = terminate_;
    }
    if (quit) {
      if (terminate && proc) {
        const pid_t pid = proc->pid();
        const int code = proc->stop(settings_.stop_timeout_ms);
        unlink(paths_.pidfile.c_str());
        log_.emit("containerd_stopped", {{"pid", pid}, {"exit_code", code}});
      }
      std::lock_guard lock(mu_);
      state_ = State::kStopped;
      pid_ = 0;
      changed_.notify_all();
      return;
    }
    if (!proc && wanted && monotonic_us() >= start_after_us) {
      {
        std::lock_guard lock(mu_);
        state_ = State::kStarting;
      }
      const int64_t t0 = monotonic_us();
      auto started = start_or_adopt_containerd(settings_, paths_);
      const int64_t took = monotonic_us() - t0;
      std::lock_guard lock(mu_);
      ++attempts_;
      if (started) {
        proc.emplace(std::move(started->proc));
        state_ = State::kRunning;
        pid_ = proc->pid();
        error_.clear();
        running_since_us = monotonic_us();
        log_.emit(started->adopted ? "containerd_adopted" : "containerd_started",
                  {{"pid", pid_}, {"socket", paths_.socket}, {"start_us", took}, {"restarts", restarts_}});
      } else {
        state_ = State::kDown;
        error_ = started.error().text();
        start_after_us = monotonic_us() + int64_t{backoff_ms} * 1000;
        log_.emit("containerd_start_failed", {{"error", error_}, {"retry_in_ms", backoff_ms}});
        backoff_ms = std::min(backoff_ms * 2, kLastBackoffMs);
      }
      changed_.notify_all();
      continue;
    }
    pollfd fds[2] = {{wake_fd_.get(), POLLIN, 0}, {proc ? proc->pidfd() : -1, POLLIN, 0}};
    int timeout = -1;
    if (!proc && wanted)
      timeout = static_cast<int>(std::max<int64_t>(0, (start_after_us - monotonic_us()) / 1000)) + 1;
    (void)poll(fds, 2, timeout);  // an interruption or error: the loop looks again
    uint64_t drained = 0;
    if (fds[0].revents) {
      (void)!read(wake_fd_.get(), &drained, sizeof drained);
      std::lock_guard lock(mu_);
      if (state_ != State::kRunning) start_after_us = 0;  // a session waits: no backoff for it
    }
    if (proc && (fds[1].revents & POLLIN)) {
      const pid_t pid = proc->pid();
      const int code = proc->wait_exit();
      proc.reset();
      if (monotonic_us() - running_since_us >= kSteadyRunUs) backoff_ms = kFirstBackoffMs;
      start_after_us = monotonic_us() + int64_t{backoff_ms} * 1000;
      {
        std::lock_guard lock(mu_);
        state_ = State::kDown;
        pid_ = 0;
        ++restarts_;
        error_ = "exited with code " + std::to_string(code);
        changed_.notify_all();
      }
      log_.emit("containerd_exited", {{"pid", pid}, {"exit_code", code}, {"restart_in_ms", backoff_ms},
                                      {"action", "restarted; its shims and containers keep running"}});
      backoff_ms = std::min(backoff_ms * 2, kLastBackoffMs);
    }
  }
}

}  // namespace hydra::session

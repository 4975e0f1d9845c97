// SPDX-License-Identifier: Apache-2.0
#include "docker/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.hpp"
#include "docker/engine_client.hpp"

namespace hydra::docker {

namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv, const std::string& log_path,
                                         const Options& options) {
  const int netns_fd = options.netns_fd;
  const bool die_with_spawner = options.die_with_spawner;
  if (argv.empty()) return make_error("dockerd: empty argument vector", EINVAL);
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!log.valid()) return errno_error("open dockerd log " + log_path);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return errno_error("fork for " + argv[0]);
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    if (die_with_spawner && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)) _exit(125);
    setsid();
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(log.get(), 1);
    dup2(log.get(), 2);
    for (int fd : options.cgroup_procs) {
      if (write(fd, "0", 1) != 1) {
        static const char kMsg[] = "hydrad: cannot join the session's cgroup\n";
        (void)!write(2, kMsg, sizeof kMsg - 1);
        _exit(124);
      }
    }
    if (int adj = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); adj >= 0) {
      (void)!write(adj, "0", 1);
      close(adj);
    }
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) {
      static const char kMsg[] = "hydrad: cannot enter the session's network namespace\n";
      (void)!write(2, kMsg, sizeof kMsg - 1);
      _exit(126);
    }
    syscall(SYS_close_range, 3u, ~0u, 0u);
    execv(args[0], args.data());
    _exit(127);
  }
  int fd = pidfd_open(pid);
  if (fd < 0) {
    Error e = errno_error("pidfd for dockerd " + std::to_string(pid));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return e;
  }
  return ChildProcess(pid, UniqueFd(fd), true);
}

Result<ChildProcess> ChildProcess::adopt(pid_t pid) {
  int fd = pidfd_open(pid);
  if (fd < 0) return errno_error("adopt dockerd " + std::to_string(pid));
  return ChildProcess(pid, UniqueFd(fd), false);
}

int ChildProcess::reap() {
  if (exit_code_) return *exit_code_;
  int code = -1;
  if (child_) {
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_) {
      if (WIFEXITED(status)) code = WEXITSTATUS(status);
      else if (WIFSIGNALED(status)) code = 128 + WTERMSIG(status);
    }
  }
  exit_code_ = code;
  return code;
}

std::optional<int> ChildProcess::exited() {
  if (exit_code_) return exit_code_;
  pollfd p{pidfd_.get(), POLLIN, 0};
  if (poll(&p, 1, 0) == 1) return reap();
  return std::nullopt;
}

int ChildProcess::wait_exit() {
  if (exit_code_) return *exit_code_;
  pollfd p{pidfd_.get(), POLLIN, 0};
  while (poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  return reap();
}

ChildProcess::Waited ChildProcess::wait_exit_for(int abort_fd, int timeout_ms, int& code) {
  if (exit_code_) {
    code = *exit_code_;
    return Waited::kExited;
  }
  pollfd fds[2] = {{pidfd_.get(), POLLIN, 0}, {abort_fd, POLLIN, 0}};
  int n = 0;
  while ((n = poll(fds, 2, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (n > 0 && fds[0].revents) {
    code = reap();
    return Waited::kExited;
  }
  return n > 0 && fds[1].revents ? Waited::kAborted : Waited::kTimedOut;
}

void ChildProcess::signal(int sig) { syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0); }

int ChildProcess::stop(int grace_ms) {
  if (exit_code_) return *exit_code_;
  syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGTERM, nullptr, 0);
  pollfd p{pidfd_.get(), POLLIN, 0};
  if (poll(&p, 1, grace_ms) != 1) syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  return wait_exit();
}

Status ChildProcess::wait_ready(const std::string& socket, int timeout_ms) {
  const int64_t deadline = monotonic_us() + int64_t{timeout_ms} * 1000;
  auto slash = socket.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : socket.substr(0, slash);
  UniqueFd ino(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!ino.valid() || inotify_add_watch(ino.get(), dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0)
    return errno_error("watch " + dir + " for the dockerd socket");
  EngineClient engine(socket);
  auto remaining_ms = [&] { return static_cast<int>(std::max<int64_t>(0, (deadline - monotonic_us()) / 1000)); };
  // Phase 1: wait for the socket file (or the process's end).
  struct stat st {};
  while (stat(socket.c_str(), &st) != 0) {
    if (remaining_ms() == 0) return make_error("dockerd did not create " + socket + " in time");
    pollfd fds[2] = {{ino.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}};
    if (poll(fds, 2, remaining_ms()) < 0 && errno != EINTR) return errno_error("wait for dockerd");
    if (fds[1].revents) return make_error("dockerd exited with code " + std::to_string(reap()) + " before it was ready");
    char buf[4096];
    while (read(ino.get(), buf, sizeof buf) > 0) {
    }
  }
  // Phase 2: the socket exists; the API answers as soon as dockerd serves it.
  for (;;) {
    if (engine.ping(1)) return {};
    if (exited()) return make_error("dockerd exited with code " + std::to_string(*exit_code_) + " before it was ready");
    if (remaining_ms() == 0) return make_error("dockerd on " + socket + " does not answer /_ping");
    pollfd p{pidfd_.get(), POLLIN, 0};
    poll(&p, 1, std::min(20, remaining_ms()));
  }
}

}  // namespace hydra::docker

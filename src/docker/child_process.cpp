// SPDX-License-Identifier: Apache-2.0
#include "docker/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "base/clock.hpp"
#include "base/whole_file.hpp"
#include "docker/engine_client.hpp"

namespace hydra::docker {

namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Milliseconds left until a monotonic deadline (0 once it passed).
int ms_until(int64_t deadline_us) {
  return static_cast<int>(std::max<int64_t>(0, (deadline_us - monotonic_us()) / 1000));
}

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
    (void)setpriority(PRIO_PROCESS, 0, options.nice);  // not the spawning thread's
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

Status set_process_nice(pid_t pid, int nice) {
  std::error_code ec;
  int set = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const auto tid = static_cast<id_t>(std::strtol(task.path().filename().c_str(), nullptr, 10));
    if (tid > 0 && setpriority(PRIO_PROCESS, tid, nice) == 0) ++set;
  }
  if (set == 0) return make_error("renice process " + std::to_string(pid) + ": no thread of it found", ESRCH);
  return {};
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

Status ChildProcess::wait_socket_file(const std::string& socket, int64_t deadline_us) {
  const std::string what = program_name();
  auto slash = socket.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : socket.substr(0, slash);
  UniqueFd ino(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!ino.valid() || inotify_add_watch(ino.get(), dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0)
    return errno_error("watch " + dir + " for the " + what + " socket");
  struct stat st {};
  while (stat(socket.c_str(), &st) != 0) {
    const int left = ms_until(deadline_us);
    if (left == 0) return make_error(std::string(what).append(" did not create ").append(socket).append(" in time"));
    pollfd fds[2] = {{ino.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}};
    if (poll(fds, 2, left) < 0 && errno != EINTR) return errno_error("wait for " + what);
    if (fds[1].revents) return make_error(what + " exited with code " + std::to_string(reap()) + " before it was ready");
    char buf[4096];
    while (read(ino.get(), buf, sizeof buf) > 0) {
    }
  }
  return {};
}

Status ChildProcess::wait_ready(const std::string& socket, int timeout_ms) {
  const int64_t deadline = monotonic_us() + int64_t{timeout_ms} * 1000;
  // Phase 1: the socket file (or the process's end).
  if (auto st = wait_socket_file(socket, deadline); !st) return st;
  // Phase 2: dockerd listens before it serves; a ping waits in the backlog
  // until the API answers.
  EngineClient engine(socket);
  for (;;) {
    if (engine.ping(1)) return {};
    if (exited()) return make_error("dockerd exited with code " + std::to_string(*exit_code_) + " before it was ready");
    if (ms_until(deadline) == 0) return make_error("dockerd on " + socket + " does not answer /_ping");
    pollfd p{pidfd_.get(), POLLIN, 0};
    poll(&p, 1, std::min(20, ms_until(deadline)));
  }
}

Status ChildProcess::wait_listening(const std::string& socket, int timeout_ms) {
  const int64_t deadline = monotonic_us() + int64_t{timeout_ms} * 1000;
  if (auto st = wait_socket_file(socket, deadline); !st) return st;
  // The file appears at bind(); listen() follows at once (Go's net.Listen
  // does both), so a refused connection is tried again until the deadline.
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() >= sizeof addr.sun_path) return make_error("socket path too long: " + socket, ENAMETOOLONG);
  std::memcpy(addr.sun_path, socket.c_str(), socket.size() + 1);
  for (;;) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return errno_error("socket");
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return {};
    if (errno != ECONNREFUSED || ms_until(deadline) == 0) return errno_error(program_name() + " socket " + socket);
    pollfd p{pidfd_.get(), POLLIN, 0};
    if (poll(&p, 1, std::min(5, ms_until(deadline))) == 1)
      return make_error(program_name() + " exited with code " + std::to_string(reap()) + " before it was ready");
  }
}

std::string ChildProcess::program_name() const {
  const std::string comm = read_whole_file("/proc/" + std::to_string(pid_) + "/comm").value_or("");
  return comm.empty() ? "process " + std::to_string(pid_) : comm.substr(0, comm.find('\n'));
}

}  // namespace hydra::docker

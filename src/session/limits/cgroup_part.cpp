// SPDX-License-Identifier: Apache-2.0
#include "session/limits/cgroup_part.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "base/whole_file.hpp"

namespace hydra::session {

namespace {

// How an OOM notice is followed up: the kernel notifies before it kills, so
// the count is read again a little later (a container's cgroup outlives its
// killed process by a few milliseconds at least).
constexpr long kLookFirstNs = 25'000'000;
constexpr long kLookEveryNs = 250'000'000;
constexpr int kLooks = 4;

Status write_cgroup_file(const std::string& file, const std::string& value) {
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open " + file);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    return errno_error("write \"" + value + "\" to " + file);
  return {};
}

Status make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return {};
  return errno_error("mkdir " + dir);
}

Status make_dir_tree(const std::string& mount, const std::string& dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    if (auto st = make_dir(mount + dir.substr(0, slash)); !st) return st;
    if (slash == std::string::npos) return {};
  }
}

std::optional<uint64_t> read_number(const std::string& file) {
  auto text = read_whole_file(file);
  if (!text) return std::nullopt;
  return single_value(*text);
}

std::optional<uint64_t> read_keyed(const std::string& file, std::string_view key) {
  auto text = read_whole_file(file);
  if (!text) return std::nullopt;
  return keyed_value(*text, key);
}

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) out.push_back(it->path().filename().string());
  return out;
}

// Bottom-up: a cgroup directory goes only when it has no children.
Status remove_cgroup_tree(const std::string& dir) {
  for (const auto& sub : subdirs(dir))
    if (auto st = remove_cgroup_tree(std::string(dir).append("/").append(sub)); !st) return st;
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
  if (errno == EBUSY) return make_error("rmdir " + dir + ": processes are still in it", EBUSY);
  return errno_error("rmdir " + dir);
}

void sum_oom_kills(const std::string& dir, std::map<std::string, uint64_t>& out) {
  if (auto n = read_keyed(dir + "/memory.oom_control", "oom_kill")) out[dir] = *n;
  for (const auto& sub : subdirs(dir)) sum_oom_kills(std::string(dir).append("/").append(sub), out);
}

std::string parent_dir(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
}

}  // namespace

KernelCgroups::KernelCgroups(const std::string& parent, OomHook on_oom) : on_oom_(std::move(on_oom)) {
  auto mountinfo = read_whole_file("/proc/self/mountinfo");
  if (mountinfo) mounts_ = parse_cgroup_mounts(*mountinfo);
  support_.version = mounts_.version;
  support_.parent = parent;
  if (mounts_.version == CgroupVersion::kNone) {
    for (const char* c : {"memory", "cpu", "pids"}) support_.unavailable[c] = "no cgroup hierarchy is mounted";
  } else if (mounts_.version == CgroupVersion::kV1) {
    if (support_.parent.empty()) support_.parent = "/hydra";
    for (const char* c : kCgroupControllers) {
      auto m = mounts_.v1.find(c);
      if (m == mounts_.v1.end()) {
        support_.unavailable[c] = "no cgroup v1 hierarchy has it mounted";
      } else if (::access(m->second.c_str(), W_OK) != 0) {
        // Made at the first session's start, not before: a hydrad that never
        // starts one leaves the hierarchy as it found it.
        support_.unavailable[c] = errno_error("write to " + m->second).text();
      }
    }
    swap_accounting_ = ::access((path("memory", "") + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0;
  } else {
    // v2 keeps processes in leaves only: by default hydrad moves into a leaf
    // of its own cgroup, and sessions live beside it.
    if (support_.parent.empty()) {
      auto self = read_whole_file("/proc/self/cgroup");
      std::string own = self ? unified_cgroup_of(*self).value_or("/") : "/";
      if (own.size() > 7 && own.compare(own.size() - 7, 7, "/hydrad") == 0) own = parent_dir(own);
      if (own == "/") {
        support_.parent = "/hydra";
      } else {
        support_.parent = own + "/sessions";
        if (auto st = make_dir(mounts_.unified + own + "/hydrad"); st)
          (void)write_cgroup_file(mounts_.unified + own + "/hydrad/cgroup.procs", "0");
      }
    }
    (void)make_dir_tree(mounts_.unified, support_.parent);
    // The controllers handed down to the parent (each session's own
    // directory enables them below it when it is made).
    const SessionCgroupDirs any_session = session_cgroup_dirs(support_.parent, 0);
    for (const auto& w : v2_enable_writes(any_session))
      if (w.dir != any_session.session)
        (void)write_cgroup_file(mounts_.unified + (w.dir == "/" ? "" : w.dir) + "/" + w.file, w.value);
    auto controllers = read_whole_file(mounts_.unified + support_.parent + "/cgroup.subtree_control");
    for (const char* c : {"memory", "cpu", "pids"})
      if (!controllers || (" " + *controllers + " ").find(std::string(" ") + c) == std::string::npos)
        support_.unavailable[c] = "cgroup v2 does not hand the " + std::string(c) + " controller down to " +
                                  support_.parent + (controllers ? "" : ": " + controllers.error().text());
  }
  support_.memory = !support_.unavailable.count("memory");
  support_.cpu = !support_.unavailable.count("cpu");
  support_.pids = !support_.unavailable.count("pids");
  epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (epoll_.valid() && wake_.valid()) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = ~uint64_t{0};
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
    watcher_ = std::thread([this] { watch_loop(); });
  }
}

KernelCgroups::~KernelCgroups() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  if (wake_.valid()) {
    const uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
  }
  if (watcher_.joinable()) watcher_.join();
}

std::string KernelCgroups::path(const std::string& controller, const std::string& dir) const {
  if (mounts_.version == CgroupVersion::kV2) return mounts_.unified + dir;
  auto m = mounts_.v1.find(controller);
  return m == mounts_.v1.end() ? std::string() : m->second + dir;
}

Status KernelCgroups::make_dirs(const SessionCgroupDirs& d) const {
  if (mounts_.version == CgroupVersion::kV2) {
    for (const auto& dir : {d.session})
      if (auto st = make_dir_tree(mounts_.unified, dir); !st) return st;
    for (const auto& w : v2_enable_writes(d))
      if (auto st = write_cgroup_file(mounts_.unified + (w.dir == "/" ? "" : w.dir) + "/" + w.file, w.value); !st)
        return st;
    for (const auto& dir : {d.daemon, d.containers})
      if (auto st = make_dir(mounts_.unified + dir); !st) return st;
    return {};
  }
  for (const char* c : kCgroupControllers) {
    if (support_.unavailable.count(c)) continue;
    for (const auto& dir : {d.session, d.daemon, d.containers})
      if (auto st = make_dir_tree(path(c, ""), dir); !st) return st;
  }
  return {};
}

Status KernelCgroups::write_limits(const SessionCgroupDirs& d, const ResourceLimits& limits) const {
  for (const auto& w : limit_writes(mounts_.version, d, limits, swap_accounting_)) {
    const std::string controller = w.controller.empty() ? w.file.substr(0, w.file.find('.')) : w.controller;
    if (support_.unavailable.count(controller)) continue;
    if (auto st = write_cgroup_file(path(controller, w.dir) + "/" + w.file, w.value); !st) return st;
  }
  return {};
}

Result<CgroupPlacement> KernelCgroups::acquire(int index, const ResourceLimits& limits) {
  CgroupPlacement out;
  if (mounts_.version == CgroupVersion::kNone || (!support_.memory && !support_.cpu && !support_.pids)) return out;
  const SessionCgroupDirs d = session_cgroup_dirs(support_.parent, index);
  if (auto st = make_dirs(d); !st) return st.error();
  if (auto st = write_limits(d, limits); !st) return st.error();
  std::set<std::string> mounts;
  for (const char* c : kCgroupControllers) {
    if (support_.unavailable.count(c) || !mounts.insert(path(c, "")).second) continue;
    const std::string procs = path(c, d.daemon) + "/cgroup.procs";
    UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return errno_error("open " + procs);
    out.procs.push_back(std::move(fd));
  }
  out.containers_parent = d.containers;
  watch(index);
  return out;
}

Status KernelCgroups::adopt(int index, const ResourceLimits& limits) {
  if (mounts_.version == CgroupVersion::kNone) return {};
  const SessionCgroupDirs d = session_cgroup_dirs(support_.parent, index);
  struct stat st {};
  const std::string any = support_.memory ? path("memory", d.session) : path(support_.pids ? "pids" : "cpu", d.session);
  if (::stat(any.c_str(), &st) != 0) return errno_error("session cgroup " + any);
  if (auto s = write_limits(d, limits); !s) return s.error();
  watch(index);
  return {};
}

Result<CgroupUsage> KernelCgroups::usage(int index) {
  if (mounts_.version == CgroupVersion::kNone) return make_error("no cgroup hierarchy", ENOENT);
  const SessionCgroupDirs d = session_cgroup_dirs(support_.parent, index);
  CgroupUsage u;
  if (mounts_.version == CgroupVersion::kV2) {
    const std::string dir = mounts_.unified + d.session;
    auto cpu = read_keyed(dir + "/cpu.stat", "usage_usec");
    if (!cpu) return make_error("no session cgroup at " + dir, ENOENT);
    u.cpu_seconds = static_cast<double>(*cpu) / 1e6;
    u.memory_bytes = read_number(dir + "/memory.current").value_or(0);
    u.memory_peak_bytes = read_number(dir + "/memory.peak").value_or(0);
    u.pids = read_number(dir + "/pids.current").value_or(0);
    u.oom_kills = read_keyed(dir + "/memory.events", "oom_kill").value_or(0);
    return u;
  }
  const std::string memory = path("memory", d.session);
  auto used = read_number(memory + "/memory.usage_in_bytes");
  auto cpu = read_number(path("cpuacct", d.session) + "/cpuacct.usage");
  if (!used && !cpu) return make_error("no session cgroup at " + memory, ENOENT);
  u.cpu_seconds = static_cast<double>(cpu.value_or(0)) / 1e9;
  u.memory_bytes = used.value_or(0);
  u.memory_peak_bytes = read_number(memory + "/memory.max_usage_in_bytes").value_or(0);
  u.pids = read_number(path("pids", d.session) + "/pids.current").value_or(0);
  u.oom_kills = oom_kills_v1(index);
  return u;
}

uint64_t KernelCgroups::oom_kills_v1(int index) {
  std::map<std::string, uint64_t> now;
  if (support_.memory) sum_oom_kills(path("memory", session_cgroup_dirs(support_.parent, index).session), now);
  std::lock_guard lock(mu_);
  auto w = watched_.find(index);
  uint64_t total = 0;
  for (const auto& [_, n] : now) total += n;
  if (w == watched_.end()) return total;
  for (const auto& [dir, n] : w->second.seen)
    if (!now.count(dir)) w->second.gone += n;
  w->second.seen = std::move(now);
  // v1 counts a kill in the killed container's own cgroup, which goes with
  // the container, perhaps before a look finds it: the OOMs the kernel
  // notified are the floor (one kill each, but for a victim slow to die).
  return std::max(total + w->second.gone, w->second.notified);
}

Status KernelCgroups::release(int index) {
  unwatch(index);
  if (mounts_.version == CgroupVersion::kNone) return {};
  const SessionCgroupDirs d = session_cgroup_dirs(support_.parent, index);
  std::string errors;
  const std::vector<std::string> mounts =
      mounts_.version == CgroupVersion::kV2 ? std::vector<std::string>{mounts_.unified} : mounts_.v1_all;
  for (const auto& mount : mounts)
    if (auto st = remove_cgroup_tree(mount + d.session); !st)
      errors += (errors.empty() ? "" : "; ") + st.error().text();
  if (!errors.empty()) return make_error(errors, EBUSY);
  return {};
}

void KernelCgroups::watch(int index) {
  if (!epoll_.valid()) return;
  unwatch(index);
  Watched w;
  const SessionCgroupDirs d = session_cgroup_dirs(support_.parent, index);
  w.timer = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!w.timer.valid()) return;
  if (mounts_.version == CgroupVersion::kV2) {
    UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (in.valid() &&
        ::inotify_add_watch(in.get(), (mounts_.unified + d.session + "/memory.events").c_str(), IN_MODIFY) >= 0)
      w.notices.push_back(std::move(in));
  } else if (support_.memory) {
    for (const auto& dir : {d.session, d.containers}) {
      const std::string base = path("memory", dir);
      UniqueFd control(::open((base + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC));
      UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
      if (!control.valid() || !efd.valid()) continue;
      if (!write_cgroup_file(base + "/cgroup.event_control",
                             std::to_string(efd.get()) + " " + std::to_string(control.get())))
        continue;
      if (dir == d.containers) w.containers_notice = efd.get();
      w.notices.push_back(std::move(efd));
      w.controls.push_back(std::move(control));  // kept open while the notice is registered
    }
  }
  for (const auto& fd : w.notices) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(index) << 1;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &ev);
  }
  epoll_event tev{};
  tev.events = EPOLLIN;
  tev.data.u64 = (static_cast<uint64_t>(index) << 1) | 1;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, w.timer.get(), &tev);
  {
    std::lock_guard lock(mu_);
    watched_[index] = std::move(w);
  }
  // Kills before the watch (an adopted session's) are not news.
  const uint64_t before = usage(index).value_or(CgroupUsage{}).oom_kills;
  std::lock_guard lock(mu_);
  if (auto it = watched_.find(index); it != watched_.end()) it->second.reported = before;
}

void KernelCgroups::unwatch(int index) {
  Watched gone;
  {
    std::lock_guard lock(mu_);
    auto it = watched_.find(index);
    if (it == watched_.end()) return;
    gone = std::move(it->second);
    watched_.erase(it);
  }
  for (const auto& fd : gone.notices) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd.get(), nullptr);
  if (gone.timer.valid()) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, gone.timer.get(), nullptr);
}

void KernelCgroups::look_again(int index) {
  auto u = usage(index);
  if (!u) return;
  uint64_t kills = 0;
  {
    std::lock_guard lock(mu_);
    auto w = watched_.find(index);
    if (w == watched_.end() || u->oom_kills <= w->second.reported) return;
    kills = u->oom_kills - w->second.reported;
    w->second.reported = u->oom_kills;
  }
  if (on_oom_) on_oom_(index, kills, u->oom_kills);
}

void KernelCgroups::watch_loop() {
  std::map<int, int> looks_left;
  for (;;) {
    epoll_event events[16];
    const int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0 && errno != EINTR) return;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == ~uint64_t{0}) {
        uint64_t v = 0;
        (void)!::read(wake_.get(), &v, sizeof v);
        std::lock_guard lock(mu_);
        if (stop_) return;
        continue;
      }
      const int index = static_cast<int>(events[i].data.u64 >> 1);
      const bool timer = (events[i].data.u64 & 1) != 0;
      int timer_fd = -1;
      {
        std::lock_guard lock(mu_);
        auto w = watched_.find(index);
        if (w == watched_.end()) continue;
        timer_fd = w->second.timer.get();
        if (!timer) {
          // Drain the notices: an eventfd's count (containers/'s: OOMs
          // there), inotify's events.
          for (const auto& fd : w->second.notices) {
            if (mounts_.version == CgroupVersion::kV1) {
              uint64_t count = 0;
              if (::read(fd.get(), &count, sizeof count) == sizeof count && fd.get() == w->second.containers_notice)
                w->second.notified += count;
            } else {
              char buf[4096];
              while (::read(fd.get(), buf, sizeof buf) > 0) {
              }
            }
          }
        } else {
          uint64_t expirations = 0;
          (void)!::read(timer_fd, &expirations, sizeof expirations);
        }
      }
      if (!timer) {
        looks_left[index] = kLooks;
        itimerspec spec{{0, kLookEveryNs}, {0, kLookFirstNs}};
        ::timerfd_settime(timer_fd, 0, &spec, nullptr);
      } else if (--looks_left[index] <= 0) {
        itimerspec off{};
        ::timerfd_settime(timer_fd, 0, &off, nullptr);
      }
      look_again(index);
    }
  }
}

}  // namespace hydra::session

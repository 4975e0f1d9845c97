// SPDX-License-Identifier: Apache-2.0
#include "docker/supervision_loop.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <exception>
#include <stdexcept>

#include "base/clock.hpp"
#include "base/guarded_thread.hpp"

namespace hydra::docker {

namespace {

constexpr uint64_t kWakeKey = 0;  // epoll data of the wake eventfd; entries start at 1
// A pidfd the epoll set could not take (ENOMEM, max_user_watches) is looked
// at on a timer instead.
constexpr int64_t kUnwatchedCheckUs = 1'000'000;

void run_hook(const std::function<void()>& hook) noexcept {
  if (!hook) return;
  try {
    hook();
  } catch (const std::exception& e) {
    report_thread_escape("supervision hook", e.what(), "skipped");
  } catch (...) {
    report_thread_escape("supervision hook", "an exception that is not a std::exception", "skipped");
  }
}

bool pidfd_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

}  // namespace

SupervisionLoop& SupervisionLoop::shared() {
  // Never destroyed: a hook may still run while the process exits, and a
  // supervisor held by a static would outlive it.
  static auto* loop = new SupervisionLoop;  // NOLINT(cppcoreguidelines-owning-memory)
  return *loop;
}

SupervisionLoop::SupervisionLoop(int64_t stall_us)
    : stall_us_(stall_us),
      epoll_(epoll_create1(EPOLL_CLOEXEC)), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeKey;
  if (epoll_.valid() && wake_.valid()) epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  watcher_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "supervise");
    run_guarded("supervision watcher", [this] { watch_loop(); });
  });
}

SupervisionLoop::~SupervisionLoop() {
  std::list<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    threads.swap(hook_thread_list_);
  }
  wake_watcher();
  work_cv_.notify_all();
  watcher_.join();
  for (auto& t : threads) t.join();
}

SupervisionLoop::Id SupervisionLoop::add(Watch watch) {
  const int64_t now = monotonic_us();
  Id id = 0;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    Entry& e = entries_[id];
    e.watch = std::move(watch);
    e.due_us = e.watch.probe_interval_ms >= 0 ? now + int64_t{e.watch.probe_interval_ms} * 1000 : 0;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;  // one exit each: disarmed once seen
    ev.data.u64 = id;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, e.watch.pidfd, &ev) != 0) {
      e.unwatched = true;
      e.due_us = now + kUnwatchedCheckUs;
    }
  }
  wake_watcher();
  return id;
}

void SupervisionLoop::remove(Id id) {
  std::unique_lock lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.removing = true;
  if (!it->second.unwatched) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.watch.pidfd, nullptr);
  done_cv_.wait(lock, [&] { return it->second.state != HookState::kRunning; });
  entries_.erase(it);  // a queued hook finds no entry and is dropped
}

size_t SupervisionLoop::watched() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

int SupervisionLoop::hook_threads() const {
  std::lock_guard lock(mu_);
  return hook_threads_;
}

void SupervisionLoop::wake_watcher() const {
  const uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
}

void SupervisionLoop::queue_locked(Id id, Entry& e) {
  e.state = HookState::kQueued;
  if (queue_.empty()) last_taken_us_ = monotonic_us();  // the wait for a taker starts now
  queue_.push_back(id);
  work_cv_.notify_one();
  add_thread_if_stalled_locked(monotonic_us());
}

void SupervisionLoop::add_thread_if_stalled_locked(int64_t now_us) {
  if (stopping_ || queue_.empty() || hook_threads_ >= kMaxHookThreads) return;
  if (hook_threads_ > 0 && (idle_hook_threads_ > 0 || now_us - last_taken_us_ < stall_us_)) return;
  ++hook_threads_;
  ++idle_hook_threads_;  // idle from now: the watcher must not start another before this one runs
  hook_thread_list_.emplace_back([this] {
    pthread_setname_np(pthread_self(), "supervise-hook");
    hook_loop();
  });
}

int SupervisionLoop::timeout_ms_locked(int64_t now_us) const {
  int64_t next = INT64_MAX;
  for (const auto& [id, e] : entries_)
    if (e.state == HookState::kIdle && !e.exit_seen && !e.removing && (e.watch.probe_interval_ms >= 0 || e.unwatched))
      next = std::min(next, e.due_us);
  // Hooks waiting: look again when they would count as stalled.
  if (!queue_.empty()) next = std::min(next, last_taken_us_ + stall_us_);
  if (next == INT64_MAX) return -1;
  const int64_t wait_ms = (next - now_us + 999) / 1000;
  return static_cast<int>(std::clamp<int64_t>(wait_ms, 0, INT_MAX));
}

void SupervisionLoop::watch_loop() {
  for (;;) {
    int timeout = -1;
    {
      std::lock_guard lock(mu_);
      timeout = timeout_ms_locked(monotonic_us());
    }
    epoll_event events[32];
    const int n = epoll_wait(epoll_.get(), events, 32, timeout);
    if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait of the supervision loop failed");
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kWakeKey) {
        uint64_t count = 0;
        (void)!::read(wake_.get(), &count, sizeof count);
        continue;
      }
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.removing) continue;
      it->second.exit_seen = true;
      if (it->second.state == HookState::kIdle) queue_locked(key, it->second);
    }
    const int64_t now = monotonic_us();
    add_thread_if_stalled_locked(now);
    for (auto& [id, e] : entries_) {
      if (e.state != HookState::kIdle || e.exit_seen || e.removing || e.due_us > now) continue;
      if (e.unwatched && pidfd_readable(e.watch.pidfd)) {
        e.exit_seen = true;
        queue_locked(id, e);
        continue;
      }
      if (e.watch.probe_interval_ms >= 0 && now >= e.due_us) {
        queue_locked(id, e);
      } else if (e.unwatched) {
        e.due_us = now + kUnwatchedCheckUs;
      }
    }
  }
}

void SupervisionLoop::hook_loop() {
  std::unique_lock lock(mu_);
  for (;;) {  // counted idle here (by its starter, then at the end of each hook)
    work_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    --idle_hook_threads_;
    if (stopping_) return;
    const Id id = queue_.front();
    queue_.pop_front();
    last_taken_us_ = monotonic_us();
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.state != HookState::kQueued) {
      ++idle_hook_threads_;
      continue;
    }
    Entry& e = it->second;
    e.state = HookState::kRunning;
    const bool is_exit = e.exit_seen;
    // The entry stays while its hook runs (remove() waits), so the hook can
    // be called in place.
    const std::function<void()>& hook = is_exit ? e.watch.exited : e.watch.probe;
    lock.unlock();
    run_hook(hook);
    lock.lock();
    e.state = HookState::kIdle;
    if (!is_exit) {
      const int64_t interval_us = int64_t{e.watch.probe_interval_ms} * 1000;
      e.due_us = monotonic_us() + (e.unwatched ? std::min(interval_us, kUnwatchedCheckUs) : interval_us);
      if (e.exit_seen && !e.removing) queue_locked(id, e);  // it exited while probed
    }
    done_cv_.notify_all();
    wake_watcher();  // its next probe is due later: recompute the timeout
    if (queue_.empty() && idle_hook_threads_ > 0 && hook_threads_ > 1) {
      // Another thread waits already: this one was added for a slow hook and
      // is not needed now (its stack goes; its arena is the next thread's).
      --hook_threads_;
      // Detached from its own handle, under mu_: nobody joins a thread that
      // ends here, and the destructor joins only those in the list.
      for (auto it = hook_thread_list_.begin(); it != hook_thread_list_.end(); ++it)
        if (it->get_id() == std::this_thread::get_id()) {
          it->detach();
          hook_thread_list_.erase(it);
          break;
        }
      return;
    }
    ++idle_hook_threads_;
  }
}

}  // namespace hydra::docker

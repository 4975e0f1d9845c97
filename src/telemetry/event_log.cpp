// SPDX-License-Identifier: Apache-2.0
#include "telemetry/event_log.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "base/bounded_queue.hpp"
#include "base/unique_fd.hpp"
#include "base/guarded_thread.hpp"

namespace hydra::telemetry {

using nlohmann::json;

struct EventLog::Shared {
  Shared(LogFormat f, int out, size_t capacity)
      : queue(capacity), wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), fd(out), format(f) {}

  BoundedQueue<json> queue;  // first: its cache-line-aligned head and tail
  std::atomic<uint64_t> emitted{0};
  std::atomic<uint64_t> dropped{0};

  std::mutex subs_mu;  // the subscribers; never held across output I/O
  std::vector<std::function<void(const json&)>> subscribers;

  std::mutex done_mu;  // progress, for flush() and the destructor
  std::condition_variable done_cv;
  uint64_t written = 0;  // events taken from the queue and handled

  UniqueFd wake;  // eventfd: "something queued" (or "stop")
  const int fd;
  const LogFormat format;
  std::atomic<bool> stopping{false};
  bool finished = false;

  void notify() const {
    uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the writer is awake anyway.
    (void)!::write(wake.get(), &one, sizeof one);
  }
  void deliver(const json& event);
  void write_out(const json& event) const;
  void run();
};

void EventLog::Shared::write_out(const json& event) const {
  if (format == LogFormat::kJournal) {
    auto fields = journal_fields(event);
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (auto& s : fields) iov.push_back({s.data(), s.size()});
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0) return;
    // No journal after all: keep the line.
  }
  std::string line = format_line(format == LogFormat::kText ? LogFormat::kText : LogFormat::kJson, event);
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a log that cannot be written cannot report that either
    off += static_cast<size_t>(n);
  }
}

void EventLog::Shared::deliver(const json& event) {
  {
    std::lock_guard lock(subs_mu);
    for (auto& fn : subscribers) fn(event);
  }
  write_out(event);  // may block on a reader that does not read: only this thread waits
}

void EventLog::Shared::run() {
  uint64_t reported = 0;
  for (;;) {
    while (auto event = queue.try_pop()) {
      deliver(*event);
      std::lock_guard lock(done_mu);
      ++written;
      done_cv.notify_all();
    }
    // The writer has caught up: say what was lost while it could not.
    const uint64_t lost = dropped.load(std::memory_order_relaxed);
    if (lost > reported) {
      deliver(json{{"ts", timestamp()}, {"event", "events_dropped"}, {"dropped", lost - reported}, {"total", lost},
                   {"reason", "the event queue was full: output not read fast enough"}});
      reported = lost;
    }
    if (stopping.load() && written >= emitted.load()) break;
    // Every push, drop and stop wakes it: no periodic wakeup while idle.
    pollfd p{wake.get(), POLLIN, 0};
    if (::poll(&p, 1, -1) > 0) {
      uint64_t n = 0;
      (void)!::read(wake.get(), &n, sizeof n);
    }
  }
  std::lock_guard lock(done_mu);
  finished = true;
  done_cv.notify_all();
}

EventLog::EventLog(LogFormat format, int fd, size_t capacity)
    : shared_(std::make_shared<Shared>(format, fd, capacity)) {
  guarded_thread("event-log writer", [s = shared_] { s->run(); }).detach();
}

EventLog::~EventLog() {
  shared_->stopping = true;
  shared_->notify();
  std::unique_lock lock(shared_->done_mu);
  if (shared_->done_cv.wait_for(lock, std::chrono::milliseconds(kFlushOnExitMs), [&] { return shared_->finished; }))
    return;
  lock.unlock();
  // The writer is stuck on its output. It keeps the queue alive (shared);
  // the subscribers belong to the caller and must not be called any more.
  std::lock_guard subs(shared_->subs_mu);
  shared_->subscribers.clear();
}


void EventLog::emit(const std::string& event, json fields) {
  json line{{"ts", timestamp()}, {"event", event}};
  for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  if (!shared_->queue.try_push(line)) {
    shared_->dropped.fetch_add(1, std::memory_order_relaxed);
    shared_->notify();  // a drop the writer missed while draining is reported without waiting for the next event
    return;
  }
  shared_->emitted.fetch_add(1);
  shared_->notify();
}

void EventLog::subscribe(std::function<void(const json&)> fn) {
  std::lock_guard lock(shared_->subs_mu);
  shared_->subscribers.push_back(std::move(fn));
}

uint64_t EventLog::dropped() const { return shared_->dropped.load(std::memory_order_relaxed); }

bool EventLog::flush(int timeout_ms) {
  const uint64_t target = shared_->emitted.load();
  std::unique_lock lock(shared_->done_mu);
  return shared_->done_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                   [&] { return shared_->written >= target; });
}

}  // namespace hydra::telemetry

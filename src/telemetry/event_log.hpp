// SPDX-License-Identifier: Apache-2.0
// hydra's events: one line each — readable text on a terminal, one JSON
// object per line with --log-format json, native fields in the journal.
// Every event carries its time and name; the rest are fields. Subscribers
// (the API's event stream) see each event as JSON too.
//
// emit() never blocks: the event goes into a bounded queue that a writer
// thread drains to the output and the subscribers. A reader that stops
// reading (a stuck journald, a paused pipe) fills the output, then the
// queue; after that events are dropped and counted, and one
// `events_dropped` line says how many once the writer catches up. The
// guard thread, which emits, never waits for any of it.
#pragma once

#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hydra::telemetry {

enum class LogFormat { kText, kJson, kJournal };

// True when stderr is connected to the journal (systemd sets JOURNAL_STREAM
// to its device and inode): events then go to journald with native fields.
bool stderr_is_journal();

// The journal fields of one event: MESSAGE (the text line), EVENT=, and the
// upper-cased fields (BRIDGE=, RESTORE_USEC=, SESSION=, ...), PRIORITY.
std::vector<std::string> journal_fields(const nlohmann::json& event);

class EventLog {
 public:
  static constexpr size_t kQueueCapacity = 4096;
  // How long the destructor waits for queued events to be written.
  static constexpr int kFlushOnExitMs = 2000;

  // Writes to `fd` (not owned; stderr by default) from a thread of its own.
  explicit EventLog(LogFormat format, int fd = STDERR_FILENO, size_t capacity = kQueueCapacity);
  // Writes out what is queued, waiting at most kFlushOnExitMs: a writer
  // stuck on a reader that never reads is left behind, never waited for.
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Queues one event; never blocks. Dropped (and counted) when the queue is full.
  void emit(const std::string& event, nlohmann::json fields = nlohmann::json::object());
  // `fn` runs on the writer thread for every event; it must not block.
  void subscribe(std::function<void(const nlohmann::json&)> fn);
  // Events dropped since start because the queue was full.
  [[nodiscard]] uint64_t dropped() const;
  // Waits until every event emitted before the call is written (true), or
  // `timeout_ms` passes (false).
  bool flush(int timeout_ms);

  // "2026-11-28T22:01:32.123456Z"
  static std::string timestamp();
  // "bridge=docker0 ifindex=5 ..." — the text form of the fields.
  static std::string text_fields(const nlohmann::json& fields);
  // The line written for one event (without the journal's fields).
  static std::string format_line(LogFormat format, const nlohmann::json& event);

  struct Shared;  // the queue and everything the writer thread owns

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace hydra::telemetry

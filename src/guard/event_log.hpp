// hydra's events: one line each on stderr — readable text on a terminal, one
// JSON object per line with --log-format json. Every event carries its time
// and name; the rest are fields. Subscribers (tests, the API) see each event
// as JSON too.
#pragma once

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hydra::guard {

enum class LogFormat { kText, kJson, kJournal };

// True when stderr is connected to the journal (systemd sets JOURNAL_STREAM
// to its device and inode): events then go to journald with native fields.
bool stderr_is_journal();

// The journal fields of one event: MESSAGE (the text line), EVENT=, and the
// upper-cased fields (BRIDGE=, RESTORE_USEC=, SESSION=, ...), PRIORITY.
std::vector<std::string> journal_fields(const nlohmann::json& event);

class EventLog {
 public:
  explicit EventLog(LogFormat format, FILE* out = stderr) : format_(format), out_(out) {}
  [[nodiscard]] LogFormat format() const { return format_; }
  void emit(const std::string& event, nlohmann::json fields = nlohmann::json::object());
  void subscribe(std::function<void(const nlohmann::json&)> fn);

  // "2026-11-28T22:01:32.123456Z"
  static std::string timestamp();
  // "bridge=docker0 ifindex=5 ..." — the text form of the fields.
  static std::string text_fields(const nlohmann::json& fields);

 private:
  LogFormat format_;
  FILE* out_;
  std::mutex mu_;
  std::vector<std::function<void(const nlohmann::json&)>> subscribers_;
};

}  // namespace hydra::guard

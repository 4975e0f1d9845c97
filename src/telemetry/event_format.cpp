// SPDX-License-Identifier: Apache-2.0
// How an event is written: its timestamp, its text and JSON lines, its
// journal fields.
#include <sys/stat.h>
#include <sys/time.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>

#include "base/clock.hpp"
#include "base/json_fields.hpp"
#include "telemetry/event_log.hpp"

namespace hydra::telemetry {

std::string EventLog::timestamp() { return utc_timestamp(); }

std::string EventLog::text_fields(const nlohmann::json& fields) {
  std::string out;
  for (const auto& [key, value] : fields.items()) {
    out += out.empty() ? "" : " ";
    out += key + "=" + json_fields::as_string(value).value_or(value.dump());
  }
  return out;
}

bool stderr_is_journal() {
  // Read once at start-up, before any thread exists.
  const char* js = std::getenv("JOURNAL_STREAM");  // NOLINT(concurrency-mt-unsafe)
  if (!js) return false;
  std::string_view text(js);
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0, ino = 0;
  auto a = std::from_chars(text.data(), text.data() + colon, dev);
  auto b = std::from_chars(text.data() + colon + 1, text.data() + text.size(), ino);
  if (a.ec != std::errc{} || a.ptr != text.data() + colon || b.ec != std::errc{} || b.ptr != text.data() + text.size())
    return false;
  struct stat st {};
  return fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

std::vector<std::string> journal_fields(const nlohmann::json& event) {
  nlohmann::json rest = event;
  std::string name = json_fields::string_or(rest, "event");
  rest.erase("ts");
  rest.erase("event");
  std::vector<std::string> out;
  out.push_back("MESSAGE=" + name + " " + EventLog::text_fields(rest));
  out.push_back("EVENT=" + name);
  bool bad = name == "restore_failed" || name == "fatal" || name == "bridge_conflict" || name == "state_file_corrupt";
  bool warn = name == "bridge_missing" || name == "resync" || name == "session_exited" || name == "restore_retry" ||
              name == "events_dropped" || name == "session_unresponsive";
  out.push_back(std::string("PRIORITY=") + (bad ? "3" : warn ? "4" : "6"));
  for (const auto& [key, value] : rest.items()) {
    std::string k;
    for (char c : key) k += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // Journal convention: durations in microseconds end in _USEC.
    if (k.size() > 3 && k.compare(k.size() - 3, 3, "_US") == 0) k += "EC";
    out.push_back(k + "=" + json_fields::as_string(value).value_or(value.dump()));
  }
  return out;
}

std::string EventLog::format_line(LogFormat format, const nlohmann::json& event) {
  if (format != LogFormat::kText) return event.dump() + "\n";
  nlohmann::json rest = event;
  rest.erase("ts");
  rest.erase("event");
  return json_fields::string_or(event, "ts") + " " + json_fields::string_or(event, "event") + " " + text_fields(rest) + "\n";
}

}  // namespace hydra::telemetry

#include "guard/event_log.hpp"

#include <sys/time.h>

#include <ctime>

namespace hydra::guard {

std::string EventLog::timestamp() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm utc{};
  gmtime_r(&tv.tv_sec, &utc);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(buf + n, sizeof buf - n, ".%06ldZ", static_cast<long>(tv.tv_usec));
  return buf;
}

std::string EventLog::text_fields(const nlohmann::json& fields) {
  std::string out;
  for (const auto& [key, value] : fields.items()) {
    out += out.empty() ? "" : " ";
    out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

void EventLog::emit(const std::string& event, nlohmann::json fields) {
  nlohmann::json line{{"ts", timestamp()}, {"event", event}};
  for (auto& [k, v] : fields.items()) line[k] = v;
  std::lock_guard lock(mu_);
  if (format_ == LogFormat::kJson) {
    std::fprintf(out_, "%s\n", line.dump().c_str());
  } else {
    std::fprintf(out_, "%s %s %s\n", line["ts"].get<std::string>().c_str(), event.c_str(),
                 text_fields(fields).c_str());
  }
  std::fflush(out_);
  for (auto& fn : subscribers_) fn(line);
}

void EventLog::subscribe(std::function<void(const nlohmann::json&)> fn) {
  std::lock_guard lock(mu_);
  subscribers_.push_back(std::move(fn));
}

}  // namespace hydra::guard

// SPDX-License-Identifier: Apache-2.0
#include "cli/top_command.hpp"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "cli/api_client.hpp"

namespace hydra::cli {

namespace {

Result<std::vector<api::DockerInstance>> sample(const std::string& socket) {
  auto r = api_request(socket, "GET", "/api/v1/docker-instances", "");
  if (!r) return r.error();
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || j.is_discarded())
    return make_error("hydrad answered " + std::to_string(r->status) + ": " + r->body, EIO);
  return api::decode_instances(j);
}

}  // namespace

int run_top(const TopArgs& a, bool terminal, std::ostream& out, std::ostream& err) {
  using Clock = std::chrono::steady_clock;
  auto before = sample(a.socket);
  if (!before) {
    err << "hydractl: " << before.error().message << "\n";
    return 1;
  }
  auto t0 = Clock::now();
  // The first frame needs a second sample for its CPU figures: sooner.
  auto wait = std::chrono::duration<double>(std::min(a.interval_s, 1.0));
  for (int frame = 1; a.iterations == 0 || frame <= a.iterations; ++frame) {
    std::this_thread::sleep_for(wait);
    wait = std::chrono::duration<double>(a.interval_s);
    auto now = sample(a.socket);
    if (!now) {
      err << "hydractl: " << now.error().message << "\n";
      return 1;
    }
    const auto t1 = Clock::now();
    const auto rows = top_rows(*before, *now, std::chrono::duration<double>(t1 - t0).count(), a.sort);
    size_t running = 0;
    for (const auto& s : *now) running += s.state == "running";
    char when[16];
    const time_t wall = time(nullptr);
    tm local{};
    localtime_r(&wall, &local);
    (void)strftime(when, sizeof when, "%H:%M:%S", &local);
    if (terminal) out << "\033[H\033[2J";
    out << "hydractl top - " << when << "  sessions: " << now->size() << ", running " << running << "  (by "
        << (a.sort == TopSort::kCpu ? "CPU" : "memory") << ", every " << a.interval_s << " s)\n\n"
        << top_table(rows) << (terminal ? "" : "\n") << std::flush;
    before = std::move(now);
    t0 = t1;
  }
  return 0;
}

}  // namespace hydra::cli

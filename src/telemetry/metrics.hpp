// SPDX-License-Identifier: Apache-2.0
// hydrad's Prometheus metrics (prometheus-cpp core: thread-safe counters,
// gauges and histograms; the API serialises them as text). Their locks are
// prometheus-cpp's own, held only while a value is updated or copied.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace hydra::telemetry {

// One running session's use of its cgroup, as a scrape reads it.
struct SessionUsageSample {
  std::string session;
  double cpu_seconds = 0;
  uint64_t memory_bytes = 0;
  uint64_t memory_limit_bytes = 0;  // 0: no limit
  uint64_t pids = 0;
  uint64_t pids_limit = 0;          // 0: no limit
};

class Metrics {
 public:
  explicit Metrics(const std::string& version);

  void restored(const std::string& bridge, double seconds);
  // degraded: the last restore left something out (it is retried).
  void bridge_state(const std::string& bridge, bool up, size_t ports, bool degraded);
  void resync() { resyncs_.Increment(); }
  void netlink_errors(size_t n) { netlink_errors_.Increment(static_cast<double>(n)); }
  void sessions(size_t starting, size_t running, size_t unresponsive, size_t exited, size_t recovering);
  // Sessions not exited, by the network their dockerd runs in.
  void sessions_by_network(size_t shared, size_t isolated);
  // Read at every scrape: events the log dropped (hydra_events_dropped_total).
  void count_dropped_events(std::function<uint64_t()> source) { dropped_source_ = std::move(source); }
  // source: "pool" (a warm pool's dockerd, bound) or "cold".
  void session_started(double seconds, const std::string& source) {
    session_start_.Observe(seconds);
    session_create_.Add({{"source", source}}, kCreateBuckets).Observe(seconds);
  }
  void warm_pool(int target, int ready) {
    pool_target_.Set(target);
    pool_ready_.Set(ready);
  }
  // A session that ended without being asked: kind "start_failed" (it never
  // answered, or exited as it did) or "exited" (its dockerd died running).
  void session_failed(const std::string& kind) { session_failures_.Add({{"kind", kind}}).Increment(); }
  // The disk-pressure brake stopped a session's containers.
  void disk_brake(const std::string& session) { disk_brakes_.Add({{"session", session}}).Increment(); }
  // An API request answered: route is the path's pattern, never the path.
  void api_request(const std::string& method, const std::string& route, int status);
  void event_stream_clients(size_t n) { event_clients_.Set(static_cast<double>(n)); }
  // Free bytes of the filesystem under a path (data_dir, run_dir).
  void filesystem_free(const std::string& path, uint64_t bytes) {
    fs_free_.Add({{"path", path}}).Set(static_cast<double>(bytes));
  }
  // The configured floors beside a path's free bytes, in bytes of that
  // filesystem: [storage] min_free (creates refused below it) and
  // critical_free (the brake engages below it; data_dir only: 0 elsewhere).
  void filesystem_floors(const std::string& path, uint64_t min_free, uint64_t critical_free) {
    fs_min_free_.Add({{"path", path}}).Set(static_cast<double>(min_free));
    fs_critical_free_.Add({{"path", path}}).Set(static_cast<double>(critical_free));
  }
  // A session's data root, as the background sizing last measured it.
  void session_data_bytes(const std::string& session, uint64_t bytes) {
    data_bytes_.Add({{"session", session}}).Set(static_cast<double>(bytes));
  }

  // Read at every scrape: each running session's usage (the series of a
  // session no longer running go).
  void session_usage(std::function<std::vector<SessionUsageSample>()> source) { usage_source_ = std::move(source); }
  // OOM kills inside a session (hydra_session_oom_kills_total).
  void session_oom(const std::string& session, uint64_t kills) {
    oom_kills_.Add({{"session", session}}).Increment(static_cast<double>(kills));
  }

  // Every golden data root's bytes (as measured when it was made); the
  // series of a golden no longer there goes.
  void golden_bytes(const std::map<std::string, uint64_t>& goldens);

  // The exposition text (text/plain; version=0.0.4).
  [[nodiscard]] std::string text();

 private:
  struct Declared {
    std::string name, help, type;
  };
  // Registers a family and remembers what it is (see text()).
  template <typename Builder>
  auto& family(Builder builder, const char* name, const char* help, const char* type) {
    declared_.push_back({name, help, type});
    return builder.Name(name).Help(help).Register(*registry_);
  }

  std::vector<Declared> declared_;  // written by the constructor only
  std::shared_ptr<prometheus::Registry> registry_;
  std::set<std::string> golden_series_;  // touched only from the storage watcher's thread
  prometheus::Family<prometheus::Counter>& restores_;
  prometheus::Histogram& restore_duration_;
  prometheus::Family<prometheus::Gauge>& bridge_up_;
  prometheus::Family<prometheus::Gauge>& bridge_ports_;
  prometheus::Family<prometheus::Gauge>& bridge_degraded_;
  prometheus::Counter& resyncs_;
  prometheus::Counter& netlink_errors_;
  prometheus::Family<prometheus::Gauge>& sessions_;
  prometheus::Family<prometheus::Gauge>& sessions_network_;
  prometheus::Histogram& session_start_;
  prometheus::Family<prometheus::Histogram>& session_create_;
  prometheus::Gauge& pool_ready_;
  prometheus::Gauge& pool_target_;
  inline static const prometheus::Histogram::BucketBoundaries kCreateBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30};
  prometheus::Family<prometheus::Counter>& session_failures_;
  prometheus::Family<prometheus::Counter>& disk_brakes_;
  prometheus::Family<prometheus::Counter>& api_requests_;
  prometheus::Counter& events_dropped_;
  prometheus::Gauge& event_clients_;
  prometheus::Family<prometheus::Gauge>& fs_free_;
  prometheus::Family<prometheus::Gauge>& fs_min_free_;
  prometheus::Family<prometheus::Gauge>& fs_critical_free_;
  prometheus::Family<prometheus::Gauge>& data_bytes_;
  prometheus::Family<prometheus::Gauge>& golden_bytes_;
  prometheus::Family<prometheus::Counter>& cpu_seconds_;
  prometheus::Family<prometheus::Gauge>& memory_bytes_;
  prometheus::Family<prometheus::Gauge>& memory_limit_;
  prometheus::Family<prometheus::Gauge>& pids_;
  prometheus::Family<prometheus::Gauge>& pids_limit_;
  prometheus::Family<prometheus::Counter>& oom_kills_;
  std::function<std::vector<SessionUsageSample>()> usage_source_;
  std::mutex usage_mu_;
  std::map<std::string, double> cpu_seen_;  // guarded by usage_mu_: the last cpu_seconds per session
  void collect_usage();
  std::function<uint64_t()> dropped_source_;
  std::mutex dropped_mu_;
  uint64_t dropped_seen_ = 0;
};

}  // namespace hydra::telemetry

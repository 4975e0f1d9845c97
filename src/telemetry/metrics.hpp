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

namespace hydra::telemetry {

class Metrics {
 public:
  explicit Metrics(const std::string& version);

  void restored(const std::string& bridge, double seconds);
  void bridge_state(const std::string& bridge, bool up, size_t ports);
  void resync() { resyncs_.Increment(); }
  void netlink_errors(size_t n) { netlink_errors_.Increment(static_cast<double>(n)); }
  void sessions(size_t starting, size_t running, size_t unresponsive, size_t exited, size_t recovering);
  // Sessions not exited, by the network their dockerd runs in.
  void sessions_by_network(size_t shared, size_t isolated);
  // Read at every scrape: events the log dropped (hydra_events_dropped_total).
  void count_dropped_events(std::function<uint64_t()> source) { dropped_source_ = std::move(source); }
  void session_started(double seconds) { session_start_.Observe(seconds); }
  void event_stream_clients(size_t n) { event_clients_.Set(static_cast<double>(n)); }
  // Free bytes of the filesystem under a path (data_dir, run_dir).
  void filesystem_free(const std::string& path, uint64_t bytes) {
    fs_free_.Add({{"path", path}}).Set(static_cast<double>(bytes));
  }
  // A session's data root, as the background sizing last measured it.
  void session_data_bytes(const std::string& session, uint64_t bytes) {
    data_bytes_.Add({{"session", session}}).Set(static_cast<double>(bytes));
  }

  // Every golden data root's bytes (as measured when it was made); the
  // series of a golden no longer there goes.
  void golden_bytes(const std::map<std::string, uint64_t>& goldens);

  // The exposition text (text/plain; version=0.0.4).
  [[nodiscard]] std::string text();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::set<std::string> golden_series_;  // touched only from the storage watcher's thread
  prometheus::Family<prometheus::Counter>& restores_;
  prometheus::Histogram& restore_duration_;
  prometheus::Family<prometheus::Gauge>& bridge_up_;
  prometheus::Family<prometheus::Gauge>& bridge_ports_;
  prometheus::Counter& resyncs_;
  prometheus::Counter& netlink_errors_;
  prometheus::Family<prometheus::Gauge>& sessions_;
  prometheus::Family<prometheus::Gauge>& sessions_network_;
  prometheus::Histogram& session_start_;
  prometheus::Counter& events_dropped_;
  prometheus::Gauge& event_clients_;
  prometheus::Family<prometheus::Gauge>& fs_free_;
  prometheus::Family<prometheus::Gauge>& data_bytes_;
  prometheus::Family<prometheus::Gauge>& golden_bytes_;
  std::function<uint64_t()> dropped_source_;
  std::mutex dropped_mu_;
  uint64_t dropped_seen_ = 0;
};

}  // namespace hydra::telemetry

// SPDX-License-Identifier: Apache-2.0
#include "telemetry/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace hydra::telemetry {

using namespace prometheus;

namespace {

// Sub-millisecond buckets: a restore of a few ports takes well under 1 ms.
const Histogram::BucketBoundaries kRestoreBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025,  0.05,    0.1,    0.25,  0.5,    1};
const Histogram::BucketBoundaries kSessionBuckets = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

}  // namespace

Metrics::Metrics(const std::string& version)
    : registry_(std::make_shared<Registry>()),
      restores_(BuildCounter()
                    .Name("hydra_bridge_restores_total")
                    .Help("Protected bridges put back after a deletion")
                    .Register(*registry_)),
      restore_duration_(BuildHistogram()
                            .Name("hydra_bridge_restore_duration_seconds")
                            .Help("From reading a bridge's deletion to its verified restore")
                            .Register(*registry_)
                            .Add({}, kRestoreBuckets)),
      bridge_up_(BuildGauge().Name("hydra_bridge_up").Help("1 when the protected bridge exists and is up").Register(*registry_)),
      bridge_ports_(BuildGauge().Name("hydra_bridge_ports").Help("Ports recorded on the protected bridge").Register(*registry_)),
      resyncs_(BuildCounter()
                   .Name("hydra_resyncs_total")
                   .Help("Full re-reads of the link table after a netlink overrun")
                   .Register(*registry_)
                   .Add({})),
      netlink_errors_(BuildCounter()
                          .Name("hydra_netlink_errors_total")
                          .Help("Netlink requests the kernel refused, and monitor errors")
                          .Register(*registry_)
                          .Add({})),
      sessions_(BuildGauge().Name("hydra_sessions").Help("Session dockerds by state").Register(*registry_)),
      sessions_network_(BuildGauge()
                            .Name("hydra_sessions_by_network")
                            .Help("Session dockerds not exited, by network mode (shared: the sandbox's namespace; "
                                  "isolated: one of their own)")
                            .Register(*registry_)),
      session_start_(BuildHistogram()
                         .Name("hydra_session_start_duration_seconds")
                         .Help("From a create request to the session dockerd answering /_ping")
                         .Register(*registry_)
                         .Add({}, kSessionBuckets)),
      events_dropped_(BuildCounter()
                          .Name("hydra_events_dropped_total")
                          .Help("Events dropped because the output was not read fast enough (queue full)")
                          .Register(*registry_)
                          .Add({})),
      event_clients_(BuildGauge()
                         .Name("hydra_event_stream_clients")
                         .Help("Clients following GET /api/v1/events")
                         .Register(*registry_)
                         .Add({})),
      fs_free_(BuildGauge()
                   .Name("hydra_filesystem_free_bytes")
                   .Help("Free bytes (for unprivileged users) of the filesystem under a path hydrad writes")
                   .Register(*registry_)),
      data_bytes_(BuildGauge()
                      .Name("hydra_session_data_bytes")
                      .Help("A session's data root, allocated bytes as the background sizing last measured them")
                      .Register(*registry_)),
      golden_bytes_(BuildGauge()
                        .Name("hydra_golden_bytes")
                        .Help("A golden data root, allocated bytes as measured when it was made")
                        .Register(*registry_)) {
  BuildGauge()
      .Name("hydra_build_info")
      .Help("hydrad's version, as a label")
      .Register(*registry_)
      .Add({{"version", version}})
      .Set(1);
  sessions(0, 0, 0, 0, 0);
  sessions_by_network(0, 0);
}

void Metrics::restored(const std::string& bridge, double seconds) {
  restores_.Add({{"bridge", bridge}}).Increment();
  restore_duration_.Observe(seconds);
}

void Metrics::bridge_state(const std::string& bridge, bool up, size_t ports) {
  bridge_up_.Add({{"bridge", bridge}}).Set(up ? 1 : 0);
  bridge_ports_.Add({{"bridge", bridge}}).Set(static_cast<double>(ports));
  restores_.Add({{"bridge", bridge}});  // shown as 0 before the first restore
}

void Metrics::sessions_by_network(size_t shared, size_t isolated) {
  sessions_network_.Add({{"network", "shared"}}).Set(static_cast<double>(shared));
  sessions_network_.Add({{"network", "isolated"}}).Set(static_cast<double>(isolated));
}

void Metrics::sessions(size_t starting, size_t running, size_t unresponsive, size_t exited, size_t recovering) {
  sessions_.Add({{"state", "recovering"}}).Set(static_cast<double>(recovering));
  sessions_.Add({{"state", "starting"}}).Set(static_cast<double>(starting));
  sessions_.Add({{"state", "running"}}).Set(static_cast<double>(running));
  sessions_.Add({{"state", "unresponsive"}}).Set(static_cast<double>(unresponsive));
  sessions_.Add({{"state", "exited"}}).Set(static_cast<double>(exited));
}

std::string Metrics::text() {
  if (dropped_source_) {
    std::lock_guard lock(dropped_mu_);
    const uint64_t now = dropped_source_();
    if (now > dropped_seen_) events_dropped_.Increment(static_cast<double>(now - dropped_seen_));
    dropped_seen_ = now;
  }
  return TextSerializer().Serialize(registry_->Collect());
}

}  // namespace hydra::telemetry

namespace hydra::telemetry {

void Metrics::golden_bytes(const std::map<std::string, uint64_t>& goldens) {
  for (auto it = golden_series_.begin(); it != golden_series_.end();) {
    if (goldens.count(*it)) {
      ++it;
      continue;
    }
    golden_bytes_.Remove(&golden_bytes_.Add({{"golden", *it}}));
    it = golden_series_.erase(it);
  }
  for (const auto& [name, bytes] : goldens) {
    golden_bytes_.Add({{"golden", name}}).Set(static_cast<double>(bytes));
    golden_series_.insert(name);
  }
}

}  // namespace hydra::telemetry

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
      restores_(family(BuildCounter(), "hydra_bridge_restores_total", "Protected bridges put back after a deletion",
                       "counter")),
      restore_duration_(family(BuildHistogram(), "hydra_bridge_restore_duration_seconds",
                               "From reading a bridge's deletion to its verified restore", "histogram")
                            .Add({}, kRestoreBuckets)),
      bridge_up_(family(BuildGauge(), "hydra_bridge_up", "1 when the protected bridge exists and is up", "gauge")),
      bridge_ports_(family(BuildGauge(), "hydra_bridge_ports", "Ports recorded on the protected bridge", "gauge")),
      bridge_degraded_(family(BuildGauge(), "hydra_bridge_degraded",
                              "1 when the bridge's last restore left something out (retried until complete)", "gauge")),
      resyncs_(family(BuildCounter(), "hydra_resyncs_total", "Full re-reads of the link table after a netlink overrun",
                      "counter")
                   .Add({})),
      netlink_errors_(family(BuildCounter(), "hydra_netlink_errors_total",
                             "Netlink requests the kernel refused, and monitor errors", "counter")
                          .Add({})),
      sessions_(family(BuildGauge(), "hydra_sessions", "Session dockerds by state", "gauge")),
      sessions_network_(family(BuildGauge(), "hydra_sessions_by_network",
                               "Session dockerds not exited, by network mode (shared: the sandbox's namespace; "
                               "isolated: one of their own)",
                               "gauge")),
      session_start_(family(BuildHistogram(), "hydra_session_start_duration_seconds",
                            "From a create request to the session dockerd answering /_ping", "histogram")
                         .Add({}, kSessionBuckets)),
      session_create_(family(BuildHistogram(), "hydra_session_create_seconds",
                             "A session's start, by where its dockerd came from: pool (a warm pool's, bound) or cold "
                             "(started for it)",
                             "histogram")),
      pool_ready_(family(BuildGauge(), "hydra_warm_pool_ready", "Warm pool members answering, ready to be taken",
                         "gauge")
                      .Add({})),
      pool_target_(family(BuildGauge(), "hydra_warm_pool_target", "[sessions] warm_pool: the members it keeps", "gauge")
                       .Add({})),
      session_failures_(family(BuildCounter(), "hydra_session_failures_total",
                               "Sessions that ended unasked: start_failed (never answered, or exited as it did), "
                               "exited (the dockerd died while running)",
                               "counter")),
      disk_brakes_(family(BuildCounter(), "hydra_disk_brakes_total",
                          "Times the disk-pressure brake stopped a session's containers", "counter")),
      api_requests_(family(BuildCounter(), "hydra_api_requests_total",
                           "API requests answered, by method, route pattern and status", "counter")),
      events_dropped_(family(BuildCounter(), "hydra_events_dropped_total",
                             "Events dropped because the output was not read fast enough (queue full)", "counter")
                          .Add({})),
      event_clients_(
          family(BuildGauge(), "hydra_event_stream_clients", "Clients following GET /api/v1/events", "gauge").Add({})),
      fs_free_(family(BuildGauge(), "hydra_filesystem_free_bytes",
                      "Free bytes (for unprivileged users) of the filesystem under a path hydrad writes", "gauge")),
      fs_min_free_(family(BuildGauge(), "hydra_filesystem_min_free_bytes",
                          "[storage] min_free in bytes of the path's filesystem: below it, creates are refused",
                          "gauge")),
      fs_critical_free_(family(BuildGauge(), "hydra_filesystem_critical_free_bytes",
                               "[storage] critical_free in bytes of the path's filesystem: below it, the brake "
                               "stops running sessions' containers, largest data root first (data_dir only)",
                               "gauge")),
      data_bytes_(family(BuildGauge(), "hydra_session_data_bytes",
                         "A session's data root, allocated bytes as the background sizing last measured them",
                         "gauge")),
      golden_bytes_(family(BuildGauge(), "hydra_golden_bytes",
                           "A golden data root, allocated bytes as measured when it was made", "gauge")),
      cpu_seconds_(family(BuildCounter(), "hydra_session_cpu_seconds_total",
                          "CPU time used by a running session's cgroup (its dockerd, containerd, shims, containers)",
                          "counter")),
      memory_bytes_(family(BuildGauge(), "hydra_session_memory_bytes", "Memory charged to a running session's cgroup",
                           "gauge")),
      memory_limit_(family(BuildGauge(), "hydra_session_memory_limit_bytes",
                           "A running session's memory limit (no series: no limit)", "gauge")),
      pids_(family(BuildGauge(), "hydra_session_pids", "Tasks in a running session's cgroup", "gauge")),
      pids_limit_(family(BuildGauge(), "hydra_session_pids_limit",
                         "A running session's task limit (no series: no limit)", "gauge")),
      oom_kills_(family(BuildCounter(), "hydra_session_oom_kills_total",
                        "Processes the kernel's OOM killer ended inside a session (its memory limit reached)",
                        "counter")) {
  family(BuildGauge(), "hydra_build_info", "hydrad's version, as a label", "gauge").Add({{"version", version}}).Set(1);
  sessions(0, 0, 0, 0, 0);
  sessions_by_network(0, 0);
  // Shown as 0 from the start, so that increase() sees the first one.
  for (const char* kind : {"start_failed", "exited"}) session_failures_.Add({{"kind", kind}});
}

void Metrics::restored(const std::string& bridge, double seconds) {
  restores_.Add({{"bridge", bridge}}).Increment();
  restore_duration_.Observe(seconds);
}

void Metrics::bridge_state(const std::string& bridge, bool up, size_t ports, bool degraded) {
  bridge_up_.Add({{"bridge", bridge}}).Set(up ? 1 : 0);
  bridge_degraded_.Add({{"bridge", bridge}}).Set(degraded ? 1 : 0);
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

void Metrics::api_request(const std::string& method, const std::string& route, int status) {
  api_requests_.Add({{"method", method}, {"route", route}, {"status", std::to_string(status)}}).Increment();
}

void Metrics::collect_usage() {
  if (!usage_source_) return;
  const auto samples = usage_source_();
  std::lock_guard lock(usage_mu_);
  std::map<std::string, double> seen;
  for (const auto& u : samples) {
    const Labels l{{"session", u.session}};
    // The kernel's count since the session's cgroup was made: a smaller
    // figure is a new cgroup (the session restarted), counted from 0.
    auto last = cpu_seen_.find(u.session);
    const double before = last == cpu_seen_.end() || last->second > u.cpu_seconds ? 0 : last->second;
    cpu_seconds_.Add(l).Increment(u.cpu_seconds - before);
    seen[u.session] = u.cpu_seconds;
    memory_bytes_.Add(l).Set(static_cast<double>(u.memory_bytes));
    pids_.Add(l).Set(static_cast<double>(u.pids));
    if (u.memory_limit_bytes > 0) memory_limit_.Add(l).Set(static_cast<double>(u.memory_limit_bytes));
    else memory_limit_.Remove(&memory_limit_.Add(l));
    if (u.pids_limit > 0) pids_limit_.Add(l).Set(static_cast<double>(u.pids_limit));
    else pids_limit_.Remove(&pids_limit_.Add(l));
  }
  for (const auto& [session, _] : cpu_seen_) {
    if (seen.count(session)) continue;
    const Labels l{{"session", session}};
    memory_bytes_.Remove(&memory_bytes_.Add(l));
    pids_.Remove(&pids_.Add(l));
    memory_limit_.Remove(&memory_limit_.Add(l));
    pids_limit_.Remove(&pids_limit_.Add(l));
  }
  cpu_seen_ = std::move(seen);
}

std::string Metrics::text() {
  collect_usage();
  if (dropped_source_) {
    std::lock_guard lock(dropped_mu_);
    const uint64_t now = dropped_source_();
    if (now > dropped_seen_) events_dropped_.Increment(static_cast<double>(now - dropped_seen_));
    dropped_seen_ = now;
  }
  const auto families = registry_->Collect();
  std::string text = TextSerializer().Serialize(families);
  // A family with no series yet (no session braked, no golden made) is left
  // out by prometheus-cpp; it still says what it is here, so that an
  // operator's rule or dashboard names a metric hydrad is seen to export.
  std::set<std::string> shown;
  for (const auto& f : families) shown.insert(f.name);
  for (const auto& d : declared_)
    if (!shown.count(d.name)) text += "# HELP " + d.name + " " + d.help + "\n# TYPE " + d.name + " " + d.type + "\n";
  return text;
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

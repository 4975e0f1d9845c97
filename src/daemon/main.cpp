// SPDX-License-Identifier: Apache-2.0
// hydrad: guards docker0 (and any protected bridge) in the network namespace
// it runs in, and serves its state on a unix socket. run() wires the parts
// in the order they depend on each other; each helper below sets up one.
#include <malloc.h>
#include <sched.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <iostream>

#include "api/authz_plugin.hpp"
#include "api/control_socket.hpp"
#include "api/routes.hpp"
#include "base/guarded_main.hpp"
#include "base/guarded_thread.hpp"
#include "daemon/command_line.hpp"
#include "daemon/config.hpp"
#include "daemon/disk_watch.hpp"
#include "daemon/guard_loop.hpp"
#include "daemon/guard_priority.hpp"
#include "docker/engine_client.hpp"
#include "guard/bridge_guard.hpp"
#include "guard/restorer.hpp"
#include "session/core/helper_programs.hpp"
#include "session/manager/session_manager.hpp"
#include "session/storage/data_usage.hpp"

#ifndef HYDRA_VERSION
#define HYDRA_VERSION "0.0.0"
#endif

using namespace hydra;

namespace {

int fail(const std::string& what) {
  std::cerr << "hydrad: " << what << "\n";
  return 1;
}

// The control API on its unix socket; every request that changes something
// is logged with who asked.
Result<std::unique_ptr<api::HttpServer>> serve_control(UniqueFd listener, const daemon::DaemonConfig& config,
                                                       api::ApiContext& ctx, telemetry::EventLog& log,
                                                       const api::HttpLimits& limits) {
  return api::HttpServer::start(
      std::move(listener), config.socket,
      [&ctx, &log](const api::HttpRequest& req) {
        api::HttpResponse resp = api::route(ctx, req);
        if (req.method != "GET")
          log.emit("api_request", {{"method", req.method}, {"path", req.path}, {"status", resp.status},
                                   {"peer_uid", req.peer_uid}, {"peer_pid", req.peer_pid}});
        return resp;
      },
      limits);
}

// Metrics on TCP (--metrics-address): only GET /metrics answers there,
// never the control API. nullptr when not asked for.
Result<std::unique_ptr<api::HttpServer>> serve_metrics(const daemon::DaemonConfig& config, telemetry::Metrics& metrics,
                                                       api::HttpLimits limits) {
  if (config.metrics_address.empty()) return std::unique_ptr<api::HttpServer>();
  auto tcp = api::listen_tcp(config.metrics_address);
  if (!tcp) return tcp.error();
  limits.connections.per_peer = 0;  // TCP peers have no uid: no per-peer share there, the deadline holds
  return api::HttpServer::start(
      std::move(*tcp), "",
      [&metrics](const api::HttpRequest& req) {
        if (req.path != "/metrics") return api::error_response(404, "only /metrics is served here");
        if (req.method != "GET") return api::error_response(405, req.method + " is not allowed on /metrics");
        return api::HttpResponse{200, metrics.text(), "text/plain; version=0.0.4; charset=utf-8"};
      },
      limits);
}

// SIGHUP: read the config file again. The guard goes on throughout; the
// guarded bridges follow the new list. Other changes need a restart.
void reload(const daemon::CommandLine& cmd, guard::BridgeGuard& guard, telemetry::EventLog& log) {
  daemon::DaemonConfig next;
  Status st = cmd.config_file.empty() ? Status{} : daemon::apply_config_file(cmd.config_file, next);
  if (st && !cmd.guard_cli.empty()) next.guard_bridges = cmd.guard_cli;
  if (st) st = daemon::validate_config(next);
  if (!st) {
    log.emit("reload_failed", {{"error", daemon::config_text(st.error())}, {"action", "kept the running configuration"}});
    return;
  }
  guard.set_bridges(next.guard_bridges);
  log.emit("reloaded", {{"config", cmd.config_file}, {"bridges", next.guard_bridges}});
}

// The guard's thread (this one) real-time when configured: last, so that no
// thread or process started before inherits it. The priority in effect.
int raise_guard_priority(int priority, telemetry::EventLog& log) {
  if (priority <= 0) return 0;
  if (auto st = daemon::make_thread_realtime(priority); !st) {
    log.emit("guard_priority", {{"error", st.error().text()}, {"action", "the guard runs as an ordinary thread"}});
    return 0;
  }
  // Right after a batch is acknowledged, step aside once: the kernel work
  // the batch queued on this CPU (per-CPU kworkers: link state, qdisc
  // activation) runs before the rest of the restore. Measured: without it,
  // traffic through the restored bridge stalled for about a second in some
  // runs; a real-time thread starves this CPU's kworkers until it sleeps.
  guard::set_after_batch([priority] {
    if (daemon::make_thread_ordinary()) {
      sched_yield();
      (void)daemon::make_thread_realtime(priority);
    }
  });
  return priority;
}

// What escapes a thread's body (base/guarded_thread.hpp) is an event.
std::atomic<telemetry::EventLog*> g_escape_log{nullptr};

void report_escape(const std::string& thread, const std::string& what, const std::string& action) {
  if (auto* log = g_escape_log.load())
    log->emit("thread_failed", {{"thread", thread}, {"error", what}, {"action", action}});
}

// From the log's making to its end: threads that fail say so in events.
struct EscapesAsEvents {
  explicit EscapesAsEvents(telemetry::EventLog& log) {
    g_escape_log = &log;
    set_thread_escape_reporter(&report_escape);
  }
  ~EscapesAsEvents() { g_escape_log = nullptr; }
  EscapesAsEvents(const EscapesAsEvents&) = delete;
  EscapesAsEvents& operator=(const EscapesAsEvents&) = delete;
};

int run(int argc, char** argv) {
  // glibc gives threads their own malloc arena only up to 8 per core, then
  // shares: an HTTP thread preempted inside malloc would then hold up the
  // guard's thread, which allocates while planning a restore (seen as ms-long
  // spikes under a 1000-client flood). One arena per thread, as many as the
  // control socket's connection limit allows, keeps the main arena the guard's.
  mallopt(M_ARENA_MAX, 1024);  // NOLINT(concurrency-mt-unsafe): no other thread exists yet
  daemon::CommandLine cmd;
  if (auto done = daemon::parse_command_line(argc, argv, HYDRA_VERSION, cmd)) return *done;
  daemon::DaemonConfig& config = cmd.config;

  if (auto st = daemon::block_termination_signals(); !st) return fail(st.error().text());
  // Under systemd, events go to the journal with native fields (EVENT=,
  // BRIDGE=, RESTORE_USEC=, SESSION=); elsewhere text or JSON lines on stderr.
  // The log's subscriber: declared first, so it outlives the log's writer.
  api::EventStream event_stream;
  // Declared before everything that emits events, so it outlives them.
  telemetry::EventLog log(telemetry::stderr_is_journal()   ? telemetry::LogFormat::kJournal
                          : config.log_format == "json" ? telemetry::LogFormat::kJson
                                                        : telemetry::LogFormat::kText,
                          STDERR_FILENO, static_cast<size_t>(cmd.event_queue));
  log.subscribe([&](const nlohmann::json& e) { event_stream.publish(e.dump() + "\n"); });
  EscapesAsEvents escapes(log);
  // A feature whose program is not here is said now; its requests get 503.
  for (const auto& h : session::helper_programs(config.sessions))
    if (auto st = session::require_helper(h); !st)
      log.emit("helper_missing", {{"key", std::string(h.key)}, {"path", h.path}, {"error", st.error().message},
                                  {"action", "requests that need it get 503 until it is there"}});
  guard::SnapshotStore store(config.state_dir);
  if (auto st = store.prepare(); !st) return fail(st.error().text());
  auto sock = netlink::RtnlSocket::open();
  if (!sock) return fail(sock.error().text());
  // The monitor is opened before the first dump so no change falls between them.
  auto monitor = netlink::Monitor::open(cmd.monitor_buffer);
  if (!monitor) return fail(monitor.error().text());

  telemetry::StatusBoard board;
  telemetry::Metrics metrics(HYDRA_VERSION);
  metrics.count_dropped_events([&log] { return log.dropped(); });
  // Snapshots and sessions.json go to disk from this writer's thread.
  FileWriter state_writer([&log](const std::string& path, const Error& e) {
    log.emit("state_write_failed", {{"file", path}, {"error", e.text()}});
  });
  // max_containers: hydrad answers Docker's authorization-plugin calls of
  // the session dockerds started with a limit.
  session::ContainerLimiter limiter([&config](const std::string& socket) {
    return docker::EngineClient(socket, session::api_timeout_s(config.sessions)).container_count();
  });
  api::AuthzPluginServer authz_plugin(limiter, config.sessions.authz_plugin);
  session::DataUsage usage(config.sessions.data_dir, config.sessions.size_interval_ms);
  config.sessions.sandbox_bridges = config.guard_bridges;  // no session may send to them
  session::SessionManager sessions(config.sessions, config.state_dir, config.main_docker_socket,
                                   {state_writer, log, board, metrics, limiter, [&authz_plugin] { return authz_plugin.ensure(); }});
  metrics.session_usage([&sessions] {
    std::vector<telemetry::SessionUsageSample> out;
    for (const auto& v : sessions.list()) {
      if (!v.usage) continue;
      out.push_back({v.key.text(), v.usage->cpu_seconds, v.usage->memory_bytes, v.limits.memory.value_or(0),
                     v.usage->pids, v.limits.pids.value_or(0)});
    }
    return out;
  });
  api::ApiContext api_ctx{board, sessions, usage, metrics, event_stream, HYDRA_VERSION};
  auto listener = api::listen_unix(config.socket, 0660, config.socket_group);
  if (!listener) return fail(listener.error().text());
  auto announcer = guard::Announcer::open();
  if (!announcer) return fail(announcer.error().text());
  guard::GuardConfig guard_config;
  guard_config.bridges = config.guard_bridges;
  guard_config.settle_us = int64_t{cmd.settle_ms} * 1000;
  guard::BridgeGuard guard(guard_config, *sock, *announcer, store, state_writer, log, board, metrics);
  daemon::GuardLoop loop(*monitor, guard, log);
  if (auto st = loop.setup([&] { reload(cmd, guard, log); }); !st) return fail(st.error().text());
  if (auto st = guard.start(); !st) return fail(st.error().text());
  // Every session of the previous hydrad is in the table before the first
  // request is served; each is adopted while requests are answered (one for
  // a session not adopted yet waits for it, or gets 503).
  sessions.load();
  api::HttpLimits api_limits;
  api_limits.connections = {config.api_max_connections, config.api_per_peer,
                            int64_t{config.api_request_timeout_ms} * 1000};
  auto server = serve_control(std::move(*listener), config, api_ctx, log, api_limits);
  if (!server) return fail(server.error().text());
  auto metrics_server = serve_metrics(config, metrics, api_limits);
  if (!metrics_server) return fail(metrics_server.error().text());
  sessions.adopt_all();
  auto disk_watch = daemon::watch_disk(config, sessions, usage, metrics, log);
  const int priority = raise_guard_priority(config.guard_realtime_priority, log);
  const auto oom_protected = daemon::protect_from_oom_killer();
  if (!oom_protected)
    log.emit("oom_protection_failed", {{"error", oom_protected.error().text()},
                                       {"action", "a session filling the machine's memory may make the kernel end hydrad"}});
  // Ready: every protected bridge snapshotted (and on disk) or known missing, sessions adopted.
  state_writer.flush();
  board.set_ready(true);
  log.emit("ready", {{"bridges", config.guard_bridges},
                     {"active_instances", sessions.counts().running},
                     {"realtime_priority", priority},
                     {"oom_score_adj", oom_protected ? daemon::kHydradOomScoreAdj : 0},
                     {"cgroup_version", session::cgroup_version_name(sessions.cgroup_support().version)},
                     {"session_cgroups", sessions.cgroup_support().parent}});
  sd_notify(0, "READY=1\nSTATUS=guarding");
  int rc = loop.run();
  sd_notify(0, "STOPPING=1");
  sessions.on_new_session(nullptr);  // the watcher it wakes goes now
  disk_watch.reset();  // before the sessions it brakes and collects
  if (config.sessions.stop_on_exit) sessions.stop_all();
  sessions.stop_pool();
  sessions.stop_containerd_if_unused();
  log.emit("stopped", {{"exit_code", rc}});
  return rc;
}

}  // namespace

int main(int argc, char** argv) { return hydra::guarded_main("hydrad", run, argc, argv); }

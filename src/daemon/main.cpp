// SPDX-License-Identifier: Apache-2.0
// hydrad: guards docker0 (and any protected bridge) in the network namespace
// it runs in, and serves its state on a unix socket.
#include <malloc.h>
#include <sched.h>
#include <systemd/sd-daemon.h>

#include <CLI/CLI.hpp>

#include "base/guarded_main.hpp"
#include <iostream>

#include "api/authz_plugin.hpp"
#include "api/control_socket.hpp"
#include "api/routes.hpp"
#include "daemon/config.hpp"
#include "daemon/guard_loop.hpp"
#include "daemon/guard_priority.hpp"
#include "guard/bridge_guard.hpp"
#include "guard/restorer.hpp"
#include "docker/engine_client.hpp"
#include "session/network/plan_check.hpp"
#include "session/storage/storage_watch.hpp"
#include "session/storage/data_usage.hpp"
#include "session/manager/session_manager.hpp"

#ifndef HYDRA_VERSION
#define HYDRA_VERSION "0.0.0"
#endif

using namespace hydra;

namespace {

int fail(const std::string& what) {
  std::cerr << "hydrad: " << what << "\n";
  return 1;
}

// A config error already says what is wrong and where; only a failure to
// read the file needs the system's reason.
std::string config_text(const Error& e) { return e.code == EINVAL ? e.message : e.text(); }

int run(int argc, char** argv) {
  // glibc gives threads their own malloc arena only up to 8 per core, then
  // shares: an HTTP thread preempted inside malloc would then hold up the
  // guard's thread, which allocates while planning a restore (seen as ms-long
  // spikes under a 1000-client flood). One arena per thread, as many as the
  // control socket's connection limit allows, keeps the main arena the guard's.
  mallopt(M_ARENA_MAX, 1024);  // NOLINT(concurrency-mt-unsafe): no other thread exists yet
  CLI::App app{"hydrad " HYDRA_VERSION " — keeps docker0 and every container on it on the network.\n"
               "Guards the named bridges in this network namespace: when one is deleted it is put back\n"
               "within about a millisecond with the same name, MAC, MTU, addresses, options and ports."};
  daemon::DaemonConfig config;
  std::string config_file;
  std::vector<std::string> guard_cli;
  std::string state_dir, socket_path, log_format, metrics_address;
  std::string check_file;
  bool version = false;
  int monitor_buffer = netlink::Monitor::kDefaultRecvBuf;
  int event_queue = static_cast<int>(telemetry::EventLog::kQueueCapacity);
  app.add_option("--config", config_file,
                 "TOML config file: state_dir, socket, log_format, [guard] bridges, [docker] main_socket,\n"
                 "[api] request_timeout, max_connections, connections_per_peer,\n"
                 "[sessions] dockerd, data_dir, run_dir, storage_driver, live_restore, stop_on_exit, start_timeout,\n"
                 "stop_timeout, api_timeout, probe_interval, recovery_wait, size_interval, privileged_mode, authz_plugin,\n"
                 "network (isolated|shared), bridge_subnets, address_pools, uplink_subnet, egress_deny, egress_allow,\n"
                 "dnsmasq, resolv_conf, default_golden, cp, [storage] min_free, critical_free, check_interval,\n"
                 "[gc] stale_after, golden_unused_days");
  app.add_option("--guard", guard_cli, "Bridge to guard; repeatable (default: docker0)");
  app.add_option("--state-dir", state_dir, "Where snapshots are kept (default: /var/lib/hydra)");
  app.add_option("--socket", socket_path, "Control socket, mode 0660 (default: /run/hydra/hydra.sock)");
  app.add_option("--log-format", log_format, "Event lines on stderr: text or json (default: text)");
  app.add_option("--metrics-address", metrics_address,
                 "Also serve GET /metrics over TCP at HOST:PORT (e.g. 127.0.0.1:9464); default: unix socket only");
  app.add_option("--check-config", check_file,
                 "Check a config file (with any flags given), print the configuration in effect, and exit");
  app.add_flag("--version", version, "Print the version and exit");
  app.add_option("--monitor-buffer", monitor_buffer,
                 "Netlink monitor receive buffer in bytes (default 32 MiB; small values force overruns in tests)")
      ->check(CLI::Range(1024, 1 << 30));
  app.add_option("--event-queue", event_queue,
                 "Events held for a slow log reader before they are dropped and counted (default 4096)")
      ->check(CLI::Range(2, 1 << 20));
  CLI11_PARSE(app, argc, argv);
  if (version) {
    std::cout << "hydrad " HYDRA_VERSION "\n";
    return 0;
  }

  if (!check_file.empty()) config_file = check_file;
  if (!config_file.empty())
    if (auto st = daemon::apply_config_file(config_file, config); !st) return fail(config_text(st.error()));
  if (!guard_cli.empty()) config.guard_bridges = guard_cli;
  if (!state_dir.empty()) config.state_dir = state_dir;
  if (!socket_path.empty()) config.socket = socket_path;
  if (!log_format.empty()) config.log_format = log_format;
  if (!metrics_address.empty()) config.metrics_address = metrics_address;
  if (auto st = daemon::validate_config(config); !st) return fail(config_text(st.error()));
  // The plan against this sandbox's routes: here, not in validate_config,
  // since it reads the kernel (and --check-config should say it too).
  if (auto st = session::check_plan_against_sandbox(config.sessions.plan); !st) return fail(config_text(st.error()));
  if (!check_file.empty()) {
    std::cout << daemon::describe_config(config);
    return 0;
  }

  if (auto st = daemon::block_termination_signals(); !st) return fail(st.error().text());
  // Under systemd, events go to the journal with native fields (EVENT=,
  // BRIDGE=, RESTORE_USEC=, SESSION=); elsewhere text or JSON lines on stderr.
  // The log's subscriber: declared first, so it outlives the log's writer.
  api::EventStream event_stream;
  // Declared before everything that emits events, so it outlives them.
  telemetry::EventLog log(telemetry::stderr_is_journal()   ? telemetry::LogFormat::kJournal
                          : config.log_format == "json" ? telemetry::LogFormat::kJson
                                                        : telemetry::LogFormat::kText,
                          STDERR_FILENO, static_cast<size_t>(event_queue));
  log.subscribe([&](const nlohmann::json& e) { event_stream.publish(e.dump() + "\n"); });
  guard::SnapshotStore store(config.state_dir);
  if (auto st = store.prepare(); !st) return fail(st.error().text());
  auto sock = netlink::RtnlSocket::open();
  if (!sock) return fail(sock.error().text());
  // The monitor is opened before the first dump so no change falls between them.
  auto monitor = netlink::Monitor::open(monitor_buffer);
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
  api::ApiContext api_ctx{board, sessions, usage, metrics, event_stream, HYDRA_VERSION};
  auto listener = api::listen_unix(config.socket, 0660, config.socket_group);
  if (!listener) return fail(listener.error().text());
  auto announcer = guard::Announcer::open();
  if (!announcer) return fail(announcer.error().text());
  guard::GuardConfig guard_config;
  guard_config.bridges = config.guard_bridges;
  guard::BridgeGuard guard(guard_config, *sock, *announcer, store, state_writer, log, board, metrics);
  daemon::GuardLoop loop(*monitor, guard, log);
  // SIGHUP: read the config file again. The guard goes on throughout; the
  // guarded bridges follow the new list. Other changes need a restart.
  auto reload = [&] {
    daemon::DaemonConfig next;
    Status st = config_file.empty() ? Status{} : daemon::apply_config_file(config_file, next);
    if (st && !guard_cli.empty()) next.guard_bridges = guard_cli;
    if (st) st = daemon::validate_config(next);
    if (!st) {
      log.emit("reload_failed", {{"error", config_text(st.error())}, {"action", "kept the running configuration"}});
      return;
    }
    guard.set_bridges(next.guard_bridges);
    log.emit("reloaded", {{"config", config_file}, {"bridges", next.guard_bridges}});
  };
  if (auto st = loop.setup(reload); !st) return fail(st.error().text());
  if (auto st = guard.start(); !st) return fail(st.error().text());
  // Every session of the previous hydrad is in the table before the first
  // request is served; each is adopted while requests are answered (one for
  // a session not adopted yet waits for it, or gets 503).
  sessions.load();
  api::HttpLimits api_limits;
  api_limits.connections = {config.api_max_connections, config.api_per_peer,
                            int64_t{config.api_request_timeout_ms} * 1000};
  auto server = api::HttpServer::start(
      std::move(*listener), config.socket,
      [&](const api::HttpRequest& req) {
        api::HttpResponse resp = api::route(api_ctx, req);
        // Every request that changes something is logged with who asked.
        if (req.method != "GET")
          log.emit("api_request", {{"method", req.method}, {"path", req.path}, {"status", resp.status},
                                   {"peer_uid", req.peer_uid}, {"peer_pid", req.peer_pid}});
        return resp;
      },
      api_limits);
  if (!server) return fail(server.error().text());
  // Metrics on TCP: only GET /metrics answers there, never the control API.
  std::unique_ptr<api::HttpServer> metrics_server;
  if (!config.metrics_address.empty()) {
    auto tcp = api::listen_tcp(config.metrics_address);
    if (!tcp) return fail(tcp.error().text());
    // TCP peers have no uid: no per-peer share there, the deadline holds.
    api::HttpLimits tcp_limits = api_limits;
    tcp_limits.connections.per_peer = 0;
    auto started = api::HttpServer::start(
        std::move(*tcp), "",
        [&](const api::HttpRequest& req) {
          if (req.path != "/metrics") return api::error_response(404, "only /metrics is served here");
          if (req.method != "GET") return api::error_response(405, req.method + " is not allowed on /metrics");
          return api::HttpResponse{200, metrics.text(), "text/plain; version=0.0.4; charset=utf-8"};
        },
        tcp_limits);
    if (!started) return fail(started.error().text());
    metrics_server = std::move(*started);
  }

  sessions.adopt_all();
  // The disk under the sessions, watched from a thread of its own.
  const auto parsed_critical = session::FreeThreshold::parse(config.sessions.critical_free);  // checked with the config
  const session::FreeThreshold critical_free = parsed_critical ? *parsed_critical : session::FreeThreshold{};
  const std::string data_dir = config.sessions.data_dir;
  bool critical = false;  // touched only by the watcher's thread
  session::StorageWatch::Hooks storage_hooks;
  storage_hooks.measured = [&](const std::vector<session::FsReading>& readings) {
    for (const auto& r : readings)
      if (r.error.empty()) metrics.filesystem_free(r.path, r.free);
    bool below = false;
    for (const auto& v : sessions.list()) {
      if (auto f = usage.of(v.paths.data_root); f && !v.host_docker) metrics.session_data_bytes(v.key.text(), f->bytes);
    }
    std::map<std::string, uint64_t> goldens;
    for (const auto& g : sessions.goldens().list()) goldens[g.name] = g.bytes;
    metrics.golden_bytes(goldens);
    if (!readings.empty())
      below = readings[0].error.empty() && session::below_threshold(readings[0], critical_free, "critical_free");
    if (critical && !below && !readings.empty()) log.emit("disk_critical_cleared", {{"path", data_dir}, {"free", readings[0].free}});
    critical = below;
  };
  storage_hooks.critical = [&](const session::FsReading& fs) {
    const std::string why = session::below_threshold(fs, critical_free, "[storage] critical_free").value_or("");
    log.emit("disk_critical", {{"path", fs.path}, {"free", fs.free}, {"error", why},
                               {"action", "stopping the containers of running sessions, largest data root first"}});
    sessions.brake([&](const std::string& root) { auto f = usage.of(root); return f ? f->bytes : uint64_t{0}; },
                   [&] { return !session::below_threshold(session::read_fs(data_dir), critical_free, "critical_free"); },
                   why);
  };
  if (config.sessions.stale_after_s > 0)
    storage_hooks.periodic_gc = [&] { (void)sessions.reconcile({}, config.sessions.stale_after_s, false); };
  auto storage_watch = std::make_unique<session::StorageWatch>(
      std::vector<std::string>{config.sessions.data_dir, config.sessions.run_dir}, critical_free,
      config.sessions.storage_check_interval_ms, std::move(storage_hooks));
  // Last, so that no thread or process started above inherits it.
  int priority = config.guard_realtime_priority;
  if (priority > 0) {
    if (auto st = daemon::make_thread_realtime(priority); !st) {
      log.emit("guard_priority", {{"error", st.error().text()}, {"action", "the guard runs as an ordinary thread"}});
      priority = 0;
    }
  }
  if (priority > 0) {
    // Right after a batch is acknowledged, step aside once: the kernel work
    // the batch queued on this CPU (per-CPU kworkers: link state, qdisc
    // activation) runs before the rest of the restore. Measured: without it,
    // traffic through the restored bridge stalled for about a second in some
    // runs; a real-time thread starves this CPU's kworkers until it sleeps.
    hydra::guard::set_after_batch([priority] {
      if (daemon::make_thread_ordinary()) {
        sched_yield();
        (void)daemon::make_thread_realtime(priority);
      }
    });
  }
  // Ready: every protected bridge snapshotted (and on disk) or known missing, sessions recovered.
  state_writer.flush();
  board.set_ready(true);
  log.emit("ready", {{"bridges", config.guard_bridges},
                     {"active_instances", sessions.counts().running},
                     {"realtime_priority", priority}});
  sd_notify(0, "READY=1\nSTATUS=guarding");
  int rc = loop.run();
  sd_notify(0, "STOPPING=1");
  storage_watch.reset();  // before the sessions it brakes and collects
  if (config.sessions.stop_on_exit) sessions.stop_all();
  log.emit("stopped", {{"exit_code", rc}});
  return rc;
}

}  // namespace

int main(int argc, char** argv) { return hydra::guarded_main("hydrad", run, argc, argv); }

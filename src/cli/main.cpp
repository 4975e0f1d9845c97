// SPDX-License-Identifier: Apache-2.0
// hydractl: the command-line client of hydrad, plus local read-only views.
#include <CLI/CLI.hpp>

#include "base/guarded_main.hpp"
#include <iostream>

#include "cli/events_command.hpp"
#include "cli/links_command.hpp"
#include "cli/session_commands.hpp"
#include "cli/session_ref.hpp"
#include "cli/status_command.hpp"
#include "cli/top_command.hpp"
#include "cli/topology_command.hpp"
#include <unistd.h>

namespace {

int run(int argc, char** argv) {
  CLI::App app{"hydractl — inspect and drive hydrad, the guard of docker0 and its session bridges"};
  app.set_version_flag("--version", "hydractl " HYDRA_VERSION);
  app.require_subcommand(1);
  std::string socket_path = "/run/hydra/hydra.sock";
  app.add_option("--socket", socket_path, "hydrad's control socket")->capture_default_str();

  bool links_json = false;
  auto* links = app.add_subcommand("links", "Links of this network namespace: name, index, kind, master, "
                                            "MAC, MTU, state, addresses, veth peer");
  links->add_flag("--json", links_json, "Print JSON with stable field names");

  bool status_json = false;
  auto* status = app.add_subcommand("status", "Protected bridges as hydrad guards them: state, identity, "
                                              "addresses, ports, restores");
  status->add_flag("--json", status_json, "Print the API's JSON");

  bool events_json = false;
  auto* events = app.add_subcommand("events", "Follow hydrad's events as they happen (restores, sessions, ...)");
  events->add_flag("--json", events_json, "One JSON object per line");

  hydra::cli::TopologyArgs ta;
  ta.docker_socket = "/var/run/docker.sock";
  auto* topology = app.add_subcommand("topology", "Draw this sandbox's network: bridges, ports by container, "
                                                  "guarded bridges, sessions and desktop links");
  topology->add_option("--docker-socket", ta.docker_socket, "The main dockerd, for container names")
      ->capture_default_str();
  topology->add_flag("--dot", ta.dot, "Print Graphviz (dot) instead of a tree");

  hydra::cli::TopArgs top_args;
  std::string top_sort = "cpu";
  auto* top = app.add_subcommand("top", "Running sessions by CPU or memory use, with their limits, redrawn like top");
  top->add_option("--sort", top_sort, "cpu or memory")->check(CLI::IsMember({"cpu", "memory"}))->capture_default_str();
  top->add_option("-d,--interval", top_args.interval_s, "Seconds between frames")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  top->add_option("-n,--iterations", top_args.iterations, "Frames to print, then exit; 0: until interrupted")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();

  hydra::cli::SessionArgs sa;
  auto* session = app.add_subcommand("session", "Session dockerds: create, list, inspect, delete, purge");
  session->require_subcommand(1);
  auto add_key = [&](CLI::App* cmd) {
    cmd->add_option("id", sa.scope_id, "TYPE/ID as `session list` prints it, or an ID ([A-Za-z0-9_.-]{1,64})")
        ->required();
    cmd->add_option("--type", sa.scope_type, "Scope type of a bare ID: session (default), spectask or exploratory");
    cmd->add_flag("--json", sa.json, "Print the API's JSON");
  };
  auto* s_create = session->add_subcommand("create", "Start (or find) the session's dockerd on its own hydraN bridge");
  add_key(s_create);
  s_create->add_option("--user", sa.user_id, "User the session belongs to");
  s_create->add_option("--max-containers", sa.max_containers,
                       "At most this many containers (every state) in the session; 0: no limit")
      ->check(CLI::NonNegativeNumber);
  s_create->add_flag("--host-docker", sa.use_host_docker,
                     "Use the main dockerd itself (no isolation; needs [sessions] privileged_mode = true)");
  s_create->add_option("--memory", sa.memory,
                       "Memory limit of the whole session, as docker --memory takes it (512m, 2GiB); "
                       "default: [sessions.limits] memory");
  s_create->add_option("--cpus", sa.cpus, "CPU limit of the whole session, in CPUs (1.5); default: [sessions.limits] cpus")
      ->check(CLI::PositiveNumber);
  s_create->add_option("--pids", sa.pids,
                       "Task limit of the whole session (its daemons, shims, containers); default: [sessions.limits] pids")
      ->check(CLI::PositiveNumber);
  s_create->add_option("--golden", sa.golden,
                       "Start a new data root as a clone of this golden (default: [sessions] default_golden)");
  auto* s_list = session->add_subcommand("list", "All sessions");
  s_list->add_flag("--json", sa.json, "Print the API's JSON");
  auto* s_inspect = session->add_subcommand("inspect", "One session, with pid, containers and uptime");
  add_key(s_inspect);
  auto* s_delete = session->add_subcommand("delete", "Stop its containers and dockerd, remove its bridge; keep data");
  add_key(s_delete);
  auto* s_purge = session->add_subcommand("purge", "Remove the data root of a stopped session, and forget it");
  add_key(s_purge);
  auto* golden = app.add_subcommand("golden", "Golden data roots new sessions start from: create, list, delete");
  golden->require_subcommand(1);
  auto* g_create = golden->add_subcommand("create", "Copy a stopped session's data root into a read-only golden");
  g_create->add_option("name", sa.golden, "Golden name, [A-Za-z0-9_.-]{1,64}")->required();
  g_create->add_option("--from", sa.from, "The session to copy, TYPE/ID (stopped: hydractl session delete)")->required();
  g_create->add_flag("--json", sa.json, "Print the API's JSON");
  auto* g_list = golden->add_subcommand("list", "Goldens: source, size, sessions made from each");
  g_list->add_flag("--json", sa.json, "Print the API's JSON");
  auto* g_delete = golden->add_subcommand("delete", "Remove a golden no session is being created from");
  g_delete->add_option("name", sa.golden, "Golden name")->required();
  auto* bridge = app.add_subcommand("bridge-desktop", "Give a desktop container a leg (eth1) on a session's bridge");
  add_key(bridge);
  bridge->add_option("--desktop", sa.desktop, "Desktop container id or name (on the main dockerd)");
  bridge->add_flag("--delete", sa.undo, "Remove the desktop's leg instead");

  CLI11_PARSE(app, argc, argv);
  sa.socket = socket_path;
  using namespace hydra::cli;
  // A malformed id is refused here, naming the rule, before any request.
  for (auto* cmd : {s_create, s_inspect, s_delete, s_purge, bridge}) {
    if (!cmd->parsed()) continue;
    auto key = session_from_args(sa.scope_id, sa.scope_type);
    if (!key) {
      std::cerr << "hydractl: " << key.error().message << "\n";
      return 2;
    }
    sa.scope_type = key->scope_type;
    sa.scope_id = key->scope_id;
  }
  if (g_create->parsed())
    if (auto from = hydra::session::parse_session_ref(sa.from); !from) {
      std::cerr << "hydractl: --from: " << from.error().message << "\n";
      return 2;
    }
  ta.socket = socket_path;
  if (topology->parsed()) return run_topology(ta, std::cout, std::cerr);
  if (top->parsed()) {
    top_args.socket = socket_path;
    top_args.sort = top_sort == "memory" ? TopSort::kMemory : TopSort::kCpu;
    return run_top(top_args, isatty(STDOUT_FILENO) != 0, std::cout, std::cerr);
  }
  if (events->parsed()) return run_events(socket_path, events_json, std::cout, std::cerr);
  if (s_create->parsed()) return run_session_create(sa, std::cout, std::cerr);
  if (s_list->parsed()) return run_session_list(sa, std::cout, std::cerr);
  if (s_inspect->parsed()) return run_session_inspect(sa, std::cout, std::cerr);
  if (s_delete->parsed()) return run_session_delete(sa, std::cout, std::cerr);
  if (s_purge->parsed()) return run_session_purge(sa, std::cout, std::cerr);
  if (g_create->parsed()) return run_golden_create(sa, std::cout, std::cerr);
  if (g_list->parsed()) return run_golden_list(sa, std::cout, std::cerr);
  if (g_delete->parsed()) return run_golden_delete(sa, std::cout, std::cerr);
  if (bridge->parsed()) {
    if (!sa.undo && sa.desktop.empty()) {
      std::cerr << "hydractl: bridge-desktop needs --desktop CONTAINER (or --delete)\n";
      return 2;
    }
    return run_bridge_desktop(sa, std::cout, std::cerr);
  }
  if (links->parsed()) return hydra::cli::run_links(links_json, std::cout, std::cerr);
  if (status->parsed()) return hydra::cli::run_status(socket_path, status_json, std::cout, std::cerr);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return hydra::guarded_main("hydractl", run, argc, argv); }

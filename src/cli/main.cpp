// hydractl: the command-line client of hydrad, plus local read-only views.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/links_command.hpp"
#include "cli/status_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"hydractl — inspect and drive hydrad, the guard of docker0 and its session bridges"};
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

  CLI11_PARSE(app, argc, argv);
  if (links->parsed()) return hydra::cli::run_links(links_json, std::cout, std::cerr);
  if (status->parsed()) return hydra::cli::run_status(socket_path, status_json, std::cout, std::cerr);
  return 0;
}

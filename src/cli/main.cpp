// hydractl: the command-line client of hydrad, plus local read-only views.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/links_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"hydractl — inspect and drive hydrad, the guard of docker0 and its session bridges"};
  app.require_subcommand(1);
  std::string socket_path = "/run/hydra/hydra.sock";
  app.add_option("--socket", socket_path, "hydrad's control socket")->capture_default_str();

  bool links_json = false;
  auto* links = app.add_subcommand("links", "Links of this network namespace: name, index, kind, master, "
                                            "MAC, MTU, state, addresses, veth peer");
  links->add_flag("--json", links_json, "Print JSON with stable field names");

  CLI11_PARSE(app, argc, argv);
  if (links->parsed()) return hydra::cli::run_links(links_json, std::cout, std::cerr);
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// `hydractl topology`: the sandbox's network drawn as a person would sketch
// it — each bridge with its ports named by the container behind them, which
// bridges hydrad guards, each session's bridge, dockerd and desktop link.
#pragma once

#include <iosfwd>
#include <string>

namespace hydra::cli {

struct TopologyArgs {
  std::string socket;         // hydrad (optional: without it, no guard/session labels)
  std::string docker_socket;  // the main dockerd, for container names
  bool dot = false;           // Graphviz instead of a tree
};

int run_topology(const TopologyArgs& a, std::ostream& out, std::ostream& err);

}  // namespace hydra::cli

// SPDX-License-Identifier: Apache-2.0
// `hydractl top`: running sessions by CPU or memory, redrawn every interval
// like top(1) on a terminal; frames one after another otherwise.
#pragma once

#include <iosfwd>
#include <string>

#include "cli/top_view.hpp"

namespace hydra::cli {

struct TopArgs {
  std::string socket;
  TopSort sort = TopSort::kCpu;
  double interval_s = 2;
  int iterations = 0;  // 0: until interrupted
};

int run_top(const TopArgs& a, bool terminal, std::ostream& out, std::ostream& err);

}  // namespace hydra::cli

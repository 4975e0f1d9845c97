// SPDX-License-Identifier: Apache-2.0
// `hydractl events`: hydrad's events as they happen, like `docker events`.
#pragma once

#include <iosfwd>
#include <string>

namespace hydra::cli {

int run_events(const std::string& socket, bool json, std::ostream& out, std::ostream& err);

}  // namespace hydra::cli

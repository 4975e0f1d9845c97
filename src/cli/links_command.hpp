// SPDX-License-Identifier: Apache-2.0
// `hydractl links`: the links of the current namespace in one view — what
// `ip -br link`, `ip -br addr` and `bridge link` show together.
#pragma once

#include <iosfwd>

namespace hydra::cli {

// Returns the process exit code.
int run_links(bool json, std::ostream& out, std::ostream& err);

}  // namespace hydra::cli

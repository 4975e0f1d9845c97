// SPDX-License-Identifier: Apache-2.0
// `hydractl status`: the protected bridges as hydrad sees them.
#pragma once

#include <iosfwd>
#include <string>

namespace hydra::cli {

int run_status(const std::string& socket, bool json, std::ostream& out, std::ostream& err);

}  // namespace hydra::cli

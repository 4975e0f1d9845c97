// SPDX-License-Identifier: Apache-2.0
// The session a command names: "TYPE/ID" as `hydractl session list` prints
// it, or an ID with --type (session when not given). Checked against hydrad's
// own rule for keys before any request is sent.
#pragma once

#include <string>

#include "base/result.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::cli {

// `type` is "" when --type was not given.
Result<session::SessionKey> session_from_args(const std::string& id, const std::string& type);

}  // namespace hydra::cli

// SPDX-License-Identifier: Apache-2.0
// The programs hydrad runs for a feature (dockerd for sessions, dnsmasq for
// a desktop's resolver, GNU cp for goldens and clones), and the check made
// before a feature uses one: a missing program is said at start (the
// helper_missing event, --check-config) and refuses the requests that need
// it with a 503 naming the program and its key, never a half-made session.
//
// THREADS: any; nothing here keeps state. LOCKS: none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

struct HelperProgram {
  std::string_view key;         // "sessions.dockerd"
  std::string path;             // as configured
  std::string_view needed_for;  // "every session" (… needs it)
  std::string_view package;     // the Debian package that has it
};

std::vector<HelperProgram> helper_programs(const SessionSettings& s);
// The copier alone (the clone code knows its path, not the settings).
HelperProgram copier_program(const std::string& cp);
// {} when the program is an executable file; else ENOTSUP, naming it.
Status require_helper(const HelperProgram& h);
// The same by key ("sessions.cp").
Status require_helper(const SessionSettings& s, std::string_view key);

}  // namespace hydra::session

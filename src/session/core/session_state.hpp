// SPDX-License-Identifier: Apache-2.0
// The states of a session, with the names the API and the events use.
#pragma once

#include <string_view>

namespace hydra::session {

enum class SessionState {
  kRecovering,    // in the sessions.json of the previous hydrad, not adopted yet
  kStarting,      // bridge made, dockerd spawned, not answering /_ping yet
  kRunning,       // dockerd answers
  kUnresponsive,  // dockerd alive but did not answer within api_timeout
  kStopping,      // containers and dockerd being stopped
  kExited,        // dockerd gone (stopped, crashed, or found dead at start)
};

constexpr std::string_view session_state_name(SessionState s) {
  switch (s) {
    case SessionState::kRecovering: return "recovering";
    case SessionState::kStarting: return "starting";
    case SessionState::kRunning: return "running";
    case SessionState::kUnresponsive: return "unresponsive";
    case SessionState::kStopping: return "stopping";
    case SessionState::kExited: return "exited";
  }
  return "unknown";
}

// The status the Hydra client knows (running | stopped | starting | error).
// `failed`: it exited without being asked to, or does not answer.
constexpr std::string_view hydra_status(SessionState s, bool failed) {
  switch (s) {
    case SessionState::kRecovering:  // the client waits, as for a start
    case SessionState::kStarting: return "starting";
    case SessionState::kRunning: return "running";
    case SessionState::kUnresponsive: return "error";
    case SessionState::kStopping: return "stopped";
    case SessionState::kExited: return failed ? "error" : "stopped";
  }
  return "error";
}

// A dockerd process is there (answering or not).
constexpr bool session_alive(SessionState s) {
  return s == SessionState::kRunning || s == SessionState::kUnresponsive;
}

}  // namespace hydra::session

// SPDX-License-Identifier: Apache-2.0
// The states of a protected bridge, with the names the API and the events use.
#pragma once

#include <string_view>

namespace hydra::guard {

enum class BridgeState {
  kMissing,    // never seen and no snapshot: waiting for it to appear
  kGuarded,    // present, snapshot current
  kRestoring,  // deleted (or missing with a snapshot): being put back
  kDegraded,   // a restore failed several times: still retried, with backoff
  kConflict,   // a device of the protected name that is not a bridge: left alone
};

constexpr std::string_view bridge_state_name(BridgeState s) {
  switch (s) {
    case BridgeState::kMissing: return "missing";
    case BridgeState::kGuarded: return "guarded";
    case BridgeState::kRestoring: return "restoring";
    case BridgeState::kDegraded: return "degraded";
    case BridgeState::kConflict: return "conflict";
  }
  return "unknown";
}

}  // namespace hydra::guard

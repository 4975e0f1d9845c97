// SPDX-License-Identifier: Apache-2.0
// Whether hydrad's protected bridges were touched while a session started
// (its session_started event says so). The guard's board alone can lag the
// kernel: dockerd deletes docker0 before it answers /_ping, and on a busy
// machine the guard may not yet have read that deletion when the session
// does. So the kernel is asked first — a bridge the guard held at the mark
// that is now absent was touched — and the board after it: a loss the guard
// began, or a restore it finished, since the mark. A deletion made before the
// kernel was asked is seen by one or the other: the guard counts a loss as it
// reads the deletion, before its restore's first request, so a bridge that
// is back (or half back) when the kernel is asked was already counted.
//
// THREADS: any (a session's start). LOCKS: none of its own; the board's
// mutex for a copy of its records. The kernel is asked in the calling
// thread's network namespace: hydrad's own, where the protected bridges are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "telemetry/status_board.hpp"

namespace hydra::session {

// What the board said at a session's start.
struct BridgeMark {
  uint64_t losses = 0;
  uint64_t restores = 0;
  std::vector<std::string> present;  // protected bridges the guard held then
};

// What the kernel says of one protected bridge now.
struct BridgeLook {
  std::string name;
  bool exists = false;
};

struct BridgeTouch {
  bool touched = false;
  int restores = 0;  // restores finished since the mark
};

// Pure: the verdict from the mark, the kernel's looks (taken first) and the
// board's counters (read after). A look that could not be taken is absent
// from `looks` and decides nothing.
BridgeTouch judge_bridge_touch(const BridgeMark& mark, const std::vector<BridgeLook>& looks, uint64_t losses_now,
                               uint64_t restores_now);

class BridgeWitness {
 public:
  explicit BridgeWitness(const telemetry::StatusBoard& board) : board_(board) {}
  [[nodiscard]] BridgeMark mark() const;
  // The kernel first, then the board: see the header comment.
  [[nodiscard]] BridgeTouch since(const BridgeMark& mark) const;

 private:
  [[nodiscard]] uint64_t restores() const;
  const telemetry::StatusBoard& board_;
};

}  // namespace hydra::session

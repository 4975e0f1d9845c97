// SPDX-License-Identifier: Apache-2.0
// The session's witness of protected bridges against the real kernel, with
// no guard running: the case where the guard has not yet read a deletion
// that dockerd made before answering /_ping. The board still says all is
// well; the kernel does not.
#include <gtest/gtest.h>

#include "netns_fixture.hpp"
#include "session/manager/bridge_witness.hpp"

namespace hydra::test {
namespace {

telemetry::BridgeStatus guarded(const std::string &name) {
  telemetry::BridgeStatus st;
  st.name = name;
  st.state = "guarded";
  return st;
}

struct WitnessWorld {
  TestNetns ns{"witness"};
  telemetry::StatusBoard board;
  session::BridgeWitness witness{board};
  WitnessWorld() {
    board.publish_bridge(guarded("docker0"));
    board.publish_bridge(guarded("br-extra"));
  }
  // Both bridges made in the namespace.
  bool make_bridges() {
    return ns.ok() && ns.ip("link add docker0 type bridge") == 0 &&
           ns.ip("link add br-extra type bridge") == 0;
  }
};

TEST(BridgeWitness, ABridgeDeletedBeforeTheGuardReadsItIsTouched) {
  HYDRA_REQUIRE_ROOT();
  WitnessWorld w;
  ASSERT_TRUE(w.make_bridges());
  auto inside = w.ns.enter();

  const auto mark = w.witness.mark();
  EXPECT_EQ(mark.present, (std::vector<std::string>{"br-extra", "docker0"}));
  EXPECT_FALSE(w.witness.since(mark).touched) << "both there, no counter moved";

  ASSERT_EQ(w.ns.ip("link del docker0"), 0);
  const auto t = w.witness.since(mark);
  EXPECT_TRUE(t.touched)
      << "the kernel has no docker0, though the board was not told";
  EXPECT_EQ(t.restores, 0);
}

// The guard read the deletion and put the bridge back (or is doing so):
// the kernel shows it there, the guard's count of losses tells.
TEST(BridgeWitness, ABridgeBackAgainIsTouchedByTheGuardsCount) {
  HYDRA_REQUIRE_ROOT();
  WitnessWorld w;
  ASSERT_TRUE(w.make_bridges());
  auto inside = w.ns.enter();
  const auto mark = w.witness.mark();
  ASSERT_EQ(w.ns.ip("link del docker0"), 0);
  ASSERT_EQ(w.ns.ip("link add docker0 type bridge"), 0);
  EXPECT_FALSE(w.witness.since(mark).touched)
      << "back, and no counter moved: nothing to tell it by";
  w.board.count_loss();
  EXPECT_TRUE(w.witness.since(mark).touched)
      << "the guard began a restore since the mark";
}

// A bridge the guard did not hold at the mark (never there) is no evidence.
TEST(BridgeWitness, ABridgeAbsentAtTheMarkDecidesNothing) {
  HYDRA_REQUIRE_ROOT();
  WitnessWorld w;
  ASSERT_TRUE(w.ns.ok());
  telemetry::BridgeStatus missing;
  missing.name = "br-extra";
  missing.state = "missing";
  w.board.publish_bridge(missing);
  ASSERT_EQ(w.ns.ip("link add docker0 type bridge"), 0);
  auto inside = w.ns.enter();
  const auto mark = w.witness.mark();
  EXPECT_EQ(mark.present, std::vector<std::string>{"docker0"});
  EXPECT_FALSE(w.witness.since(mark).touched);
}

} // namespace
} // namespace hydra::test

// SPDX-License-Identifier: Apache-2.0
// Chaos: a seeded random sequence of the things that happen to docker0 and
// around it, with hydrad guarding. After each step, once things are quiet,
// the invariant must hold: docker0 has its identity and addresses, its ports
// are exactly the recorded ports still alive, nothing else is attached, its
// static route (table 100) and permanent neighbour are there, the sandbox's
// eth0 and vethb-h1 are untouched, hydrad is alive.
// HYDRA_CHAOS_STEPS (default 500) and HYDRA_CHAOS_SEED reproduce or extend a run.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "hydrad_process.hpp"
#include "sandbox_world.hpp"

using namespace hydra::test;
using nlohmann::json;

TEST(Chaos, InvariantHoldsAfterEveryStep) {
  HYDRA_REQUIRE_ROOT();
  const int steps = std::getenv("HYDRA_CHAOS_STEPS") ? std::atoi(std::getenv("HYDRA_CHAOS_STEPS")) : 500;
  const unsigned seed = std::getenv("HYDRA_CHAOS_SEED") ? static_cast<unsigned>(std::atoll(std::getenv("HYDRA_CHAOS_SEED")))
                                                        : static_cast<unsigned>(time(nullptr));
  std::printf("chaos: seed %u, %d steps (HYDRA_CHAOS_SEED=%u reproduces it)\n", seed, steps, seed);
  std::mt19937 rng(seed);
  SandboxWorld world(2);
  ASSERT_TRUE(world.ok);
  std::string dir = make_temp_dir("hydra-chaos");
  // A small monitor buffer, so that bursts overrun it and force resyncs.
  HydradProcess hydrad(world.sbx.path(), dir, {"--monitor-buffer", "65536"});
  ASSERT_TRUE(hydrad.start());
  ASSERT_EQ(world.sbx.ip("route add 10.50.0.0/16 via 10.213.0.10 dev docker0 table 100"), 0);
  ASSERT_EQ(world.sbx.ip("neigh add 10.213.0.77 lladdr 02:00:00:00:00:77 dev docker0 nud permanent"), 0);
  // Recorded from their notifications: wait until hydrad's record has both.
  ASSERT_TRUE(wait_until(
      [&] {
        auto b = json::parse(hydrad.get("/api/v1/bridges"), nullptr, false);
        if (!b.is_array() || b.empty()) return false;
        const auto& x = b[0]["extras"];
        return x.is_object() && !x["routes"].empty() && !x["neighbours"].empty();
      },
      10000));
  auto extras_there = [&] {
    return capture("ip -n " + world.sbx.name() + " route show table 100 dev docker0").find("10.50.0.0/16 via 10.213.0.10") !=
               std::string::npos &&
           capture("ip -n " + world.sbx.name() + " neigh show dev docker0").find("10.213.0.77 lladdr 02:00:00:00:00:77 PERMANENT") !=
               std::string::npos;
  };
  const json identity = world.link("docker0");
  const auto addresses = world.addresses("docker0");
  std::set<std::string> expected = {"vethc0", "vethc1"};
  std::vector<std::unique_ptr<TestNetns>> extra;  // namespaces of ports the chaos added
  int next_port = 0;

  auto recent_events = [&] {
    auto evs = hydrad.events();
    std::string out;
    for (size_t i = evs.size() > 25 ? evs.size() - 25 : 0; i < evs.size(); ++i) out += evs[i].dump() + "\n";
    return out;
  };
  auto quiet_and_check = [&](int step, const std::string& what) {
    bool ok = false;
    for (int i = 0; i < 300 && !ok; ++i) {  // up to 3 s to settle
      auto l = world.link("docker0");
      auto ports = world.ports_of("docker0");
      ok = !l.is_null() && l["address"] == identity["address"] && l["ifindex"] == identity["ifindex"] &&
           l["mtu"] == identity["mtu"] &&
           std::find(l["flags"].begin(), l["flags"].end(), "UP") != l["flags"].end() &&
           world.addresses("docker0") == addresses &&
           std::set<std::string>(ports.begin(), ports.end()) == expected && extras_there();
      if (!ok) usleep(10000);
    }
    ASSERT_TRUE(ok) << "step " << step << " (" << what << "), seed " << seed << ": docker0 "
                    << world.link("docker0").dump() << " ports " << json(world.ports_of("docker0")).dump()
                    << " expected " << json(expected).dump() << " route/neighbour there: " << extras_there()
                    << "\nhydrad's last events:\n" << recent_events();
    ASSERT_EQ(world.master_of("eth0"), "") << "step " << step;
    ASSERT_EQ(world.master_of("vethb-h1"), "hydra1") << "step " << step;
    ASSERT_EQ(world.master_of("vethstray"), "") << "step " << step;
    ASSERT_GT(hydrad.pid(), 0) << "hydrad died at step " << step;
    ASSERT_EQ(kill(hydrad.pid(), 0), 0) << "hydrad died at step " << step;
  };

  for (int step = 0; step < steps; ++step) {
    int action = static_cast<int>(rng() % 100);
    std::string what;
    if (action < 30) {
      what = "delete docker0";
      world.sbx.ip("link del docker0");
    } else if (action < 42) {
      what = "add a port";
      auto ns = std::make_unique<TestNetns>("x" + std::to_string(next_port));
      std::string name = "vethx" + std::to_string(next_port++);
      if (ns->ok() && world.sbx.ip("link add " + name + " type veth peer name eth0 netns " + ns->name()) == 0 &&
          world.sbx.ip("link set " + name + " master docker0 up") == 0)
        expected.insert(name);
      extra.push_back(std::move(ns));
    } else if (action < 52 && !extra.empty()) {
      what = "remove a peer namespace";  // its veth goes with it
      size_t i = rng() % extra.size();
      std::string name = "vethx" + extra[i]->name().substr(extra[i]->name().rfind("-x") + 2);
      extra.erase(extra.begin() + static_cast<long>(i));
      expected.erase(name);
      usleep(50000);  // namespace teardown is asynchronous in the kernel
      for (int w = 0; w < 100 && world.sbx.ip("link show " + name) == 0; ++w) usleep(10000);
    } else if (action < 60) {
      what = "delete a port";
      std::vector<std::string> ports(expected.begin(), expected.end());
      if (!ports.empty()) {
        std::string name = ports[rng() % ports.size()];
        world.sbx.ip("link del " + name);
        expected.erase(name);
      }
    } else if (action < 68) {
      what = "flush docker0's addresses";
      world.sbx.ip("addr flush dev docker0");
    } else if (action < 76) {
      what = "set docker0 down";
      world.sbx.ip("link set docker0 down");
    } else if (action < 82) {
      what = "kill hydrad in the middle of a restore, restart it";
      world.sbx.ip("link del docker0");
      usleep(rng() % 2000);
      hydrad.stop(SIGKILL);
      ASSERT_TRUE(hydrad.start()) << "restart at step " << step;
    } else if (action < 88) {
      what = "overrun storm with a deletion inside";
      std::string batch = dir + "/storm.ip";
      {
        std::ofstream out(batch);
        for (int i = 0; i < 200; ++i) out << "link set vethstray " << (i % 2 ? "up" : "down") << "\n";
        out << "link del docker0\n";
        for (int i = 0; i < 200; ++i) out << "link set vethstray " << (i % 2 ? "up" : "down") << "\n";
      }
      kill(hydrad.pid(), SIGSTOP);
      world.sbx.ip("-batch " + batch);
      kill(hydrad.pid(), SIGCONT);
    } else {
      what = "two deletions in a row";
      world.sbx.ip("link del docker0");
      for (int i = 0; i < 200 && world.sbx.ip("link show docker0") != 0; ++i) usleep(1000);
      world.sbx.ip("link del docker0");
    }
    if (std::getenv("HYDRA_CHAOS_VERBOSE")) std::printf("chaos: step %d: %s\n", step, what.c_str());
    quiet_and_check(step, what);
    if (HasFatalFailure()) break;
  }
  hydrad.stop(SIGTERM);
  std::system(("rm -rf " + dir).c_str());
}

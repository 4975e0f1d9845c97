// SPDX-License-Identifier: Apache-2.0
// The pure parts of golden data roots: names, golden.json, which goldens
// garbage collection may take, and how a clone is cut into copier runs.
#include <gtest/gtest.h>

#include "api/schema.hpp"
#include "session/storage/golden_store.hpp"
#include "session/storage/tree_clone.hpp"

using namespace hydra::session;

TEST(GoldenName, SafePathComponentsOnly) {
  for (const std::string& ok : std::vector<std::string>{"g1", "base-1.0", "A_b.c-d", std::string(64, 'x')})
    EXPECT_TRUE(validate_golden_name(ok)) << ok;
  for (const std::string& bad :
       std::vector<std::string>{"", ".hidden", "-x", "a/b", "..", "a b", "tmp\n", std::string(65, 'x')})
    EXPECT_FALSE(validate_golden_name(bad)) << bad;
}

TEST(GoldenJson, RoundTripsAndNamesWhatIsWrong) {
  GoldenInfo g{"g1", "session/s1", 1000, 2000, 4096, 12, "reflink", 0, "0123456789abcdef"};
  auto back = parse_golden_json(golden_json(g));
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(back->name, "g1");
  EXPECT_EQ(back->source, "session/s1");
  EXPECT_EQ(back->created_unix, 1000);
  EXPECT_EQ(back->last_used_unix, 2000);
  EXPECT_EQ(back->bytes, 4096u);
  EXPECT_EQ(back->files, 12u);
  EXPECT_EQ(back->method, "reflink");
  EXPECT_EQ(back->id, "0123456789abcdef");
  EXPECT_FALSE(parse_golden_json("[]"));
  EXPECT_FALSE(parse_golden_json(R"({"name":"g1"})"));  // no created_unix
  auto bad = parse_golden_json(R"({"name":"../x","created_unix":1})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad golden name"), std::string::npos);
  auto old = parse_golden_json(R"({"name":"g","created_unix":5})");  // never cloned: last use is its making
  ASSERT_TRUE(old);
  EXPECT_EQ(old->last_used_unix, 5);
  EXPECT_EQ(old->id, "") << "made before goldens had an id";
}

TEST(GoldenJson, EachGoldenMadeGetsItsOwnId) {
  const std::string a = new_golden_id(), b = new_golden_id();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);
}

TEST(GoldenGc, OnlyUnusedLongerThanTheLimitAndNeverInUse) {
  const int64_t day = 86400, now = 100 * day;
  std::vector<GoldenInfo> all{{"old", "", 10 * day, 10 * day, 0, 0, "", 0},
                              {"recently-cloned", "", 10 * day, 95 * day, 0, 0, "", 0},
                              {"old-but-cloning", "", 10 * day, 10 * day, 0, 0, "", 1},
                              {"new", "", 99 * day, 99 * day, 0, 0, "", 0}};
  EXPECT_EQ(unused_goldens(all, 30 * day, now), (std::vector<std::string>{"old"}));
  EXPECT_TRUE(unused_goldens(all, 0, now).empty()) << "0: off";
  EXPECT_EQ(unused_goldens(all, 2 * day, now), (std::vector<std::string>{"old", "recently-cloned"}));
}

TEST(TreeClone, Overlay2IsSplitIntoLayersAndTheRestCopiedWhole) {
  EXPECT_EQ(clone_units({"containers", "image", "overlay2", "volumes"}, {"abc", "l"}),
            (std::vector<std::string>{"containers", "image", "overlay2/abc", "overlay2/l", "volumes"}));
  EXPECT_EQ(clone_units({"overlay2"}, {}), std::vector<std::string>{});
}

TEST(TreeClone, CopierKeepsEverythingAndFailsOnALostXattr) {
  auto argv = copier_argv("/bin/cp", "/g/root", "/d/.tmp-s", "overlay2/abc");
  EXPECT_EQ(argv, (std::vector<std::string>{"/bin/cp", "--no-dereference", "--recursive",
                                             "--preserve=mode,ownership,timestamps,links,xattr", "--reflink=auto",
                                             "--no-target-directory", "/g/root/overlay2/abc", "/d/.tmp-s/overlay2/abc"}));
  EXPECT_STREQ(clone_method_name(CloneMethod::kReflink), "reflink");
  EXPECT_STREQ(clone_method_name(CloneMethod::kCopy), "copy");
}

TEST(GoldenSchema, RequestsDecodeAndRefuseWhatIsMissing) {
  auto r = hydra::api::decode_golden_request(R"({"name":"g1","from":"session/s1"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "g1");
  EXPECT_EQ(r->from, "session/s1");
  EXPECT_FALSE(hydra::api::decode_golden_request(R"({"name":"g1"})"));
  EXPECT_FALSE(hydra::api::decode_golden_request(R"({"name":1,"from":"session/s1"})"));
  auto c = hydra::api::decode_create_request(R"({"scope_type":"session","scope_id":"s1","golden":"g1"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->golden, std::optional<std::string>("g1"));
  auto none = hydra::api::decode_create_request(R"({"scope_type":"session","scope_id":"s1","golden":""})");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->golden) << "empty is absent";
  hydra::api::GoldenEntry e{"g1", "session/s1", "2026-11-29T00:00:00Z", "2026-11-29T00:00:00Z", "copy", 10, 2, 0,
                            {"session/s2"}};
  auto back = hydra::api::decode_golden(hydra::api::to_json(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sessions, e.sessions);
  EXPECT_EQ(back->method, "copy");
}

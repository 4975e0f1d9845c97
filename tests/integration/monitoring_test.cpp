// SPDX-License-Identifier: Apache-2.0
// The monitoring files (deploy/monitoring) against a live hydrad: every
// metric the dashboard's queries and the alert rules name is one hydrad
// exports, and every dashboard query parses (promtool, as recording rules).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "guarded_fixture.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

std::string monitoring_file(const std::string& name) {
  std::ifstream in(std::string(HYDRA_SOURCE_DIR) + "/deploy/monitoring/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Family names from the exposition's TYPE lines (a family with no series yet
// still has one), with a histogram's and a summary's sample suffixes.
std::set<std::string> exported_metrics(const std::string& exposition) {
  std::set<std::string> names;
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string hash, type, name, kind;
    if (!(words >> hash >> type >> name >> kind) || hash != "#" || type != "TYPE") continue;
    names.insert(name);
    if (kind == "histogram" || kind == "summary")
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
  }
  return names;
}

std::vector<std::string> metrics_named_in(const std::string& text) {
  static const std::regex kMetric("hydra_[a-zA-Z0-9_:]+");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), kMetric), end; it != end; ++it) out.push_back(it->str());
  return out;
}

// Grafana's variables, as a query would see them.
std::string as_promql(std::string expr) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"$__rate_interval", "5m"}, {"$__interval", "1m"}, {"$instance", ".*"}})
    for (size_t at; (at = expr.find(from)) != std::string::npos;) expr.replace(at, from.size(), to);
  return expr;
}

}  // namespace

TEST(Monitoring, DashboardAndAlertsNameOnlyWhatHydradExports) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(1);
  ASSERT_TRUE(g.start());
  const auto exported = exported_metrics(g.hydrad.get("/metrics"));
  ASSERT_TRUE(exported.count("hydra_build_info")) << "no metrics read from hydrad";

  const json dashboard = json::parse(monitoring_file("hydra-dashboard.json"), nullptr, false);
  ASSERT_TRUE(dashboard.is_object()) << "hydra-dashboard.json does not parse";
  std::vector<std::pair<std::string, std::string>> queries;  // panel title, expression
  for (const auto& panel : dashboard.value("panels", json::array()))
    for (const auto& target : panel.value("targets", json::array()))
      queries.emplace_back(panel.value("title", "?"), target.value("expr", ""));
  for (const auto& variable : dashboard["templating"].value("list", json::array()))
    if (variable.value("type", "") == "query") queries.emplace_back("variable " + variable.value("name", "?"),
                                                                   variable.value("definition", ""));
  ASSERT_GE(queries.size(), 15u);
  for (const auto& [title, expr] : queries) {
    const auto named = metrics_named_in(expr);
    EXPECT_FALSE(named.empty()) << title << ": no hydra metric in " << expr;
    for (const auto& m : named) EXPECT_TRUE(exported.count(m)) << title << ": hydrad exports no " << m;
  }
  const std::string rules = monitoring_file("hydra-alerts.yaml");
  ASSERT_FALSE(rules.empty());
  for (const auto& m : metrics_named_in(rules)) EXPECT_TRUE(exported.count(m)) << "hydra-alerts.yaml: hydrad exports no " << m;

  // Every panel query parses: promtool checks them as recording rules (the
  // variable query is Grafana's own syntax, not PromQL).
  const std::string file = g.dir + "/dashboard-queries.yaml";
  {
    std::ofstream out(file);
    out << "groups:\n  - name: dashboard\n    rules:\n";
    int n = 0;
    for (const auto& [title, expr] : queries)
      if (title.rfind("variable ", 0) != 0)
        out << "      - record: dashboard:query:" << n++ << "\n        expr: " << json(as_promql(expr)).dump() << "\n";
  }
  const std::string check = capture("promtool check rules " + file + " 2>&1; echo \"exit=$?\"");
  EXPECT_NE(check.find("exit=0"), std::string::npos) << check;
}

// API requests are counted by their route's pattern (never the path: one
// series per session would grow without bound), unknown paths in one series.
TEST(Monitoring, ApiRequestsAreCountedByRoutePattern) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(1);
  ASSERT_TRUE(g.start());
  (void)g.hydrad.get("/api/v1/docker-instances/session/nobody");
  (void)g.hydrad.get("/api/v1/docker-instances/session/someone-else");
  (void)g.hydrad.get("/no/such/path/" + std::to_string(getpid()));
  const std::string text = g.hydrad.get("/metrics");
  EXPECT_NE(text.find("hydra_api_requests_total{method=\"GET\",route=\"/api/v1/docker-instances/{type}/{id}\","
                      "status=\"404\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("route=\"unknown\",status=\"404\"} 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("nobody"), std::string::npos) << "a path's segment became a label";
  EXPECT_NE(text.find("hydra_bridge_degraded{bridge=\"docker0\"} 0"), std::string::npos) << text;
}

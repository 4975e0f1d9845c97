// SPDX-License-Identifier: Apache-2.0
#include "session/desktop_firewall.hpp"

#include <nftables/libnftables.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace hydra::session {

namespace {

struct NftContext {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  NftContext() {
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
  }
  ~NftContext() { nft_ctx_free(ctx); }
  Result<std::string> run(const std::string& cmd) {
    if (nft_run_cmd_from_buffer(ctx, cmd.c_str()) != 0)
      return make_error("nftables: " + cmd + ": " + nft_ctx_get_error_buffer(ctx), EIO);
    return std::string(nft_ctx_get_output_buffer(ctx));
  }
};

}  // namespace

std::string desktop_rule_comment(const SessionNet& net) { return "hydra desktop " + net.bridge; }

std::vector<std::string> desktop_rules(const SessionNet& net) {
  std::string c = " counter accept comment \"" + desktop_rule_comment(net) + "\"";
  return {"insert rule ip filter DOCKER-USER iifname \"" + net.bridge + "\" ip saddr " + net.desktop_ip +
              " ip daddr 10.112.0.0/12" + c,
          "insert rule ip filter DOCKER-USER oifname \"" + net.bridge + "\" ip saddr 10.112.0.0/12 ip daddr " +
              net.desktop_ip + c};
}

Status revoke_desktop(const SessionNet& net) {
  NftContext nft;
  nft_ctx_output_set_flags(nft.ctx, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_JSON);
  auto listing = nft.run("list chain ip filter DOCKER-USER");
  if (!listing) return {};  // no chain, no rules
  auto j = nlohmann::json::parse(*listing, nullptr, false);
  if (!j.is_object() || !j.contains("nftables")) return make_error("nftables: unreadable DOCKER-USER listing", EIO);
  for (const auto& item : j["nftables"]) {
    if (!item.contains("rule")) continue;
    const auto& rule = item["rule"];
    if (rule.value("comment", "") != desktop_rule_comment(net)) continue;
    auto st = nft.run("delete rule ip filter DOCKER-USER handle " + std::to_string(rule.value("handle", 0)));
    if (!st) return st.error();
  }
  return {};
}

Result<bool> allow_desktop(const SessionNet& net) {
  {
    NftContext probe;
    if (!probe.run("list chain ip filter DOCKER-USER")) return false;
  }
  if (auto st = revoke_desktop(net); !st) return st.error();
  NftContext nft;
  for (const auto& cmd : desktop_rules(net))
    if (auto r = nft.run(cmd); !r) return r.error();
  return true;
}

}  // namespace hydra::session

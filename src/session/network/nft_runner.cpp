// SPDX-License-Identifier: Apache-2.0
#include "session/network/nft_runner.hpp"

#include <nftables/libnftables.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "base/json_fields.hpp"

namespace hydra::session {

NftRunner::NftRunner(bool json) : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  nft_ctx_buffer_output(ctx_);
  nft_ctx_buffer_error(ctx_);
  if (json) nft_ctx_output_set_flags(ctx_, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_JSON);
}

NftRunner::~NftRunner() { nft_ctx_free(ctx_); }

Result<std::string> NftRunner::run(const std::string& commands) {
  if (nft_run_cmd_from_buffer(ctx_, commands.c_str()) != 0) {
    std::string err = nft_ctx_get_error_buffer(ctx_);
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return make_error("nftables: " + err, EIO);
  }
  return std::string(nft_ctx_get_output_buffer(ctx_));
}

Result<std::vector<int64_t>> decode_tagged_rules(std::string_view listing, const std::string& comment) {
  namespace jf = json_fields;
  auto j = nlohmann::json::parse(listing, nullptr, false);
  const nlohmann::json* items = jf::array_field(j, "nftables");
  if (!items) return make_error("nftables: unreadable DOCKER-USER listing", EIO);
  std::vector<int64_t> handles;
  for (const auto& item : *items) {
    const nlohmann::json* rule = jf::object_field(item, "rule");
    if (!rule || jf::string_or(*rule, "comment") != comment) continue;
    if (const auto handle = jf::int_or(*rule, "handle", int64_t{0}); handle > 0) handles.push_back(handle);
  }
  return handles;
}

namespace {

constexpr const char* kChain = "ip filter DOCKER-USER";

bool chain_exists() { return NftRunner().run(std::string("list chain ") + kChain).ok(); }

// Handles of the chain's rules tagged `comment`; nothing when there is no chain.
Result<std::optional<std::vector<int64_t>>> tagged_rules(NftRunner& nft, const std::string& comment) {
  auto listing = nft.run(std::string("list chain ") + kChain);
  if (!listing) return std::optional<std::vector<int64_t>>();
  auto handles = decode_tagged_rules(*listing, comment);
  if (!handles) return handles.error();
  return std::optional(std::move(*handles));
}

}  // namespace

Status remove_docker_user_rules(const std::string& comment) {
  NftRunner nft(true);
  auto handles = tagged_rules(nft, comment);
  if (!handles) return handles.error();
  if (!*handles) return {};  // no chain, no rules
  for (int64_t h : **handles)
    if (auto st = nft.run(std::string("delete rule ") + kChain + " handle " + std::to_string(h)); !st) return st.error();
  return {};
}

bool docker_user_rules_missing(const std::string& comment) {
  NftRunner nft(true);
  auto handles = tagged_rules(nft, comment);
  return handles && *handles && (*handles)->empty();
}

Result<bool> put_docker_user_rules(const std::string& comment, const std::vector<std::string>& matches) {
  if (!chain_exists()) return false;
  if (auto st = remove_docker_user_rules(comment); !st) return st.error();
  std::string script;
  for (const auto& m : matches)
    script.append("insert rule ").append(kChain).append(" ").append(m).append(" counter accept comment \"")
        .append(comment)
        .append("\"\n");
  if (auto r = NftRunner().run(script); !r) return r.error();
  return true;
}

}  // namespace hydra::session

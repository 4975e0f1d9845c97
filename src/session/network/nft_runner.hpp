// SPDX-License-Identifier: Apache-2.0
// nftables through libnftables (netlink; no nft or iptables process). The
// context opens its netlink socket in the network namespace of the thread
// that makes it: make one inside a NetnsSwitch to act on that namespace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

struct nft_ctx;

namespace hydra::session {

class NftRunner {
 public:
  // `json`: listings come as JSON (with rule handles).
  explicit NftRunner(bool json = false);
  ~NftRunner();
  NftRunner(const NftRunner&) = delete;
  NftRunner& operator=(const NftRunner&) = delete;
  // One command or a whole script, applied as one transaction; its output.
  Result<std::string> run(const std::string& commands);

 private:
  nft_ctx* ctx_;
};

// Rules hydra keeps in Docker's DOCKER-USER chain (table ip filter), each
// tagged with a comment so they are found again and removed exactly. Written
// in the forms iptables-nft writes itself, so `iptables -S` and dockerd read
// them. The chain is Docker's to create: without it (Docker's iptables off,
// or iptables-legacy) nothing is written and put() answers false.
Result<bool> put_docker_user_rules(const std::string& comment, const std::vector<std::string>& matches);
Status remove_docker_user_rules(const std::string& comment);
// True when the chain exists but holds no rule with `comment` (someone
// flushed it): put_docker_user_rules() again.
bool docker_user_rules_missing(const std::string& comment);
// libnftables' JSON listing of a chain: the handles of the rules tagged
// `comment`. Pure, never throws (fuzz/fuzz_outside_answers.cpp).
Result<std::vector<int64_t>> decode_tagged_rules(std::string_view listing, const std::string& comment);

}  // namespace hydra::session

// SPDX-License-Identifier: Apache-2.0
// JSON form of links and addresses, with stable field names shared by
// `hydractl links --json`, snapshots and the API.
#pragma once

#include <nlohmann/json.hpp>

#include "net/link_table.hpp"
#include "netlink/attr_tables.hpp"

namespace hydra::net {

nlohmann::json attrs_to_json(const netlink::AttrValues& values, std::span<const netlink::AttrSpec> specs);
// Unknown names are an error (returned as text), never silently dropped.
Result<netlink::AttrValues> attrs_from_json(const nlohmann::json& j, std::span<const netlink::AttrSpec> specs);

nlohmann::json addr_to_json(const AddrInfo& a);
Result<AddrInfo> addr_from_json(const nlohmann::json& j);

// One entry of `hydractl links --json`.
nlohmann::json link_to_json(const LinkInfo& link, const LinkTable& table);
nlohmann::json links_to_json(const LinkTable& table);

}  // namespace hydra::net

// SPDX-License-Identifier: Apache-2.0
// The never-harm rules: which devices may be attached to a protected bridge.
// Pure, so every rule is unit-tested; the restore planner asks it about each
// recorded port, and nothing that is not recorded is ever considered.
#pragma once

#include <optional>
#include <string>

#include "net/bridge_snapshot.hpp"
#include "net/link_table.hpp"

namespace hydra::net {

// Why `dev` must not be attached as the recorded port `rec`, or nullopt when
// it may: it is the very device recorded and nothing about it says otherwise.
std::optional<std::string> attach_refusal(const LinkInfo& dev, const PortRecord& rec, const LinkTable& table);

// True for the names hydra never attaches, recorded or not: lo, eth*, vethb-*.
bool is_reserved_name(const std::string& name);

// Addresses that count as "holding an address": all but IPv6 link-local,
// which the kernel gives every up interface.
bool holds_address(int ifindex, const LinkTable& table);

}  // namespace hydra::net

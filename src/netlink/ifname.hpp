// SPDX-License-Identifier: Apache-2.0
// Interface-name validation, done before a name reaches the kernel so a bad
// name is reported as such instead of as a puzzling EINVAL.
#pragma once

#include <string_view>

#include "base/result.hpp"

namespace hydra::netlink {

inline constexpr size_t kMaxIfnameLen = 15;  // IFNAMSIZ - 1

Status validate_ifname(std::string_view name);

}  // namespace hydra::netlink

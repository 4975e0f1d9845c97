// SPDX-License-Identifier: Apache-2.0
#include "cli/session_ref.hpp"

namespace hydra::cli {

Result<session::SessionKey> session_from_args(const std::string& id, const std::string& type) {
  if (id.find('/') != std::string::npos) {
    auto key = session::parse_session_ref(id);
    if (!key) return key.error();
    if (!type.empty() && type != key->scope_type)
      return make_error("--type " + type + " and \"" + id + "\" name different scope types", EINVAL);
    return key;
  }
  session::SessionKey key{type.empty() ? "session" : type, id};
  if (auto st = session::validate_key(key); !st) return make_error("\"" + id + "\": " + st.error().message, EINVAL);
  return key;
}

}  // namespace hydra::cli

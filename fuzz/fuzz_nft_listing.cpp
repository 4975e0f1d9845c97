// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any bytes as libnftables' JSON listing of Docker's DOCKER-USER
// chain, from which hydrad finds its tagged rules' handles. Never a crash or
// an exception; a handle found is a positive number.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "session/network/nft_runner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* comment : {"hydra-uplink-hup-h1", ""})
    if (auto handles = hydra::session::decode_tagged_rules(text, comment))
      for (int64_t h : *handles)
        if (h <= 0) std::abort();
  return 0;
}

// What a farm token may look like, shared by the --tokens file parser and the
// "authorization: Bearer TOKEN" parser so that every token the file accepts
// can be presented, and nothing else can.
#ifndef FARM_AUTH_TOKEN_FORMAT_H_
#define FARM_AUTH_TOKEN_FORMAT_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace farm::auth {

// Shorter tokens are guessable; the file parser refuses them.
inline constexpr size_t kMinTokenLength = 16;
// Longer values are refused before any lookup, and a longer token in the
// file could never be presented.
inline constexpr size_t kMaxTokenLength = 4096;

// True when every byte is visible ASCII (0x21–0x7e): no spaces, no controls,
// nothing beyond 7 bits. True for "".
bool IsVisibleAscii(absl::string_view text);

}  // namespace farm::auth

#endif  // FARM_AUTH_TOKEN_FORMAT_H_

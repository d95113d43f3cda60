#include "auth/token_format.h"

namespace farm::auth {

bool IsVisibleAscii(absl::string_view text) {
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e) return false;
  }
  return true;
}

}  // namespace farm::auth

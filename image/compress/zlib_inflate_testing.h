// Test support: zlib as an independent DEFLATE/gzip decoder, to check what
// farm's own compressors write.
#ifndef FARM_IMAGE_COMPRESS_ZLIB_INFLATE_TESTING_H_
#define FARM_IMAGE_COMPRESS_ZLIB_INFLATE_TESTING_H_

#include <zlib.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace farm::image::compress {

// Inflates `in` with zlib (`window_bits` -15 for raw deflate, 31 for one
// gzip member, whose CRC-32 and ISIZE zlib checks). Fails unless the stream
// ends exactly at the end of `in`.
inline absl::StatusOr<std::string> ZlibInflate(absl::string_view in,
                                               int window_bits) {
  z_stream z{};
  inflateInit2(&z, window_bits);
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = in.size();
  int r;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    r = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  } while (r == Z_OK);
  std::string msg = z.msg != nullptr ? z.msg : "";
  size_t left = z.avail_in;
  inflateEnd(&z);
  if (r != Z_STREAM_END) {
    return absl::DataLossError(absl::StrCat("zlib: ", r, " ", msg));
  }
  if (left != 0) {
    return absl::DataLossError(
        absl::StrCat("zlib: ", left, " bytes after the end of the stream"));
  }
  return out;
}

}  // namespace farm::image::compress

#endif  // FARM_IMAGE_COMPRESS_ZLIB_INFLATE_TESTING_H_

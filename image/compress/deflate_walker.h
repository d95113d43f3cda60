// Finds where the last block of a raw DEFLATE stream (RFC 1951) starts and
// ends. The parallel gzip writer needs this because libdeflate can only
// write complete streams: to join independently compressed chunks into one
// gzip member it clears the BFINAL bit of every chunk but the last.
#ifndef FARM_IMAGE_COMPRESS_DEFLATE_WALKER_H_
#define FARM_IMAGE_COMPRESS_DEFLATE_WALKER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::image::compress {

struct FinalBlock {
  uint64_t header_bit;  // bit offset of the block's BFINAL bit
  uint64_t end_bit;     // bit offset just past its end-of-block code
};

// Decodes the block structure of `stream` (without producing output) up to
// and including the first block with BFINAL set. kDataLoss if the stream is
// malformed or ends before a final block.
absl::StatusOr<FinalBlock> FindFinalBlock(absl::string_view stream);

}  // namespace farm::image::compress

#endif  // FARM_IMAGE_COMPRESS_DEFLATE_WALKER_H_

// HashingPipe: the "no compression" end of a layer writer. The caller's
// bytes are copied into a few 1 MiB chunks, and a thread of the pipe hashes
// each chunk and writes it on, in order.
//
// Why: a plain layer's only per-byte work besides reading the files is its
// sha256 (its digest and diff_id at once), about as costly as the reading;
// on the caller's thread the two would add up, on two threads they overlap,
// as the gzip writer's thread overlaps compression and hashing.
#ifndef FARM_IMAGE_COMPRESS_HASHING_PIPE_H_
#define FARM_IMAGE_COMPRESS_HASHING_PIPE_H_

#include <memory>

#include "common/digest.h"
#include "common/io.h"

namespace farm::image::compress {

// Writes everything written to it to `out` (not owned, not closed) and
// hashes it into `hash` (not owned), both on a background thread. Write
// blocks only while every chunk is in flight. Close waits for the thread and
// returns the first error of `out`; read the hash after Close. Destroying the
// pipe without Close abandons what was not written yet.
std::unique_ptr<ByteWriter> NewHashingPipe(ByteWriter* out, Sha256Hasher* hash);

}  // namespace farm::image::compress

#endif  // FARM_IMAGE_COMPRESS_HASHING_PIPE_H_

// Byte streams over gRPC message streams: an archive arriving as a stream
// of ArchiveChunk messages read as a ByteReader, and a ByteWriter that sends
// what is written as ArchiveChunk messages.
#ifndef FARM_COMMON_GRPC_STREAMS_H_
#define FARM_COMMON_GRPC_STREAMS_H_

#include <algorithm>
#include <cstring>
#include <string>

#include "common/io.h"
#include "grpcpp/support/sync_stream.h"

namespace farm {

// Reads `data` of successive messages; end of the message stream is end of
// the byte stream.
template <typename Message>
class MessageByteReader : public ByteReader {
 public:
  explicit MessageByteReader(grpc::internal::ReaderInterface<Message>* reader)
      : reader_(reader) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    while (offset_ >= current_.data().size()) {
      if (done_ || !reader_->Read(&current_)) {
        done_ = true;
        return 0;
      }
      offset_ = 0;
    }
    size_t n = std::min(size, current_.data().size() - offset_);
    memcpy(buf, current_.data().data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  grpc::internal::ReaderInterface<Message>* reader_;
  Message current_;
  size_t offset_ = 0;
  bool done_ = false;
};

// Buffers writes into messages (any type with a bytes `data` field) of
// about `chunk` bytes.
template <typename Message>
class ChunkByteWriter : public ByteWriter {
 public:
  explicit ChunkByteWriter(grpc::internal::WriterInterface<Message>* writer,
                           size_t chunk = 1 << 20)
      : writer_(writer), chunk_(chunk) {}
  absl::Status Write(absl::string_view data) override {
    buffer_.append(data.data(), data.size());
    if (buffer_.size() >= chunk_) return Flush();
    return absl::OkStatus();
  }
  absl::Status Close() override { return Flush(); }

 private:
  absl::Status Flush() {
    if (buffer_.empty()) return absl::OkStatus();
    Message message;
    message.set_data(std::move(buffer_));
    buffer_.clear();
    if (!writer_->Write(message)) {
      return absl::CancelledError("the receiver went away");
    }
    return absl::OkStatus();
  }

  grpc::internal::WriterInterface<Message>* writer_;
  size_t chunk_;
  std::string buffer_;
};

}  // namespace farm

#endif  // FARM_COMMON_GRPC_STREAMS_H_

#include "common/prefetching_reader.h"

#include <random>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace farm {
namespace {

// Yields its data in pieces of `piece` bytes, then `error` (or the end).
class PieceReader : public ByteReader {
 public:
  PieceReader(std::string data, size_t piece, absl::Status error)
      : data_(std::move(data)), piece_(piece), error_(std::move(error)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    if (offset_ == data_.size()) {
      if (!error_.ok()) return error_;
      return 0;
    }
    size_t n = std::min({size, piece_, data_.size() - offset_});
    memcpy(buf, data_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t piece_;
  absl::Status error_;
  size_t offset_ = 0;
};

std::string Bytes(size_t n) {
  std::mt19937 gen(7);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen());
  return out;
}

TEST(PrefetchingReaderTest, ReturnsEveryByteInOrder) {
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{4096}, size_t{100000}, size_t{3 << 20}}) {
    const std::string data = Bytes(size);
    auto reader = NewPrefetchingReader(
        std::make_unique<PieceReader>(data, 7777, absl::OkStatus()), 16384, 2);
    auto all = ReadAll(*reader);
    ASSERT_TRUE(all.ok()) << all.status();
    EXPECT_TRUE(*all == data) << size;
    auto again = reader->Read(nullptr, 0);
    ASSERT_TRUE(again.ok());
  }
}

TEST(PrefetchingReaderTest, TheInnerErrorComesAfterTheBytesBeforeIt) {
  const std::string data = Bytes(50000);
  auto reader =
      NewPrefetchingReader(std::make_unique<PieceReader>(
                               data, 999, absl::DataLossError("torn file")),
                           8192, 3);
  std::string got;
  char buf[3000];
  absl::Status error;
  while (true) {
    absl::StatusOr<size_t> n = reader->Read(buf, sizeof(buf));
    if (!n.ok()) {
      error = n.status();
      break;
    }
    ASSERT_GT(*n, 0u) << "ended without the error";
    got.append(buf, *n);
  }
  EXPECT_TRUE(got == data);
  EXPECT_EQ(error.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(error.message(), "torn file");
}

TEST(PrefetchingReaderTest, DestroyedBeforeTheEndStopsItsThread) {
  auto reader = NewPrefetchingReader(
      std::make_unique<PieceReader>(Bytes(1 << 20), 4096, absl::OkStatus()),
      4096, 2);
  char buf[10];
  ASSERT_TRUE(reader->Read(buf, sizeof(buf)).ok());
  reader.reset();  // must not hang or crash
}

}  // namespace
}  // namespace farm

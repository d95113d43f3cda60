#include <zlib.h>

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/compress/compression.h"
#include "image/compress/decompressor.h"
#include "image/compress/digesting_io.h"
#include "image/compress/zlib_inflate_testing.h"

namespace farm::image::compress {
namespace {

using ::testing::HasSubstr;

std::string Data(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s;
  s.reserve(n);
  while (s.size() < n) {
    if (rng() % 8 == 0) {
      for (int i = 0; i < 64; ++i) s.push_back(static_cast<char>(rng()));
    } else {
      s += "line " + std::to_string(rng() % 1000) + " of some source text\n";
    }
  }
  s.resize(n);
  return s;
}

std::string Compress(Compression c, const std::string& data,
                     CompressOptions opts, size_t piece = 100000) {
  std::string out;
  StringWriter sink(&out);
  std::unique_ptr<ByteWriter> w = NewCompressor(c, &sink, opts);
  for (size_t i = 0; i < data.size(); i += piece) {
    EXPECT_TRUE(w->Write(absl::string_view(data).substr(i, piece)).ok());
  }
  EXPECT_TRUE(w->Close().ok());
  return out;
}

absl::StatusOr<std::string> Decompress(
    const std::string& z, std::optional<Compression> codec = std::nullopt) {
  StringReader src(z);
  DecompressingReader r(&src, codec);
  return ReadAll(r);
}

TEST(GzipWriterTest, OneMemberIdenticalForAnyThreadCount) {
  CompressOptions opts;
  opts.chunk_size = 64 * 1024;
  for (size_t size : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536},
                      size_t{65537}, size_t{700000}}) {
    std::string data = Data(size, size);
    std::string reference;
    for (int threads : {0, 1, 3}) {
      opts.threads = threads;
      std::string z = Compress(Compression::kGzip, data, opts, 30000);
      absl::StatusOr<std::string> zlib = ZlibInflate(z, 31);
      ASSERT_TRUE(zlib.ok()) << zlib.status();
      EXPECT_EQ(*zlib, data) << size << " bytes, " << threads;
      if (threads == 0) reference = z;
      EXPECT_EQ(z, reference) << "output must not depend on threads";
      absl::StatusOr<std::string> back = Decompress(z);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(*back, data);
    }
  }
}

// The default level trades a few percent of size for speed: within 10% of
// what zlib's level 6 (gzip's default) makes of the same bytes.
// Random bytes do not compress: every level must still fit its output
// (stored blocks) and round-trip, and one chunk in full must fit too.
TEST(GzipWriterTest, IncompressibleBytesAtEveryLevel) {
  std::mt19937 rng(7);
  std::string data(3 * (1 << 20) + 123, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (int level = 1; level <= kMaxGzipLevel + 1; ++level) {
    CompressOptions opts;
    opts.level = level;
    std::string z = Compress(Compression::kGzip, data, opts, 1 << 20);
    EXPECT_LT(z.size(), data.size() + data.size() / 100) << level;
    absl::StatusOr<std::string> zlib = ZlibInflate(z, 31);
    ASSERT_TRUE(zlib.ok()) << level << ": " << zlib.status();
    EXPECT_EQ(*zlib, data) << level;
  }
}

// Chunks that do not compress are stored as they are, compressible ones
// next to them still compress, and the member stays one valid gzip stream
// whichever kind comes last.
TEST(GzipWriterTest, StoresIncompressibleChunksAndCompressesTheRest) {
  std::mt19937 rng(11);
  auto random = [&](size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(rng());
    return out;
  };
  const size_t chunk = 256 * 1024;
  const std::string text = Data(chunk, 3);
  for (const std::string& data :
       {random(chunk) + text + random(chunk), text + random(chunk),
        random(chunk) + random(100), random(2 * chunk), random(chunk + 1)}) {
    std::string reference;
    for (int threads : {0, 2}) {
      CompressOptions opts;
      opts.chunk_size = chunk;
      opts.threads = threads;
      std::string z = Compress(Compression::kGzip, data, opts, 50000);
      absl::StatusOr<std::string> zlib = ZlibInflate(z, 31);
      ASSERT_TRUE(zlib.ok()) << zlib.status();
      EXPECT_EQ(*zlib, data);
      if (threads == 0) reference = z;
      EXPECT_EQ(z, reference) << "output must not depend on threads";
      // Stored blocks cost 5 bytes per 64 KiB, plus gzip's 18.
      const size_t stored_bound =
          data.size() + (data.size() / 65535 + 4) * 5 + 18;
      EXPECT_LE(z.size(), stored_bound);
    }
  }
  // The text in the middle compressed.
  CompressOptions opts;
  opts.chunk_size = chunk;
  std::string mixed = random(chunk) + text + random(chunk);
  EXPECT_LT(Compress(Compression::kGzip, mixed, opts).size(),
            mixed.size() - chunk / 2);
  // So does a chunk that starts with incompressible bytes and ends in text.
  std::string half = random(chunk / 2) + Data(chunk / 2, 4);
  EXPECT_LT(Compress(Compression::kGzip, half, opts).size(),
            half.size() - chunk / 4);
}

// The input hash a compressor takes for the caller (the layer's diff_id) is
// the sha256 of exactly what was written, for every codec and thread count.
TEST(CompressorTest, InputHashIsTheSha256OfTheInput) {
  const std::string data = Data(3 * 1000 * 1000 + 17, 9);
  Sha256Hasher reference;
  reference.Update(data);
  const Digest expected = reference.Finish();
  for (Compression c :
       {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    for (int threads : {0, 2}) {
      CompressOptions opts;
      opts.threads = threads;
      opts.chunk_size = 256 * 1024;
      std::string out;
      StringWriter sink(&out);
      Sha256Hasher input;
      std::unique_ptr<ByteWriter> w = NewCompressor(c, &sink, opts, &input);
      for (size_t i = 0; i < data.size(); i += 77777) {
        ASSERT_TRUE(w->Write(absl::string_view(data).substr(i, 77777)).ok());
      }
      ASSERT_TRUE(w->Close().ok());
      EXPECT_EQ(input.bytes(), data.size());
      EXPECT_EQ(input.Finish(), expected)
          << CompressionName(c) << " with " << threads << " threads";
      EXPECT_EQ(out, Compress(c, data, opts, 77777))
          << "hashing must not change the output";
    }
  }
}

// A sink that fails after `ok_bytes`.
class FailingSink : public ByteWriter {
 public:
  explicit FailingSink(size_t ok_bytes) : left_(ok_bytes) {}
  absl::Status Write(absl::string_view data) override {
    if (data.size() > left_) return absl::ResourceExhaustedError("disk full");
    left_ -= data.size();
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  size_t left_;
};

TEST(CompressorTest, APlainWritersSinkErrorReachesTheCaller) {
  const std::string data = Data(12 * 1000 * 1000, 3);
  FailingSink sink(3 << 20);
  Sha256Hasher input;
  std::unique_ptr<ByteWriter> w =
      NewCompressor(Compression::kNone, &sink, CompressOptions(), &input);
  absl::Status status;
  for (size_t i = 0; i < data.size() && status.ok(); i += 65536) {
    status = w->Write(absl::string_view(data).substr(i, 65536));
  }
  if (status.ok()) status = w->Close();
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
}

TEST(CompressorTest, APlainWriterDroppedWithoutCloseStops) {
  std::string out;
  StringWriter sink(&out);
  Sha256Hasher input;
  {
    std::unique_ptr<ByteWriter> w =
        NewCompressor(Compression::kNone, &sink, CompressOptions(), &input);
    ASSERT_TRUE(w->Write(Data(5 * 1000 * 1000, 4)).ok());
  }  // must not hang or crash
  EXPECT_LE(out.size(), 5u * 1000 * 1000);
}

TEST(GzipWriterTest, CompressesTextNearlyAsWellAsGzip6) {
  std::string data = Data(2000000, 5);
  std::string z = Compress(Compression::kGzip, data, CompressOptions());
  uLongf zlib_size = compressBound(data.size());
  std::string zlib(zlib_size, '\0');
  ASSERT_EQ(
      compress2(reinterpret_cast<Bytef*>(zlib.data()), &zlib_size,
                reinterpret_cast<const Bytef*>(data.data()), data.size(), 6),
      Z_OK);
  EXPECT_LT(z.size(), data.size() / 2);
  EXPECT_LT(static_cast<double>(z.size()), 1.10 * zlib_size)
      << z.size() << " bytes against zlib -6's " << zlib_size;
  EXPECT_EQ(DetectCompression(z), Compression::kGzip);
}

TEST(ZstdWriterTest, RoundTripsIndependentOfThreads) {
  std::string data = Data(3000000, 6);
  CompressOptions opts;
  opts.level = 3;
  opts.threads = 1;
  std::string one = Compress(Compression::kZstd, data, opts);
  opts.threads = 2;
  std::string two = Compress(Compression::kZstd, data, opts);
  EXPECT_EQ(one, two);
  EXPECT_EQ(DetectCompression(one), Compression::kZstd);
  absl::StatusOr<std::string> back = Decompress(one);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, data);
}

TEST(DecompressorTest, ReadsConcatenatedGzipMembersAndZstdFrames) {
  std::string a = Data(200000, 1), b = Data(5000, 2);
  CompressOptions opts;
  std::string gz = Compress(Compression::kGzip, a, opts) +
                   Compress(Compression::kGzip, b, opts);
  EXPECT_EQ(*Decompress(gz), a + b);
  opts.level = 3;
  std::string zs = Compress(Compression::kZstd, a, opts) +
                   Compress(Compression::kZstd, b, opts);
  EXPECT_EQ(*Decompress(zs), a + b);
  EXPECT_EQ(*Decompress("plain tar bytes"), "plain tar bytes");
}

TEST(DecompressorTest, CorruptionIsDataLoss) {
  std::string data = Data(300000, 3);
  std::string gz = Compress(Compression::kGzip, data, CompressOptions());
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 1;
  absl::StatusOr<std::string> r = Decompress(bad_crc);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("CRC"));

  r = Decompress(gz.substr(0, gz.size() - 100));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("truncated"));

  r = Decompress(gz + "garbage!");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);

  CompressOptions zopts;
  zopts.level = 3;
  std::string zs = Compress(Compression::kZstd, data, zopts);
  r = Decompress(zs.substr(0, zs.size() - 10));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("zstd"));
  std::string flipped = zs;
  flipped[zs.size() / 2] ^= 0x55;
  r = Decompress(flipped);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);

  r = Decompress("", Compression::kGzip);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

TEST(DecompressorTest, PushWriterMatchesPullReader) {
  std::string data = Data(400000, 4);
  std::string gz = Compress(Compression::kGzip, data, CompressOptions());
  std::string out;
  StringWriter sink(&out);
  DigestingWriter hashed(&sink);
  DecompressingWriter w(Compression::kGzip, &hashed);
  for (size_t i = 0; i < gz.size(); i += 777) {
    ASSERT_TRUE(w.Write(absl::string_view(gz).substr(i, 777)).ok());
  }
  ASSERT_TRUE(w.Close().ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(hashed.Finish(), Digest::Of(data));

  out.clear();
  DecompressingWriter cut(Compression::kGzip, &sink);
  ASSERT_TRUE(cut.Write(gz.substr(0, gz.size() / 2)).ok());
  absl::Status s = cut.Close();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
}

}  // namespace
}  // namespace farm::image::compress

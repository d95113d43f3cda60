#include "image/compress/deflate_walker.h"

#include <libdeflate.h>

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/compress/zlib_inflate_testing.h"

namespace farm::image::compress {
namespace {

std::string Text(size_t n, uint32_t seed) {
  static const char* kWords[] = {
      "layer",       "digest", "int", "return", "{", "}", "static", "const",
      "std::string", "\n",     "for", "(",      ")", ";", "0x1f",   "farm"};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    s += kWords[rng() % 16];
    s += (rng() % 4 == 0) ? "\n" : " ";
  }
  s.resize(n);
  return s;
}

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Deflate(const std::string& in, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  std::string out(libdeflate_deflate_compress_bound(c, in.size()), '\0');
  out.resize(libdeflate_deflate_compress(c, in.data(), in.size(), out.data(),
                                         out.size()));
  libdeflate_free_compressor(c);
  return out;
}

TEST(DeflateWalkerTest, FindsTheEndOfLibdeflateStreams) {
  for (int level : {1, 4, 6, 9, 12}) {
    for (const std::string& data :
         {std::string(), Text(700000, level), Random(300000, level),
          std::string(2000000, 'z'), Text(100, 1) + Random(100, 2)}) {
      std::string z = Deflate(data, level);
      absl::StatusOr<FinalBlock> f = FindFinalBlock(z);
      ASSERT_TRUE(f.ok()) << f.status();
      EXPECT_EQ((f->end_bit + 7) / 8, z.size()) << "level " << level;
      EXPECT_LT(f->header_bit, f->end_bit);
      EXPECT_EQ((z[f->header_bit / 8] >> (f->header_bit % 8)) & 1, 1)
          << "BFINAL is set where the walker says";
    }
  }
}

TEST(DeflateWalkerTest, ClearingBfinalJoinsStreams) {
  std::string a = Text(500000, 7), b = Random(70000, 8), c = Text(9000, 9);
  std::string joined;
  for (const std::string* part : {&a, &b}) {
    std::string z = Deflate(*part, 6);
    FinalBlock f = *FindFinalBlock(z);
    z[f.header_bit / 8] &= static_cast<char>(~(1u << (f.header_bit % 8)));
    z.resize((f.end_bit + 7) / 8);
    int used = f.end_bit % 8;
    if (used == 0 || used > 5) z.push_back('\0');
    z.append("\0\0\xff\xff", 4);
    joined += z;
  }
  joined += Deflate(c, 6);
  EXPECT_EQ(*ZlibInflate(joined, -15), a + b + c);
}

TEST(DeflateWalkerTest, RejectsMalformedStreams) {
  absl::StatusOr<FinalBlock> f = FindFinalBlock(std::string("\x07", 1));
  EXPECT_EQ(f.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(f.status().message(), ::testing::HasSubstr("reserved block"));

  std::string z = Deflate(Text(100000, 3), 6);
  f = FindFinalBlock(z.substr(0, z.size() / 2));
  EXPECT_EQ(f.status().code(), absl::StatusCode::kDataLoss);

  f = FindFinalBlock("");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(f.status().message(), ::testing::HasSubstr("before the final"));

  // A stored block whose NLEN is not the complement of LEN.
  f = FindFinalBlock(std::string("\x01\x05\x00\x00\x00", 5));
  EXPECT_EQ(f.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(f.status().message(), ::testing::HasSubstr("stored length"));
}

}  // namespace
}  // namespace farm::image::compress

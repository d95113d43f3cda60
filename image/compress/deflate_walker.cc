#include "image/compress/deflate_walker.h"

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace farm::image::compress {
namespace {

constexpr int kMaxBits = 15;
constexpr int kFastBits = 12;

// LSB-first bit reader with a 64-bit buffer; reads past the end yield zeros
// and are reported by overrun().
class BitReader {
 public:
  explicit BitReader(absl::string_view data)
      : data_(reinterpret_cast<const uint8_t*>(data.data())),
        size_(data.size()) {}

  // Makes at least 32 bits available.
  void Refill() {
    if (count_ >= 32) return;
    if (next_ + 8 <= size_) {
      uint64_t word;
      memcpy(&word, data_ + next_, 8);
      buf_ |= word << count_;
      int take = (63 - count_) >> 3;
      next_ += take;
      count_ += take * 8;
      return;
    }
    while (count_ <= 56) {
      uint64_t byte = next_ < size_ ? data_[next_] : 0;
      ++next_;
      buf_ |= byte << count_;
      count_ += 8;
    }
  }
  uint32_t Peek(int count) {
    Refill();
    return static_cast<uint32_t>(buf_ & ((uint64_t{1} << count) - 1));
  }
  void Skip(int count) {
    if (count > count_) Refill();
    buf_ >>= count;
    count_ -= count;
  }
  uint32_t Bits(int count) {
    uint32_t v = Peek(count);
    Skip(count);
    return v;
  }
  uint64_t pos() const { return uint64_t{next_} * 8 - count_; }
  void AlignToByte() { Skip(count_ & 7); }
  void SkipBytes(uint64_t n) {
    // Drop buffered whole bytes first, then move the cursor.
    while (n > 0 && count_ >= 8) {
      Skip(8);
      --n;
    }
    if (n > 0) {
      // The buffer is empty; what it held beyond count_ no longer follows.
      buf_ = 0;
      next_ += n;
    }
  }
  bool overrun() const { return pos() > uint64_t{size_} * 8; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t next_ = 0;  // next byte to load
  uint64_t buf_ = 0;
  int count_ = 0;  // valid bits in buf_
};

// A canonical Huffman decoder: a 12-bit lookup table for short codes and
// zlib "puff"-style counting for the rest.
class Huffman {
 public:
  // False if the lengths over-subscribe the code space.
  bool Build(const uint8_t* lengths, int n) {
    memset(count_, 0, sizeof(count_));
    memset(fast_, 0, sizeof(fast_));
    for (int i = 0; i < n; ++i) ++count_[lengths[i]];
    count_[0] = 0;
    int left = 1;
    for (int len = 1; len <= kMaxBits; ++len) {
      left = (left << 1) - count_[len];
      if (left < 0) return false;
    }
    int offs[kMaxBits + 2];
    offs[1] = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
      offs[len + 1] = offs[len] + count_[len];
    }
    for (int i = 0; i < n; ++i) {
      if (lengths[i] != 0)
        symbol_[offs[lengths[i]]++] = static_cast<int16_t>(i);
    }
    // Fill the fast table from canonical codes.
    int code = 0, index = 0;
    for (int len = 1; len <= kFastBits; ++len) {
      for (int k = 0; k < count_[len]; ++k, ++code, ++index) {
        int rev = 0;
        for (int b = 0; b < len; ++b) rev |= ((code >> b) & 1) << (len - 1 - b);
        uint16_t entry = static_cast<uint16_t>(symbol_[index] | (len << 9));
        for (int fill = rev; fill < (1 << kFastBits); fill += 1 << len) {
          fast_[fill] = entry;
        }
      }
      code <<= 1;
    }
    return true;
  }

  // Returns the next symbol, or -1 for a code not in the table.
  int Decode(BitReader& in) const {
    uint32_t bits = in.Peek(kMaxBits);
    uint16_t e = fast_[bits & ((1 << kFastBits) - 1)];
    if (e != 0) {
      in.Skip(e >> 9);
      return e & 0x1ff;
    }
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
      code |= (bits >> (len - 1)) & 1;
      int count = count_[len];
      if (code - count < first) {
        in.Skip(len);
        return symbol_[index + (code - first)];
      }
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    return -1;
  }

 private:
  int16_t count_[kMaxBits + 1];
  int16_t symbol_[288];
  uint16_t fast_[1 << kFastBits];  // symbol | length << 9; 0 = slow path
};

constexpr uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                                      1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                                      4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint8_t kDistExtra[30] = {0, 0, 0,  0,  1,  1,  2,  2,  3,  3,
                                    4, 4, 5,  5,  6,  6,  7,  7,  8,  8,
                                    9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

absl::Status Bad(absl::string_view what, const BitReader& in) {
  return absl::DataLossError(
      absl::StrCat("deflate: ", what, " at bit ", in.pos()));
}

absl::Status SkipCodes(BitReader& in, const Huffman& litlen,
                       const Huffman& dist) {
  while (true) {
    int sym = litlen.Decode(in);
    if (sym < 0 || in.overrun()) return Bad("invalid literal/length code", in);
    if (sym < 256) continue;
    if (sym == 256) return absl::OkStatus();
    sym -= 257;
    if (sym >= 29) return Bad("invalid length symbol", in);
    in.Skip(kLengthExtra[sym]);
    int d = dist.Decode(in);
    if (d < 0 || d >= 30) return Bad("invalid distance code", in);
    in.Skip(kDistExtra[d]);
  }
}

absl::Status ReadDynamicTables(BitReader& in, Huffman* litlen, Huffman* dist) {
  static constexpr uint8_t kOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                         11, 4,  12, 3, 13, 2, 14, 1, 15};
  int nlen = in.Bits(5) + 257;
  int ndist = in.Bits(5) + 1;
  int ncode = in.Bits(4) + 4;
  if (nlen > 286 || ndist > 30) return Bad("bad table counts", in);
  uint8_t lengths[320] = {};
  for (int i = 0; i < ncode; ++i) lengths[kOrder[i]] = in.Bits(3);
  Huffman lencode;
  if (!lencode.Build(lengths, 19)) return Bad("bad code-length code", in);
  memset(lengths, 0, sizeof(lengths));
  int index = 0;
  while (index < nlen + ndist) {
    int sym = lencode.Decode(in);
    if (sym < 0 || in.overrun()) return Bad("bad code length", in);
    if (sym < 16) {
      lengths[index++] = sym;
      continue;
    }
    int len = 0, repeat;
    if (sym == 16) {
      if (index == 0) return Bad("repeat with no previous length", in);
      len = lengths[index - 1];
      repeat = 3 + in.Bits(2);
    } else if (sym == 17) {
      repeat = 3 + in.Bits(3);
    } else {
      repeat = 11 + in.Bits(7);
    }
    if (index + repeat > nlen + ndist) return Bad("too many lengths", in);
    while (repeat-- > 0) lengths[index++] = len;
  }
  if (lengths[256] == 0) return Bad("no end-of-block code", in);
  if (!litlen->Build(lengths, nlen)) return Bad("bad literal/length code", in);
  if (!dist->Build(lengths + nlen, ndist)) return Bad("bad distance code", in);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FinalBlock> FindFinalBlock(absl::string_view stream) {
  static const Huffman* fixed_litlen = [] {
    uint8_t l[288];
    for (int i = 0; i < 144; ++i) l[i] = 8;
    for (int i = 144; i < 256; ++i) l[i] = 9;
    for (int i = 256; i < 280; ++i) l[i] = 7;
    for (int i = 280; i < 288; ++i) l[i] = 8;
    auto* h = new Huffman;
    h->Build(l, 288);
    return h;
  }();
  static const Huffman* fixed_dist = [] {
    uint8_t l[30];
    for (int i = 0; i < 30; ++i) l[i] = 5;
    auto* h = new Huffman;
    h->Build(l, 30);
    return h;
  }();

  BitReader in(stream);
  auto litlen = std::make_unique<Huffman>();
  auto dist = std::make_unique<Huffman>();
  while (true) {
    uint64_t header = in.pos();
    bool final = in.Bits(1) != 0;
    int type = in.Bits(2);
    if (in.overrun()) return Bad("stream ends before the final block", in);
    if (type == 0) {
      in.AlignToByte();
      uint32_t len = in.Bits(16);
      uint32_t nlen = in.Bits(16);
      if ((len ^ 0xffff) != nlen) return Bad("stored length mismatch", in);
      in.SkipBytes(len);
    } else if (type == 1) {
      absl::Status s = SkipCodes(in, *fixed_litlen, *fixed_dist);
      if (!s.ok()) return s;
    } else if (type == 2) {
      absl::Status s = ReadDynamicTables(in, litlen.get(), dist.get());
      if (s.ok()) s = SkipCodes(in, *litlen, *dist);
      if (!s.ok()) return s;
    } else {
      return Bad("reserved block type", in);
    }
    if (in.overrun()) return Bad("stream is truncated", in);
    if (final) return FinalBlock{header, in.pos()};
  }
}

}  // namespace farm::image::compress

#include "dockerfile/json_array.h"

#include "absl/strings/ascii.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

constexpr int kMaxDepth = 10000;  // encoding/json's nesting limit.

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Reader {
 public:
  explicit Reader(absl::string_view s) : s_(s) {}

  void SkipSpace() {
    while (pos_ < s_.size() && IsJsonSpace(s_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  void Advance() { ++pos_; }

  // Reads a string starting at '"'; decodes into *out when out != nullptr.
  bool String(std::string* out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) return false;
        char e = s_[pos_ + 1];
        pos_ += 2;
        // Single-character escapes: \" \\ \/ \b \f \n \r \t.
        static constexpr absl::string_view kFrom = "\"\\/bfnrt";
        static constexpr absl::string_view kTo = "\"\\/\b\f\n\r\t";
        size_t simple = kFrom.find(e);
        if (simple != absl::string_view::npos) {
          if (out) out->push_back(kTo[simple]);
          continue;
        }
        switch (e) {
          case 'u': {
            int r = Hex4();
            if (r < 0) return false;
            uint32_t rune = static_cast<uint32_t>(r);
            if (rune >= 0xD800 && rune < 0xDC00) {
              // A high surrogate pairs with a following \uDC00-\uDFFF.
              if (s_.substr(pos_, 2) == "\\u") {
                size_t save = pos_;
                pos_ += 2;
                int low = Hex4();
                if (low < 0) return false;
                if (low >= 0xDC00 && low < 0xE000) {
                  rune = 0x10000 + ((rune - 0xD800) << 10) +
                         (static_cast<uint32_t>(low) - 0xDC00);
                } else {
                  rune = 0xFFFD;
                  pos_ = save;  // the second escape stands on its own
                }
              } else {
                rune = 0xFFFD;
              }
            } else if (rune >= 0xDC00 && rune < 0xE000) {
              rune = 0xFFFD;
            }
            if (out) AppendRune(rune, out);
            break;
          }
          default:
            return false;
        }
        continue;
      }
      int width;
      uint32_t rune = DecodeRune(s_.substr(pos_), &width);
      if (out) {
        if (rune == 0xFFFD && width == 1) {
          AppendRune(0xFFFD, out);
        } else {
          out->append(s_.data() + pos_, width);
        }
      }
      pos_ += width;
    }
    return false;
  }

  bool Number() {
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && absl::ascii_isdigit(s_[pos_])) ++pos_;
    } else {
      return false;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (pos_ >= s_.size() || !absl::ascii_isdigit(s_[pos_])) return false;
      while (pos_ < s_.size() && absl::ascii_isdigit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !absl::ascii_isdigit(s_[pos_])) return false;
      while (pos_ < s_.size() && absl::ascii_isdigit(s_[pos_])) ++pos_;
    }
    return true;
  }

  bool Literal(absl::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

 private:
  int Hex4() {
    if (pos_ + 4 > s_.size()) return -1;
    int v = 0;
    for (int k = 0; k < 4; ++k) {
      int h = HexValue(s_[pos_ + k]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    pos_ += 4;
    return v;
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

JsonArrayResult ParseJsonStringArray(absl::string_view text,
                                     std::vector<std::string>* out) {
  out->clear();
  text = TrimLeftGoSpace(text);
  if (text.empty() || text[0] != '[') return JsonArrayResult::kNotJson;
  Reader r(text);
  // Containers still open: '[' or '{'. An object expects keys at even steps.
  std::vector<char> stack;
  std::vector<bool> expect_key;
  bool all_strings = true;
  bool expect_value = true;  // a value is due (not a ',' or closer)
  bool first_in_container = false;
  while (true) {
    r.SkipSpace();
    if (expect_value) {
      if (r.AtEnd()) return JsonArrayResult::kNotJson;
      char c = r.Peek();
      bool top_level_item = stack.size() == 1 && stack[0] == '[';
      if (first_in_container && ((c == ']' && stack.back() == '[') ||
                                 (c == '}' && stack.back() == '{'))) {
        // Empty container: fall through to the closer handling below.
        expect_key.back() = false;
        expect_value = false;
        first_in_container = false;
        continue;
      }
      first_in_container = false;
      if (!stack.empty() && stack.back() == '{' && expect_key.back()) {
        if (c != '"' || !r.String(nullptr)) return JsonArrayResult::kNotJson;
        r.SkipSpace();
        if (r.AtEnd() || r.Peek() != ':') return JsonArrayResult::kNotJson;
        r.Advance();
        expect_key.back() = false;
        continue;
      }
      if (c == '[' || c == '{') {
        if (static_cast<int>(stack.size()) >= kMaxDepth) {
          return JsonArrayResult::kNotJson;
        }
        if (top_level_item) all_strings = false;
        r.Advance();
        stack.push_back(c);
        expect_key.push_back(c == '{');
        first_in_container = true;
        continue;
      }
      bool ok;
      if (c == '"') {
        std::string value;
        ok = r.String(top_level_item ? &value : nullptr);
        if (ok && top_level_item) out->push_back(std::move(value));
      } else {
        if (top_level_item) all_strings = false;
        if (c == 't') {
          ok = r.Literal("true");
        } else if (c == 'f') {
          ok = r.Literal("false");
        } else if (c == 'n') {
          ok = r.Literal("null");
        } else {
          ok = r.Number();
        }
      }
      if (!ok) return JsonArrayResult::kNotJson;
      expect_value = false;
      continue;
    }
    // After a value: ',' or the closer of the innermost container.
    if (stack.empty()) {
      if (!r.AtEnd()) return JsonArrayResult::kNotJson;
      break;
    }
    if (r.AtEnd()) return JsonArrayResult::kNotJson;
    char c = r.Peek();
    r.Advance();
    if (c == ',') {
      expect_value = true;
      if (stack.back() == '{') expect_key.back() = true;
      continue;
    }
    if ((c == ']' && stack.back() == '[') ||
        (c == '}' && stack.back() == '{' && !expect_key.back())) {
      stack.pop_back();
      expect_key.pop_back();
      continue;
    }
    return JsonArrayResult::kNotJson;
  }
  if (!all_strings) {
    out->clear();
    return JsonArrayResult::kNotStrings;
  }
  return JsonArrayResult::kStrings;
}

std::string FormatJsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += QuoteString(items[i]);
  }
  out.push_back(']');
  return out;
}

}  // namespace farm::dockerfile

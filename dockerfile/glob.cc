#include "dockerfile/glob.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

constexpr uint32_t kRuneError = 0xFFFD;

// Keeps in `*slot` the smaller or larger of two start labels; -1 is "none".
void Merge(int64_t label, bool keep_latest, int64_t* slot) {
  if (label < 0) return;
  if (*slot < 0 || (keep_latest ? label > *slot : label < *slot)) {
    *slot = label;
  }
}

bool ByteIsNot(absl::string_view s, size_t i, int stop) {
  return stop == kNoStop || static_cast<unsigned char>(s[i]) != stop;
}

// One class member, possibly escaped, at pattern[*pos] (Go's getEsc).
absl::StatusOr<uint32_t> ClassChar(absl::string_view pattern, size_t* pos) {
  size_t i = *pos;
  if (i >= pattern.size() || pattern[i] == '-' || pattern[i] == ']') {
    return absl::InvalidArgumentError("malformed character class");
  }
  if (pattern[i] == '\\') {
    ++i;
    if (i >= pattern.size()) {
      return absl::InvalidArgumentError("dangling '\\' in character class");
    }
  }
  int width;
  const uint32_t code = DecodeRune(pattern.substr(i), &width);
  if (code == kRuneError && width == 1) {
    return absl::InvalidArgumentError("invalid UTF-8 in character class");
  }
  i += width;
  if (i >= pattern.size()) {
    return absl::InvalidArgumentError("unterminated character class");
  }
  *pos = i;
  return code;
}

}  // namespace

bool CharClass::Contains(uint32_t c) const {
  bool in = false;
  for (const auto& [lo, hi] : ranges) {
    if (lo <= c && c <= hi) {
      in = true;
      break;
    }
  }
  return in != negated;
}

absl::StatusOr<size_t> ParseCharClass(absl::string_view pattern, size_t pos,
                                      bool bang_negates, CharClass* out) {
  *out = CharClass();
  size_t i = pos + 1;
  if (i < pattern.size() &&
      (pattern[i] == '^' || (bang_negates && pattern[i] == '!'))) {
    out->negated = true;
    ++i;
  }
  while (true) {
    if (i < pattern.size() && pattern[i] == ']' && !out->ranges.empty()) {
      return i + 1;
    }
    absl::StatusOr<uint32_t> lo = ClassChar(pattern, &i);
    if (!lo.ok()) return lo.status();
    uint32_t hi = *lo;
    if (pattern[i] == '-') {
      ++i;
      absl::StatusOr<uint32_t> end = ClassChar(pattern, &i);
      if (!end.ok()) return end.status();
      hi = *end;
      if (hi < *lo) {
        return absl::InvalidArgumentError("reversed range in character class");
      }
    }
    out->ranges.emplace_back(*lo, hi);
  }
}

void Glob::AddLiteral(absl::string_view bytes) {
  if (bytes.empty()) return;
  if (!tokens_.empty() && tokens_.back().kind == Kind::kLiteral) {
    absl::StrAppend(&tokens_.back().literal, bytes);
    return;
  }
  tokens_.push_back(Token{Kind::kLiteral, std::string(bytes)});
}

void Glob::AddStar(int stop) {
  tokens_.push_back(Token{Kind::kStar, "", stop});
}

void Glob::AddOne(int stop) { tokens_.push_back(Token{Kind::kOne, "", stop}); }

void Glob::AddClass(CharClass cls) {
  tokens_.push_back(Token{Kind::kClass, "", kNoStop, std::move(cls)});
}

void Glob::AddDirs(int stop) {
  tokens_.push_back(Token{Kind::kDirs, "", stop});
}

void Glob::Step(const Token& token, absl::string_view s,
                const std::vector<int64_t>& cur, bool keep_latest,
                std::vector<int64_t>* next) {
  const size_t n = s.size();
  std::vector<int64_t>& out = *next;
  out.assign(n + 1, -1);
  switch (token.kind) {
    case Kind::kLiteral: {
      const size_t len = token.literal.size();
      for (size_t p = 0; p + len <= n; ++p) {
        if (cur[p] >= 0 && s.compare(p, len, token.literal) == 0) {
          Merge(cur[p], keep_latest, &out[p + len]);
        }
      }
      break;
    }
    case Kind::kStar:
      for (size_t p = 0; p <= n; ++p) {
        out[p] = cur[p];
        if (p > 0 && ByteIsNot(s, p - 1, token.stop)) {
          Merge(out[p - 1], keep_latest, &out[p]);
        }
      }
      break;
    case Kind::kOne:
    case Kind::kClass:
      for (size_t p = 0; p < n; ++p) {
        if (cur[p] < 0) continue;
        int width;
        const uint32_t code = DecodeRune(s.substr(p), &width);
        const bool ok = token.kind == Kind::kOne
                            ? static_cast<int64_t>(code) != token.stop
                            : token.cls.Contains(code);
        if (ok) Merge(cur[p], keep_latest, &out[p + width]);
      }
      break;
    case Kind::kDirs: {
      // run: the best start reaching p through a run of non-stop bytes.
      int64_t run = -1;
      for (size_t p = 0; p <= n; ++p) {
        const int64_t prev_run = run;
        run = cur[p];
        out[p] = cur[p];
        if (p == 0) continue;
        if (ByteIsNot(s, p - 1, token.stop)) Merge(prev_run, keep_latest, &run);
        if (s[p - 1] == '/') Merge(prev_run, keep_latest, &out[p]);
      }
      break;
    }
  }
}

std::vector<int64_t> Glob::Spans(absl::string_view s, size_t from,
                                 Starts starts) const {
  const size_t n = s.size();
  std::vector<int64_t> cur(n + 1, -1);
  if (from > n) return cur;
  if (starts == Starts::kAnchored) {
    cur[from] = static_cast<int64_t>(from);
  } else {
    // Matches start on character boundaries, as in Go.
    for (size_t p = from; p <= n;) {
      cur[p] = static_cast<int64_t>(p);
      int width = 1;
      if (p < n) DecodeRune(s.substr(p), &width);
      p += width;
    }
  }
  const bool keep_latest = starts == Starts::kLatest;
  std::vector<int64_t> next;
  for (const Token& token : tokens_) {
    Step(token, s, cur, keep_latest, &next);
    cur.swap(next);
    if (std::all_of(cur.begin(), cur.end(), [](int64_t v) { return v < 0; })) {
      break;
    }
  }
  return cur;
}

bool Glob::FullMatch(absl::string_view s) const {
  return Spans(s, 0, Starts::kAnchored)[s.size()] >= 0;
}

bool Glob::CouldMatchLonger(absl::string_view prefix) const {
  const size_t n = prefix.size();
  std::vector<int64_t> cur(n + 1, -1);
  cur[0] = 0;
  std::vector<int64_t> next;
  for (const Token& token : tokens_) {
    // The prefix is used up and this token can still consume more.
    if (cur[n] >= 0) return true;
    // The prefix ends inside this token.
    if (token.kind == Kind::kLiteral) {
      for (size_t p = 0; p < n; ++p) {
        if (cur[p] >= 0 && n - p < token.literal.size() &&
            absl::StartsWith(token.literal, prefix.substr(p))) {
          return true;
        }
      }
    } else if (token.kind == Kind::kStar || token.kind == Kind::kDirs) {
      // Open when started after the last byte the run may not cross.
      size_t first_open = 0;
      for (size_t i = n; i > 0; --i) {
        if (!ByteIsNot(prefix, i - 1, token.stop)) {
          first_open = i;
          break;
        }
      }
      for (size_t p = first_open; p <= n; ++p) {
        if (cur[p] >= 0) return true;
      }
    }
    Step(token, prefix, cur, /*keep_latest=*/false, &next);
    cur.swap(next);
  }
  return false;
}

}  // namespace farm::dockerfile

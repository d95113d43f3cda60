#include "client/context/stat_cache.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::client::context {

namespace {

// The file is text: a header line, one line per entry
// ("dev ino size mtime ctime hex"), and a trailer with the entry count and
// the sha256 of everything before it, so a damaged file is detected and
// ignored rather than trusted.
constexpr absl::string_view kHeader = "farm-stat-cache 1\n";
constexpr absl::string_view kTrailer = "end ";

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Splits off the text up to the next space.
absl::string_view NextField(absl::string_view* line) {
  size_t space = line->find(' ');
  absl::string_view field = line->substr(0, space);
  line->remove_prefix(space == absl::string_view::npos ? line->size()
                                                       : space + 1);
  return field;
}

// By hand rather than with StrSplit and Digest::Parse: a context of 20,000
// files has as many lines, and this runs before every build.
bool ParseLine(absl::string_view line, FileIdentity* id, Digest* digest) {
  if (!absl::SimpleAtoi(NextField(&line), &id->dev) ||
      !absl::SimpleAtoi(NextField(&line), &id->ino) ||
      !absl::SimpleAtoi(NextField(&line), &id->size) ||
      !absl::SimpleAtoi(NextField(&line), &id->mtime_nanos) ||
      !absl::SimpleAtoi(NextField(&line), &id->ctime_nanos)) {
    return false;
  }
  absl::StatusOr<Digest> parsed = Digest::ParseHex(line);
  if (!parsed.ok()) return false;
  *digest = *parsed;
  return true;
}

// Parses the whole file into `out`; false if anything is off.
template <typename Entry>
bool ParseCacheFile(absl::string_view text,
                    absl::flat_hash_map<FileIdentity, Entry>* out) {
  if (!absl::ConsumePrefix(&text, kHeader)) return false;
  size_t trailer_at = text.rfind(kTrailer);
  if (trailer_at == absl::string_view::npos ||
      (trailer_at != 0 && text[trailer_at - 1] != '\n')) {
    return false;
  }
  absl::string_view body = text.substr(0, trailer_at);
  absl::string_view trailer = text.substr(trailer_at + kTrailer.size());
  std::vector<absl::string_view> t = absl::StrSplit(trailer, ' ');
  size_t count = 0;
  if (t.size() != 2 || !absl::SimpleAtoi(t[0], &count) ||
      t[1] != absl::StrCat(Digest::Of(body).hex(), "\n")) {
    return false;
  }
  out->reserve(std::min(count, body.size() / 70));  // lines are longer
  while (!body.empty()) {
    size_t newline = body.find('\n');
    absl::string_view line = body.substr(0, newline);
    body.remove_prefix(newline == absl::string_view::npos ? body.size()
                                                          : newline + 1);
    if (line.empty()) continue;
    FileIdentity id;
    Entry entry;
    if (!ParseLine(line, &id, &entry.digest)) return false;
    (*out)[id] = entry;
  }
  return out->size() == count;
}

}  // namespace

FileIdentity FileIdentity::FromStat(const struct stat& st) {
  FileIdentity id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime_nanos = Nanos(st.st_mtim);
  id.ctime_nanos = Nanos(st.st_ctim);
  return id;
}

void StatCache::Load() {
  absl::StatusOr<std::string> text = ReadFile(path_);
  absl::MutexLock lock(&mu_);
  entries_.clear();
  used_count_ = 0;
  dirty_ = false;
  if (!text.ok()) return;
  if (!ParseCacheFile(*text, &entries_)) {
    FARM_LOG(DEBUG) << "ignoring the damaged stat cache " << path_;
    entries_.clear();
    dirty_ = true;  // rewrite it cleanly
  }
}

absl::Status StatCache::Save() {
  std::string body;
  size_t count = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!dirty_ && used_count_ == entries_.size()) return absl::OkStatus();
    body.reserve(used_count_ * 140);
    for (const auto& [id, entry] : entries_) {
      if (!entry.used) continue;
      absl::StrAppend(&body, id.dev, " ", id.ino, " ", id.size, " ",
                      id.mtime_nanos, " ", id.ctime_nanos, " ",
                      entry.digest.hex(), "\n");
    }
    count = used_count_;
  }
  std::string text = absl::StrCat(kHeader, body, kTrailer, count, " ",
                                  Digest::Of(body).hex(), "\n");
  if (absl::Status s = MakeDirs(DirName(path_)); !s.ok()) {
    return Annotate(s, "saving the stat cache");
  }
  if (absl::Status s = WriteFileAtomic(path_, text, 0600); !s.ok()) {
    return Annotate(s, "saving the stat cache");
  }
  absl::MutexLock lock(&mu_);
  absl::erase_if(entries_, [](const auto& kv) { return !kv.second.used; });
  used_count_ = entries_.size();
  dirty_ = false;
  return absl::OkStatus();
}

bool StatCache::Lookup(const FileIdentity& id, std::string* digest) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  Entry& entry = it->second;
  if (!entry.used) {
    entry.used = true;
    ++used_count_;
  }
  *digest = entry.digest.ToString();
  return true;
}

void StatCache::Insert(const FileIdentity& id, const Digest& digest) {
  Entry fresh{digest, true};
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(id, fresh);
  if (inserted || !it->second.used) ++used_count_;
  it->second = fresh;
  dirty_ = true;
}

size_t StatCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

std::string DefaultStatCachePath(const std::string& absolute_context_dir) {
  std::string base;
  if (const char* xdg = getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg) {
    base = JoinPath(xdg, "farm");
  } else if (const char* home = getenv("HOME"); home != nullptr && *home) {
    base = JoinPath(home, ".cache/farm");
  } else {
    return "";
  }
  return JoinPath(JoinPath(base, "context"),
                  Digest::Of(absolute_context_dir).hex() + ".stat");
}

}  // namespace farm::client::context

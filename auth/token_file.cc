#include "auth/token_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::auth {
namespace {

int64_t Nanoseconds(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

bool TokenFile::Version::operator==(const Version& other) const {
  return inode == other.inode && size == other.size &&
         mtime_ns == other.mtime_ns && ctime_ns == other.ctime_ns;
}

absl::StatusOr<TokenFile::Version> TokenFile::StatFile(
    const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("reading the token file ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token file ", path, " is not a regular file"));
  }
  return Version{st.st_ino, st.st_size, Nanoseconds(st.st_mtim),
                 Nanoseconds(st.st_ctim)};
}

absl::StatusOr<TokenTable> TokenFile::Load(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return TokenTable::Parse(text, path);
}

absl::StatusOr<std::unique_ptr<TokenFile>> TokenFile::Open(
    std::string path, Clock* clock, absl::Duration check_interval) {
  ASSIGN_OR_RETURN(Version version, StatFile(path));
  ASSIGN_OR_RETURN(TokenTable table, Load(path));
  return std::unique_ptr<TokenFile>(new TokenFile(
      std::move(path), clock, check_interval, version, std::move(table)));
}

TokenFile::TokenFile(std::string path, Clock* clock,
                     absl::Duration check_interval, Version version,
                     TokenTable table)
    : path_(std::move(path)),
      clock_(clock),
      check_interval_(check_interval),
      next_check_(clock->Now() + check_interval),
      seen_(version),
      table_(std::make_shared<const TokenTable>(std::move(table))) {}

std::shared_ptr<const TokenTable> TokenFile::Current() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  if (now < next_check_) return table_;
  next_check_ = now + check_interval_;

  absl::StatusOr<Version> version = StatFile(path_);
  if (!version.ok()) {
    if (seen_.has_value()) {
      FARM_LOG(WARNING) << version.status().message()
                        << "; still using the tokens last read from it";
    }
    seen_.reset();
    return table_;
  }
  if (seen_.has_value() && *seen_ == *version) return table_;
  seen_ = *version;
  absl::StatusOr<TokenTable> table = Load(path_);
  if (!table.ok()) {
    FARM_LOG(WARNING) << "the token file " << path_
                      << " changed and is now unusable ("
                      << table.status().message()
                      << "); still using the tokens last read from it";
    return table_;
  }
  table_ = std::make_shared<const TokenTable>(*std::move(table));
  FARM_LOG(INFO) << "read " << table_->size() << " tokens from " << path_;
  return table_;
}

std::optional<Identity> TokenFile::Find(absl::string_view token) {
  return Current()->Find(token);
}

}  // namespace farm::auth

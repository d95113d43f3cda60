#include "common/logging.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace farm {
namespace {

LogLevel LevelFromEnv() {
  const char* env = getenv("FARM_LOG_LEVEL");
  if (env == nullptr) return LogLevel::kInfo;
  if (strcmp(env, "debug") == 0) return LogLevel::kDebug;
  if (strcmp(env, "warning") == 0) return LogLevel::kWarning;
  if (strcmp(env, "error") == 0) return LogLevel::kError;
  return LogLevel::kInfo;
}

std::atomic<int>& Level() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnv())};
  return level;
}

const char* LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "D";
    case LogLevel::kInfo:
      return "I";
    case LogLevel::kWarning:
      return "W";
    case LogLevel::kError:
      return "E";
  }
  return "?";
}

}  // namespace

LogLevel MinLogLevel() { return static_cast<LogLevel>(Level().load()); }
void SetMinLogLevel(LogLevel level) { Level() = static_cast<int>(level); }

LogMessage::LogMessage(LogLevel level, const char* file, int line)
    : level_(level) {
  const char* base = strrchr(file, '/');
  stream_ << LevelLetter(level) << " "
          << absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::LocalTimeZone())
          << " " << (base ? base + 1 : file) << ":" << line << "] ";
}

LogMessage::~LogMessage() {
  stream_ << "\n";
  std::string text = stream_.str();
  fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace farm

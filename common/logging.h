// Minimal leveled logging to stderr. Debian's Abseil has no absl/log, and
// servers only need timestamped lines: FARM_LOG(INFO) << "listening on " << a;
#ifndef FARM_COMMON_LOGGING_H_
#define FARM_COMMON_LOGGING_H_

#include <sstream>

namespace farm {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below this level are dropped. Default kInfo; FARM_LOG_LEVEL=debug
// in the environment lowers it.
LogLevel MinLogLevel();
void SetMinLogLevel(LogLevel level);

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace farm

#define FARM_LOG_LEVEL_DEBUG ::farm::LogLevel::kDebug
#define FARM_LOG_LEVEL_INFO ::farm::LogLevel::kInfo
#define FARM_LOG_LEVEL_WARNING ::farm::LogLevel::kWarning
#define FARM_LOG_LEVEL_ERROR ::farm::LogLevel::kError

#define FARM_LOG(level)                                         \
  if (FARM_LOG_LEVEL_##level < ::farm::MinLogLevel()) {         \
  } else                                                        \
    ::farm::LogMessage(FARM_LOG_LEVEL_##level, __FILE__, __LINE__).stream()

#endif  // FARM_COMMON_LOGGING_H_

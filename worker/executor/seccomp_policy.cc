#include "worker/executor/seccomp_policy.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace farm::executor {
namespace {

// An action word, the name runc 1.1 gives it, and whether a number (errno's
// value, trace's message) may follow it. SCMP_ACT_NOTIFY is left out: it
// needs a seccomp agent, and farm runs none.
struct ActionWord {
  const char* word;
  const char* scmp;
  bool takes_number;
};
constexpr ActionWord kActions[] = {
    {"allow", "SCMP_ACT_ALLOW", false},
    {"errno", "SCMP_ACT_ERRNO", true},
    {"kill", "SCMP_ACT_KILL", false},
    {"kill-thread", "SCMP_ACT_KILL_THREAD", false},
    {"kill-process", "SCMP_ACT_KILL_PROCESS", false},
    {"trap", "SCMP_ACT_TRAP", false},
    {"trace", "SCMP_ACT_TRACE", true},
    {"log", "SCMP_ACT_LOG", false},
};
// SECCOMP_RET_DATA, where the kernel carries errno's value, has 16 bits.
constexpr uint64_t kMaxReturn = 0xffff;

struct OperatorWord {
  const char* word;
  const char* scmp;
};
constexpr OperatorWord kOperators[] = {
    {"==", "SCMP_CMP_EQ"}, {"!=", "SCMP_CMP_NE"}, {"<", "SCMP_CMP_LT"},
    {"<=", "SCMP_CMP_LE"}, {">", "SCMP_CMP_GT"},  {">=", "SCMP_CMP_GE"},
};
// Seccomp filters see the first six syscall arguments.
constexpr uint64_t kMaxArgIndex = 5;

// libseccomp's names for the architectures runc 1.1 knows.
constexpr const char* kArchNames[] = {
    "x86",    "x86_64",    "x32",    "arm",      "aarch64",     "mips",
    "mips64", "mips64n32", "mipsel", "mipsel64", "mipsel64n32", "ppc",
    "ppc64",  "ppc64le",   "s390",   "s390x",    "riscv64",
};

const ActionWord* FindAction(absl::string_view word) {
  for (const ActionWord& action : kActions) {
    if (word == action.word) return &action;
  }
  return nullptr;
}

const OperatorWord* FindOperator(absl::string_view word) {
  for (const OperatorWord& op : kOperators) {
    if (word == op.word) return &op;
  }
  return nullptr;
}

bool IsArch(absl::string_view name) {
  return std::find(std::begin(kArchNames), std::end(kArchNames), name) !=
         std::end(kArchNames);
}

bool IsSyscallName(absl::string_view name) {
  return !name.empty() && !absl::ascii_isdigit(name[0]) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
         });
}

bool IsCapability(absl::string_view name) {
  return absl::ConsumePrefix(&name, "CAP_") && !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_';
         });
}

bool IsDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(c);
  });
}

// A decimal or 0x-hexadecimal number of at most 64 bits.
std::optional<uint64_t> ToNumber(absl::string_view text) {
  uint64_t number = 0;
  if (absl::ConsumePrefix(&text, "0x")) {
    bool hex = !text.empty() &&
               std::all_of(text.begin(), text.end(),
                           [](char c) { return absl::ascii_isxdigit(c); });
    if (hex && absl::SimpleHexAtoi(text, &number)) return number;
    return std::nullopt;
  }
  if (IsDigits(text) && absl::SimpleAtoi(text, &number)) return number;
  return std::nullopt;
}

absl::Status LineError(absl::string_view file, int line,
                       absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", what));
}

struct Token {
  absl::string_view text;
  int line;
};
// A line that starts in its first column, with the indented lines after it.
using Statement = std::vector<Token>;

// Drops comments and blank lines and joins each indented line to the
// statement above it.
absl::StatusOr<std::vector<Statement>> Statements(absl::string_view text,
                                                  absl::string_view file) {
  std::vector<Statement> statements;
  int line = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line;
    std::vector<absl::string_view> words =
        absl::StrSplit(raw.substr(0, raw.find('#')), absl::ByAnyChar(" \t\r"),
                       absl::SkipEmpty());
    if (words.empty()) continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (indented && statements.empty()) {
      return LineError(file, line, "an indented line with no statement above");
    }
    if (!indented) statements.emplace_back();
    for (absl::string_view word : words) {
      statements.back().push_back(Token{word, line});
    }
  }
  return statements;
}

// Reads one statement's words in order. Errors name the line of the next
// word, or of the last one at the end.
class Cursor {
 public:
  Cursor(absl::string_view file, const Statement& tokens)
      : file_(file), tokens_(tokens) {}

  bool AtEnd() const { return next_ == tokens_.size(); }
  absl::string_view Peek() const {
    return AtEnd() ? absl::string_view() : tokens_[next_].text;
  }
  absl::string_view Take() { return tokens_[next_++].text; }
  bool TakeIf(absl::string_view word) {
    if (AtEnd() || Peek() != word) return false;
    ++next_;
    return true;
  }
  int Line() const {
    return tokens_[AtEnd() ? tokens_.size() - 1 : next_].line;
  }
  absl::Status Error(absl::string_view what) const {
    return LineError(file_, Line(), what);
  }
  // `what`, then what was found instead: ", got \"x\"" or ", got nothing".
  absl::Status Expected(absl::string_view what) const {
    return Error(
        absl::StrCat("expected ", what, ", got ",
                     AtEnd() ? "nothing" : absl::StrCat("\"", Peek(), "\"")));
  }
  absl::Status ExpectEnd() const {
    if (AtEnd()) return absl::OkStatus();
    return Error(absl::StrCat("unexpected \"", Peek(), "\""));
  }

 private:
  absl::string_view file_;
  const Statement& tokens_;
  size_t next_ = 0;
};

absl::StatusOr<uint64_t> TakeNumber(Cursor& in, absl::string_view what,
                                    uint64_t max = UINT64_MAX) {
  std::optional<uint64_t> number = ToNumber(in.Peek());
  if (!number) {
    return in.Expected(
        absl::StrCat(what, " (decimal or 0x hex, at most 64 bits)"));
  }
  if (*number > max) {
    return in.Error(absl::StrCat(what, " ", in.Peek(), " is over ", max));
  }
  in.Take();
  return *number;
}

// An action word (the caller has checked it is one) and its number, if any.
absl::StatusOr<SeccompAction> TakeAction(Cursor& in) {
  const ActionWord* word = FindAction(in.Take());
  SeccompAction action{word->scmp, std::nullopt};
  if (word->takes_number && !in.AtEnd() && absl::ascii_isdigit(in.Peek()[0])) {
    ASSIGN_OR_RETURN(action.errno_ret, TakeNumber(in, word->word, kMaxReturn));
  }
  return action;
}

bool IsClauseWord(absl::string_view word) {
  return word == "when" || word == "only" || word == "unless";
}

// What a list holds: one of them (for "x is not ..."), several (for "no
// ..."), and the check.
struct WordKind {
  const char* one;
  const char* many;
  bool (*valid)(absl::string_view);
};
constexpr WordKind kSyscalls = {"a syscall name", "syscall names",
                                IsSyscallName};
constexpr WordKind kCapabilities = {"a capability (CAP_...)", "capabilities",
                                    IsCapability};
constexpr WordKind kArches = {"an architecture libseccomp knows",
                              "architectures", IsArch};

// The words up to the next clause word: at least one, each of `kind`.
// `owner` is what the list belongs to ("allow", "only cap").
absl::StatusOr<std::vector<std::string>> TakeWords(Cursor& in,
                                                   absl::string_view owner,
                                                   const WordKind& kind) {
  std::vector<std::string> words;
  while (!in.AtEnd() && !IsClauseWord(in.Peek())) {
    if (!kind.valid(in.Peek())) {
      return in.Error(absl::StrCat("\"", in.Peek(), "\" is not ", kind.one));
    }
    words.emplace_back(in.Take());
  }
  if (words.empty()) return in.Error(absl::StrCat(owner, ": no ", kind.many));
  return words;
}

// <kernel>.<major>, each 0..255 and not 0.0, as Docker reads a minKernel.
absl::StatusOr<KernelVersion> TakeKernel(Cursor& in) {
  std::vector<absl::string_view> parts = absl::StrSplit(in.Peek(), '.');
  uint64_t numbers[2] = {0, 0};
  bool valid = parts.size() == 2;
  for (size_t i = 0; valid && i < 2; ++i) {
    valid = IsDigits(parts[i]) && absl::SimpleAtoi(parts[i], &numbers[i]) &&
            numbers[i] <= 255;
  }
  if (!valid || (numbers[0] == 0 && numbers[1] == 0)) {
    return in.Expected("<kernel>.<major> (each 0..255, not 0.0)");
  }
  in.Take();
  return KernelVersion{numbers[0], numbers[1]};
}

// `argN OP VALUE`, or `argN & MASK == VALUE`.
absl::StatusOr<SeccompArg> TakeCondition(Cursor& in) {
  SeccompArg arg;
  absl::string_view word = in.Peek();
  if (!absl::ConsumePrefix(&word, "arg") || !IsDigits(word) ||
      !absl::SimpleAtoi(word, &arg.index) || arg.index > kMaxArgIndex) {
    return in.Expected(absl::StrCat("arg0..arg", kMaxArgIndex));
  }
  in.Take();
  if (in.TakeIf("&")) {
    arg.op = "SCMP_CMP_MASKED_EQ";
    ASSIGN_OR_RETURN(arg.value, TakeNumber(in, "a mask"));
    if (!in.TakeIf("==")) return in.Expected("== after the mask");
    ASSIGN_OR_RETURN(arg.value_two, TakeNumber(in, "a value"));
    return arg;
  }
  const OperatorWord* op = FindOperator(in.Peek());
  if (op == nullptr) {
    return in.Expected(
        absl::StrCat("==, !=, <, <=, >, >= or & after arg", arg.index));
  }
  in.Take();
  arg.op = op->scmp;
  ASSIGN_OR_RETURN(arg.value, TakeNumber(in, "a value"));
  return arg;
}

// `when COND [and COND]...`, once per rule.
absl::Status TakeWhen(Cursor& in, SeccompRule& rule) {
  if (!rule.args.empty()) {
    return in.Error("a second when in one rule (join conditions with and)");
  }
  in.Take();
  do {
    ASSIGN_OR_RETURN(SeccompArg arg, TakeCondition(in));
    rule.args.push_back(std::move(arg));
  } while (in.TakeIf("and"));
  return absl::OkStatus();
}

// `only|unless cap CAP...`, `... arch ARCH...` or `... kernel >= X.Y`, each
// once per rule and side.
absl::Status TakeFilter(Cursor& in, SeccompRule& rule) {
  const absl::string_view side = in.Take();
  SeccompFilter& filter = side == "only" ? rule.only : rule.unless;
  const absl::string_view kind = in.Peek();
  bool given = false;
  if (kind == "cap") {
    given = !filter.caps.empty();
  } else if (kind == "arch") {
    given = !filter.arches.empty();
  } else if (kind == "kernel") {
    given = filter.min_kernel.has_value();
  } else {
    return in.Expected(absl::StrCat("cap, arch or kernel after ", side));
  }
  const std::string owner = absl::StrCat(side, " ", kind);
  if (given)
    return in.Error(absl::StrCat("a second \"", owner, "\" in one rule"));
  in.Take();
  if (kind == "cap") {
    ASSIGN_OR_RETURN(filter.caps, TakeWords(in, owner, kCapabilities));
  } else if (kind == "arch") {
    ASSIGN_OR_RETURN(filter.arches, TakeWords(in, owner, kArches));
  } else {
    if (!in.TakeIf(">=")) return in.Expected(absl::StrCat(">= after ", owner));
    ASSIGN_OR_RETURN(filter.min_kernel, TakeKernel(in));
  }
  return absl::OkStatus();
}

// ACTION NAME... [when ...] [only ...]... [unless ...]...
absl::StatusOr<SeccompRule> TakeRule(Cursor& in) {
  SeccompRule rule;
  const absl::string_view action = in.Peek();
  ASSIGN_OR_RETURN(rule.action, TakeAction(in));
  ASSIGN_OR_RETURN(rule.names, TakeWords(in, action, kSyscalls));
  while (!in.AtEnd()) {
    if (in.Peek() == "when") {
      RETURN_IF_ERROR(TakeWhen(in, rule));
    } else if (in.Peek() == "only" || in.Peek() == "unless") {
      RETURN_IF_ERROR(TakeFilter(in, rule));
    } else {
      return in.Expected("when, only or unless");
    }
  }
  return rule;
}

// The policy so far, and where its once-only statements were.
struct Reader {
  SeccompPolicy policy;
  int default_line = 0;
  std::map<std::string, int> arch_lines;  // host architecture → line
};

// default ACTION
absl::Status TakeDefault(Cursor& in, Reader& reader) {
  if (reader.default_line != 0) {
    return in.Error(absl::StrCat("a second default line (the first is line ",
                                 reader.default_line, ")"));
  }
  reader.default_line = in.Line();
  in.Take();
  if (FindAction(in.Peek()) == nullptr) {
    return in.Expected("an action after default");
  }
  ASSIGN_OR_RETURN(reader.policy.default_action, TakeAction(in));
  return in.ExpectEnd();
}

// arch HOST [OTHER]...
absl::Status TakeArch(Cursor& in, Reader& reader) {
  in.Take();
  const int line = in.Line();
  ASSIGN_OR_RETURN(std::vector<std::string> arches,
                   TakeWords(in, "arch", kArches));
  RETURN_IF_ERROR(in.ExpectEnd());
  auto [first, added] = reader.arch_lines.emplace(arches[0], line);
  if (!added) {
    return LineError(reader.policy.file_name, line,
                     absl::StrCat("a second arch line for ", arches[0],
                                  " (the first is line ", first->second, ")"));
  }
  reader.policy.arch_groups.push_back(std::move(arches));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SeccompPolicy> ParseSeccompPolicy(absl::string_view text,
                                                 absl::string_view file_name) {
  Reader reader;
  reader.policy.file_name = std::string(file_name);
  ASSIGN_OR_RETURN(std::vector<Statement> statements,
                   Statements(text, file_name));
  for (const Statement& statement : statements) {
    Cursor in(file_name, statement);
    const absl::string_view word = in.Peek();
    if (word == "default") {
      RETURN_IF_ERROR(TakeDefault(in, reader));
    } else if (word == "arch") {
      RETURN_IF_ERROR(TakeArch(in, reader));
    } else if (FindAction(word) != nullptr) {
      ASSIGN_OR_RETURN(SeccompRule rule, TakeRule(in));
      reader.policy.rules.push_back(std::move(rule));
    } else {
      return in.Expected("default, arch or an action (allow, errno, ...)");
    }
  }
  if (reader.default_line == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": no default line"));
  }
  return std::move(reader.policy);
}

}  // namespace farm::executor

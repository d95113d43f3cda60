#include "dockerfile/parser.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/arg_parsers.h"
#include "dockerfile/builder_flags.h"
#include "dockerfile/line_reader.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

// Docker reads lines with Go's bufio.Scanner, whose default buffer is 64 KiB.
constexpr size_t kMaxLineSize = 64 * 1024;

absl::Status Located(absl::string_view filename, int line,
                     absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(filename, ":", line, ": ", message));
}

absl::StatusOr<ParsedArgs> ParseArguments(const std::string& keyword,
                                          absl::string_view rest, char escape) {
  if (keyword == "add" || keyword == "copy" || keyword == "volume") {
    return ParseJsonOrList(rest);
  }
  if (keyword == "run" || keyword == "cmd" || keyword == "entrypoint" ||
      keyword == "shell") {
    return ParseJsonOrString(rest);
  }
  if (keyword == "arg") return ParseArgWords(rest, escape);
  if (keyword == "env") return ParseKeyValues(rest, "ENV", escape);
  if (keyword == "label") return ParseKeyValues(rest, "LABEL", escape);
  if (keyword == "expose" || keyword == "from") {
    return ParseWhitespaceList(rest);
  }
  if (keyword == "healthcheck") return ParseHealthcheckArgs(rest);
  if (keyword == "maintainer" || keyword == "stopsignal" || keyword == "user" ||
      keyword == "workdir") {
    return ParseSingleString(rest);
  }
  // Unknown keywords keep no arguments; the instruction parser reports them.
  return ParsedArgs{};
}

// RUN, COPY and ADD (also as an ONBUILD trigger) in shell form read heredocs.
bool CanContainHeredoc(const Node& node) {
  const Node* target = &node;
  if (absl::AsciiStrToLower(node.keyword) == "onbuild" &&
      !node.trigger.empty()) {
    target = &node.trigger[0];
  }
  std::string keyword = absl::AsciiStrToLower(target->keyword);
  if (keyword != "run" && keyword != "copy" && keyword != "add") return false;
  return !target->json;
}

}  // namespace

absl::StatusOr<Node> ParseLine(absl::string_view line, char escape) {
  Node node;
  node.original = std::string(line);
  absl::string_view trimmed = TrimGoSpace(line);
  std::vector<std::string> parts = SplitOnSpaceRuns(trimmed, 2);
  node.keyword = parts[0];
  std::string rest;
  if (parts.size() == 2) {
    rest = ExtractBuilderFlags(parts[1], &node.flags);
    rest = std::string(TrimGoSpace(rest));
  }
  std::string keyword = absl::AsciiStrToLower(node.keyword);
  if (keyword == "onbuild") {
    if (!rest.empty()) {
      absl::StatusOr<Node> child = ParseLine(rest, escape);
      if (!child.ok()) return child.status();
      node.trigger.push_back(*std::move(child));
    }
    return node;
  }
  absl::StatusOr<ParsedArgs> args = ParseArguments(keyword, rest, escape);
  if (!args.ok()) return args.status();
  node.args = std::move(args->args);
  node.json = args->json;
  return node;
}

absl::StatusOr<Ast> ParseAst(absl::string_view content,
                             absl::string_view filename) {
  Ast ast;
  DirectiveScanner directive_scanner;
  LineReader reader(content);
  // Feeds a line to the directive scanner and returns it without its line
  // ending (and, for an instruction's first line, without leading spaces),
  // or empty for a comment.
  auto process = [&](absl::string_view raw, bool strip_left,
                     std::string* out) -> absl::Status {
    if (raw.size() > kMaxLineSize) {
      return Located(filename, reader.line_number(),
                     absl::StrCat("dockerfile line greater than max allowed "
                                  "size of ",
                                  kMaxLineSize - 1));
    }
    absl::string_view line = TrimNewline(raw);
    if (strip_left) line = TrimLeftGoSpace(line);
    absl::Status status = directive_scanner.Feed(line, reader.line_number());
    if (!status.ok()) {
      return Located(filename, reader.line_number(), status.message());
    }
    if (IsCommentLine(line)) {
      out->clear();
    } else {
      out->assign(line.data(), line.size());
    }
    return absl::OkStatus();
  };

  absl::string_view raw;
  std::string piece;
  while (reader.Next(&raw)) {
    absl::Status status = process(raw, /*strip_left=*/true, &piece);
    if (!status.ok()) return status;
    const char escape = directive_scanner.directives().escape_char;
    int start_line = reader.line_number();
    bool continues = TrimContinuation(escape, &piece);
    if (!continues && piece.empty()) continue;
    std::string line = piece;
    bool empty_continuation = false;
    while (continues && reader.Next(&raw)) {
      status = process(raw, /*strip_left=*/false, &piece);
      if (!status.ok()) return status;
      if (IsCommentLine(raw)) continue;
      if (IsBlankLine(piece)) {
        empty_continuation = true;
        continue;
      }
      continues = TrimContinuation(escape, &piece);
      line += piece;
    }
    if (empty_continuation) {
      ast.warnings.push_back(
          Warning{reader.line_number(), "NoEmptyContinuation",
                  absl::StrCat("Empty continuation line found in: ", line)});
    }
    absl::StatusOr<Node> node = ParseLine(line, escape);
    if (!node.ok()) {
      return Located(filename, start_line, node.status().message());
    }
    if (CanContainHeredoc(*node)) {
      for (Heredoc& heredoc : HeredocsInLine(line)) {
        bool terminated = false;
        while (reader.Next(&raw)) {
          absl::string_view candidate = TrimNewline(raw);
          if (heredoc.chomp) {
            while (!candidate.empty() && candidate[0] == '\t') {
              candidate.remove_prefix(1);
            }
          }
          if (candidate == heredoc.name) {
            terminated = true;
            break;
          }
          if (raw.size() > kMaxLineSize) {
            return Located(filename, reader.line_number(),
                           absl::StrCat("dockerfile line greater than max "
                                        "allowed size of ",
                                        kMaxLineSize - 1));
          }
          heredoc.content.append(raw.data(), raw.size());
        }
        if (!terminated) {
          return Located(filename, start_line, "unterminated heredoc");
        }
        node->heredocs.push_back(std::move(heredoc));
      }
    }
    node->start_line = start_line;
    node->end_line = reader.line_number();
    for (Node& trigger : node->trigger) {
      trigger.start_line = node->start_line;
      trigger.end_line = node->end_line;
    }
    ast.nodes.push_back(*std::move(node));
  }
  ast.directives = directive_scanner.directives();
  if (ast.nodes.empty()) {
    return Located(filename, std::max(1, reader.line_number()),
                   "file with no instructions");
  }
  return ast;
}

}  // namespace farm::dockerfile

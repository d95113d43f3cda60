// The canonical one-line text of an instruction, for plans and cache keys:
// upper-case keyword, flags in a fixed order with defaults left out, exec
// form as a compact JSON array, values quoted wherever a reader could split
// or reinterpret them, heredoc bodies appended. Two instructions that mean
// the same thing render the same; different ones render differently.
#ifndef FARM_DOCKERFILE_FORMAT_H_
#define FARM_DOCKERFILE_FORMAT_H_

#include <string>

#include "dockerfile/instructions.h"

namespace farm::dockerfile {

// Examples: `COPY --from=build --chown=1:1 /out /app`,
// `RUN ["sh","-c","x"]`, `ENV A="1" B="two words"`,
// `COPY <<EOF /etc/motd <<EOF="hello\n"`.
// Before Expand, RUN shows its --mount values as written; after, the parsed
// mounts.
std::string CanonicalText(const Instruction& instruction);

// A word as it appears in canonical text: bare when it is printable ASCII
// without spaces that does not start like a quote, flag, heredoc, JSON array
// or comment; QuoteString-quoted otherwise. Keys (ENV, LABEL, ARG names,
// heredoc names) are also quoted when they contain '='.
std::string CanonicalWord(const std::string& word);
std::string CanonicalKey(const std::string& key);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_FORMAT_H_

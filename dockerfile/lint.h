// Build checks that Docker reports as warnings while reading a Dockerfile
// (StageNameCasing, FromAsCasing, DuplicateStageName, ReservedStageName,
// MaintainerDeprecated, LegacyKeyValueFormat, JSONArgsRecommended), and the
// `# check=skip=` filter.
#ifndef FARM_DOCKERFILE_LINT_H_
#define FARM_DOCKERFILE_LINT_H_

#include <vector>

#include "dockerfile/ast.h"

namespace farm::dockerfile {

struct Dockerfile;

// Appends the findings for `file` to `warnings`.
void Lint(const Dockerfile& file, std::vector<Warning>* warnings);

// Drops the warnings whose rule `# check=skip=` names (or all of them for
// skip=all). An unreadable check directive filters nothing.
std::vector<Warning> FilterWarnings(const Directives& directives,
                                    std::vector<Warning> warnings);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_LINT_H_

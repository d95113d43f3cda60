// A stable, line-oriented text dump of a parsed Dockerfile (directives,
// warnings, stages, and per instruction: line range, keyword, form, flags,
// arguments, heredocs and canonical text). The golden files of the parser
// corpus (tests/dockerfile/cases) are written in this format.
#ifndef FARM_DOCKERFILE_AST_DUMP_H_
#define FARM_DOCKERFILE_AST_DUMP_H_

#include <string>

#include "dockerfile/dockerfile.h"

namespace farm::dockerfile {

std::string DumpDockerfile(const Dockerfile& file);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_AST_DUMP_H_

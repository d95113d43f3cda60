#include "planner/planner.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "dockerfile/expand.h"
#include "dockerfile/parser.h"
#include "dockerfile/instruction_parser.h"
#include "planner/global_args.h"
#include "planner/stage_order.h"
#include "planner/stage_refs.h"
#include "planner/stage_walker.h"

namespace farm::planner {

namespace {

// A stage's FROM after expansion against the global scope.
struct ResolvedBase {
  std::string base;      // expanded reference, as written otherwise
  std::string platform;  // expanded --platform
  int stage = -1;        // base stage, or -1 for an image or scratch
};

absl::StatusOr<ResolvedBase> ResolveFrom(const dockerfile::Dockerfile& df,
                                         const dockerfile::Stage& stage,
                                         const dockerfile::ShellLexer& lexer,
                                         const GlobalArgs& globals,
                                         const StageRefs& refs) {
  ASSIGN_OR_RETURN(
      dockerfile::ExpandedInstruction expanded,
      dockerfile::Expand(stage.from, lexer, globals.AsLookup(), df.filename));
  const auto* from = expanded.instruction.As<dockerfile::FromInstruction>();
  ResolvedBase out;
  out.base = from->base;
  out.platform = from->platform;
  if (std::optional<int> base = refs.FindBase(from->base, stage.index)) {
    out.stage = *base;
  }
  if (out.base.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(df.filename, ":", stage.from.start_line,
                     ": base name (", stage.base, ") should not be blank"));
  }
  return out;
}

// Parses the ONBUILD triggers stored in an image config.
std::vector<Trigger> ParseImageTriggers(const std::vector<std::string>& exprs,
                                        const dockerfile::Dockerfile& df,
                                        int from_line) {
  std::vector<Trigger> out;
  for (const std::string& expr : exprs) {
    Trigger trigger;
    absl::StatusOr<dockerfile::Ast> ast = dockerfile::ParseAst(
        absl::StrCat(expr, "\n"), df.filename);
    absl::StatusOr<dockerfile::Instruction> parsed =
        ast.ok() && ast->nodes.size() == 1
            ? dockerfile::ParseInstruction(ast->nodes[0], df.filename)
            : absl::StatusOr<dockerfile::Instruction>(
                  absl::InvalidArgumentError("not one instruction"));
    if (parsed.ok()) {
      trigger.instruction =
          std::make_shared<const dockerfile::Instruction>(*std::move(parsed));
    } else {
      trigger.error = absl::InvalidArgumentError(
          absl::StrCat(df.filename, ":", from_line, ": base image ONBUILD "
                       "trigger \"", expr, "\": ", parsed.status().message()));
    }
    out.push_back(std::move(trigger));
  }
  return out;
}

class PlanRun {
 public:
  PlanRun(const dockerfile::Dockerfile& df, const PlanOptions& options)
      : df_(df),
        options_(options),
        target_platform_(options.target_platform.ToString()),
        lexer_(df.directives.escape_char) {}

  absl::StatusOr<PlannedBuild> Run();

 private:
  absl::StatusOr<int> FindTarget() const;
  // Adds the --from sources of a stage's instructions and of the triggers it
  // inherits to deps_.
  absl::Status AddSourceDeps(int stage, const std::vector<Trigger>& triggers);
  // Resolves image bases of reachable stages; true when that added edges.
  absl::StatusOr<bool> ResolveImageBases(int target);
  std::string DisplayName(int stage) const {
    return StageDisplayName(df_.stages[stage]);
  }

  const dockerfile::Dockerfile& df_;
  const PlanOptions& options_;
  const std::string target_platform_;
  dockerfile::ShellLexer lexer_;
  std::optional<GlobalArgs> globals_;
  std::optional<StageRefs> refs_;
  std::vector<ResolvedBase> bases_;
  DependencyLists deps_;
  // Per stage: the image it builds on, once resolved (nullopt: unknown).
  std::vector<std::optional<BaseImage>> images_;
  std::vector<bool> image_resolved_;
};

absl::StatusOr<int> PlanRun::FindTarget() const {
  if (df_.stages.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(df_.filename, ": the Dockerfile has no FROM instruction"));
  }
  if (options_.target.empty()) return static_cast<int>(df_.stages.size()) - 1;
  for (const dockerfile::Stage& stage : df_.stages) {
    if (stage.HasName(options_.target)) return stage.index;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      df_.filename, ": target stage \"", options_.target,
      "\" could not be found"));
}

absl::Status PlanRun::AddSourceDeps(int stage,
                                    const std::vector<Trigger>& triggers) {
  const dockerfile::Stage& s = df_.stages[stage];
  for (const Trigger& trigger : triggers) {
    if (trigger.instruction == nullptr) continue;  // fails when walked
    ASSIGN_OR_RETURN(auto sources, ResolveSources(*trigger.instruction,
                                                  s.from.start_line, *refs_));
    for (const proto::StageRef& ref : sources) {
      if (ref.stage_index() >= 0) {
        deps_[stage].push_back({ref.stage_index(), ref.line()});
      }
    }
  }
  for (const dockerfile::Instruction& instruction : s.instructions) {
    ASSIGN_OR_RETURN(auto sources, ResolveSources(instruction,
                                                  instruction.start_line,
                                                  *refs_));
    for (const proto::StageRef& ref : sources) {
      if (ref.stage_index() >= 0) {
        deps_[stage].push_back({ref.stage_index(), ref.line()});
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> PlanRun::ResolveImageBases(int target) {
  bool added = false;
  for (int stage : Reachable(deps_, target)) {
    if (image_resolved_[stage] || bases_[stage].stage >= 0) continue;
    image_resolved_[stage] = true;
    if (options_.resolver == nullptr ||
        absl::AsciiStrToLower(bases_[stage].base) == "scratch") {
      continue;
    }
    // The image for the stage's own --platform, else for the build's.
    const std::string& platform = bases_[stage].platform.empty()
                                      ? target_platform_
                                      : bases_[stage].platform;
    absl::StatusOr<std::optional<BaseImage>> image =
        options_.resolver->Resolve(bases_[stage].base, platform);
    if (!image.ok()) {
      return Annotate(image.status(),
                      absl::StrCat(df_.filename, ":",
                                   df_.stages[stage].from.start_line));
    }
    images_[stage] = *image;
    if (images_[stage].has_value() && !images_[stage]->onbuild.empty()) {
      size_t before = deps_[stage].size();
      RETURN_IF_ERROR(AddSourceDeps(
          stage, ParseImageTriggers(images_[stage]->onbuild, df_,
                                    df_.stages[stage].from.start_line)));
      // AddSourceDeps re-adds the stage's own sources; keep them once.
      deps_[stage].resize(before);
      for (const Trigger& t : ParseImageTriggers(
               images_[stage]->onbuild, df_,
               df_.stages[stage].from.start_line)) {
        if (t.instruction == nullptr) continue;
        ASSIGN_OR_RETURN(auto sources,
                         ResolveSources(*t.instruction,
                                        df_.stages[stage].from.start_line,
                                        *refs_));
        for (const proto::StageRef& ref : sources) {
          if (ref.stage_index() >= 0) {
            deps_[stage].push_back({ref.stage_index(), ref.line()});
            added = true;
          }
        }
      }
    }
  }
  return added;
}

absl::StatusOr<PlannedBuild> PlanRun::Run() {
  ASSIGN_OR_RETURN(GlobalArgs globals,
                   GlobalArgs::Evaluate(df_, options_, lexer_));
  globals_.emplace(std::move(globals));
  refs_.emplace(df_, lexer_, *globals_);
  ASSIGN_OR_RETURN(int target, FindTarget());

  size_t count = df_.stages.size();
  deps_.assign(count, {});
  images_.assign(count, std::nullopt);
  image_resolved_.assign(count, false);
  // Every FROM expands, and every reference resolves, even in stages the
  // target does not need: Docker reads the whole file before pruning.
  std::vector<std::vector<Trigger>> declared(count);
  for (const dockerfile::Stage& stage : df_.stages) {
    ASSIGN_OR_RETURN(ResolvedBase base,
                     ResolveFrom(df_, stage, lexer_, *globals_, *refs_));
    bases_.push_back(base);
    for (const dockerfile::Instruction& instruction : stage.instructions) {
      if (const auto* onbuild =
              instruction.As<dockerfile::OnbuildInstruction>()) {
        declared[stage.index].push_back(
            Trigger{onbuild->trigger, onbuild->trigger_error});
      }
    }
  }
  for (const dockerfile::Stage& stage : df_.stages) {
    const ResolvedBase& base = bases_[stage.index];
    std::vector<Trigger> inherited;
    if (base.stage >= 0) {
      deps_[stage.index].push_back({base.stage, stage.from.start_line});
      inherited = declared[base.stage];
    }
    RETURN_IF_ERROR(AddSourceDeps(stage.index, inherited));
  }
  while (true) {
    ASSIGN_OR_RETURN(bool added, ResolveImageBases(target));
    if (!added) break;
  }
  if (std::optional<Cycle> cycle = FindCycle(deps_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        df_.filename, ":", cycle->line,
        ": circular dependency detected on stage: ", DisplayName(cycle->stage)));
  }

  PlannedBuild build;
  proto::StageGraph& graph = build.graph;
  graph.set_target_index(target);
  for (const auto& [name, value] : globals_->DeclaredValues()) {
    (*graph.mutable_meta_args())[name] = value;
  }
  std::set<std::string> consumed = globals_->declared();
  std::vector<WalkedStage> walked(count);
  StageWalker walker(df_, lexer_, *globals_, *refs_, options_);
  for (int index : ExecutionOrder(deps_, Reachable(deps_, target))) {
    const dockerfile::Stage& stage = df_.stages[index];
    const ResolvedBase& base = bases_[index];
    StageStart start;
    if (base.stage >= 0) {
      start.base_env = walked[base.stage].final_env;
      start.triggers = walked[base.stage].declared_triggers;
    } else if (images_[index].has_value()) {
      start.base_env = images_[index]->env;
      start.triggers = ParseImageTriggers(images_[index]->onbuild, df_,
                                          stage.from.start_line);
    }
    ASSIGN_OR_RETURN(walked[index], walker.Walk(stage, start));
    consumed.insert(walked[index].declared_args.begin(),
                    walked[index].declared_args.end());

    proto::PlannedStage* planned = graph.add_stages();
    planned->set_index(index);
    planned->set_name(absl::AsciiStrToLower(stage.name));
    planned->set_base(base.stage >= 0 ? DisplayName(base.stage) : base.base);
    planned->set_base_stage_index(base.stage);
    planned->set_platform(base.platform);
    planned->set_from_line(stage.from.start_line);
    std::set<int> needs;
    for (const Dependency& dep : deps_[index]) needs.insert(dep.stage);
    for (int need : needs) planned->add_depends_on(need);
    for (proto::PlannedInstruction& instruction : walked[index].instructions) {
      *planned->add_instructions() = std::move(instruction);
    }
    build.instructions[index] = std::move(walked[index].expanded);
  }

  std::vector<std::string> unconsumed;
  for (const auto& [name, value] : options_.build_args) {
    if (!consumed.count(name) && !IsProxyArg(name) && !IsPlatformArg(name)) {
      unconsumed.push_back(name);
    }
  }
  if (!unconsumed.empty()) {
    graph.add_warnings(absl::StrCat("One or more build-args [",
                                    absl::StrJoin(unconsumed, " "),
                                    "] were not consumed"));
  }
  return build;
}

}  // namespace

std::string StageDisplayName(const dockerfile::Stage& stage) {
  if (stage.name.empty()) return absl::StrCat(stage.index);
  return absl::AsciiStrToLower(stage.name);
}

absl::StatusOr<PlannedBuild> PlanBuild(
    const dockerfile::Dockerfile& dockerfile, const PlanOptions& options) {
  return PlanRun(dockerfile, options).Run();
}

absl::StatusOr<proto::StageGraph> Plan(const dockerfile::Dockerfile& dockerfile,
                                       const PlanOptions& options) {
  ASSIGN_OR_RETURN(PlannedBuild build, PlanBuild(dockerfile, options));
  return std::move(build.graph);
}

namespace {

std::string CanonicalPlatform(const std::string& text) {
  absl::StatusOr<Platform> parsed = Platform::Parse(text);
  return parsed.ok() ? parsed->ToString() : text;
}

}  // namespace

std::string ImageMapKey(const std::string& reference,
                        const std::string& platform,
                        const std::string& target_platform) {
  if (platform.empty() ||
      CanonicalPlatform(platform) == CanonicalPlatform(target_platform)) {
    return reference;
  }
  return absl::StrCat(reference, " for ", CanonicalPlatform(platform));
}

}  // namespace farm::planner

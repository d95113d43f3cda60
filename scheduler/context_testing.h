// For tests of what the scheduler derives from a Dockerfile and a build
// context: a context manifest written entry by entry, and a Dockerfile
// parsed and planned in one call.
#ifndef FARM_SCHEDULER_CONTEXT_TESTING_H_
#define FARM_SCHEDULER_CONTEXT_TESTING_H_

#include <string>
#include <utility>

#include "common/digest.h"
#include "dockerfile/dockerfile.h"
#include "gtest/gtest.h"
#include "planner/planner.h"
#include "proto/context.pb.h"

namespace farm::scheduler::testing {

// Builds a ContextManifest; entries must be added in path order, each
// directory before what it holds, as clients send them.
class ContextBuilder {
 public:
  ContextBuilder& Dir(const std::string& path, uint32_t mode = 0755) {
    proto::ContextEntry* entry = manifest_.add_entries();
    entry->set_path(path);
    entry->set_type(proto::ContextEntry::DIRECTORY);
    entry->set_mode(mode);
    return *this;
  }
  // A file whose digest is that of `content`.
  ContextBuilder& File(const std::string& path, const std::string& content,
                       uint32_t mode = 0644) {
    proto::ContextEntry* entry = manifest_.add_entries();
    entry->set_path(path);
    entry->set_type(proto::ContextEntry::FILE);
    entry->set_mode(mode);
    entry->set_size(static_cast<int64_t>(content.size()));
    entry->set_digest(Digest::Of(content).ToString());
    return *this;
  }
  ContextBuilder& Symlink(const std::string& path, const std::string& target) {
    proto::ContextEntry* entry = manifest_.add_entries();
    entry->set_path(path);
    entry->set_type(proto::ContextEntry::SYMLINK);
    entry->set_mode(0777);
    entry->set_link_target(target);
    return *this;
  }
  proto::ContextManifest Build() const { return manifest_; }

 private:
  proto::ContextManifest manifest_;
};

// `dockerfile` parsed and planned with `options`; a failure fails the test
// and gives an empty plan.
inline planner::PlannedBuild PlanOf(const std::string& dockerfile,
                                    const planner::PlanOptions& options = {}) {
  absl::StatusOr<dockerfile::Dockerfile> parsed =
      dockerfile::ParseDockerfile(dockerfile, "Dockerfile");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return {};
  absl::StatusOr<planner::PlannedBuild> plan =
      planner::PlanBuild(*parsed, options);
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (!plan.ok()) return {};
  return *std::move(plan);
}

}  // namespace farm::scheduler::testing

#endif  // FARM_SCHEDULER_CONTEXT_TESTING_H_

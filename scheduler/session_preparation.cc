// BuildSession's first step: planning the build for each target platform,
// fetching the URLs the plans read and receiving the context manifest; and
// how a stage job too large for one message carries its context.
#include <set>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "image/registry/platform.h"
#include "scheduler/build_session.h"
#include "scheduler/entitlements.h"
#include "scheduler/secret_digests.h"

namespace farm::scheduler {

namespace {

// The platforms a request builds for, as given ("" for the default); a
// platform named twice is an error.
absl::StatusOr<std::vector<std::string>> TargetPlatforms(
    const proto::BuildRequest& request) {
  if (request.platforms().empty())
    return std::vector<std::string>{request.platform()};
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& text : request.platforms()) {
    ASSIGN_OR_RETURN(image::oci::Platform parsed,
                     image::registry::ParsePlatform(text));
    if (!seen.insert(image::registry::PlatformString(parsed)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--platform names ", text, " twice"));
    }
    out.push_back(text);
  }
  return out;
}

}  // namespace

absl::Status BuildSession::Prepare(const proto::BuildRequest& request,
                                   PlatformBuilds* builds,
                                   proto::BuildResult* result) {
  ASSIGN_OR_RETURN(std::vector<std::string> platforms,
                   TargetPlatforms(request));
  const std::string dockerfile_name = request.dockerfile_name().empty()
                                          ? "Dockerfile"
                                          : request.dockerfile_name();
  std::vector<BuildSpec> specs;
  std::set<std::string> warnings;
  int stages = 0;
  for (const std::string& platform : platforms) {
    proto::BuildRequest one = request;
    one.clear_platforms();
    one.set_platform(platform);
    ASSIGN_OR_RETURN(PreparedBuild prepared,
                     PrepareBuild(one, *deps_.resolver));
    RETURN_IF_ERROR(CheckEntitlements(
        prepared.plan, dockerfile_name, deps_.entitlements,
        {request.entitlements().begin(), request.entitlements().end()}));
    for (const std::string& warning : prepared.warnings) {
      if (warnings.insert(warning).second) result->add_warnings(warning);
    }
    stages += prepared.plan.graph.stages_size();
    {
      absl::MutexLock lock(&mu_);
      outline_.graphs.push_back(
          {platforms.size() > 1 ? platform : "", prepared.plan.graph});
    }
    BuildSpec spec;
    spec.build_id = id_;
    spec.request = std::move(one);
    spec.images = std::move(prepared.images);
    spec.platform = prepared.platform;
    spec.tenant = deps_.tenant;
    spec.cache_namespace = deps_.cache_namespace;
    spec.secret_digests = SecretDigests(deps_.secrets_key, request.secrets());
    ASSIGN_OR_RETURN(
        spec.url_digests,
        FetchUrlSources(prepared.plan, request.dockerfile_name(), *deps_.blobs,
                        deps_.spool_dir, deps_.fetch_policy));
    spec.plan = std::move(prepared.plan);
    specs.push_back(std::move(spec));
  }
  {
    absl::MutexLock lock(&mu_);
    summary_.set_stages(stages);
  }
  proto::ContextManifest context;
  RETURN_IF_ERROR(ReceiveManifest(&context));
  if (deps_.max_context_bytes > 0) {
    int64_t bytes = 0;
    for (const proto::ContextEntry& entry : context.entries()) {
      bytes += entry.size();
    }
    if (bytes > deps_.max_context_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the build context holds ", bytes,
          " bytes, over this farm's "
          "limit of ",
          deps_.max_context_bytes,
          " (farm-scheduler --max-context-bytes); leave files out with "
          ".dockerignore"));
    }
  }
  for (size_t p = 0; p < specs.size(); ++p) {
    if (p + 1 < specs.size()) {
      specs[p].context = context;
    } else {
      specs[p].context = std::move(context);
    }
    std::string platform = specs[p].platform;
    RETURN_IF_ERROR(builds->Add(std::move(platform), std::move(specs[p])));
  }
  return absl::OkStatus();
}

absl::Status BuildSession::MoveLargeContext(proto::StageJob& job) {
  if (deps_.inline_context_limit <= 0 ||
      job.context().ByteSizeLong() <=
          static_cast<size_t>(deps_.inline_context_limit)) {
    return absl::OkStatus();
  }
  std::string bytes = job.context().SerializeAsString();
  const Digest digest = Digest::Of(bytes);
  RETURN_IF_ERROR(Annotate(cache::PutBlob(*deps_.blobs, bytes),
                           "storing a stage job's context manifest"));
  FARM_LOG(INFO) << "build " << id_ << ": a stage job's context ("
                 << job.context().entries_size() << " entries, " << bytes.size()
                 << " bytes) goes through the CAS as " << digest.ToString();
  job.clear_context();
  job.set_context_digest(digest.ToString());
  return absl::OkStatus();
}

}  // namespace farm::scheduler

#include "scheduler/build_coordinator.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "scheduler/actions_testing.h"
#include "scheduler/entitlements.h"
#include "scheduler/secret_digests.h"

namespace farm::scheduler {
namespace {

constexpr char kDockerfile[] =
    "FROM busybox AS build\n"
    "COPY src /src\n"
    "RUN make\n"
    "FROM busybox AS unrelated\n"
    "RUN true\n"
    "FROM busybox\n"
    "COPY --from=build /out /app\n"
    "CMD [\"/app\"]\n";

proto::LayerRef Layer(const std::string& name) {
  proto::LayerRef layer;
  layer.set_digest(Digest::Of("blob-" + name).ToString());
  layer.set_diff_id(Digest::Of("diff-" + name).ToString());
  layer.set_size(100);
  return layer;
}

BuildSpec MakeSpec(const std::string& dockerfile = kDockerfile) {
  BuildSpec spec;
  spec.build_id = "b1";
  spec.request.set_dockerfile(dockerfile);
  spec.request.set_dockerfile_name("Dockerfile");
  auto df = dockerfile::ParseDockerfile(dockerfile, "Dockerfile");
  EXPECT_TRUE(df.ok()) << df.status();
  auto plan = planner::PlanBuild(*df, {});
  EXPECT_TRUE(plan.ok()) << plan.status();
  spec.plan = *std::move(plan);
  auto* dir = spec.context.add_entries();
  dir->set_path("src");
  dir->set_type(proto::ContextEntry::DIRECTORY);
  dir->set_mode(0755);
  auto* file = spec.context.add_entries();
  file->set_path("src/main.c");
  file->set_mode(0644);
  file->set_digest(Digest::Of("int main;").ToString());
  auto* other = spec.context.add_entries();
  other->set_path("unused.txt");
  other->set_digest(Digest::Of("x").ToString());
  proto::ImageContent busybox;
  busybox.set_reference("busybox");
  busybox.set_manifest_digest(Digest::Of("busybox-manifest").ToString());
  busybox.set_config("{\"os\":\"linux\"}");
  *busybox.add_layers() = Layer("busybox");
  spec.images["busybox"] = busybox;
  return spec;
}

using testing::Only;

std::map<Digest, std::optional<proto::ActionResult>> Misses(
    const LookupKeys& lookup) {
  std::map<Digest, std::optional<proto::ActionResult>> out;
  for (const Digest& key : lookup.keys) out[key] = std::nullopt;
  return out;
}

proto::StageOutput Output(const proto::StageJob& job, const std::string& tag) {
  proto::StageOutput output;
  *output.add_layers() = Layer("busybox");
  *output.add_layers() = Layer(tag);
  output.set_config("{\"stage\":\"" + tag + "\"}");
  output.set_final_key(job.keys(job.keys_size() - 1));
  return output;
}

TEST(BuildCoordinatorTest, ColdBuildRunsDependencyThenTarget) {
  BuildCoordinator coordinator(MakeSpec());
  auto start = coordinator.Start();
  auto lookups = Only<LookupKeys>(start);
  ASSERT_EQ(lookups.size(), 1u);
  // build (2 keys) and the target's instructions before COPY --from...:
  // the target's keys wait for build's output, so only build is looked up.
  EXPECT_EQ(lookups[0].keys.size(), 2u);

  auto after_lookup = coordinator.OnLookup(Misses(lookups[0]));
  auto dispatched = Only<DispatchStage>(after_lookup);
  ASSERT_EQ(dispatched.size(), 1u);
  EXPECT_EQ(dispatched[0].stage, 0);
  const proto::StageJob& job = dispatched[0].job;
  EXPECT_EQ(job.keys_size(), 3);               // FROM + 2 instructions
  ASSERT_EQ(job.context().entries_size(), 2);  // src and src/main.c only
  EXPECT_EQ(job.context().entries(1).path(), "src/main.c");

  auto after_build = coordinator.OnStageDone(0, Output(job, "build"));
  auto second_lookup = Only<LookupKeys>(after_build);
  ASSERT_EQ(second_lookup.size(), 1u);
  EXPECT_EQ(second_lookup[0].keys.size(), 2u);  // the target's two
  auto target =
      Only<DispatchStage>(coordinator.OnLookup(Misses(second_lookup[0])));
  ASSERT_EQ(target.size(), 1u);
  EXPECT_EQ(target[0].stage, 2);
  EXPECT_EQ(target[0].job.sources().count("stage 0"), 1u);  // build's layers travel
  auto finish = Only<FinishBuild>(
      coordinator.OnStageDone(2, Output(target[0].job, "final")));
  ASSERT_EQ(finish.size(), 1u);
  EXPECT_TRUE(finish[0].status.ok());
  EXPECT_FALSE(finish[0].fully_cached);
  EXPECT_EQ(finish[0].output.config(), "{\"stage\":\"final\"}");
  EXPECT_EQ(coordinator.jobs_dispatched(), 2);
  EXPECT_TRUE(coordinator.finished());
}

TEST(BuildCoordinatorTest, JobCarriesTheLookupSoTheWorkerNeedNotAsk) {
  BuildCoordinator coordinator(MakeSpec());
  auto lookups = Only<LookupKeys>(coordinator.Start());
  ASSERT_EQ(lookups.size(), 1u);
  ASSERT_EQ(lookups[0].keys.size(), 2u);
  // COPY hit, RUN missed.
  auto results = Misses(lookups[0]);
  proto::ActionResult copied;
  *copied.mutable_layer() = Layer("copied");
  copied.set_config("{\"copied\":true}");
  results[lookups[0].keys[0]] = copied;
  auto dispatched = Only<DispatchStage>(coordinator.OnLookup(results));
  ASSERT_EQ(dispatched.size(), 1u);
  const proto::StageJob& job = dispatched[0].job;
  EXPECT_TRUE(job.looked_up());
  ASSERT_EQ(job.cached().size(), 1u);
  ASSERT_EQ(job.cached().count(1), 1u);  // keys(1) is the COPY's
  EXPECT_EQ(job.keys(1), lookups[0].keys[0].ToString());
  EXPECT_EQ(job.cached().at(1).config(), copied.config());
}

TEST(BuildCoordinatorTest, NoCacheJobSaysNothingWasLookedUp) {
  BuildSpec spec = MakeSpec();
  spec.request.set_no_cache(true);
  BuildCoordinator coordinator(std::move(spec));
  auto dispatched = Only<DispatchStage>(coordinator.Start());
  ASSERT_EQ(dispatched.size(), 1u);
  EXPECT_FALSE(dispatched[0].job.looked_up());
  EXPECT_TRUE(dispatched[0].job.cached().empty());
}

// A build for `target` of a Dockerfile whose first stage runs on the build
// platform; `images` are the images by planner::ImageMapKey.
BuildSpec CrossSpec(const std::string& target,
                    std::map<std::string, std::string> manifests) {
  const std::string dockerfile =
      "FROM --platform=$BUILDPLATFORM busybox AS build\n"
      "RUN make\n"
      "FROM busybox\n"
      "COPY --from=build /out /app\n";
  BuildSpec spec;
  spec.build_id = "b1";
  spec.request.set_dockerfile(dockerfile);
  spec.platform = target;
  auto df = dockerfile::ParseDockerfile(dockerfile, "Dockerfile");
  EXPECT_TRUE(df.ok()) << df.status();
  planner::PlanOptions options;
  options.target_platform = *planner::Platform::Parse(target);
  auto plan = planner::PlanBuild(*df, options);
  EXPECT_TRUE(plan.ok()) << plan.status();
  spec.plan = *std::move(plan);
  for (const auto& [key, manifest] : manifests) {
    proto::ImageContent image;
    image.set_reference("busybox");
    image.set_manifest_digest(Digest::Of(manifest).ToString());
    image.set_config("{\"os\":\"linux\"}");
    *image.add_layers() = Layer(manifest);
    spec.images[key] = image;
  }
  return spec;
}

TEST(BuildCoordinatorTest, ABuildPlatformStageIsTheSameJobForEveryTarget) {
  BuildCoordinator amd(
      CrossSpec("linux/amd64", {{"busybox", "busybox-amd64"}}));
  BuildCoordinator arm(
      CrossSpec("linux/arm64", {{"busybox", "busybox-arm64"},
                                {"busybox for linux/amd64", "busybox-amd64"}}));
  auto amd_jobs = Only<DispatchStage>(
      amd.OnLookup(Misses(Only<LookupKeys>(amd.Start())[0])));
  auto arm_jobs = Only<DispatchStage>(
      arm.OnLookup(Misses(Only<LookupKeys>(arm.Start())[0])));
  ASSERT_EQ(amd_jobs.size(), 1u);
  ASSERT_EQ(arm_jobs.size(), 1u);
  EXPECT_EQ(arm_jobs[0].job.platform(), "linux/amd64");
  // The same keys: the job scheduler runs it once for both.
  EXPECT_EQ(std::vector<std::string>(arm_jobs[0].job.keys().begin(),
                                     arm_jobs[0].job.keys().end()),
            std::vector<std::string>(amd_jobs[0].job.keys().begin(),
                                     amd_jobs[0].job.keys().end()));
  // Without the build platform's image the stage cannot start.
  BuildCoordinator lacking(
      CrossSpec("linux/arm64", {{"busybox", "busybox-arm64"}}));
  EXPECT_TRUE(Only<DispatchStage>(lacking.Start()).empty());
}

TEST(BuildCoordinatorTest, FullyCachedBuildDispatchesNothing) {
  // Run once, remembering every key's result, as a worker would store them.
  std::map<Digest, std::optional<proto::ActionResult>> cache;
  {
    BuildCoordinator cold(MakeSpec());
    std::vector<CoordinatorAction> actions = cold.Start();
    while (!cold.finished()) {
      std::vector<CoordinatorAction> next;
      for (auto& action : actions) {
        if (auto* lookup = std::get_if<LookupKeys>(&action)) {
          auto r = cold.OnLookup(Misses(*lookup));
          next.insert(next.end(), r.begin(), r.end());
        } else if (auto* d = std::get_if<DispatchStage>(&action)) {
          // What a worker does: one layer per instruction, on the base.
          proto::StageOutput output;
          *output.add_layers() = Layer("busybox");
          for (int i = 1; i < d->job.keys_size(); ++i) {
            proto::ActionResult result;
            *result.mutable_layer() = Layer(absl::StrCat(d->stage, "-", i));
            result.set_config(absl::StrCat("{\"step\":", i, "}"));
            cache[*Digest::Parse(d->job.keys(i))] = result;
            *output.add_layers() = result.layer();
            output.set_config(result.config());
          }
          output.set_final_key(d->job.keys(d->job.keys_size() - 1));
          auto r = cold.OnStageDone(d->stage, output);
          next.insert(next.end(), r.begin(), r.end());
        }
      }
      actions = next;
    }
  }
  BuildCoordinator warm(MakeSpec());
  std::vector<CoordinatorAction> actions = warm.Start();
  int lookups = 0;
  while (!warm.finished()) {
    auto lookup = Only<LookupKeys>(actions);
    ASSERT_EQ(lookup.size(), 1u);
    ++lookups;
    std::map<Digest, std::optional<proto::ActionResult>> results;
    for (const Digest& key : lookup[0].keys) {
      auto it = cache.find(key);
      results[key] = it == cache.end() ? std::nullopt : it->second;
    }
    actions = warm.OnLookup(results);
    EXPECT_TRUE(Only<DispatchStage>(actions).empty());
  }
  auto finish = Only<FinishBuild>(actions);
  ASSERT_EQ(finish.size(), 1u);
  EXPECT_TRUE(finish[0].status.ok()) << finish[0].status;
  EXPECT_TRUE(finish[0].fully_cached);
  EXPECT_EQ(warm.jobs_dispatched(), 0);
  EXPECT_EQ(lookups, 2);  // build's keys, then the target's
  // busybox + build's 2 layers are not in the target: it has busybox + its
  // own COPY layer + the CMD result's layer in this fake cache.
  EXPECT_EQ(finish[0].output.layers(0).diff_id(), Layer("busybox").diff_id());
  auto cached_events = Only<EmitEvent>(actions);
  EXPECT_FALSE(cached_events.empty());
}

TEST(BuildCoordinatorTest, MissingContextSourceFailsWithLine) {
  BuildCoordinator coordinator(
      MakeSpec("FROM busybox\nCOPY nothing-here /x\n"));
  auto finish = Only<FinishBuild>(coordinator.Start());
  ASSERT_EQ(finish.size(), 1u);
  EXPECT_EQ(finish[0].status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(finish[0].status.message(),
            "Dockerfile:2: COPY nothing-here /x: \"/nothing-here\": not found");
}

TEST(BuildCoordinatorTest, StageFailureAndCancelFinishTheBuild) {
  BuildCoordinator coordinator(MakeSpec());
  auto lookup = Only<LookupKeys>(coordinator.Start());
  auto dispatched =
      Only<DispatchStage>(coordinator.OnLookup(Misses(lookup[0])));
  ASSERT_EQ(dispatched.size(), 1u);
  auto finish = Only<FinishBuild>(coordinator.OnStageFailed(
      0, absl::InvalidArgumentError("RUN make: exit code 2")));
  ASSERT_EQ(finish.size(), 1u);
  EXPECT_EQ(finish[0].status.message(), "RUN make: exit code 2");
  EXPECT_TRUE(coordinator.OnCancel("late").empty());

  BuildCoordinator other(MakeSpec());
  other.Start();
  auto cancelled = Only<FinishBuild>(other.OnCancel("client went away"));
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].status.code(), absl::StatusCode::kCancelled);
}

TEST(BuildCoordinatorTest, AddUrlNeedsItsFetchedDigest) {
  const std::string add = "FROM busybox\nADD http://example.test/x.tgz /x\n";
  // Without the fetched content the key cannot be known: fail, don't hang.
  BuildCoordinator stuck(MakeSpec(add));
  auto failed = Only<FinishBuild>(stuck.Start());
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kInternal);
  EXPECT_NE(failed[0].status.message().find("cannot make progress"),
            std::string::npos);

  BuildSpec spec = MakeSpec(add);
  spec.url_digests["http://example.test/x.tgz"] = Digest::Of("archive");
  BuildCoordinator coordinator(std::move(spec));
  auto lookups = Only<LookupKeys>(coordinator.Start());
  ASSERT_EQ(lookups.size(), 1u);
  auto dispatched =
      Only<DispatchStage>(coordinator.OnLookup(Misses(lookups[0])));
  ASSERT_EQ(dispatched.size(), 1u);
  EXPECT_EQ(dispatched[0].job.url_blobs().at("http://example.test/x.tgz"),
            Digest::Of("archive").ToString());
}

TEST(BuildCoordinatorTest, NoCacheSkipsLookups) {
  BuildSpec spec = MakeSpec();
  spec.request.set_no_cache(true);
  BuildCoordinator coordinator(std::move(spec));
  auto start = coordinator.Start();
  EXPECT_TRUE(Only<LookupKeys>(start).empty());
  auto dispatched = Only<DispatchStage>(start);
  ASSERT_EQ(dispatched.size(), 1u);
  EXPECT_TRUE(dispatched[0].job.no_cache());
}

// The keys a build's first lookup asks for.
std::vector<Digest> FirstKeys(BuildSpec spec) {
  BuildCoordinator coordinator(std::move(spec));
  std::vector<LookupKeys> lookups = Only<LookupKeys>(coordinator.Start());
  EXPECT_EQ(lookups.size(), 1u);
  return lookups.empty() ? std::vector<Digest>() : lookups[0].keys;
}

TEST(BuildCoordinatorTest, TenantsKeysAreApartUnlessTheyShare) {
  BuildSpec a = MakeSpec(), b = MakeSpec(), shared = MakeSpec();
  a.cache_namespace = "team-a";
  b.cache_namespace = "team-b";
  std::vector<Digest> keys_a = FirstKeys(a), keys_b = FirstKeys(b);
  ASSERT_EQ(keys_a.size(), keys_b.size());
  for (const Digest& key : keys_a) {
    EXPECT_EQ(std::count(keys_b.begin(), keys_b.end(), key), 0);
  }
  // The same namespace gives the same keys; "" is the shared cache.
  b.cache_namespace = "team-a";
  EXPECT_EQ(FirstKeys(b), keys_a);
  EXPECT_NE(FirstKeys(shared), keys_a);
}

TEST(BuildCoordinatorTest, SecretsChangeTheKeysOfTheRunsThatMountThem) {
  const std::string dockerfile =
      "FROM busybox\n"
      "RUN --mount=type=secret,id=token cat /run/secrets/token\n"
      "RUN echo after\n";
  BuildSpec without = MakeSpec(dockerfile);
  BuildSpec with = MakeSpec(dockerfile), other = MakeSpec(dockerfile);
  with.secret_digests["token"] = Digest::Of("hmac of one value");
  other.secret_digests["token"] = Digest::Of("hmac of another value");
  std::vector<Digest> k0 = FirstKeys(without), k1 = FirstKeys(with),
                      k2 = FirstKeys(other);
  ASSERT_EQ(k0.size(), 2u);
  EXPECT_NE(k0[0], k1[0]);
  EXPECT_NE(k1[0], k2[0]);
  EXPECT_NE(k0[1], k1[1]);  // and every key after them
  // A secret no RUN mounts changes nothing.
  BuildSpec unused = MakeSpec();
  unused.secret_digests["token"] = Digest::Of("hmac of one value");
  EXPECT_EQ(FirstKeys(unused), FirstKeys(MakeSpec()));
}

TEST(SecretDigestsTest, KeyedHashesRevealNothingAndDifferPerTenantKey) {
  google::protobuf::Map<std::string, std::string> secrets;
  secrets["token"] = "hunter2";
  std::map<std::string, Digest> a = SecretDigests("key of team-a", secrets);
  std::map<std::string, Digest> b = SecretDigests("key of team-b", secrets);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_NE(a["token"], b["token"]);
  // Not the plain hash of the value, nor the marker of an absent secret.
  EXPECT_NE(a["token"], Digest::Of("hunter2"));
  EXPECT_NE(a["token"], AbsentSecretDigest("token"));
  EXPECT_EQ(SecretDigests("key of team-a", secrets), a);  // deterministic
  secrets["token"] = "hunter3";
  EXPECT_NE(SecretDigests("key of team-a", secrets)["token"], a["token"]);
}

TEST(EntitlementsTest, BothTheSchedulerAndTheBuildMustAllow) {
  BuildSpec spec =
      MakeSpec("FROM busybox\nRUN true\nRUN --security=insecure mount\n");
  const std::set<std::string> insecure = {kSecurityInsecure};
  EXPECT_TRUE(
      CheckEntitlements(spec.plan, "Dockerfile", insecure, insecure).ok());
  for (const auto& [granted, requested, missing] :
       {std::make_tuple(std::set<std::string>{}, insecure,
                        "--allow-entitlement"),
        std::make_tuple(insecure, std::set<std::string>{}, "--allow "),
        std::make_tuple(std::set<std::string>{}, std::set<std::string>{},
                        "--allow-entitlement security.insecure and")}) {
    absl::Status s =
        CheckEntitlements(spec.plan, "Dockerfile", granted, requested);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(absl::StartsWith(s.message(),
                                 "Dockerfile:3: RUN "
                                 "--security=insecure needs"))
        << s;
    EXPECT_TRUE(absl::StrContains(s.message(), missing)) << s;
  }
  BuildSpec host = MakeSpec("FROM busybox\nRUN --network=host true\n");
  EXPECT_TRUE(absl::StrContains(
      CheckEntitlements(host.plan, "Dockerfile", {}, {}).message(),
      "network.host"));
  EXPECT_FALSE(ValidateEntitlement("root.everything").ok());
}

}  // namespace
}  // namespace farm::scheduler

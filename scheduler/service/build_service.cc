#include "scheduler/service/build_service.h"

#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "auth/service/call_identity.h"
#include "common/build_info.h"
#include "common/grpc_status.h"

namespace farm::scheduler {

namespace {
// Finished builds kept for `farm builds` and late re-attaches.
constexpr size_t kKeepSessions = 200;
}  // namespace

BuildService::~BuildService() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    threads.swap(threads_);
    for (auto& [id, session] : sessions_) session->ClientDetached();
  }
  for (std::thread& thread : threads) thread.join();
}

std::string NewBuildId() {
  unsigned char random[10];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    // OpenSSL's generator only fails when it cannot seed; never hand out a
    // predictable id.
    abort();
  }
  return absl::StrCat(
      "b", absl::BytesToHexString(absl::string_view(
               reinterpret_cast<const char*>(random), sizeof(random))));
}

std::shared_ptr<BuildSession> BuildService::StartSession(SessionDeps deps) {
  absl::MutexLock lock(&mu_);
  std::string id = NewBuildId();
  auto session = std::make_shared<BuildSession>(id, std::move(deps));
  sessions_[id] = session;
  order_.push_back(id);
  while (order_.size() > kKeepSessions) {
    auto oldest = sessions_.find(order_.front());
    if (oldest != sessions_.end() && !oldest->second->finished()) break;
    sessions_.erase(order_.front());
    order_.pop_front();
  }
  threads_.emplace_back([session] { session->Run(); });
  return session;
}

std::shared_ptr<BuildSession> BuildService::FindSession(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

grpc::Status BuildService::Build(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<proto::BuildServerMessage,
                             proto::BuildClientMessage>* stream) {
  absl::StatusOr<auth::Identity> caller =
      auth::AuthorizeCall(*context, *authenticator_, auth::Permission::kBuild);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  proto::BuildClientMessage first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the build stream closed before its request");
  }
  std::shared_ptr<BuildSession> session;
  int64_t after = 0;
  if (first.has_attach()) {
    session = FindSession(first.attach().build_id());
    if (session == nullptr) {
      return grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          absl::StrCat("build ", first.attach().build_id(),
                       " is not known to this scheduler (it may have "
                       "restarted); run the build again"));
    }
    if (session->tenant() != caller->tenant &&
        caller->role != auth::Role::kAdmin) {
      return grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat("build ", first.attach().build_id(),
                       " belongs to another tenant than ", caller->tenant));
    }
    after = first.attach().after_sequence();
    session->ClientAttached();
  } else if (first.has_request()) {
    absl::StatusOr<SessionDeps> deps = deps_(caller->tenant);
    if (!deps.ok()) return ToGrpcStatus(deps.status());
    session = StartSession(*std::move(deps));
    session->FromClient(std::move(first));
  } else {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a build stream must start with a request or an "
                        "attach");
  }

  absl::Notification client_done;
  std::thread reader([&] {
    proto::BuildClientMessage message;
    while (stream->Read(&message)) session->FromClient(std::move(message));
    client_done.Notify();
  });
  bool delivered = session->Follow(
      after,
      [&](const proto::BuildServerMessage& message) {
        return stream->Write(message);
      },
      [context] { return context->IsCancelled(); });
  // Give the client a moment to close its side, then stop the reader.
  if (!client_done.WaitForNotificationWithTimeout(
          absl::Seconds(delivered ? 10 : 0))) {
    context->TryCancel();
  }
  reader.join();
  if (!delivered && !session->finished()) {
    // The client went away: without a re-attach the session cancels itself
    // after its grace period.
    session->ClientDetached();
  }
  return grpc::Status::OK;
}

grpc::Status BuildService::Version(grpc::ServerContext* context,
                                   const proto::VersionRequest*,
                                   proto::VersionInfo* response) {
  absl::StatusOr<auth::Identity> caller = auth::AuthorizeCall(
      *context, *authenticator_, auth::Permission::kIdentify);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  BuildInfo build = ThisBuild();
  response->set_component("farm-scheduler");
  response->set_version(build.version);
  response->set_grpc_version(build.grpc);
  response->set_compiler(build.compiler);
  response->set_platform(build.platform);
  return grpc::Status::OK;
}

grpc::Status BuildService::ListBuilds(grpc::ServerContext* context,
                                      const proto::ListBuildsRequest*,
                                      proto::ListBuildsResponse* response) {
  absl::StatusOr<auth::Identity> caller =
      auth::AuthorizeCall(*context, *authenticator_, auth::Permission::kBuild);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  const bool everyone = caller->role == auth::Role::kAdmin;
  std::vector<std::shared_ptr<BuildSession>> sessions;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : order_) {
      auto it = sessions_.find(id);
      if (it == sessions_.end()) continue;
      if (everyone || it->second->tenant() == caller->tenant) {
        sessions.push_back(it->second);
      }
    }
  }
  for (const auto& session : sessions) {
    *response->add_builds() = session->Summary();
  }
  return grpc::Status::OK;
}

}  // namespace farm::scheduler

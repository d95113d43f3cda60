#include "scheduler/service/build_service.h"

#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "auth/service/call_identity.h"
#include "common/build_info.h"
#include "common/grpc_status.h"
#include "common/logging.h"

namespace farm::scheduler {

BuildService::~BuildService() {
  absl::MutexLock lock(&mu_);
  for (const auto& session : sessions_.InOrder()) session->ClientDetached();
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

absl::StatusOr<std::shared_ptr<BuildSession>> BuildService::StartSession(
    SessionDeps deps) {
  std::shared_ptr<BuildSession> session;
  {
    absl::MutexLock lock(&mu_);
    const int most = sessions_.limits().max_running_per_tenant;
    if (most > 0 && sessions_.Running(deps.tenant) >= most) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "tenant ", deps.tenant, " already runs ", most,
          " builds, the most this farm allows at once "
          "(farm-scheduler --max-builds-per-tenant); try again when one "
          "ends"));
    }
    std::string id = NewBuildId();
    session = std::make_shared<BuildSession>(id, std::move(deps));
    sessions_.Add(id, session);
  }
  Prune();
  threads_.Start([session] { session->Run(); });
  return session;
}

absl::StatusOr<int> BuildService::ResumeBuilds(BuildJournal& journal) {
  absl::StatusOr<std::vector<proto::BuildRecord>> records =
      journal.Unfinished();
  if (!records.ok()) return records.status();
  int resumed = 0;
  for (proto::BuildRecord& record : *records) {
    if (FindSession(record.build_id()) != nullptr) continue;
    absl::StatusOr<SessionDeps> deps = deps_(record.tenant());
    if (!deps.ok()) {
      FARM_LOG(WARNING) << "resuming build " << record.build_id() << ": "
                        << deps.status();
      continue;
    }
    // Admitted under the tenant's limit once already: not counted again.
    auto session =
        std::make_shared<BuildSession>(record.build_id(), *std::move(deps));
    session->Resume(std::move(record));
    {
      absl::MutexLock lock(&mu_);
      sessions_.Add(session->id(), session);
    }
    threads_.Start([session] { session->Run(); });
    ++resumed;
  }
  return resumed;
}

void BuildService::Prune() {
  std::vector<std::shared_ptr<BuildSession>> dropped;
  {
    absl::MutexLock lock(&mu_);
    dropped = sessions_.Prune(clock_->Now());
  }
  // The last reference to a dropped session may go here, outside the lock:
  // its destructor deletes its spooled archives.
}

std::vector<std::shared_ptr<BuildSession>> BuildService::Sessions() {
  Prune();
  absl::MutexLock lock(&mu_);
  return sessions_.InOrder();
}

std::shared_ptr<BuildSession> BuildService::FindSession(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return sessions_.Find(id);
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
  int attachment = 0;
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
    attachment = session->ClientAttached();
  } else if (first.has_request()) {
    absl::StatusOr<SessionDeps> deps = deps_(caller->tenant);
    if (!deps.ok()) return ToGrpcStatus(deps.status());
    absl::StatusOr<std::shared_ptr<BuildSession>> started =
        StartSession(*std::move(deps));
    if (!started.ok()) return ToGrpcStatus(started.status());
    session = *std::move(started);
    session->FromClient(std::move(first), attachment);
  } else {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a build stream must start with a request or an "
                        "attach");
  }

  absl::Notification client_done;
  std::thread reader([&] {
    proto::BuildClientMessage message;
    while (stream->Read(&message)) {
      session->FromClient(std::move(message), attachment);
    }
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
  // The client has every archive it asked for.
  if (delivered) session->ReleaseOutputs();
  if (!delivered && !session->finished()) {
    // The client went away: without a re-attach the session cancels itself
    // after its grace period.
    session->ClientDetached(attachment);
  }
  if (!delivered && session->handed_over()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "this scheduler no longer leads the farm; the next "
                        "leader resumes the build");
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
  for (const auto& session : Sessions()) {
    if (everyone || session->tenant() == caller->tenant) {
      *response->add_builds() = session->Summary();
    }
  }
  return grpc::Status::OK;
}

}  // namespace farm::scheduler

#include "client/local/container_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "common/grpc_status.h"

namespace farm::client::local {
namespace {

// Reads complete log records from `fd` into `writer` (a partial last line
// waits in `pending` for the rest). False once the client is gone.
bool SendLogRecords(int fd, std::string& pending,
                    grpc::ServerWriter<proto::LogLine>* writer) {
  char buffer[1 << 16];
  ssize_t got;
  while ((got = read(fd, buffer, sizeof(buffer))) > 0) {
    pending.append(buffer, got);
    size_t start = 0, end;
    while ((end = pending.find('\n', start)) != std::string::npos) {
      absl::string_view record(pending.data() + start, end - start);
      start = end + 1;
      if (record.size() < 2) continue;
      proto::LogLine line;
      line.set_stream(record[0] == '2' ? 2 : 1);
      line.set_text(absl::StrCat(record.substr(2), "\n"));
      if (!writer->Write(line)) return false;
    }
    pending.erase(0, start);
  }
  return true;
}

}  // namespace

grpc::Status ContainerService::Run(grpc::ServerContext*,
                                   const proto::ContainerConfig* request,
                                   proto::ContainerRecord* response) {
  absl::StatusOr<proto::ContainerRecord> record =
      manager_->RunDetached(*request);
  if (!record.ok()) return ToGrpcStatus(record.status());
  *response = *std::move(record);
  return grpc::Status::OK;
}

grpc::Status ContainerService::RunAttached(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<proto::AttachedRunReply,
                             proto::AttachedRunRequest>* stream) {
  proto::AttachedRunRequest request;
  if (!stream->Read(&request) || !request.has_start()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "an attached run starts with its config");
  }
  absl::StatusOr<ContainerManager::Attached> started =
      manager_->StartAttached(request.start());
  if (!started.ok()) return ToGrpcStatus(started.status());
  const std::string id = started->record.id();
  proto::AttachedRunReply reply;
  *reply.mutable_record() = started->record;
  reply.set_rootfs(started->rootfs);
  if (!stream->Write(reply)) {
    manager_->EndAttached(id, nullptr);
    return grpc::Status::OK;
  }
  // The client runs the container now; it reports the exit, or the stream
  // breaks because it died.
  proto::AttachedRunRequest end;
  if (stream->Read(&end) && end.has_exited()) {
    manager_->EndAttached(id, &end.exited());
  } else {
    manager_->EndAttached(id, nullptr);
  }
  return grpc::Status::OK;
}

grpc::Status ContainerService::List(grpc::ServerContext*,
                                    const proto::ListContainersRequest* request,
                                    proto::ListContainersResponse* response) {
  for (proto::ContainerRecord& record : manager_->table().List(request->all()))
    *response->add_containers() = std::move(record);
  return grpc::Status::OK;
}

grpc::Status ContainerService::Find(grpc::ServerContext*,
                                    const proto::ContainerRef* request,
                                    proto::ContainerRecord* response) {
  absl::StatusOr<proto::ContainerRecord> record =
      manager_->table().Find(request->ref());
  if (!record.ok()) return ToGrpcStatus(record.status());
  *response = *std::move(record);
  return grpc::Status::OK;
}

grpc::Status ContainerService::Logs(
    grpc::ServerContext* context, const proto::LogsRequest* request,
    grpc::ServerWriter<proto::LogLine>* writer) {
  absl::StatusOr<proto::ContainerRecord> record =
      manager_->table().Find(request->ref());
  if (!record.ok()) return ToGrpcStatus(record.status());
  const std::string path = manager_->table().LogPath(record->id());
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 && errno != ENOENT) {
    return ToGrpcStatus(ErrnoStatus(errno, path));
  }
  std::string pending;
  while (true) {
    if (fd.get() < 0) fd = ScopedFd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() >= 0 && !SendLogRecords(fd.get(), pending, writer)) break;
    if (!request->follow() || context->IsCancelled()) break;
    absl::StatusOr<proto::ContainerRecord> now =
        manager_->table().Find(record->id());
    if (!now.ok() || now->state() != "running") {
      // One last read: what it wrote before it ended.
      if (fd.get() >= 0) SendLogRecords(fd.get(), pending, writer);
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return grpc::Status::OK;
}

grpc::Status ContainerService::Stop(grpc::ServerContext*,
                                    const proto::StopContainerRequest* request,
                                    proto::ContainerRecord* response) {
  std::optional<absl::Duration> timeout;
  if (request->timeout_seconds() >= 0) {
    timeout = absl::Seconds(request->timeout_seconds());
  }
  absl::StatusOr<proto::ContainerRecord> record =
      manager_->Stop(request->ref(), timeout);
  if (!record.ok()) return ToGrpcStatus(record.status());
  *response = *std::move(record);
  return grpc::Status::OK;
}

grpc::Status ContainerService::Remove(
    grpc::ServerContext*, const proto::RemoveContainerRequest* request,
    proto::ContainerRecord* response) {
  absl::StatusOr<proto::ContainerRecord> record =
      manager_->Remove(request->ref(), request->force());
  if (!record.ok()) return ToGrpcStatus(record.status());
  *response = *std::move(record);
  return grpc::Status::OK;
}

}  // namespace farm::client::local

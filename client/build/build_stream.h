// BuildStream: one Build call between the client and the farm as the
// client's logic sees it, so that logic can run against a scripted fake in
// tests and against gRPC (GrpcBuildConnector) in the CLI.
#ifndef FARM_CLIENT_BUILD_BUILD_STREAM_H_
#define FARM_CLIENT_BUILD_BUILD_STREAM_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/build.pb.h"

namespace farm::client::build {

// One thread may Read while another Writes; nothing else runs concurrently
// except Cancel.
class BuildStream {
 public:
  virtual ~BuildStream() = default;
  // Sends one message; false once the call has ended (Finish says why).
  virtual bool Write(const proto::BuildClientMessage& message) = 0;
  // Waits for the next message; false at the end of the call.
  virtual bool Read(proto::BuildServerMessage* message) = 0;
  // Tells the farm the client will write no more. False if the call ended.
  virtual bool WritesDone() = 0;
  // After Read returned false and writing stopped: how the call ended.
  // kUnavailable when the connection dropped, the farm's own status
  // otherwise (kNotFound for an AttachRequest naming an unknown build).
  virtual absl::Status Finish() = 0;
  // Ends the call from any thread: blocked Reads and Writes return false
  // and Finish gives kCancelled. Harmless after the call ended.
  virtual void Cancel() = 0;
};

// Opens Build calls: one per attempt, since re-attaching after a dropped
// connection needs a new call.
class BuildConnector {
 public:
  virtual ~BuildConnector() = default;
  // Thread-safe. Errors: kUnavailable when the farm cannot be reached, if
  // the transport knows at once (gRPC usually reports it on first use).
  virtual absl::StatusOr<std::unique_ptr<BuildStream>> Open() = 0;
};

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_BUILD_STREAM_H_

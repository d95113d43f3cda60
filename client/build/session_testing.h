// Helpers for tests of the client's side of the Build stream: a real
// context on disk, and the farm side's reading and writing of messages.
// Test-only.
#ifndef FARM_CLIENT_BUILD_SESSION_TESTING_H_
#define FARM_CLIENT_BUILD_SESSION_TESTING_H_

#include <memory>
#include <string>
#include <vector>

#include "client/build/build_session.h"
#include "client/context/context_blob_source.h"
#include "client/context/test_tree.h"
#include "client/progress/client_steps.h"
#include "client/progress/testing_events.h"
#include "gtest/gtest.h"
#include "proto/build.pb.h"
#include "proto/context.pb.h"

namespace farm::client::build::testing {

struct Opening {
  proto::BuildRequest request;
  proto::ContextManifest manifest;
  int manifest_chunks = 0;
};

// Reads a BuildRequest and the manifest chunks up to the last one through
// `read`. Adds a gtest failure for anything else.
template <typename ReadFn>
Opening ReadOpening(ReadFn read);

// Reads one whole blob (chunks up to `last`); fails the test if a chunk
// names another digest or something other than a chunk arrives.
template <typename ReadFn>
std::string ReadBlob(ReadFn read, const std::string& digest);

proto::BuildServerMessage Accepted(const std::string& build_id);
proto::BuildServerMessage Need(const std::vector<std::string>& digests);
proto::BuildServerMessage Event(int64_t sequence, proto::BuildEvent::Kind kind,
                                int step, const std::string& text);
proto::BuildServerMessage Output(const std::string& format,
                                 const std::string& data, bool last);
proto::BuildServerMessage Result(bool ok, const std::string& error = "");

// A test with a real context on disk and a session's client-side parts.
// Subclasses fill tree_ and call WalkTree() in SetUp.
class SessionTest : public ::testing::Test {
 protected:
  void WalkTree() {
    snap_ = context::WalkTree(tree_);
    blobs_ = std::make_unique<context::ContextBlobSource>(snap_);
  }
  // Options naming the context, the blob source and the recording printer.
  SessionOptions BaseOptions() {
    SessionOptions o;
    o.manifest = &snap_.manifest;
    o.blobs = blobs_.get();
    o.printer = &printer_;
    o.steps = &steps_;
    return o;
  }

  context::TempTree tree_;
  context::ContextSnapshot snap_;
  std::unique_ptr<context::ContextBlobSource> blobs_;
  progress::testing::RecordingPrinter printer_;
  progress::ClientSteps steps_{&printer_, RealClock::Get()};
};

}  // namespace farm::client::build::testing

#include "client/build/session_testing_inl.h"

#endif  // FARM_CLIENT_BUILD_SESSION_TESTING_H_

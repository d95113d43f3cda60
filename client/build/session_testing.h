// Helpers for tests of the client's side of the Build stream: a real
// context on disk, and the farm side's reading and writing of messages.
// Test-only.
#ifndef FARM_CLIENT_BUILD_SESSION_TESTING_H_
#define FARM_CLIENT_BUILD_SESSION_TESTING_H_

#include <string>
#include <vector>

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

}  // namespace farm::client::build::testing

#include "client/build/session_testing_inl.h"

#endif  // FARM_CLIENT_BUILD_SESSION_TESTING_H_

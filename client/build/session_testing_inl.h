// Template definitions for session_testing.h.
#ifndef FARM_CLIENT_BUILD_SESSION_TESTING_INL_H_
#define FARM_CLIENT_BUILD_SESSION_TESTING_INL_H_

#include "gtest/gtest.h"

namespace farm::client::build::testing {

template <typename ReadFn>
Opening ReadOpening(ReadFn read) {
  Opening out;
  proto::BuildClientMessage m;
  if (!read(&m) || !m.has_request()) {
    ADD_FAILURE() << "want a BuildRequest first, got " << m.DebugString();
    return out;
  }
  out.request = m.request();
  while (read(&m)) {
    if (!m.has_manifest()) {
      ADD_FAILURE() << "want manifest chunks, got " << m.DebugString();
      return out;
    }
    ++out.manifest_chunks;
    for (const proto::ContextEntry& e : m.manifest().entries()) {
      *out.manifest.add_entries() = e;
    }
    if (m.manifest().last()) return out;
  }
  ADD_FAILURE() << "the stream ended inside the manifest";
  return out;
}

template <typename ReadFn>
std::string ReadBlob(ReadFn read, const std::string& digest) {
  std::string data;
  proto::BuildClientMessage m;
  while (read(&m)) {
    if (!m.has_blob() || m.blob().digest() != digest) {
      ADD_FAILURE() << "want a chunk of " << digest << ", got "
                    << m.ShortDebugString().substr(0, 200);
      return data;
    }
    data += m.blob().data();
    if (m.blob().last()) return data;
  }
  ADD_FAILURE() << "the stream ended inside blob " << digest;
  return data;
}

}  // namespace farm::client::build::testing

#endif  // FARM_CLIENT_BUILD_SESSION_TESTING_INL_H_

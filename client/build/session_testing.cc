#include "client/build/session_testing.h"

namespace farm::client::build::testing {

proto::BuildServerMessage Accepted(const std::string& build_id) {
  proto::BuildServerMessage m;
  m.mutable_accepted()->set_build_id(build_id);
  return m;
}

proto::BuildServerMessage Need(const std::vector<std::string>& digests) {
  proto::BuildServerMessage m;
  for (const std::string& d : digests) m.mutable_need()->add_digests(d);
  return m;
}

proto::BuildServerMessage Event(int64_t sequence, proto::BuildEvent::Kind kind,
                                int step, const std::string& text) {
  proto::BuildServerMessage m;
  proto::BuildEvent* e = m.mutable_event();
  e->set_sequence(sequence);
  e->set_kind(kind);
  e->set_step(step);
  e->set_text(text);
  return m;
}

proto::BuildServerMessage Output(const std::string& format,
                                 const std::string& data, bool last) {
  proto::BuildServerMessage m;
  m.mutable_output()->set_format(format);
  m.mutable_output()->set_data(data);
  m.mutable_output()->set_last(last);
  return m;
}

proto::BuildServerMessage Result(bool ok, const std::string& error) {
  proto::BuildServerMessage m;
  m.mutable_result()->set_ok(ok);
  if (!ok) {
    m.mutable_result()->set_error_code(1);
    m.mutable_result()->set_error(error);
  } else {
    m.mutable_result()->set_image_id("sha256:feed");
  }
  return m;
}

}  // namespace farm::client::build::testing

#include "image/oci/json_fields.h"

#include "absl/strings/str_cat.h"

namespace farm::image::oci {

absl::StatusOr<Json> ParseJsonObject(absl::string_view text,
                                     absl::string_view what) {
  Json j;
  try {
    j = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": invalid JSON: ", e.what()));
  }
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": want a JSON object, got ", j.type_name()));
  }
  return j;
}

std::string CanonicalJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string FormatRfc3339Nano(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an RFC 3339 time: \"", text, "\""));
  }
  return t;
}

FieldReader::FieldReader(const Json& object, std::string what, std::string path)
    : object_(object), what_(std::move(what)), path_(std::move(path)) {}

std::string FieldReader::FieldName(absl::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
}

void FieldReader::Fail(absl::string_view key, absl::string_view problem) {
  if (!status_.ok()) return;
  status_ = absl::InvalidArgumentError(
      absl::StrCat(what_, ": field ", FieldName(key), ": ", problem));
}

bool FieldReader::Has(const char* key) const {
  auto it = object_.find(key);
  return it != object_.end() && !it->is_null();
}

const Json* FieldReader::Get(const char* key, bool required) {
  read_.insert(key);
  if (!status_.ok()) return nullptr;
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) {
    if (required) Fail(key, "missing");
    return nullptr;
  }
  return &*it;
}

void FieldReader::String(const char* key, std::string* out, bool required) {
  const Json* v = Get(key, required);
  if (v == nullptr) return;
  if (!v->is_string()) return Fail(key, "want a string");
  *out = v->get<std::string>();
}

void FieldReader::Int(const char* key, int64_t* out, bool required) {
  const Json* v = Get(key, required);
  if (v == nullptr) return;
  if (!v->is_number_integer()) return Fail(key, "want an integer");
  *out = v->get<int64_t>();
}

void FieldReader::Bool(const char* key, bool* out) {
  const Json* v = Get(key, false);
  if (v == nullptr) return;
  if (!v->is_boolean()) return Fail(key, "want true or false");
  *out = v->get<bool>();
}

void FieldReader::StringList(const char* key, std::vector<std::string>* out) {
  const Json* v = Get(key, false);
  if (v == nullptr) return;
  if (!v->is_array()) return Fail(key, "want an array of strings");
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      return Fail(absl::StrCat(key, "[", i, "]"), "want a string");
    }
    out->push_back((*v)[i].get<std::string>());
  }
}

void FieldReader::StringMap(const char* key,
                            std::map<std::string, std::string>* out) {
  const Json* v = Get(key, false);
  if (v == nullptr) return;
  if (!v->is_object()) return Fail(key, "want an object of strings");
  out->clear();
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it->is_string()) {
      return Fail(absl::StrCat(key, "[\"", it.key(), "\"]"), "want a string");
    }
    (*out)[it.key()] = it->get<std::string>();
  }
}

void FieldReader::StringSet(const char* key, std::set<std::string>* out) {
  const Json* v = Get(key, false);
  if (v == nullptr) return;
  if (!v->is_object()) return Fail(key, "want an object");
  out->clear();
  for (auto it = v->begin(); it != v->end(); ++it) out->insert(it.key());
}

void FieldReader::Time(const char* key, std::optional<absl::Time>* out) {
  std::string text;
  String(key, &text);
  if (!status_.ok() || text.empty()) return;
  absl::StatusOr<absl::Time> t = ParseRfc3339(text);
  if (!t.ok()) return Fail(key, t.status().message());
  *out = *t;
}

void FieldReader::DigestField(const char* key, Digest* out, bool required) {
  std::string text;
  String(key, &text, required);
  if (!status_.ok() || (text.empty() && !required)) return;
  absl::StatusOr<Digest> d = Digest::Parse(text);
  if (!d.ok()) return Fail(key, d.status().message());
  *out = *d;
}

void FieldReader::Object(const char* key,
                         const std::function<void(FieldReader&)>& parse,
                         bool required) {
  const Json* v = Get(key, required);
  if (v == nullptr) return;
  if (!v->is_object()) return Fail(key, "want an object");
  FieldReader sub(*v, what_, FieldName(key));
  parse(sub);
  if (!sub.status().ok()) status_ = sub.status();
}

void FieldReader::ObjectList(const char* key,
                             const std::function<void(FieldReader&)>& parse,
                             bool required) {
  const Json* v = Get(key, required);
  if (v == nullptr) return;
  if (!v->is_array()) return Fail(key, "want an array of objects");
  for (size_t i = 0; i < v->size() && status_.ok(); ++i) {
    std::string name = absl::StrCat(key, "[", i, "]");
    if (!(*v)[i].is_object()) return Fail(name, "want an object");
    FieldReader sub((*v)[i], what_, FieldName(name));
    parse(sub);
    if (!sub.status().ok()) status_ = sub.status();
  }
}

Json FieldReader::Unread() const {
  Json extra = Json::object();
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (read_.count(it.key()) == 0) extra[it.key()] = *it;
  }
  return extra;
}

void PutString(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void PutInt(Json& j, const char* key, int64_t v) {
  if (v != 0) j[key] = v;
}
void PutBool(Json& j, const char* key, bool v) {
  if (v) j[key] = true;
}
void PutStringList(Json& j, const char* key,
                   const std::vector<std::string>& v) {
  if (!v.empty()) j[key] = v;
}
void PutStringMap(Json& j, const char* key,
                  const std::map<std::string, std::string>& v) {
  if (!v.empty()) j[key] = v;
}
void PutStringSet(Json& j, const char* key, const std::set<std::string>& v) {
  if (v.empty()) return;
  Json obj = Json::object();
  for (const std::string& k : v) obj[k] = Json::object();
  j[key] = std::move(obj);
}
void PutTime(Json& j, const char* key, const std::optional<absl::Time>& v) {
  if (v.has_value()) j[key] = FormatRfc3339Nano(*v);
}
void MergeExtra(Json& j, const Json& extra) {
  if (!extra.is_object()) return;
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (!j.contains(it.key())) j[it.key()] = *it;
  }
}

}  // namespace farm::image::oci

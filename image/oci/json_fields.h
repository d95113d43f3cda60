// Typed access to the fields of a JSON object, for the OCI and Docker
// documents. Parsing errors are kInvalidArgument and name the field path
// ("image config: field config.Env[2]: want a string"); writers omit empty
// values the way Go's `omitempty` does, so farm's JSON matches Docker's.
#ifndef FARM_IMAGE_OCI_JSON_FIELDS_H_
#define FARM_IMAGE_OCI_JSON_FIELDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/digest.h"
#include "nlohmann/json.hpp"

namespace farm::image::oci {

using Json = nlohmann::json;

// Parses `text` as one JSON object; `what` names the document in errors.
absl::StatusOr<Json> ParseJsonObject(absl::string_view text,
                                     absl::string_view what);
// The canonical bytes of `value`: no whitespace, keys sorted, invalid UTF-8
// replaced, so the same value always hashes the same.
std::string CanonicalJson(const Json& value);

// Go's time.RFC3339Nano in UTC ("2024-01-02T03:04:05.5Z"), and its parser
// (any RFC 3339 offset).
std::string FormatRfc3339Nano(absl::Time t);
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);

// Reads the fields of one object. The first error sticks; later calls are
// no-ops, so a parser reads every field and checks status() once.
class FieldReader {
 public:
  // `object` must outlive the reader. `path` prefixes field names in errors.
  FieldReader(const Json& object, std::string what, std::string path = "");

  bool Has(const char* key) const;
  void String(const char* key, std::string* out, bool required = false);
  void Int(const char* key, int64_t* out, bool required = false);
  void Bool(const char* key, bool* out);
  void StringList(const char* key, std::vector<std::string>* out);
  void StringMap(const char* key, std::map<std::string, std::string>* out);
  // A Go map[string]struct{}: {"80/tcp":{}}.
  void StringSet(const char* key, std::set<std::string>* out);
  void Time(const char* key, std::optional<absl::Time>* out);
  void DigestField(const char* key, Digest* out, bool required = false);
  // Calls `parse` on the nested object, if present (or always if required).
  void Object(const char* key, const std::function<void(FieldReader&)>& parse,
              bool required = false);
  // Calls `parse` on each element of an array of objects.
  void ObjectList(const char* key,
                  const std::function<void(FieldReader&)>& parse,
                  bool required = false);
  // Every key not read so far, for documents that keep unknown fields.
  Json Unread() const;

  void Fail(absl::string_view key, absl::string_view problem);
  const absl::Status& status() const { return status_; }

 private:
  const Json* Get(const char* key, bool required);
  std::string FieldName(absl::string_view key) const;

  const Json& object_;
  std::string what_;
  std::string path_;
  std::set<std::string> read_;
  absl::Status status_;
};

// Writers that skip empty values (Go's omitempty).
void PutString(Json& j, const char* key, const std::string& v);
void PutInt(Json& j, const char* key, int64_t v);
void PutBool(Json& j, const char* key, bool v);
void PutStringList(Json& j, const char* key, const std::vector<std::string>& v);
void PutStringMap(Json& j, const char* key,
                  const std::map<std::string, std::string>& v);
void PutStringSet(Json& j, const char* key, const std::set<std::string>& v);
void PutTime(Json& j, const char* key, const std::optional<absl::Time>& v);
// Adds the keys of `extra` that `j` does not already have.
void MergeExtra(Json& j, const Json& extra);

}  // namespace farm::image::oci

#endif  // FARM_IMAGE_OCI_JSON_FIELDS_H_

// Plain values for etcd's v3 KV, txn and watch calls, the subset farm uses:
// keys and values are raw bytes here, base64 only on the wire.
#ifndef FARM_COMMON_ETCD_ETCD_TYPES_H_
#define FARM_COMMON_ETCD_ETCD_TYPES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace farm::etcd {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;  // 0: no lease
};

// One "key's field == x" condition of a transaction. A key that does not
// exist has create_revision, mod_revision and version 0.
struct Compare {
  enum class Target { kValue, kCreateRevision, kModRevision, kVersion };

  std::string key;
  Target target = Target::kVersion;
  std::string value;   // for kValue
  int64_t number = 0;  // for the others

  static Compare ValueEquals(std::string key, std::string value) {
    return {std::move(key), Target::kValue, std::move(value), 0};
  }
  static Compare CreateRevisionEquals(std::string key, int64_t rev) {
    return {std::move(key), Target::kCreateRevision, "", rev};
  }
  static Compare ModRevisionEquals(std::string key, int64_t rev) {
    return {std::move(key), Target::kModRevision, "", rev};
  }
  static Compare VersionEquals(std::string key, int64_t version) {
    return {std::move(key), Target::kVersion, "", version};
  }
  // create_revision == 0.
  static Compare Absent(std::string key) {
    return CreateRevisionEquals(std::move(key), 0);
  }
};

// One operation of a transaction's success or failure branch.
struct Op {
  enum class Type { kPut, kDelete, kRange };

  Type type = Type::kRange;
  std::string key;
  std::string value;    // for kPut
  int64_t lease = 0;    // for kPut
  bool prefix = false;  // kDelete / kRange: every key starting with `key`

  static Op Put(std::string key, std::string value, int64_t lease = 0) {
    return {Type::kPut, std::move(key), std::move(value), lease, false};
  }
  static Op Delete(std::string key, bool prefix = false) {
    return {Type::kDelete, std::move(key), "", 0, prefix};
  }
  static Op Get(std::string key, bool prefix = false) {
    return {Type::kRange, std::move(key), "", 0, prefix};
  }
};

struct TxnRequest {
  std::vector<Compare> compares;  // all must hold
  std::vector<Op> success;
  std::vector<Op> failure;
};

struct TxnResponse {
  bool succeeded = false;
  int64_t revision = 0;  // of the store after the txn
  // One entry per op of the branch that ran, in order; the keys found for
  // kRange ops, empty for the others.
  std::vector<std::vector<KeyValue>> ranges;
};

struct RangeResponse {
  std::vector<KeyValue> kvs;  // sorted by key
  int64_t revision = 0;       // of the store when read
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  // For kDelete only key and mod_revision (the deletion's) are set.
  KeyValue kv;
};

// The end of the range of every key that starts with `prefix` (etcd's
// range_end): the prefix with its last byte below 0xff incremented, or
// "\0" (every key) when there is none.
std::string PrefixRangeEnd(const std::string& prefix);

}  // namespace farm::etcd

#endif  // FARM_COMMON_ETCD_ETCD_TYPES_H_

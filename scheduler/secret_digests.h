// What a build's --secret values contribute to cache keys. A step that
// mounts a secret must miss the cache when the value changes or is absent,
// yet a key must reveal nothing about the value: keys travel to workers and
// into the action cache. So each value enters the key only through
// HMAC-SHA256 under a key of its tenant's, which the scheduler keeps.
#ifndef FARM_SCHEDULER_SECRET_DIGESTS_H_
#define FARM_SCHEDULER_SECRET_DIGESTS_H_

#include <map>
#include <string>

#include "common/digest.h"
#include "google/protobuf/map.h"

namespace farm::scheduler {

// id → HMAC-SHA256(tenant_key, id and value, each length-prefixed).
std::map<std::string, Digest> SecretDigests(
    const std::string& tenant_key,
    const google::protobuf::Map<std::string, std::string>& secrets);

// Stands for a secret id that the build did not provide.
Digest AbsentSecretDigest(const std::string& id);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SECRET_DIGESTS_H_

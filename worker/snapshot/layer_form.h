// ToLayerForm: turns an overlay upper dir into exactly the tree that
// unpacking its own layer tar (image/layer WriteLayer, then ApplyLayer in
// overlay mode) would give, so the store can adopt the dir as that layer's
// snapshot without unpacking what was just written, and a later build that
// unpacks the layer from the cache sees the same files.
#ifndef FARM_WORKER_SNAPSHOT_LAYER_FORM_H_
#define FARM_WORKER_SNAPSHOT_LAYER_FORM_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace farm::snapshot {

// Changes `dir` in place, never following symlinks:
//  - sockets are removed (a layer cannot hold them);
//  - mtimes drop their fraction of a second and are clamped to
//    `source_date_epoch` when set; atimes equal mtimes where an mtime is
//    set (a regular file whose mtime is already right keeps its atime,
//    which no layer records);
//  - xattrs other than security.capability are removed, except the overlay
//    opaque mark, which is kept as trusted.overlay.opaque=y;
//  - whiteouts (0/0 character devices) get mode 0, owner 0:0 and mtime 0,
//    as the applier makes them from a `.wh.` entry;
//  - the root itself (not part of a layer) becomes 0755, owned by 0:0.
// Returns what the tree takes on disk, as DiskUsage (store_layout.h) would
// count it, from the same walk.
absl::StatusOr<uint64_t> ToLayerForm(const std::string& dir,
                                     std::optional<int64_t> source_date_epoch);

}  // namespace farm::snapshot

#endif  // FARM_WORKER_SNAPSHOT_LAYER_FORM_H_

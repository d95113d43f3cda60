#include "scheduler/file_image_index_storage.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::scheduler {

absl::StatusOr<ImageIndex> FileImageIndexStorage::Load() {
  if (!PathExists(path_)) return ImageIndex();
  ASSIGN_OR_RETURN(std::string text, ReadFile(path_));
  absl::StatusOr<ImageIndex> index = ImageIndex::FromJson(text, legacy_tenant_);
  if (!index.ok()) {
    return Annotate(index.status(), absl::StrCat("image index ", path_));
  }
  return index;
}

absl::Status FileImageIndexStorage::Save(const ImageIndex& index) {
  RETURN_IF_ERROR(MakeDirs(DirName(path_)));
  return WriteFileAtomic(path_, index.ToJson());
}

}  // namespace farm::scheduler
